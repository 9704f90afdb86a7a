"""Writes of a joint enforcement action's plan and lifecycle (SPEC E1–E5): create, update, approve, deploy, start, complete, cancel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.deadlines import DeadlineRule, RuleKind, local_date
from envgrid.core.documents import document_number_next
from envgrid.core.errors import ApplicationError, PermissionDeniedError
from envgrid.core.notifications import notify
from envgrid.grids.models import Grid
from envgrid.obligations.models import ObligationStatus
from envgrid.obligations.services import (
    obligation_cancel,
    obligation_open,
    obligations_for,
)
from envgrid.obligations.supervision import supervision_issue
from envgrid.org.models import LeadingGroup, Person, Unit
from envgrid.org.proficiency import proficiency_gap
from envgrid.org.selectors import actor_for

from .. import rules
from ..models import (
    ActionCategory,
    ActionMode,
    ActionParticipant,
    ActionStatus,
    ActionTarget,
    Assignment,
    AssignmentEvent,
    AssignmentStatus,
    EnforcementAction,
    ParticipantRole,
)
from ..policies import action_policy
from ..selectors import consultation_gaps, is_cross_department
from ..workflow import action_transition, assignment_transition
from ._common import (
    ACK_KIND,
    PLAN_FIELDS,
    REPORT_KIND,
    _in_subtree,
    _leading_group_of_grid,
    _link,
    _person,
    _require_open,
    _require_status,
    _required,
    _unit_users,
)

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
    from ..models import ActionStatusChange

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
