"""Writes of who and what an action involves: participants, targets, consultation, officers and liaisons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.deadlines import local_date
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.org.models import Person, Unit

from ..models import (
    ActionMode,
    ActionOfficer,
    ActionParticipant,
    ActionStatus,
    ActionTarget,
    Consultation,
    ConsultationForm,
    EnforcementAction,
    Inspection,
    ParticipantRole,
)
from ..policies import action_policy
from ._common import _person, _require_open, _require_status, _required
from .actions import (
    ParticipantSpec,
    TargetSpec,
    _build_plan,
    _cert_message,
    _check_joint,
    _joint_sets,
    _proficiency_error,
)

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
