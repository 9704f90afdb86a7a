"""Writes for organisations: every one audited, every rule refused with a stable code."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.core.services import model_create, model_update

from .models import (
    Delegation,
    DelegationScope,
    LeadingGroup,
    Person,
    TrainingKind,
    TrainingRecord,
    TrainingResult,
    Unit,
)
from .policies import person_policy, training_record_policy, unit_policy
from .selectors import actor_for

# The fields of a unit and of a person that the staff form and the API may write, defined
# once here: forms.py and serializers.py import them.
UNIT_EDITABLE_FIELDS = (
    "code",
    "name",
    "short_name",
    "kind",
    "parent",
    "information_officer",
    "doc_prefix",
    "is_active",
)
PERSON_EDITABLE_FIELDS = (
    "name",
    "unit",
    "title",
    "phone",
    "public_phone",
    "role",
    "cert_number",
    "cert_valid_from",
    "cert_valid_to",
    "is_active",
)


def _require_admin_or_office(user: Any) -> None:
    actor = actor_for(user)
    if not (actor.is_admin or actor.is_office):
        raise PermissionDeniedError(_("只有领导小组办公室或系统管理员可以维护单位和人员。"))


def unit_create(*, actor: Any, **data: Any) -> Unit:
    _require_admin_or_office(actor)
    return model_create(model=Unit, actor=actor, action="unit.create", data=data)


def unit_update(*, actor: Any, unit: Unit, **data: Any) -> Unit:
    unit_policy.require_change(actor, unit)
    officer = data.get("information_officer")
    if officer is not None and officer.unit_id != unit.pk:
        raise ApplicationError(
            _("信息工作负责人须为本单位人员。"),
            code="officer_not_in_unit",
            fields={"information_officer": [_("不是本单位人员")]},
        )
    parent = data.get("parent")
    if parent is not None and parent.pk == unit.pk:
        raise ApplicationError(
            _("上级单位不能是本单位。"),
            code="parent_invalid",
            fields={"parent": [_("不能是本单位")]},
        )
    return model_update(instance=unit, actor=actor, action="unit.update", data=data)


def _require_unit_in_scope(actor: Any, unit: Unit | None) -> None:
    if (
        unit is not None
        and not actor_for(actor).is_admin
        and unit.pk not in actor_for(actor).overseen_unit_ids()
    ):
        raise ApplicationError(
            _("不能在本领导小组以外的单位添加人员。"),
            code="unit_out_of_scope",
            fields={"unit": [_("超出管理范围")]},
        )


def _require_admin_for_login_role(actor: Any, person: Person | None, data: dict[str, Any]) -> None:
    """A login's role and unit are its power: only an administrator links a login to a
    person or changes the role or the unit of a person who has one (office staff could
    otherwise make any login office staff, or move it into another unit's scope, issue 16).
    A person without a login may be given any role or unit by office staff: it grants
    nothing until an administrator links a login."""
    if actor_for(actor).is_admin:
        return
    if "user" in data and data["user"] != (person.user if person is not None else None):
        raise PermissionDeniedError(
            _("只有系统管理员可以为人员关联登录账号。"),
            code="login_admin_only",
            fields={"user": [_("只有系统管理员可以修改")]},
        )
    if (
        person is not None
        and person.user_id is not None
        and "role" in data
        and data["role"] != person.role
    ):
        raise PermissionDeniedError(
            _("该人员已关联登录账号，只有系统管理员可以修改其角色。"),
            code="role_admin_only",
            fields={"role": [_("只有系统管理员可以修改")]},
        )
    if (
        person is not None
        and person.user_id is not None
        and "unit" in data
        and getattr(data["unit"], "pk", data["unit"]) != person.unit_id
    ):
        raise PermissionDeniedError(
            _("该人员已关联登录账号，只有系统管理员可以将其调整到其他单位。"),
            code="unit_admin_only",
            fields={"unit": [_("只有系统管理员可以修改")]},
        )


def person_create(*, actor: Any, **data: Any) -> Person:
    _require_admin_or_office(actor)
    _require_unit_in_scope(actor, data.get("unit"))
    _require_admin_for_login_role(actor, None, data)
    return model_create(model=Person, actor=actor, action="person.create", data=data)


def person_update(*, actor: Any, person: Person, **data: Any) -> Person:
    person_policy.require_change(actor, person)
    _require_admin_for_login_role(actor, person, data)
    # Moving a person is adding them to the new unit: the same scope rule applies.
    if "unit" in data and data["unit"] is not None and data["unit"].pk != person.unit_id:
        _require_unit_in_scope(actor, data["unit"])
    return model_update(instance=person, actor=actor, action="person.update", data=data)


def leading_group_create(
    *,
    actor: Any,
    deputies: list[Person] | None = None,
    member_units: list[Unit] | None = None,
    **data: Any,
) -> LeadingGroup:
    if not actor_for(actor).is_admin:
        raise PermissionDeniedError(_("只有系统管理员可以设立领导小组。"))
    return model_create(
        model=LeadingGroup,
        actor=actor,
        action="leading_group.create",
        data=data,
        m2m={"deputies": deputies or [], "member_units": member_units or []},
    )


@transaction.atomic
def delegation_create(
    *,
    actor: Any,
    leading_group: LeadingGroup,
    grantor: Person,
    grantee: Person,
    purpose: str,
    valid_from: dt.date,
    valid_to: dt.date,
    scope: str = "meeting.convene",
    document_ref: str = "",
) -> Delegation:
    """Record 委托授权 (M4): only from the leader or a deputy, only to the office director."""
    acting = actor_for(actor)
    if not (acting.is_admin or (acting.person is not None and acting.person.pk == grantor.pk)):
        raise PermissionDeniedError(_("委托授权须由委托人本人（组长或副组长）登记。"))
    if not leading_group.is_convener(grantor):
        raise ApplicationError(
            _("只有领导小组组长或副组长可以委托授权。"),
            code="grantor_not_convener",
            fields={"grantor": [_("不是组长或副组长")]},
        )
    if leading_group.office_director_id != grantee.pk:
        raise ApplicationError(
            _("只能委托领导小组办公室主任。"),
            code="grantee_not_director",
            fields={"grantee": [_("不是办公室主任")]},
        )
    if scope not in DelegationScope.values:
        raise ApplicationError(
            _("授权范围无效。"), code="invalid_scope", fields={"scope": [_("无效的选项")]}
        )
    if not purpose.strip():
        raise ApplicationError(
            _("请写明委托事项。"), code="purpose_required", fields={"purpose": [_("必填")]}
        )
    if valid_to < valid_from:
        raise ApplicationError(
            _("有效期止不能早于有效期起。"),
            code="period_invalid",
            fields={"valid_to": [_("早于起始日")]},
        )
    return model_create(
        model=Delegation,
        actor=actor,
        action="delegation.create",
        data={
            "leading_group": leading_group,
            "grantor": grantor,
            "grantee": grantee,
            "purpose": purpose,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "scope": scope,
            "document_ref": document_ref,
        },
    )


@transaction.atomic
def delegation_revoke(*, actor: Any, delegation: Delegation, reason: str) -> Delegation:
    acting = actor_for(actor)
    if not (
        acting.is_admin or (acting.person is not None and acting.person.pk == delegation.grantor_id)
    ):
        raise PermissionDeniedError(_("只有委托人本人可以撤销委托。"))
    if not reason.strip():
        raise ApplicationError(
            _("撤销须写明原因。"), code="reason_required", fields={"reason": [_("必填")]}
        )
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    if delegation.revoked_at is not None:
        raise ApplicationError(_("该委托已撤销。"), code="already_revoked", status=409)
    before = snapshot(delegation)
    delegation.revoked_at = timezone.now()
    delegation.revoke_reason = reason
    delegation.save(update_fields=["revoked_at", "revoke_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="delegation.revoke",
        obj=delegation,
        before=before,
        after=snapshot(delegation),
    )
    return delegation


# -- training and assessment records (E5: 业务熟练) ------------------------------------


@transaction.atomic
def training_record_create(
    *,
    actor: Any,
    person: Person,
    kind: str,
    course: str,
    hours: Any,
    held_on: dt.date | None,
    result: str,
    note: str = "",
) -> TrainingRecord:
    """E5: record a course or an assessment an enforcement officer took."""
    from decimal import Decimal, InvalidOperation

    if not person_policy.can_view(actor, person):
        person_policy.require_change(actor, person)
    if not training_record_policy.can_record_for(actor, person):
        raise PermissionDeniedError(_("只有本单位、领导小组办公室或系统管理员可以记录培训考核。"))
    problems: dict[str, list[str]] = {}
    if kind not in TrainingKind.values:
        problems["kind"] = [_("须为业务培训或业务考核")]
    if result not in TrainingResult.values:
        problems["result"] = [_("须为合格或不合格")]
    if not (course or "").strip():
        problems["course"] = [_("必填")]
    try:
        value = Decimal(str(hours))
        if not value.is_finite() or value < 0 or value > 1000 or value != round(value, 1):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        problems["hours"] = [_("须为 0 至 1000 之间、最多一位小数的数")]
        value = Decimal(0)
    if held_on is None:
        problems["held_on"] = [_("必填")]
    elif held_on > timezone.localdate():
        problems["held_on"] = [_("不能晚于今天")]
    if problems:
        raise ApplicationError(
            _("培训考核记录有误：%(fields)s")
            % {"fields": "、".join(f"{k}（{v[0]}）" for k, v in problems.items())},
            code="training_invalid",
            fields=problems,
        )
    assert held_on is not None
    record = TrainingRecord.objects.create(
        person=person,
        kind=kind,
        course=course.strip(),
        hours=value,
        held_on=held_on,
        result=result,
        note=(note or "").strip()[:300],
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(actor=actor, action="training_record.create", obj=record, after=snapshot(record))
    return record


@transaction.atomic
def training_record_void(*, actor: Any, record: TrainingRecord, reason: str) -> TrainingRecord:
    """A wrong record is voided with a reason (it then no longer counts), never deleted."""
    record = TrainingRecord.objects.select_for_update().get(pk=record.pk)
    training_record_policy.require_change(actor, record)
    if not (reason or "").strip():
        raise ApplicationError(
            _("请填写作废原因。"), code="required", fields={"reason": [_("必填")]}
        )
    if record.voided_at is not None:
        raise ConflictError(_("该记录已作废。"), code="already_voided")
    before = snapshot(record)
    record.voided_at = timezone.now()
    record.void_reason = reason.strip()[:300]
    record.save(update_fields=["voided_at", "void_reason"])
    audit_record(
        actor=actor,
        action="training_record.void",
        obj=record,
        before=before,
        after=snapshot(record),
    )
    return record
