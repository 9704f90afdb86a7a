"""Synthetic demo, joint enforcement part (order 60): a finished province-deployed
campaign, a key-problem action in progress and a sudden-incident response run by member
units among themselves (E6). Everything goes through the real services, so every rule
(E1–E6) is applied to the demo data too. All data is synthetic (合成数据).

Built on: ctx.units / ctx.persons / ctx.users (org, 10), ctx.objects["grids"],
["district_grid"], ["grid_by_unit"] (grids, 20), ctx.objects["entities"] (entities, 30).
Missing pieces are logged and the step does what it can.

Leaves: ctx.objects["enforcement_actions"] — {"finished", "in_progress", "incident"}.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from envgrid.core.demo import DemoContext, demo_step
from envgrid.core.errors import ApplicationError

from . import services
from .models import EnforcementAction


def synthetic_photo(seed: int, width: int = 320, height: int = 240) -> bytes:
    """A small synthetic PNG (sky, ground and a grey 'outfall' block) — no real photo."""
    rows = []
    tint = (seed * 37) % 60
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            if 150 < x < 210 and 120 < y < 200:
                px = (110, 110, 115)
            elif y < height // 2:
                px = (150 + tint // 2, 190, 230)
            else:
                px = (90 + tint, 120, 70 + (x * 40) // width)
            row += bytes(px)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 6)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _photo(seed: int, name: str) -> ContentFile:
    return ContentFile(synthetic_photo(seed), name=name)


def _user(ctx: DemoContext, person_key: str) -> Any:
    person = ctx.persons.get(person_key)
    return person.user if person is not None and person.user_id else None


def _entities_in(grid: Any, n: int) -> list[Any]:
    from envgrid.entities.models import SupervisedEntity

    qs = SupervisedEntity.objects.filter(grid__path__startswith=grid.path).select_related("grid")
    # Key dischargers first (the category value "key" sorts first among the others).
    return list(qs.order_by("category", "name")[:n])


def _liaison_and_officers(
    ctx: DemoContext, action: EnforcementAction, plan: dict[str, tuple[str, list[str]]]
) -> None:
    """plan: unit key → (liaison person key, officer person keys). Each unit staffs
    itself through its own login where it has one (else the organiser does)."""
    organiser_user = _user(ctx, plan["__organiser__"][0])
    for p in action.participants.select_related("unit"):
        key = p.unit.short_name
        if key not in plan:
            continue
        liaison_key, officer_keys = plan[key]
        actor = _user(ctx, liaison_key) or organiser_user
        liaison = ctx.persons.get(liaison_key)
        if liaison is not None:
            services.liaison_assign(actor=actor, participant=p, person=liaison)
        for okey in officer_keys:
            officer = ctx.persons.get(okey)
            if officer is None:
                continue
            try:
                services.officer_assign(actor=actor, action=action, person=officer)
            except ApplicationError as exc:  # E5 at work on the demo's expired certificates
                ctx.log(f"enforcement: refused as intended — {exc.message}")


def _consult(ctx: DemoContext, action: EnforcementAction, actor: Any, form: str, text: str) -> None:
    """E5: the participating units consult before the plan is approved (synthetic)."""
    try:
        services.consultation_record(
            actor=actor,
            action=action,
            held_on=min(action.start_date, timezone.localdate()),
            form=form,
            units=[p.unit for p in action.participants.select_related("unit")],
            conclusions=text,
        )
    except ApplicationError as exc:
        ctx.log(f"enforcement: consultation not recorded — {exc.message}")


def _inspect(
    ctx: DemoContext,
    action: EnforcementAction,
    actor: Any,
    entity: Any,
    when: dt.datetime,
    seed: int,
    summary: str,
    findings: list[services.FindingSpec],
) -> Any:
    officers = list(action.officers.select_related("person")[:3])
    return services.inspection_create(
        actor=actor,
        action=action,
        entity=entity,
        inspected_at=when,
        officers=officers,
        summary=summary,
        photos=[_photo(seed, f"现场照片{seed}.png"), _photo(seed + 1, f"现场照片{seed + 1}.png")],
        findings=findings,
    )


@demo_step(60)
def enforcement(ctx: DemoContext) -> None:
    grids = ctx.objects.get("grids")
    by_unit = ctx.objects.get("grid_by_unit") or {}
    district = ctx.objects.get("district_grid")
    needed = ("区政府.staff", "leader", "director", "office")
    if not grids or district is None or any(k not in ctx.persons for k in needed):
        ctx.log("enforcement: skipped (needs the org, grids and entities demo steps)")
        return
    now = timezone.now()
    today = timezone.localdate()
    organiser = _user(ctx, "区政府.staff")  # 区人民政府 owns the district grid
    approver = _user(ctx, "leader")  # the district head: the organiser's leadership
    actions: dict[str, EnforcementAction] = {}

    def area(key: str) -> Any:
        return by_unit.get(key)

    # 1. A finished campaign deployed by the province, over two sub-district areas.
    a1, a2 = area("八田地街道"), area("工业园区")
    if a1 is not None and a2 is not None:
        action = services.action_create(
            actor=organiser,
            title="涉VOCs企业专项执法检查行动（演示）",
            category="campaign",
            campaign_level="province",
            campaign_doc_ref="辽环演〔2026〕12号",
            campaign_doc_title="关于开展涉挥发性有机物企业专项执法检查的通知（演示）",
            objectives="按省级部署，排查辖区涉VOCs排放企业治污设施运行、台账记录和无组织排放问题，"
            "依法查处环境违法行为。",
            start_date=today - dt.timedelta(days=12),
            end_date=today,
            schedule="第一周：企业自查与网格摸排；第二周：联合现场检查与问题交办；行动结束日报送总结。",
            requirements="各参与单位确定一名联络人；检查须两名以上持证执法人员进行并全程记录。",
            organiser_grid=district,
            targets=[
                services.TargetSpec(grid=a1, is_key=True, note="涉VOCs企业集中区域"),
                services.TargetSpec(grid=a2),
            ],
            participants=[
                services.ParticipantSpec(
                    unit=ctx.units["生态环境局"], duties="牵头现场检查，负责监测取证和行政处罚"
                ),
                services.ParticipantSpec(
                    unit=ctx.units["公安分局"], duties="配合检查，研判涉嫌环境犯罪线索"
                ),
            ],
        )
        for p in action.participants.select_related("unit"):
            if not p.duties:
                services.participant_set_duties(
                    actor=organiser, participant=p, duties="组织辖区网格员摸排企业，配合现场检查"
                )
        _liaison_and_officers(
            ctx,
            action,
            {
                "__organiser__": ("区政府.staff", []),
                "区政府": ("区政府.staff", []),
                "生态环境局": ("office", ["生态环境局.officer1", "生态环境局.officer2"]),
                "公安分局": ("公安分局.staff", ["公安分局.officer1", "公安分局.officer2"]),
                "八田地街道": ("八田地街道.staff", []),
                "工业园区": ("工业园区.staff", []),
            },
        )
        _consult(
            ctx,
            action,
            organiser,
            "meeting",
            "各单位确认检查对象名单和分工；公安分局派员全程参与，发现涉嫌犯罪线索当场固定证据（合成）。",
        )
        services.action_approve(actor=approver, action=action, note="同意按方案实施")
        services.action_deploy(actor=organiser, action=action)
        for assignment in action.assignments.select_related("unit"):
            unit_user = _user(ctx, f"{assignment.unit.short_name}.staff") or organiser
            services.assignment_acknowledge(actor=unit_user, assignment=assignment, note="收到")
        visits = [e for grid in (a1, a2) for e in _entities_in(grid, 2)]
        for i, entity in enumerate(visits):
            found = i % 2 == 1
            when = timezone.make_aware(
                dt.datetime.combine(today - dt.timedelta(days=7 - 2 * i), dt.time(9, 30))
            )
            _inspect(
                ctx,
                action,
                organiser,
                entity,
                min(when, now),
                2 * i + 1,
                "检查发现废气收集效率偏低。"
                if found
                else "检查治污设施运行及台账，活性炭更换记录完整。",
                [
                    services.FindingSpec(
                        title="VOCs无组织排放",
                        description="喷涂车间废气收集装置未正常运行，存在无组织排放（合成）。",
                        responsible_person="车间负责人（合成）",
                    )
                ]
                if found
                else [],
            )
        for assignment in action.assignments.select_related("unit"):
            unit_user = _user(ctx, f"{assignment.unit.short_name}.staff") or organiser
            services.assignment_complete(
                actor=unit_user,
                assignment=assignment,
                report="辖区涉VOCs企业已全部摸排，配合完成现场检查。",
            )
        cased = 0
        for finding in action.findings.all()[:1]:
            services.finding_to_case(actor=organiser, finding=finding)
            cased += 1
        services.action_complete(
            actor=organiser,
            action=action,
            summary=f"共检查企业{len(visits)}家，发现问题{action.findings.count()}个，"
            f"立案{cased}件；各下级网格均按时签收并完成任务。",
        )
        actions["finished"] = action

    # 2. A key/difficult/hot problem in progress: one lower grid has acknowledged, the
    #    other has not yet (its deadline is still running).
    b1, b2 = area("建设街道"), area("东风街道")
    if b1 is not None and b2 is not None:
        action = services.action_create(
            actor=organiser,
            title="餐饮油烟扰民问题联合整治（演示）",
            category="key_problem",
            objectives="解决群众反映集中的餐饮油烟、噪声扰民问题，督促安装并正常使用油烟净化设施。",
            start_date=today - dt.timedelta(days=3),
            end_date=today + dt.timedelta(days=11),
            schedule="集中检查两周，逐户建立整改台账。",
            organiser_grid=district,
            targets=[services.TargetSpec(grid=b1, is_key=True), services.TargetSpec(grid=b2)],
            participants=[
                services.ParticipantSpec(
                    unit=ctx.units["市场监管局"], duties="核查经营主体资格，配合查处"
                ),
                services.ParticipantSpec(unit=ctx.units["城管局"], duties="查处露天烧烤和油烟直排"),
            ],
        )
        for p in action.participants.select_related("unit"):
            if not p.duties:
                services.participant_set_duties(
                    actor=organiser, participant=p, duties="摸排辖区餐饮单位，督促整改"
                )
        _liaison_and_officers(
            ctx,
            action,
            {
                "__organiser__": ("区政府.staff", []),
                "区政府": ("区政府.staff", []),
                "市场监管局": ("市场监管局.staff", ["市场监管局.officer1", "市场监管局.officer2"]),
                # 城管局.officer2's certificate has expired: refused (E5), shown in the log.
                "城管局": ("城管局.staff", ["城管局.officer1", "城管局.officer2"]),
                "建设街道": ("建设街道.staff", []),
                "东风街道": ("东风街道.staff", []),
            },
        )
        _consult(
            ctx,
            action,
            organiser,
            "site_visit",
            "联合踏勘建设街道、东风街道重点餐饮街区，确定夜间检查时段（合成）。",
        )
        services.action_approve(actor=_user(ctx, "director"), action=action)
        services.action_deploy(actor=organiser, action=action)
        first = action.assignments.filter(unit__short_name="建设街道").first()
        if first is not None:
            services.assignment_acknowledge(
                actor=_user(ctx, "建设街道.staff") or organiser,
                assignment=first,
                note="已安排网格员配合",
            )
        entity = next(iter(_entities_in(b1, 1)), None)
        if entity is not None:
            inspection = _inspect(
                ctx,
                action,
                organiser,
                entity,
                now - dt.timedelta(hours=2),
                21,
                "现场检查油烟净化设施。",
                [
                    services.FindingSpec(
                        title="油烟净化设施未运行",
                        description="营业期间油烟净化器未开启，油烟直排（合成）。",
                        is_key=True,
                    )
                ],
            )
            finding = inspection.findings.first()
            if finding is not None and entity.grid.owner_unit_id != action.organiser_unit_id:
                services.finding_supervise(actor=organiser, finding=finding)
        actions["in_progress"] = action

    # 3. A sudden environmental incident, handled by member units among themselves (E6).
    park = area("工业园区")
    if park is not None and "公安分局" in ctx.units and "水利局" in ctx.units:
        bureau_user = _user(ctx, "office")
        yesterday = timezone.make_aware(
            dt.datetime.combine(today - dt.timedelta(days=1), dt.time(22, 10))
        )
        entity = next(iter(_entities_in(park, 1)), None)
        action = services.action_create(
            actor=bureau_user,
            mode="members",
            leading_group=ctx.objects.get("leading_group"),
            title="工业园区危化品泄漏突发环境事件应急执法（演示）",
            category="incident",
            incident_at=yesterday,
            incident_place="站前工业园区（合成地点）",
            incident_type="hazmat",
            incident_level="4",
            objectives="查明泄漏原因和责任，防止污染扩散，依法查处并移送涉嫌犯罪线索。",
            start_date=today - dt.timedelta(days=1),
            end_date=today + dt.timedelta(days=6),
            targets=[services.TargetSpec(entity=entity, is_key=True)]
            if entity is not None
            else [services.TargetSpec(grid=park)],
            participants=[
                services.ParticipantSpec(unit=ctx.units["公安分局"], duties="现场管控，固定证据"),
                services.ParticipantSpec(unit=ctx.units["水利局"], duties="排查周边水体影响"),
            ],
        )
        services.participant_set_duties(
            actor=bureau_user,
            participant=action.participants.get(unit=ctx.units["生态环境局"]),
            duties="牵头应急监测与执法",
        )
        _liaison_and_officers(
            ctx,
            action,
            {
                "__organiser__": ("office", []),
                "生态环境局": ("office", ["生态环境局.officer1", "生态环境局.officer2"]),
                "公安分局": ("公安分局.staff", ["公安分局.officer1", "公安分局.officer2"]),
                # 水利局.officer1's certificate expired long ago: refused (E5).
                "水利局": ("水利局.staff", ["水利局.officer1", "水利局.officer2"]),
            },
        )
        _consult(
            ctx,
            action,
            bureau_user,
            "call",
            "电话会商：公安分局现场管控，水利局排查下游水体，生态环境局牵头应急监测（合成）。",
        )
        services.action_approve(actor=_user(ctx, "director"), action=action, note="立即部署")
        services.action_deploy(actor=bureau_user, action=action)
        police = action.assignments.filter(unit=ctx.units["公安分局"]).first()
        if police is not None:
            services.assignment_acknowledge(
                actor=_user(ctx, "公安分局.staff") or bureau_user, assignment=police
            )
        actions["incident"] = action

    ctx.objects["enforcement_actions"] = actions
    ctx.log(f"enforcement: {len(actions)} joint actions ({', '.join(actions)})")
