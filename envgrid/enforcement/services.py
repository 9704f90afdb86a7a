"""Writes of joint law enforcement (SPEC E1–E6). Every function is keyword-only, atomic,
audited, and refuses a broken rule with an ApplicationError carrying a stable code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.deadlines import DeadlineRule, RuleKind, local_date
from envgrid.core.documents import document_number_next
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.core.notifications import notify
from envgrid.core.uploads import IMAGE_TYPES, UploadRule, check_upload
from envgrid.grids.models import Grid
from envgrid.obligations.models import ObligationStatus
from envgrid.obligations.services import (
    obligation_cancel,
    obligation_complete_for,
    obligation_open,
    obligations_for,
    users_of_unit,
)
from envgrid.obligations.supervision import supervision_issue
from envgrid.org.models import LeadingGroup, Person, Unit
from envgrid.org.proficiency import proficiency_gap
from envgrid.org.selectors import actor_for

from . import rules
from .models import (
    ActionCategory,
    ActionMode,
    ActionOfficer,
    ActionParticipant,
    ActionStatus,
    ActionTarget,
    Assignment,
    AssignmentEvent,
    AssignmentStatus,
    Consultation,
    ConsultationForm,
    EnforcementAction,
    Finding,
    Inspection,
    InspectionPhoto,
    ParticipantRole,
)
from .policies import action_policy
from .workflow import action_transition, assignment_transition, finding_transition

ACK_KIND = "enforcement.assignment.ack"
REPORT_KIND = "enforcement.assignment.report"
PLAN_FIELDS = (
    "title",
    "objectives",
    "start_date",
    "end_date",
    "schedule",
    "requirements",
    "campaign_level",
    "campaign_doc_ref",
    "campaign_doc_title",
    "incident_at",
    "incident_place",
    "incident_type",
    "incident_level",
    "linkage_ref",
)


# -- small helpers -------------------------------------------------------------------


def _person(actor: Any) -> Person | None:
    return actor_for(actor).person


def _required(value: Any, field_name: str, label: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ApplicationError(
            _("请填写%(label)s。") % {"label": label},
            code="required",
            fields={field_name: [_("必填")]},
        )


def _require_open(action: EnforcementAction) -> None:
    if not action.is_open:
        raise ConflictError(
            _("行动已%(status)s，不能再修改。") % {"status": action.get_status_display()},
            code="action_closed",
        )


def _require_status(action: EnforcementAction, *statuses: str, doing: str) -> None:
    if action.status not in statuses:
        raise ApplicationError(
            _("行动当前为“%(status)s”，不能%(doing)s。")
            % {"status": action.get_status_display(), "doing": doing},
            code="wrong_status",
            fields={"status": [action.status]},
        )


def _in_subtree(grid: Grid, root: Grid) -> bool:
    return grid.path.startswith(root.path)


def _leading_group_of_grid(grid: Grid) -> LeadingGroup | None:
    """The nearest leading group up the grid's chain (scopes nest down the tree)."""
    if grid.leading_group_id:
        return grid.leading_group
    ids = list(reversed(grid.ancestors_ids()))
    by_id = {g.pk: g for g in Grid.objects.filter(pk__in=ids).select_related("leading_group")}
    for gid in ids:
        g = by_id.get(gid)
        if g is not None and g.leading_group_id:
            return g.leading_group
    return None


def _link(action: EnforcementAction) -> str:
    return action.get_absolute_url()


def _unit_users(unit_ids: Iterable[int]) -> list[Any]:
    users: list[Any] = []
    for uid in set(unit_ids):
        users.extend(users_of_unit(uid))
    return users


# -- E1 / E2 / E3 validation ---------------------------------------------------------


@dataclass
class TargetSpec:
    entity: Any = None
    grid: Grid | None = None
    is_key: bool = False
    note: str = ""

    def resolved_grid(self) -> Grid:
        if self.entity is not None:
            if self.entity.grid_id is None:
                raise ApplicationError(
                    _("监管对象“%(name)s”不在任何网格内，不能作为行动对象。")
                    % {"name": self.entity.name},
                    code="target_outside_grids",
                    fields={"targets": [self.entity.name]},
                )
            return self.entity.grid
        if self.grid is None:
            raise ApplicationError(
                _("行动对象须为监管对象或区域（网格）。"),
                code="target_invalid",
                fields={"targets": [_("必填")]},
            )
        return self.grid


@dataclass
class ParticipantSpec:
    unit: Unit
    duties: str = ""


@dataclass
class _Plan:
    """What an action will consist of, checked as a whole before anything is written."""

    mode: str
    organiser: Unit
    organiser_grid: Grid | None
    leading_group: LeadingGroup | None
    targets: list[tuple[TargetSpec, Grid]] = field(default_factory=list)
    # unit id -> (unit, role, grid, duties)
    participants: dict[int, list[Any]] = field(default_factory=dict)


def _check_category(category: str, data: dict[str, Any]) -> None:
    """E2: each category states what makes it that category."""
    if category not in ActionCategory.values:
        raise ApplicationError(
            _("行动类别无效。"), code="category_invalid", fields={"category": [category]}
        )
    if category == ActionCategory.CAMPAIGN:
        missing = [
            n for n in ("campaign_level", "campaign_doc_ref") if not str(data.get(n) or "").strip()
        ]
        if missing:
            raise ApplicationError(
                _("上级部署的专项行动须写明部署层级（国家、省、市）和部署文件文号。"),
                code="campaign_document_required",
                fields={n: [_("必填")] for n in missing},
            )
    if category == ActionCategory.INCIDENT:
        missing = [
            n
            for n in ("incident_at", "incident_place", "incident_type", "incident_level")
            if not str(data.get(n) or "").strip()
        ]
        if missing:
            raise ApplicationError(
                _("突发环境事件须写明发生时间、地点、事件类型和级别。"),
                code="incident_facts_required",
                fields={n: [_("必填")] for n in missing},
            )


def _check_period(start: dt.date | None, end: dt.date | None) -> None:
    _required(start, "start_date", _("开始日期"))
    _required(end, "end_date", _("结束日期"))
    assert start is not None and end is not None
    if end < start:
        raise ApplicationError(
            _("结束日期不能早于开始日期。"),
            code="period_invalid",
            fields={"end_date": [_("早于开始日期")]},
        )


def _check_joint(unit_ids: set[int], grid_ids: set[int]) -> None:
    """E1: joint enforcement crosses departments (>= 2 units) or areas (>= 2 grids)."""
    if len(unit_ids) < rules.get("JOINT_MIN_UNITS") and len(grid_ids) < rules.get(
        "JOINT_MIN_GRIDS"
    ):
        raise ApplicationError(
            _(
                "联合执法须跨区域或跨部门：至少涉及%(u)s个单位或%(g)s个网格；"
                "本行动只涉及%(nu)s个单位、%(ng)s个网格，不属于联合执法（E1）。"
            )
            % {
                "u": rules.get("JOINT_MIN_UNITS"),
                "g": rules.get("JOINT_MIN_GRIDS"),
                "nu": len(unit_ids),
                "ng": len(grid_ids),
            },
            code="not_joint",
            fields={"participants": [_("不足")], "targets": [_("不足")]},
        )


def _build_plan(
    *,
    mode: str,
    organiser: Unit,
    organiser_grid: Grid | None,
    leading_group: LeadingGroup | None,
    targets: Sequence[TargetSpec],
    participants: Sequence[ParticipantSpec],
) -> _Plan:
    if mode not in ActionMode.values:
        raise ApplicationError(_("组织方式无效。"), code="mode_invalid", fields={"mode": [mode]})
    if not targets:
        raise ApplicationError(
            _("行动方案须列明行动对象（监管对象或区域）。"),
            code="targets_required",
            fields={"targets": [_("必填")]},
        )
    if mode == ActionMode.GRID:
        # E3: the organiser is a grid owner, and its grid is at or above every target.
        if organiser_grid is None:
            raise ApplicationError(
                _("网格主体组织联合执法须指定本单位负责的网格（E3）。"),
                code="organiser_grid_required",
                fields={"organiser_grid": [_("必填")]},
            )
        if organiser_grid.owner_unit_id != organiser.pk or not organiser_grid.is_active:
            raise ApplicationError(
                _("“%(unit)s”不是网格“%(grid)s”的网格主体，不能组织该网格的联合执法（E3）。")
                % {"unit": organiser.name, "grid": organiser_grid.name},
                code="organiser_not_grid_owner",
                fields={"organiser_grid": [organiser_grid.name]},
            )
        leading_group = _leading_group_of_grid(organiser_grid) or leading_group
    else:
        # E6: member units among themselves, within one leading group.
        if leading_group is None:
            groups = list(LeadingGroup.objects.filter(member_units=organiser)[:2])
            if len(groups) != 1:
                raise ApplicationError(
                    _("成员单位之间的联合执法须指定所属领导小组（E6）。"),
                    code="leading_group_required",
                    fields={"leading_group": [_("必填")]},
                )
            leading_group = groups[0]
        members = set(leading_group.member_units.values_list("id", flat=True))
        outsiders = [
            u.name for u in [organiser, *(p.unit for p in participants)] if u.pk not in members
        ]
        if outsiders:
            raise ApplicationError(
                _(
                    "以下单位不是“%(group)s”的成员单位，不能参加成员单位之间的联合执法（E6）：%(names)s"
                )
                % {"group": leading_group.name, "names": "、".join(dict.fromkeys(outsiders))},
                code="not_member_unit",
                fields={"participants": outsiders},
            )
    plan = _Plan(
        mode=mode,
        organiser=organiser,
        organiser_grid=organiser_grid,
        leading_group=leading_group,
    )
    plan.participants[organiser.pk] = [organiser, ParticipantRole.ORGANISER, organiser_grid, ""]
    seen: set[tuple[str, int]] = set()
    for spec in targets:
        grid = spec.resolved_grid()
        key = ("e", spec.entity.pk) if spec.entity is not None else ("g", grid.pk)
        if key in seen:
            continue
        seen.add(key)
        if mode == ActionMode.GRID:
            assert organiser_grid is not None
            if not _in_subtree(grid, organiser_grid):
                raise ApplicationError(
                    _(
                        "行动对象“%(target)s”所在网格“%(grid)s”不在组织网格“%(org)s”范围内；"
                        "组织单位的网格须在行动对象所在网格之上（E3）。"
                    )
                    % {
                        "target": spec.entity.name if spec.entity is not None else grid.name,
                        "grid": grid.name,
                        "org": organiser_grid.name,
                    },
                    code="target_outside_organiser_grid",
                    fields={"targets": [str(grid)]},
                )
            owner = grid.owner_unit
            if owner.pk not in plan.participants:
                # E4: the lower grid's owner takes part and receives an assignment.
                plan.participants[owner.pk] = [owner, ParticipantRole.LOWER_GRID, grid, ""]
        plan.targets.append((spec, grid))
    for p in participants:
        entry = plan.participants.get(p.unit.pk)
        if entry is None:
            plan.participants[p.unit.pk] = [p.unit, ParticipantRole.PARTNER, None, p.duties]
        elif p.duties:
            entry[3] = p.duties
    _check_joint(set(plan.participants), {g.pk for _s, g in plan.targets})
    return plan


# -- actions -------------------------------------------------------------------------


@transaction.atomic
def action_create(
    *,
    actor: Any,
    title: str,
    category: str,
    objectives: str,
    start_date: dt.date,
    end_date: dt.date,
    targets: Sequence[TargetSpec],
    participants: Sequence[ParticipantSpec] = (),
    mode: str = ActionMode.GRID,
    organiser_grid: Grid | None = None,
    organiser_unit: Unit | None = None,
    leading_group: LeadingGroup | None = None,
    schedule: str = "",
    requirements: str = "",
    ack_rule: DeadlineRule | None = None,
    **details: Any,
) -> EnforcementAction:
    """Draft an action plan (E3). The organiser is the actor's own unit."""
    a = actor_for(actor)
    if a.person is None and not a.is_admin:
        raise PermissionDeniedError(_("当前账号未关联人员，不能起草行动方案。"))
    organiser = a.person.unit if a.person is not None else organiser_unit
    if a.is_admin and organiser_unit is not None:
        organiser = organiser_unit
    if organiser is None:
        raise ApplicationError(
            _("请指定组织单位。"), code="required", fields={"organiser_unit": [_("必填")]}
        )
    _required(title, "title", _("行动名称"))
    _required(objectives, "objectives", _("行动目标"))
    _check_period(start_date, end_date)
    _check_category(category, details)
    unknown = set(details) - set(PLAN_FIELDS)
    if unknown:
        raise ApplicationError(
            _("无法识别的字段：%(f)s") % {"f": ", ".join(sorted(unknown))},
            code="invalid",
            fields={k: [_("未知字段")] for k in unknown},
        )
    rule = ack_rule or rules.ack_rule_default()
    if rule.kind not in RuleKind.values or rule.amount < 0:
        raise ApplicationError(_("签收时限规则无效。"), code="rule_invalid")
    plan = _build_plan(
        mode=mode,
        organiser=organiser,
        organiser_grid=organiser_grid,
        leading_group=leading_group,
        targets=targets,
        participants=participants,
    )
    action = EnforcementAction(
        title=title.strip(),
        category=category,
        mode=mode,
        leading_group=plan.leading_group,
        organiser_unit=organiser,
        organiser_grid=organiser_grid if mode == ActionMode.GRID else None,
        objectives=objectives,
        start_date=start_date,
        end_date=end_date,
        schedule=schedule,
        requirements=requirements,
        ack_rule_kind=rule.kind,
        ack_rule_amount=rule.amount,
        created_by=a.person,
        **{
            k: (v if v is not None else "") if k != "incident_at" else v for k, v in details.items()
        },
    )
    action.full_clean(exclude=["organiser_grid", "leading_group", "created_by"])
    action.save()
    for unit, role, grid, duties in plan.participants.values():
        ActionParticipant.objects.create(
            action=action, unit=unit, role=role, grid=grid, duties=duties
        )
    for spec, grid in plan.targets:
        ActionTarget.objects.create(
            action=action, entity=spec.entity, grid=grid, is_key=spec.is_key, note=spec.note
        )
    user = actor if getattr(actor, "is_authenticated", False) else None
    from .models import ActionStatusChange

    ActionStatusChange.objects.create(
        action=action, from_status="", to_status=ActionStatus.DRAFT, actor=user, note=_("起草方案")
    )
    audit_record(
        actor=actor,
        action="enforcement.action.create",
        obj=action,
        after={
            **snapshot(action),
            "participants": [p[0].pk for p in plan.participants.values()],
            "targets": [(s.entity.pk if s.entity else None, g.pk) for s, g in plan.targets],
        },
    )
    return action


@transaction.atomic
def action_update(*, actor: Any, action: EnforcementAction, **data: Any) -> EnforcementAction:
    """Edit the plan while it is a draft (after approval the plan is what was approved)."""
    action_policy.require_change(actor, action, _("只有组织单位可以修改行动方案。"))
    locked = EnforcementAction.objects.select_for_update().get(pk=action.pk)
    _require_status(locked, ActionStatus.DRAFT, doing=_("修改方案"))
    unknown = set(data) - set(PLAN_FIELDS)
    if unknown:
        raise ApplicationError(
            _("无法识别的字段：%(f)s") % {"f": ", ".join(sorted(unknown))}, code="invalid"
        )
    before = snapshot(locked)
    for key, value in data.items():
        setattr(locked, key, value if value is not None or key == "incident_at" else "")
    _required(locked.title, "title", _("行动名称"))
    _required(locked.objectives, "objectives", _("行动目标"))
    _check_period(locked.start_date, locked.end_date)
    _check_category(locked.category, {k: getattr(locked, k) for k in PLAN_FIELDS})
    locked.save()
    audit_record(
        actor=actor,
        action="enforcement.action.update",
        obj=locked,
        before=before,
        after=snapshot(locked),
    )
    return locked


def _joint_sets(action: EnforcementAction) -> tuple[set[int], set[int]]:
    units = set(action.participants.values_list("unit_id", flat=True))
    grids = set(action.targets.values_list("grid_id", flat=True))
    return units, grids


def _check_officer_certs(action: EnforcementAction) -> None:
    bad = []
    officers = list(action.officers.select_related("person"))
    for officer in officers:
        if not officer.person.cert_valid_through(action.start_date, action.end_date):
            bad.append(officer.person)
    if bad:
        p = bad[0]
        raise ApplicationError(
            _cert_message(p, action.start_date, action.end_date),
            code="certificate_not_valid",
            fields={"officers": [x.name for x in bad]},
        )
    # E5: an action with too few certified officers (or none at all) is not approved.
    minimum = int(rules.get("APPROVAL_MIN_CERTIFIED_OFFICERS"))
    if len(officers) < minimum:
        raise ApplicationError(
            _("行动须至少有%(min)d名持有效执法证的执法人员方可批准，目前只有%(n)d名（E5）。")
            % {"min": minimum, "n": len(officers)},
            code="officers_insufficient",
            fields={"officers": [_("至少%(min)d名") % {"min": minimum}]},
        )


def _proficiency_day(action: EnforcementAction) -> dt.date:
    """The day proficiency is judged on: the action's first day, or today once it runs."""
    return max(action.start_date, local_date(timezone.now()))


def _proficiency_error(action: EnforcementAction, person: Person) -> ApplicationError | None:
    gap = proficiency_gap(person, _proficiency_day(action))
    if gap is None:
        return None
    return ApplicationError(
        _("执法人员%(name)s业务熟练程度未达要求：%(gap)s，不能参加联合执法（E5）。")
        % {"name": person.name, "gap": gap.describe()},
        code="proficiency_insufficient",
        fields={"person": [person.name], "gap": [gap.as_dict()]},
    )


def _check_officer_proficiency(action: EnforcementAction) -> None:
    """E5 again at approval: training records can be voided after the officer was named."""
    for officer in action.officers.select_related("person"):
        error = _proficiency_error(action, officer.person)
        if error is not None:
            raise error


def _cert_message(person: Person, first: dt.date, last: dt.date) -> str:
    if not person.cert_number or not person.cert_valid_to:
        return _("执法人员%(name)s未持有有效执法证，不能参加联合执法（E5）。") % {
            "name": person.name
        }
    return _(
        "执法人员%(name)s的执法证（证号%(no)s）有效期至%(to)s，未覆盖行动期间"
        "%(first)s至%(last)s的每一天，不能参加联合执法（E5）。"
    ) % {
        "name": person.name,
        "no": person.cert_number,
        "to": person.cert_valid_to.isoformat(),
        "first": first.isoformat(),
        "last": last.isoformat(),
    }


def _check_plan_complete(action: EnforcementAction) -> None:
    _check_joint(*_joint_sets(action))
    if not action.targets.exists():
        raise ApplicationError(
            _("行动方案须列明行动对象。"), code="targets_required", fields={"targets": [_("必填")]}
        )
    no_duties = [
        p.unit.name
        for p in action.participants.select_related("unit")
        if not p.duties.strip() and p.role != ParticipantRole.ORGANISER
    ]
    if no_duties:
        raise ApplicationError(
            _("以下参与单位尚未明确职责分工：%(names)s") % {"names": "、".join(no_duties)},
            code="duties_missing",
            fields={"duties": no_duties},
        )


@transaction.atomic
def action_approve(*, actor: Any, action: EnforcementAction, note: str = "") -> EnforcementAction:
    """E3: the organiser's leadership or the leading group's office approves the plan;
    approval gives the plan its document number (文号)."""
    if not action_policy.can_view(actor, action):
        action_policy.require_change(actor, action)
    if not action_policy.can_approve(actor, action):
        raise PermissionDeniedError(
            _("行动方案须由组织单位领导或领导小组办公室批准。"), code="not_approver"
        )
    _require_status(action, ActionStatus.DRAFT, doing=_("批准"))
    _check_plan_complete(action)
    _check_officer_certs(action)
    _check_officer_proficiency(action)
    _check_consulted(action)
    now = timezone.now()
    org = action.organiser_unit
    number = document_number_next(
        kind="enforcement_plan",
        issuer_key=str(org.pk),
        year=timezone.localtime(now).year,
        fmt=rules.get("PLAN_NUMBER_FORMAT"),
        prefix=org.doc_prefix or org.short_name or "",
    )
    return action_transition(
        action=action,
        to=ActionStatus.APPROVED,
        actor=actor,
        note=note,
        number=number,
        approved_by=_person(actor),
        approved_at=now,
    )


def _assignment_instructions(action: EnforcementAction, participant: ActionParticipant) -> str:
    lines = [_("行动：%(t)s") % {"t": action.title}]
    if participant.duties:
        lines.append(_("职责分工：%(d)s") % {"d": participant.duties})
    if action.mode == ActionMode.GRID:
        mine = [t for t in action.targets.select_related("entity", "grid")]
        mine = [t for t in mine if t.grid.owner_unit_id == participant.unit_id]
        if mine:
            lines.append(_("辖区内行动对象：%(t)s") % {"t": "、".join(str(t) for t in mine)})
    lines.append(
        _("行动期间：%(a)s至%(b)s")
        % {"a": action.start_date.isoformat(), "b": action.end_date.isoformat()}
    )
    return "\n".join(lines)


@transaction.atomic
def action_deploy(*, actor: Any, action: EnforcementAction, note: str = "") -> EnforcementAction:
    """E3/E4: deploy the approved plan. Every participating unit must have its liaison
    (E5); assignments go to the lower grids with an acknowledgement deadline; key
    targets are put under supervision (督办)."""
    if not action_policy.is_organiser(actor, action):
        action_policy.require_change(actor, action, _("只有组织单位可以部署行动。"))
    _require_status(action, ActionStatus.APPROVED, doing=_("部署"))
    _check_plan_complete(action)
    participants = list(action.participants.select_related("unit", "liaison", "grid"))
    missing = [p.unit.name for p in participants if p.liaison_id is None]
    if missing:
        raise ApplicationError(
            _("以下参与单位尚未确定联络人，不能部署（E5）：%(names)s")
            % {"names": "、".join(missing)},
            code="liaison_missing",
            fields={"liaison": missing},
        )
    _check_officer_certs(action)
    now = timezone.now()
    if action.end_date < local_date(now):
        raise ApplicationError(
            _("行动结束日期%(d)s已过，不能部署。") % {"d": action.end_date.isoformat()},
            code="period_over",
            fields={"end_date": [action.end_date.isoformat()]},
        )
    action_transition(
        action=action, to=ActionStatus.DEPLOYED, actor=actor, note=note, deployed_at=now
    )
    if action.mode == ActionMode.GRID:
        receivers = [p for p in participants if p.role == ParticipantRole.LOWER_GRID]
    else:
        receivers = [p for p in participants if p.role != ParticipantRole.ORGANISER]
    report_days = (action.end_date - local_date(now)).days
    for p in receivers:
        assignment = Assignment.objects.create(
            action=action,
            participant=p,
            unit=p.unit,
            grid=p.grid,
            instructions=_assignment_instructions(action, p),
            issued_at=now,
            ack_due_at=now,  # replaced below by the obligation's computed due time
        )
        ack = obligation_open(
            unit=p.unit,
            person=p.liaison,
            kind=ACK_KIND,
            title=_("签收联合执法任务：%(t)s") % {"t": action.title},
            rule=action.ack_rule,
            start_at=now,
            start_event=_("联合执法行动部署"),
            subject=assignment,
            link=_link(action),
            actor=actor,
        )
        report = obligation_open(
            unit=p.unit,
            person=p.liaison,
            kind=REPORT_KIND,
            title=_("报告联合执法任务完成情况：%(t)s") % {"t": action.title},
            rule=DeadlineRule(RuleKind.DAYS, max(report_days, 0)),
            start_at=now,
            start_event=_("联合执法行动部署（至行动结束日）"),
            subject=assignment,
            link=_link(action),
            actor=actor,
        )
        assignment.ack_due_at = ack.due_at
        assignment.ack_obligation = ack
        assignment.report_obligation = report
        assignment.save(update_fields=["ack_due_at", "ack_obligation", "report_obligation"])
        AssignmentEvent.objects.create(
            assignment=assignment,
            action="issue",
            to_status=AssignmentStatus.PENDING,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action="enforcement.assignment.issue",
            obj=assignment,
            after=snapshot(assignment),
        )
    for target in action.targets.filter(is_key=True).select_related("grid__owner_unit", "entity"):
        responsible = target.grid.owner_unit
        if responsible.pk == action.organiser_unit_id:
            continue  # the organiser handles its own grid: nobody to chase
        sup = supervision_issue(
            actor=actor,
            issuer=action.organiser_unit,
            target=responsible,
            reason=_("联合执法行动“%(a)s”重点督办对象：%(t)s。")
            % {"a": action.title, "t": str(target)},
            requirement=_("请按行动方案落实查处，并在时限内报告办理情况。"),
            subject=target,
            response_rule=rules.supervision_response_rule(),
            link=_link(action),
        )
        target.supervision = sup
        target.save(update_fields=["supervision"])
    notify(
        users=_unit_users(p.unit_id for p in participants if p.unit_id != action.organiser_unit_id),
        subject=_("联合执法行动部署：%(t)s") % {"t": action.title},
        body=_("请按行动方案（%(n)s）落实职责分工，并在时限内签收任务。") % {"n": action.number},
        link=_link(action),
    )
    return action


@transaction.atomic
def action_start(*, actor: Any, action: EnforcementAction, note: str = "") -> EnforcementAction:
    if not action_policy.can_inspect(actor, action):
        action_policy.require_change(actor, action)
    _require_status(action, ActionStatus.DEPLOYED, doing=_("开始实施"))
    return action_transition(action=action, to=ActionStatus.IN_PROGRESS, actor=actor, note=note)


def _close_assignment_obligations(action: EnforcementAction, actor: Any, reason: str) -> None:
    """When the action ends, what is not yet due is no longer owed and is cancelled. What
    is already past due stays as it is: a silent lower grid's overdue acknowledgement is
    the record E4 says counts in assessment, and cancelling it would erase it."""
    now = timezone.now()
    for assignment in action.assignments.all():
        for ob in obligations_for(assignment):
            if ob.status == ObligationStatus.OPEN and ob.due_at >= now:
                obligation_cancel(obligation=ob, actor=actor, reason=reason)


@transaction.atomic
def action_complete(*, actor: Any, action: EnforcementAction, summary: str) -> EnforcementAction:
    if not action_policy.is_organiser(actor, action):
        action_policy.require_change(actor, action, _("只有组织单位可以结束行动。"))
    _required(summary, "summary", _("行动总结"))
    _require_status(action, ActionStatus.IN_PROGRESS, doing=_("完成"))
    action = action_transition(
        action=action,
        to=ActionStatus.COMPLETED,
        actor=actor,
        completed_at=timezone.now(),
        summary=summary,
    )
    # Deadlines end with the action; who was silent stays on the assignment (E4 data).
    _close_assignment_obligations(action, actor, _("联合执法行动已完成"))
    return action


@transaction.atomic
def action_cancel(*, actor: Any, action: EnforcementAction, reason: str) -> EnforcementAction:
    if not (action_policy.is_organiser(actor, action) or action_policy.can_approve(actor, action)):
        action_policy.require_change(actor, action, _("只有组织单位或批准人可以撤销行动。"))
    _required(reason, "reason", _("撤销原因"))
    _require_open(action)
    action = action_transition(
        action=action,
        to=ActionStatus.CANCELLED,
        actor=actor,
        note=reason,
        cancelled_at=timezone.now(),
        cancel_reason=reason[:500],
    )
    for assignment in action.assignments.exclude(
        status__in=[AssignmentStatus.COMPLETED, AssignmentStatus.CANCELLED]
    ):
        assignment_transition(
            assignment=assignment, to=AssignmentStatus.CANCELLED, actor=actor, note=reason
        )
    _close_assignment_obligations(action, actor, _("联合执法行动已撤销：%(r)s") % {"r": reason})
    return action


# -- plan contents while drafting ----------------------------------------------------


@transaction.atomic
def participant_add(
    *, actor: Any, action: EnforcementAction, unit: Unit, duties: str = ""
) -> ActionParticipant:
    action_policy.require_change(actor, action, _("只有组织单位可以调整参与单位。"))
    _require_status(action, ActionStatus.DRAFT, doing=_("调整参与单位"))
    if action.mode == ActionMode.MEMBERS and action.leading_group_id:
        if not action.leading_group.member_units.filter(pk=unit.pk).exists():  # type: ignore[union-attr]
            raise ApplicationError(
                _("“%(u)s”不是领导小组成员单位，不能参加成员单位之间的联合执法（E6）。")
                % {"u": unit.name},
                code="not_member_unit",
                fields={"unit": [unit.name]},
            )
    if action.participants.filter(unit=unit).exists():
        raise ConflictError(
            _("“%(u)s”已是参与单位。") % {"u": unit.name}, code="participant_exists"
        )
    p = ActionParticipant.objects.create(
        action=action, unit=unit, role=ParticipantRole.PARTNER, duties=duties
    )
    audit_record(actor=actor, action="enforcement.participant.add", obj=p, after=snapshot(p))
    return p


@transaction.atomic
def participant_set_duties(
    *, actor: Any, participant: ActionParticipant, duties: str
) -> ActionParticipant:
    action = participant.action
    action_policy.require_change(actor, action, _("只有组织单位可以确定职责分工。"))
    _require_status(action, ActionStatus.DRAFT, doing=_("调整职责分工"))
    _required(duties, "duties", _("职责分工"))
    before = snapshot(participant)
    participant.duties = duties
    participant.save(update_fields=["duties"])
    audit_record(
        actor=actor,
        action="enforcement.participant.duties",
        obj=participant,
        before=before,
        after=snapshot(participant),
    )
    return participant


@transaction.atomic
def participant_remove(*, actor: Any, participant: ActionParticipant) -> None:
    action = participant.action
    action_policy.require_change(actor, action, _("只有组织单位可以调整参与单位。"))
    _require_status(action, ActionStatus.DRAFT, doing=_("调整参与单位"))
    if participant.role != ParticipantRole.PARTNER:
        raise ApplicationError(
            _("组织单位和行动对象所在下级网格的单位不能移出；请先调整行动对象。"),
            code="participant_required",
        )
    before = snapshot(participant)
    participant.officers.all().delete()
    participant.delete()
    units, grids = _joint_sets(action)
    _check_joint(units, grids)
    audit_record(
        actor=actor,
        action="enforcement.participant.remove",
        object_type="enforcement.actionparticipant",
        object_id=before["id"],
        object_repr=str(before["unit"]),
        before=before,
    )


@transaction.atomic
def target_add(*, actor: Any, action: EnforcementAction, spec: TargetSpec) -> ActionTarget:
    action_policy.require_change(actor, action, _("只有组织单位可以调整行动对象。"))
    _require_status(action, ActionStatus.DRAFT, doing=_("调整行动对象"))
    existing = [
        ParticipantSpec(unit=p.unit, duties=p.duties)
        for p in action.participants.select_related("unit")
        if p.role == ParticipantRole.PARTNER
    ]
    plan = _build_plan(
        mode=action.mode,
        organiser=action.organiser_unit,
        organiser_grid=action.organiser_grid,
        leading_group=action.leading_group,
        targets=[spec],
        participants=existing,
    )
    (spec, grid) = plan.targets[0]
    dup = (
        action.targets.filter(entity=spec.entity)
        if spec.entity
        else action.targets.filter(entity__isnull=True, grid=grid)
    )
    if dup.exists():
        raise ConflictError(_("该对象已在行动对象中。"), code="target_exists")
    for unit, role, g, _duties in plan.participants.values():
        if (
            role == ParticipantRole.LOWER_GRID
            and not action.participants.filter(unit=unit).exists()
        ):
            ActionParticipant.objects.create(action=action, unit=unit, role=role, grid=g)
    target = ActionTarget.objects.create(
        action=action, entity=spec.entity, grid=grid, is_key=spec.is_key, note=spec.note
    )
    audit_record(actor=actor, action="enforcement.target.add", obj=target, after=snapshot(target))
    return target


@transaction.atomic
def target_remove(*, actor: Any, target: ActionTarget) -> None:
    action = target.action
    action_policy.require_change(actor, action, _("只有组织单位可以调整行动对象。"))
    _require_status(action, ActionStatus.DRAFT, doing=_("调整行动对象"))
    if action.targets.count() <= 1:
        raise ApplicationError(_("行动方案至少须有一个行动对象。"), code="targets_required")
    before = snapshot(target)
    target.delete()
    # A lower grid that no longer has a target in it leaves the plan.
    remaining = set(action.targets.values_list("grid__owner_unit_id", flat=True))
    action.participants.filter(role=ParticipantRole.LOWER_GRID).exclude(
        unit_id__in=remaining
    ).delete()
    audit_record(
        actor=actor,
        action="enforcement.target.remove",
        object_type="enforcement.actiontarget",
        object_id=before["id"],
        before=before,
    )


# -- consultation (E5: 积极沟通会商) ----------------------------------------------------


def is_cross_department(action: EnforcementAction) -> bool:
    """Participants from at least CONSULTATION_MIN_UNITS units make an action
    cross-department: it then needs a recorded consultation before approval."""
    units = set(action.participants.values_list("unit_id", flat=True))
    return len(units) >= int(rules.get("CONSULTATION_MIN_UNITS"))


def consultation_gaps(action: EnforcementAction) -> list[Unit]:
    """The participating units not present at any recorded consultation of `action`
    (empty when consultation is not required for it)."""
    if not rules.get("CONSULTATION_REQUIRED") or not is_cross_department(action):
        return []
    present = set(
        Consultation.units.through.objects.filter(consultation__action=action).values_list(
            "unit_id", flat=True
        )
    )
    return [
        p.unit
        for p in action.participants.select_related("unit").order_by("unit__code")
        if p.unit_id not in present
    ]


def _check_consulted(action: EnforcementAction) -> None:
    if not rules.get("CONSULTATION_REQUIRED") or not is_cross_department(action):
        return
    if not action.consultations.exists():
        raise ApplicationError(
            _("跨部门联合执法行动须先记录参与单位的会商情况，方可批准（E5）。"),
            code="consultation_required",
            fields={"consultations": [_("必填")]},
        )
    missing = consultation_gaps(action)
    if missing:
        raise ApplicationError(
            _("以下参与单位尚未参加任何会商：%(names)s。须先会商，方可批准（E5）。")
            % {"names": "、".join(u.name for u in missing)},
            code="consultation_incomplete",
            fields={"consultations": [u.name for u in missing]},
        )


@transaction.atomic
def consultation_record(
    *,
    actor: Any,
    action: EnforcementAction,
    held_on: dt.date | None,
    form: str,
    units: Iterable[Unit],
    conclusions: str,
) -> Consultation:
    """E5: the organiser or a participating unit records a consultation: its date, its
    form (meeting, call, joint site visit), the units present and what was concluded."""
    if not action_policy.can_view(actor, action):
        action_policy.require_change(actor, action)
    if not action_policy.can_inspect(actor, action):
        raise PermissionDeniedError(_("只有组织单位或参与单位可以记录会商。"))
    action = EnforcementAction.objects.select_for_update().get(pk=action.pk)
    _require_open(action)
    _required(held_on, "held_on", _("会商日期"))
    assert held_on is not None
    if held_on > local_date(timezone.now()):
        raise ApplicationError(
            _("会商日期不能晚于今天。"),
            code="consultation_in_future",
            fields={"held_on": [held_on.isoformat()]},
        )
    if form not in ConsultationForm.values:
        raise ApplicationError(
            _("会商形式须为会商会议、电话会商或联合踏勘。"),
            code="consultation_form_invalid",
            fields={"form": [str(form)]},
        )
    _required((conclusions or "").strip(), "conclusions", _("会商结论"))
    unit_list = list({u.pk: u for u in units}.values())
    if not unit_list:
        raise ApplicationError(
            _("请选择参加会商的单位。"), code="required", fields={"units": [_("必填")]}
        )
    allowed = set(action.participants.values_list("unit_id", flat=True))
    allowed.add(action.organiser_unit_id)
    strangers = [u.name for u in unit_list if u.pk not in allowed]
    if strangers:
        raise ApplicationError(
            _("以下单位不是本次行动的参与单位：%(names)s") % {"names": "、".join(strangers)},
            code="unit_not_participating",
            fields={"units": strangers},
        )
    consultation = Consultation.objects.create(
        action=action,
        held_on=held_on,
        form=form,
        conclusions=conclusions.strip(),
        recorded_by=_person(actor),
    )
    consultation.units.set(unit_list)
    audit_record(
        actor=actor,
        action="enforcement.consultation.record",
        obj=consultation,
        after={**snapshot(consultation), "units": sorted(u.pk for u in unit_list)},
    )
    return consultation


# -- officers and liaisons (E5) -------------------------------------------------------


def _participant_of(action: EnforcementAction, person: Person) -> ActionParticipant:
    p = action.participants.filter(unit_id=person.unit_id).select_related("unit").first()
    if p is None:
        raise ApplicationError(
            _("%(name)s所在单位“%(unit)s”不是本次行动的参与单位。")
            % {"name": person.name, "unit": person.unit.name},
            code="unit_not_participating",
            fields={"person": [person.name]},
        )
    return p


@transaction.atomic
def officer_assign(*, actor: Any, action: EnforcementAction, person: Person) -> ActionOfficer:
    """E5: a participating unit assigns an officer whose enforcement certificate is valid
    on every day of the action (checked against the certificate, not trusted)."""
    if not action_policy.can_view(actor, action):
        action_policy.require_change(actor, action)
    _require_open(action)
    participant = _participant_of(action, person)
    if not action_policy.can_staff_participant(actor, participant):
        raise PermissionDeniedError(_("只能由本单位或组织单位选派执法人员。"))
    if not person.is_active:
        raise ApplicationError(
            _("%(name)s不在岗，不能选派。") % {"name": person.name},
            code="person_inactive",
            fields={"person": [person.name]},
        )
    if not person.cert_valid_through(action.start_date, action.end_date):
        raise ApplicationError(
            _cert_message(person, action.start_date, action.end_date),
            code="certificate_not_valid",
            fields={
                "person": [person.name],
                "cert_valid_to": [person.cert_valid_to.isoformat() if person.cert_valid_to else ""],
            },
        )
    proficiency_error = _proficiency_error(action, person)
    if proficiency_error is not None:
        raise proficiency_error
    if action.officers.filter(person=person).exists():
        raise ConflictError(
            _("%(name)s已在本次行动的执法人员名单中。") % {"name": person.name},
            code="officer_exists",
        )
    assert person.cert_valid_to is not None
    officer = ActionOfficer.objects.create(
        action=action,
        participant=participant,
        person=person,
        cert_number=person.cert_number,
        cert_valid_to=person.cert_valid_to,
        added_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor, action="enforcement.officer.assign", obj=officer, after=snapshot(officer)
    )
    return officer


@transaction.atomic
def officer_remove(*, actor: Any, officer: ActionOfficer) -> None:
    action = officer.action
    _require_open(action)
    if not action_policy.can_staff_participant(actor, officer.participant):
        raise PermissionDeniedError(_("只能由本单位或组织单位调整执法人员。"))
    if Inspection.officers.through.objects.filter(actionofficer_id=officer.pk).exists():
        raise ConflictError(
            _("%(name)s已参加现场检查，不能移出名单。") % {"name": officer.person.name},
            code="officer_has_inspections",
        )
    before = snapshot(officer)
    officer.delete()
    audit_record(
        actor=actor,
        action="enforcement.officer.remove",
        object_type="enforcement.actionofficer",
        object_id=before["id"],
        before=before,
    )


@transaction.atomic
def liaison_assign(
    *, actor: Any, participant: ActionParticipant, person: Person
) -> ActionParticipant:
    """E5: exactly one liaison (联络人) per participating unit; a second is refused."""
    participant = ActionParticipant.objects.select_for_update().get(pk=participant.pk)
    action = participant.action
    if not action_policy.can_view(actor, action):
        action_policy.require_change(actor, action)
    _require_open(action)
    if not action_policy.can_staff_participant(actor, participant):
        raise PermissionDeniedError(_("只能由本单位或组织单位确定联络人。"))
    if person.unit_id != participant.unit_id:
        raise ApplicationError(
            _("联络人须为“%(unit)s”的人员。") % {"unit": participant.unit.name},
            code="liaison_wrong_unit",
            fields={"person": [person.name]},
        )
    if participant.liaison_id is not None:
        current = participant.liaison
        assert current is not None
        raise ConflictError(
            _(
                "“%(unit)s”已确定联络人%(name)s；每个参与单位只能确定一名联络人（E5）。"
                "如需更换，请使用“更换联络人”并说明原因。"
            )
            % {"unit": participant.unit.name, "name": current.name},
            code="liaison_exists",
            fields={"liaison": [current.name]},
        )
    before = snapshot(participant)
    participant.liaison = person
    participant.save(update_fields=["liaison"])
    audit_record(
        actor=actor,
        action="enforcement.liaison.assign",
        obj=participant,
        before=before,
        after=snapshot(participant),
    )
    return participant


@transaction.atomic
def liaison_replace(
    *, actor: Any, participant: ActionParticipant, person: Person, reason: str
) -> ActionParticipant:
    """Replace the one liaison (never add a second), with a recorded reason."""
    participant = ActionParticipant.objects.select_for_update().get(pk=participant.pk)
    action = participant.action
    _require_open(action)
    if not action_policy.can_staff_participant(actor, participant):
        raise PermissionDeniedError(_("只能由本单位或组织单位更换联络人。"))
    _required(reason, "reason", _("更换原因"))
    if person.unit_id != participant.unit_id:
        raise ApplicationError(
            _("联络人须为“%(unit)s”的人员。") % {"unit": participant.unit.name},
            code="liaison_wrong_unit",
            fields={"person": [person.name]},
        )
    before = snapshot(participant)
    participant.liaison = person
    participant.save(update_fields=["liaison"])
    audit_record(
        actor=actor,
        action="enforcement.liaison.replace",
        obj=participant,
        before={**before, "reason": reason},
        after=snapshot(participant),
    )
    return participant


# -- assignments (E4) ----------------------------------------------------------------


def _require_assignee(actor: Any, assignment: Assignment) -> None:
    if not action_policy.can_view(actor, assignment.action):
        action_policy.require_change(actor, assignment.action)
    if not action_policy.can_act_on_assignment(actor, assignment):
        raise PermissionDeniedError(_("只有承办单位可以签收和报告任务。"))
    if not assignment.action.is_running:
        raise ApplicationError(
            _("行动当前为“%(s)s”，任务不能办理。") % {"s": assignment.action.get_status_display()},
            code="action_not_running",
        )


@transaction.atomic
def assignment_acknowledge(*, actor: Any, assignment: Assignment, note: str = "") -> Assignment:
    _require_assignee(actor, assignment)
    now = timezone.now()
    assignment = assignment_transition(
        assignment=assignment,
        to=AssignmentStatus.ACKNOWLEDGED,
        actor=actor,
        note=note,
        acknowledged_at=now,
        acknowledged_by=_person(actor),
        ack_note=note[:500],
    )
    obligation_complete_for(subject=assignment, kind=ACK_KIND, actor=actor, at=now)
    return assignment


@transaction.atomic
def assignment_complete(*, actor: Any, assignment: Assignment, report: str) -> Assignment:
    _require_assignee(actor, assignment)
    _required(report, "report", _("完成情况"))
    now = timezone.now()
    assignment = assignment_transition(
        assignment=assignment,
        to=AssignmentStatus.COMPLETED,
        actor=actor,
        completed_at=now,
        completed_by=_person(actor),
        completion_report=report,
    )
    obligation_complete_for(subject=assignment, kind=REPORT_KIND, actor=actor, at=now)
    return assignment


@transaction.atomic
def assignment_move(*, actor: Any, assignment: Assignment, to: str, note: str = "") -> Assignment:
    """Any requested move goes through the table; one it does not list — "declined",
    say — is refused there (E4), before any permission or state is looked at."""
    from .workflow import ASSIGNMENT_TRANSITIONS

    if (assignment.status, to) not in ASSIGNMENT_TRANSITIONS:
        return assignment_transition(assignment=assignment, to=to, actor=actor, note=note)
    if to == AssignmentStatus.ACKNOWLEDGED:
        return assignment_acknowledge(actor=actor, assignment=assignment, note=note)
    if to == AssignmentStatus.COMPLETED:
        return assignment_complete(actor=actor, assignment=assignment, report=note)
    raise ApplicationError(
        _("任务只能随行动整体撤销。"), code="transition_not_allowed", fields={"to": [to]}
    )


def on_assignments_overdue(obligations: list[Any]) -> None:
    """Overdue handler (registered in apps.ready): the sweep found an assignment nobody
    acknowledged in time; keep that on the assignment's own history (E4, assessment)."""
    by_id = {str(ob.subject_id): ob for ob in obligations if ob.kind == ACK_KIND}
    for assignment in Assignment.objects.filter(pk__in=list(by_id)).select_for_update():
        ob = by_id[str(assignment.pk)]
        if assignment.escalated_at is not None:
            continue
        before = snapshot(assignment)
        assignment.escalated_at = ob.escalated_at or timezone.now()
        assignment.escalated_to_id = ob.escalated_to_id
        assignment.save(update_fields=["escalated_at", "escalated_to"])
        AssignmentEvent.objects.create(
            assignment=assignment,
            action="escalate",
            from_status=assignment.status,
            to_status=assignment.status,
            note=_("逾期未签收，已升级至%(u)s")
            % {"u": ob.escalated_to.name if ob.escalated_to_id else _("（无上级）")},
        )
        audit_record(
            actor=None,
            action="enforcement.assignment.escalate",
            obj=assignment,
            before=before,
            after=snapshot(assignment),
        )


def escalation_target(ob: Any) -> Unit | None:
    """Escalation resolver: an unacknowledged assignment goes back to the organiser."""
    if not str(getattr(ob, "kind", "")).startswith("enforcement.assignment."):
        return None
    assignment = (
        Assignment.objects.filter(pk=ob.subject_id).select_related("action__organiser_unit").first()
    )
    return assignment.action.organiser_unit if assignment is not None else None


# -- inspections, photos, findings ---------------------------------------------------


@dataclass
class PhotoUpload:
    name: str
    content: bytes
    mime: str
    extension: str
    sha256: str


def photo_check(upload: Any) -> PhotoUpload:
    """Content-checked upload (core.uploads): the bytes (not the name) must be an allowed
    image, within settings.FILE_UPLOAD_MAX_BYTES."""
    name = str(getattr(upload, "name", "") or "photo")[:200]
    types = {e: m for e, m in IMAGE_TYPES.items() if m in tuple(rules.get("PHOTO_MIME_TYPES"))}
    checked = check_upload(
        upload, UploadRule(purpose="inspection_photo", types=types, field="photos")
    )
    return PhotoUpload(
        name=name,
        content=checked.content,
        mime=checked.mime,
        extension=checked.ext,
        sha256=checked.sha256,
    )


def _store_photos(
    inspection: Inspection, photos: Sequence[PhotoUpload], actor: Any, stored: list[Any]
) -> list[InspectionPhoto]:
    rows = []
    for p in photos:
        row = InspectionPhoto(
            inspection=inspection,
            original_name=p.name,
            content_type=p.mime,
            size=len(p.content),
            sha256=p.sha256,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        row.file.save(f"photo.{p.extension}", ContentFile(p.content), save=False)
        stored.append(row.file)
        row.save()
        rows.append(row)
    return rows


def _discard(stored: list[Any]) -> None:
    for f in stored:
        try:
            f.storage.delete(f.name)
        except OSError:
            pass


def _target_for(action: EnforcementAction, entity: Any) -> ActionTarget:
    direct = action.targets.filter(entity=entity).first()
    if direct is not None:
        return direct
    if entity.grid_id:
        grid = entity.grid
        for area in action.targets.filter(entity__isnull=True).select_related("grid"):
            if _in_subtree(grid, area.grid):
                return area
    raise ApplicationError(
        _("“%(n)s”不是本次行动的检查对象。") % {"n": entity.name},
        code="entity_not_targeted",
        fields={"entity": [entity.name]},
    )


@dataclass
class FindingSpec:
    title: str
    description: str
    responsible_person: str = ""
    suspected_crime: bool = False
    is_key: bool = False


def _check_finding(spec: FindingSpec) -> None:
    _required(spec.title, "title", _("问题"))
    _required(spec.description, "description", _("违法事实"))


@transaction.atomic
def inspection_create(
    *,
    actor: Any,
    action: EnforcementAction,
    entity: Any,
    inspected_at: dt.datetime,
    officers: Sequence[ActionOfficer],
    summary: str,
    place: str = "",
    photos: Sequence[Any] = (),
    findings: Sequence[FindingSpec] = (),
) -> Inspection:
    """Record an inspection of one target entity by at least two certified officers,
    with content-checked photos and any findings. Checked in full before any write."""
    if not action_policy.can_view(actor, action):
        action_policy.require_change(actor, action)
    if not action_policy.can_inspect(actor, action):
        raise PermissionDeniedError(_("只有参与单位可以录入现场检查。"))
    if not action.is_running:
        raise ApplicationError(
            _("行动当前为“%(s)s”，不能录入现场检查。") % {"s": action.get_status_display()},
            code="action_not_running",
        )
    target = _target_for(action, entity)
    _required(inspected_at, "inspected_at", _("检查时间"))
    _required(summary, "summary", _("检查情况"))
    day = local_date(inspected_at)
    if not (action.start_date <= day <= action.end_date):
        raise ApplicationError(
            _("检查时间须在行动期间%(a)s至%(b)s内。")
            % {"a": action.start_date.isoformat(), "b": action.end_date.isoformat()},
            code="inspection_outside_period",
            fields={"inspected_at": [day.isoformat()]},
        )
    if inspected_at > timezone.now() + dt.timedelta(minutes=10):
        raise ApplicationError(
            _("检查时间不能晚于当前时间。"),
            code="inspection_in_future",
            fields={"inspected_at": [_("晚于当前时间")]},
        )
    chosen = {o.pk: o for o in officers}
    if any(o.action_id != action.pk for o in chosen.values()):
        raise ApplicationError(_("检查人员须为本次行动的执法人员。"), code="officer_not_in_action")
    minimum = int(rules.get("INSPECTION_MIN_OFFICERS"))
    if len(chosen) < minimum:
        raise ApplicationError(
            _("现场检查须由至少%(n)s名持有有效执法证的执法人员进行。") % {"n": minimum},
            code="officers_too_few",
            fields={"officers": [_("至少%(n)s名") % {"n": minimum}]},
        )
    for o in chosen.values():
        if not o.person.cert_valid_on(day):
            raise ApplicationError(
                _cert_message(o.person, day, day),
                code="certificate_not_valid",
                fields={"officers": [o.person.name]},
            )
    for spec in findings:
        _check_finding(spec)
    checked = [photo_check(p) for p in photos]
    stored: list[Any] = []
    try:
        inspection = Inspection.objects.create(
            action=action,
            target=target,
            entity=entity,
            inspected_at=inspected_at,
            place=place or getattr(entity, "address", ""),
            summary=summary,
            created_by=_person(actor),
        )
        inspection.officers.set(list(chosen.values()))
        rows = _store_photos(inspection, checked, actor, stored)
        for spec in findings:
            _finding_write(actor=actor, inspection=inspection, spec=spec, photos=rows)
        if action.status == ActionStatus.DEPLOYED:
            action_transition(
                action=action,
                to=ActionStatus.IN_PROGRESS,
                actor=actor,
                note=_("首次现场检查"),
            )
        audit_record(
            actor=actor,
            action="enforcement.inspection.create",
            obj=inspection,
            after={
                **snapshot(inspection),
                "officers": sorted(chosen),
                "photos": [r.pk for r in rows],
            },
        )
    except BaseException:
        _discard(stored)
        raise
    return inspection


@transaction.atomic
def photo_add(
    *, actor: Any, inspection: Inspection, photos: Sequence[Any]
) -> list[InspectionPhoto]:
    action = inspection.action
    if not action_policy.can_inspect(actor, action):
        action_policy.require_change(actor, action)
    _require_open(action)
    if not photos:
        raise ApplicationError(_("请选择照片。"), code="required", fields={"photos": [_("必填")]})
    checked = [photo_check(p) for p in photos]
    stored: list[Any] = []
    try:
        rows = _store_photos(inspection, checked, actor, stored)
        for r in rows:
            audit_record(actor=actor, action="enforcement.photo.add", obj=r, after=snapshot(r))
    except BaseException:
        _discard(stored)
        raise
    return rows


def _finding_write(
    *, actor: Any, inspection: Inspection, spec: FindingSpec, photos: Sequence[InspectionPhoto]
) -> Finding:
    finding = Finding.objects.create(
        action=inspection.action,
        inspection=inspection,
        entity=inspection.entity,
        title=spec.title.strip(),
        description=spec.description,
        responsible_person=spec.responsible_person,
        suspected_crime=spec.suspected_crime,
        is_key=spec.is_key,
        created_by=_person(actor),
    )
    if photos:
        finding.photos.set(list(photos))
    audit_record(
        actor=actor,
        action="enforcement.finding.create",
        obj=finding,
        after={**snapshot(finding), "photos": [p.pk for p in photos]},
    )
    return finding


@transaction.atomic
def finding_create(
    *,
    actor: Any,
    inspection: Inspection,
    spec: FindingSpec,
    photos: Sequence[InspectionPhoto] | None = None,
) -> Finding:
    action = inspection.action
    if not action_policy.can_inspect(actor, action):
        action_policy.require_change(actor, action)
    _require_open(action)
    _check_finding(spec)
    chosen = list(photos) if photos is not None else list(inspection.photos.all())
    if any(p.inspection_id != inspection.pk for p in chosen):
        raise ApplicationError(_("证据照片须来自本次检查。"), code="photo_not_in_inspection")
    return _finding_write(actor=actor, inspection=inspection, spec=spec, photos=chosen)


@transaction.atomic
def finding_supervise(
    *, actor: Any, finding: Finding, reason: str = "", requirement: str = ""
) -> Finding:
    """E3: the organiser supervises a key case (督办) — a notice to the unit responsible
    for the grid where it was found, whose answer is itself an obligation."""
    action = finding.action
    if not action_policy.can_case_finding(actor, finding):
        action_policy.require_change(actor, action, _("只有组织单位可以督办重点案件。"))
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if finding.supervision_id is not None:
        raise ConflictError(_("该问题已督办。"), code="already_supervised")
    grid = finding.entity.grid
    responsible = grid.owner_unit if grid is not None else None
    if responsible is None or responsible.pk == action.organiser_unit_id:
        raise ApplicationError(_("该问题由组织单位自行查处，无需督办。"), code="supervision_self")
    before = snapshot(finding)
    sup = supervision_issue(
        actor=actor,
        issuer=action.organiser_unit,
        target=responsible,
        reason=reason.strip()
        or _("联合执法行动“%(a)s”重点案件：%(t)s（%(e)s）。")
        % {"a": action.title, "t": finding.title, "e": finding.entity.name},
        requirement=requirement or _("请依法查处到位，并在时限内报告办理情况。"),
        subject=finding,
        response_rule=rules.supervision_response_rule(),
        link=_link(action),
    )
    finding.is_key = True
    finding.supervision = sup
    finding.save(update_fields=["is_key", "supervision"])
    audit_record(
        actor=actor,
        action="enforcement.finding.supervise",
        obj=finding,
        before=before,
        after=snapshot(finding),
    )
    return finding


@transaction.atomic
def finding_to_case(*, actor: Any, finding: Finding) -> Any:
    """A finding becomes a case (source: joint enforcement) with its evidence photos, in
    one step, registered by the organiser as the unit that discovered it. Where the place
    lies in another unit's grid, the cases app opens the transfer obligation (T1)."""
    from envgrid.cases.files import content_file
    from envgrid.cases.services import case_create

    action = finding.action
    if not action_policy.can_view(actor, action):
        action_policy.require_change(actor, action)
    if not action_policy.can_case_finding(actor, finding):
        raise PermissionDeniedError(_("只有组织单位可以将发现问题转为案件。"))
    finding = Finding.objects.select_for_update().select_related("entity").get(pk=finding.pk)
    if finding.case_id is not None:
        raise ConflictError(
            _("该问题已转为案件%(n)s。") % {"n": finding.case_number}, code="already_cased"
        )
    inspection = finding.inspection
    entity = finding.entity
    files = []
    for photo in finding.photos.all():
        with photo.file.open("rb") as fh:
            files.append(content_file(fh.read(), photo.original_name))
    case = case_create(
        actor=actor,
        title=_("%(e)s：%(t)s") % {"e": entity.name, "t": finding.title},
        source="joint_enforcement",
        owner_unit=action.organiser_unit,
        discovered_at=inspection.inspected_at,
        discovered_by_unit=action.organiser_unit,
        discovered_by_person=inspection.created_by,
        lon=entity.lon,
        lat=entity.lat,
        address=entity.address or inspection.place,
        description=_("联合执法行动“%(a)s”（%(n)s）现场检查发现。检查情况：%(s)s")
        % {"a": action.title, "n": action.number, "s": inspection.summary},
        entity=entity,
        responsible_person=finding.responsible_person,
        facts=finding.description,
        suspected_crime=finding.suspected_crime,
        evidence_files=files,
    )
    finding_transition(
        finding=finding,
        action="to_case",
        actor=actor,
        fields={"case": case, "case_number": case.number, "case_created_at": timezone.now()},
    )
    return case


def on_ack_due_moved(ob: Any) -> None:
    """The calendar recompute moved an acknowledgement deadline: the assignment's copy
    (签收截止, shown and filtered on) follows it, audited (issue 15, part 5)."""
    for assignment in Assignment.objects.select_for_update().filter(ack_obligation=ob):
        before = snapshot(assignment)
        assignment.ack_due_at = ob.due_at
        assignment.save(update_fields=["ack_due_at"])
        audit_record(
            actor=None,
            action="assignment.ack_due_recomputed",
            obj=assignment,
            before=before,
            after=snapshot(assignment),
        )
