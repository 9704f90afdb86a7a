"""Synthetic demo, disclosure part (order 90): a published supervision plan, grid
division and duties, emissions of some key entities with exceedances, hazards, petitions
in every state (one duplicate linked, one turned into a case) and the published history
of major adjustments. Every name, text and number is invented (合成数据).

Builds on ctx from earlier steps when it is there (org: users "admin", "office",
"director"; grids: ctx.objects["community_grids"]; entities: ctx.objects["key_entities"])
and skips what it cannot build otherwise.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from envgrid.core.demo import DemoContext, demo_step
from envgrid.core.errors import ApplicationError

from . import petitions as P
from . import services as S
from .hooks import adjustments_sync
from .models import Publication, PublicationKind, PublicationStatus

DEMO_PASSWORD = "envgrid-demo-2026"  # noqa: S105 — the org demo's published demo password


def _publish(pub: Publication, reviewer: Any) -> Publication:
    S.publication_review(actor=reviewer, publication=pub, note="演示审核")
    return S.publication_publish(actor=reviewer, publication=pub)


def _plan_docx() -> ContentFile:
    from envgrid.core.documents import OfficialDocument, docx_bytes

    doc = OfficialDocument(
        issuer="站前区人民政府办公室",
        number="营站政办发〔2016〕6号",
        title="站前区网格化环境监管体系建设方案（演示）",
    )
    doc.paragraph("本文件为合成演示数据。")
    for title, text in (
        ("一、总体要求", "建立区、街道（园区）、社区三级网格，实行主要行政领导负责制，责任到人。"),
        ("二、网格划分", "以行政区划为基础划定三级网格，网格之间不重叠、不留空白。"),
        ("三、配套制度", "联席会议、联合执法、移送、信息报告和信息公开、考核五项制度。"),
    ):
        doc.heading(title)
        doc.paragraph(text)
    return ContentFile(docx_bytes(doc), name="网格化环境监管体系建设方案.docx")


def _inside(grid: Any) -> tuple[float, float]:
    from shapely.geometry import shape

    pt = shape(grid.boundary).representative_point()
    return float(pt.x), float(pt.y)


@demo_step(90)
def disclosure(ctx: DemoContext) -> None:
    User = get_user_model()
    admin = ctx.users.get("admin") or User.objects.filter(is_superuser=True).first()
    office = ctx.users.get("office") or admin
    director = ctx.users.get("director") or admin
    group = ctx.objects.get("leading_group")
    office_unit = ctx.units.get("生态环境局") or (group.office_unit if group else None)
    if admin is None or office_unit is None:
        ctx.log("disclosure: skipped (no organisation in the demo)")
        return
    counts: dict[str, int] = {}

    # Plan: the current one published with its document; an older one withdrawn.
    old = S.publication_create(
        actor=office,
        kind=PublicationKind.PLAN,
        title="站前区网格化环境监管体系建设方案（2016年版，演示）",
        summary="营站政办发〔2016〕6号（演示摘要）。",
        unit=office_unit,
    )
    _publish(old, director)
    S.publication_withdraw(
        actor=director, publication=old, reason="已由2017年配套工作制度和修订后的方案替代。"
    )
    plan = S.publication_create(
        actor=office,
        kind=PublicationKind.PLAN,
        title="站前区网格化环境监管体系建设方案及配套工作制度（演示）",
        summary="建立三级网格，落实联席会议、联合执法、移送、信息报告和信息公开、考核制度。",
        unit=office_unit,
        document=_plan_docx(),
    )
    _publish(plan, director)

    grids = ctx.objects.get("community_grids") or []
    if grids:
        _publish(S.publication_draft_division(actor=office, unit=office_unit), director)
        _publish(S.publication_draft_duties(actor=office, unit=office_unit), director)
        adjustments_sync()
        for pub in Publication.objects.filter(
            kind=PublicationKind.ADJUSTMENT, status=PublicationStatus.DRAFT
        ):
            _publish(pub, director)
            counts["adjustments"] = counts.get("adjustments", 0) + 1
    else:
        ctx.log("disclosure: no grids in the demo — division, duties and petitions skipped")

    _emissions(ctx, office, director, office_unit, counts)
    if grids:
        _hazards(ctx, office, director, office_unit, grids, counts)
        _petitions(ctx, admin, office, director, grids, counts)
    ctx.log(f"disclosure: published plan, division, duties; {counts}")


def _emissions(ctx: DemoContext, office: Any, director: Any, unit: Any, counts: dict) -> None:
    entities = (ctx.objects.get("key_entities") or ctx.objects.get("entities") or [])[:8]
    if not entities:
        return
    rng = ctx.rng
    # (pollutant, measure, unit, limit)
    specs = [
        ("二氧化硫", "浓度", "mg/m³", 100),
        ("氮氧化物", "浓度", "mg/m³", 150),
        ("颗粒物", "浓度", "mg/m³", 20),
        ("化学需氧量", "浓度", "mg/L", 50),
        ("氨氮", "总量", "t", 1.2),
    ]
    lines = ["统一社会信用代码,监管对象,污染物,指标类型,数值,计量单位,限值,期间起,期间止,排放口"]
    year = timezone.localdate().year - 1
    for i, e in enumerate(entities):
        for q, (start, end) in enumerate(
            ((f"{year}-07-01", f"{year}-09-30"), (f"{year}-10-01", f"{year}-12-31"))
        ):
            for pollutant, measure, u, limit in rng.sample(specs, 2):
                exceed = (i in (1, 4) and q == 1) and pollutant != "氨氮"
                value = round(
                    limit * (rng.uniform(1.05, 1.6) if exceed else rng.uniform(0.2, 0.9)), 2
                )
                code = e.uscc or ""
                name = "" if code else e.name
                lines.append(
                    f"{code},{name},{pollutant},{measure},{value},{u},{limit},{start},{end},DA00{i % 3 + 1}"
                )
    batch = S.emission_import(
        actor=office,
        unit=unit,
        title=f"{year}年下半年重点排污单位自行监测数据（演示）",
        file_name="emissions-demo.csv",
        content=("\n".join(lines) + "\n").encode("utf-8"),
    )
    _publish(S.publication_draft_emissions(actor=office, batch=batch), director)
    counts["emission_rows"] = batch.row_count
    counts["exceedances"] = batch.exceedance_count


def _hazards(
    ctx: DemoContext, office: Any, director: Any, unit: Any, grids: list, counts: dict
) -> None:
    items = [
        (
            "化工企业危化品储罐区",
            "chemical",
            "serious",
            "rectifying",
            "设置围堰和泄漏报警，每日巡查。",
        ),
        (
            "废旧物资回收点危废暂存",
            "waste",
            "general",
            "rectified",
            "规范暂存间，委托有资质单位转运。",
        ),
        ("大辽河沿岸雨水排口", "water", "major", "identified", "加密监测，汛期专人值守。"),
        ("热电厂灰场", "other", "general", "closed", "完成覆土绿化，已销号。"),
    ]
    today = timezone.localdate()
    for n, (place, kind, level, status, measures) in enumerate(items):
        grid = grids[(n * 13 + 5) % len(grids)]
        lon, lat = _inside(grid)
        h = S.hazard_create(
            actor=office,
            data={
                "place": f"{grid.name}{place}（演示）",
                "lon": lon,
                "lat": lat,
                "kind": kind,
                "level": level,
                "status": status,
                "measures": measures,
                "description": "合成演示数据。",
                "responsible_unit": grid.owner_unit,
                "found_on": today.replace(day=1),
                "rectify_due": today.replace(day=28) if status == "rectifying" else None,
            },
        )
        pub = S.publication_draft_hazard(actor=office, hazard=h)
        if n < 3:
            _publish(pub, director)
    counts["hazards"] = len(items)


def _unit_login(ctx: DemoContext, admin: Any, grid: Any) -> Any:
    """A login for the community that receives most demo petitions ("shequ")."""
    from envgrid.org.models import Person
    from envgrid.org.services import person_update

    if "shequ" in ctx.users:
        return ctx.users["shequ"]
    person = (
        Person.objects.filter(unit=grid.owner_unit, is_active=True, user__isnull=True)
        .order_by("pk")
        .first()
    )
    User = get_user_model()
    if person is None or User.objects.filter(username="shequ").exists():
        return admin
    user = User.objects.create_user(
        username="shequ", password=DEMO_PASSWORD, email="shequ@demo.invalid"
    )
    person_update(actor=admin, person=person, user=user)
    ctx.users["shequ"] = user
    return user


def _petitions(
    ctx: DemoContext, admin: Any, office: Any, director: Any, grids: list, counts: dict
) -> None:
    a, b, c = grids[0], grids[len(grids) // 2], grids[-1]
    staff_a = _unit_login(ctx, admin, a)
    (ax, ay), (bx, by), (cx, cy) = _inside(a), _inside(b), _inside(c)

    def submit(cat: str, desc: str, x: float, y: float, **kw: Any) -> Any:
        return P.petition_submit(category=cat, description=desc, lon=x, lat=y, **kw)

    received = submit("noise", "（演示）夜间商铺外放音乐扰民。", ax + 0.002, ay)
    accepted = submit(
        "air",
        "（演示）小区附近烧烤摊油烟直排。",
        ax,
        ay,
        contact_name="演示信访人",
        contact_phone="0417-0000999",
    )
    P.petition_acknowledge(actor=staff_a, petition=accepted)
    P.petition_progress(
        actor=staff_a,
        petition=accepted,
        note="已现场检查，责令安装油烟净化设施。",
        public_note="已现场检查，正在督促整改。",
    )
    duplicate = submit("air", "（演示）油烟味很重。", ax + 0.0004, ay + 0.0003)
    replied = submit("waste", "（演示）路边堆放建筑垃圾。", ax - 0.002, ay)
    P.petition_acknowledge(actor=staff_a, petition=replied)
    P.petition_reply(actor=staff_a, petition=replied, reply="经查属实，已清运并设置警示牌。")
    declined = submit("other", "（演示）咨询个人纠纷事项。", ax, ay - 0.002)
    P.petition_acknowledge(
        actor=staff_a,
        petition=declined,
        accept=False,
        reason="不属于环境信访事项，已告知其他途径。",
    )
    objected = submit("water", "（演示）河道漂浮油污。", bx, by, source="open311")
    P.petition_object(
        actor=admin, petition=objected, reason="河道水体由水利部门管理，不属于本社区职责。"
    )
    rerouted = submit("water", "（演示）排水沟有黑臭水体。", bx + 0.003, by)
    P.petition_object(actor=admin, petition=rerouted, reason="属区水利局职责。")
    water = ctx.units.get("水利局")
    if water is not None:
        P.petition_reroute(actor=office, petition=rerouted, unit=water, note="交区水利局办理。")
    east = submit("air", "（演示）企业夜间排放刺激性气体。", cx, cy)
    P.petition_acknowledge(actor=admin, petition=east)
    try:
        P.petition_to_case(actor=admin, petition=east)
        counts["petition_cases"] = 1
    except ApplicationError as exc:  # cases app missing or refusing: leave it accepted
        ctx.log(f"disclosure: petition → case skipped ({exc.message})")
    P.petition_reply(actor=admin, petition=east, reply="已立案查处，责令停止违法排放。")
    for p, summary in (
        (replied, "群众反映路边堆放建筑垃圾，经查属实，已清运并设置警示牌。"),
        (east.__class__.objects.get(pk=east.pk), "群众反映企业夜间排放刺激性气体，已立案查处。"),
    ):
        p.refresh_from_db()
        _publish(S.publication_draft_petition(actor=admin, petition=p, summary=summary), director)
    counts["petitions"] = 8
    assert duplicate.duplicate_of_id == accepted.pk
    ctx.objects["petitions"] = {
        "received": received,
        "accepted": accepted,
        "duplicate": duplicate,
        "replied": replied,
        "declined": declined,
        "objected": objected,
        "rerouted": rerouted,
        "case": east,
    }
