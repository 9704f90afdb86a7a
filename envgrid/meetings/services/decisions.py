"""Writes of a meeting decision: creation, progress reports, closing, verification and withdrawal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.deadlines import DeadlineRule, RuleKind, local_date
from envgrid.core.errors import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from envgrid.core.notifications import notify
from envgrid.obligations.models import Obligation, Supervision, SupervisionStatus
from envgrid.obligations.services import (
    LIVE,
    obligation_cancel,
    obligation_complete,
    obligation_open,
    users_of_unit,
)
from envgrid.obligations.supervision import (
    supervision_close,
    supervision_respond,
)
from envgrid.org.models import Unit
from envgrid.org.selectors import actor_for

from ..models import (
    Decision,
    DecisionLink,
    DecisionOwner,
    DecisionProgress,
    DecisionStatus,
    DecisionStatusChange,
    Meeting,
    MeetingStatus,
)
from ..policies import decision_policy
from ..selectors import DECISION_KIND, link_visible
from ..workflow import decision_transition
from ._common import _link_type, _require_manage, _required, _user

# ---- decisions (M5) --------------------------------------------------------------


def _decision_obligation(
    *, decision: Decision, unit: Unit, start_at: dt.datetime, start_event: str, actor: Any
) -> Obligation:
    amount = (decision.due_date - local_date(start_at)).days
    return obligation_open(
        unit=unit,
        kind=DECISION_KIND,
        title=_("落实会议决定事项：%(m)s（第%(n)s项）")
        % {"m": decision.meeting.title, "n": decision.seq},
        rule=DeadlineRule(RuleKind.DAYS, max(amount, 0)),
        start_at=start_at,
        start_event=start_event,
        subject=decision,
        link=decision.get_absolute_url(),
        actor=actor,
    )


@transaction.atomic
def decision_create(
    *,
    actor: Any,
    meeting: Meeting,
    text: str,
    owner_units: Sequence[Unit],
    due_date: dt.date,
    links: Sequence[models.Model] = (),
) -> Decision:
    """Record a decision of a held meeting; each owner unit owes its implementation by the
    due date (one obligation per owner)."""
    _require_manage(actor, meeting)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != MeetingStatus.HELD:
        raise ConflictError(
            _("决定事项须在会议召开后、纪要印发前登记（当前状态：%(s)s）。")
            % {"s": meeting.get_status_display()},
            code="meeting_not_held",
        )
    text = _required(text, "text", _("请填写决定事项内容。"))
    owners = list({u.pk: u for u in owner_units if u is not None}.values())
    if not owners:
        raise ApplicationError(
            _("决定事项须明确至少一个承办单位。"),
            code="owner_required",
            fields={"owners": [_("至少一个承办单位")]},
        )
    if due_date is None:
        raise ApplicationError(
            _("请填写完成时限。"), code="due_date_required", fields={"due_date": [_("必填")]}
        )
    if due_date < meeting.local_day:
        raise ApplicationError(
            _("完成时限不能早于会议日期 %(d)s。") % {"d": meeting.local_day},
            code="due_date_invalid",
            fields={"due_date": [_("早于会议日期")]},
        )
    eligible = set(meeting.participants.values_list("unit_id", flat=True)) | set(
        meeting.leading_group.member_units.values_list("pk", flat=True)
    )
    for unit in owners:
        if unit.pk not in eligible:
            raise ApplicationError(
                _("%(unit)s 既不是参会单位也不是成员单位，不能承办本会议的决定事项。")
                % {"unit": unit.name},
                code="owner_not_participant",
                fields={"owners": [unit.name]},
            )
    for obj in links:
        if not link_visible(actor, obj):
            raise ApplicationError(
                _("关联对象不存在或无权查看。"), code="link_invalid", fields={"links": ["?"]}
            )
    seq = (meeting.decisions.aggregate(m=Max("seq"))["m"] or 0) + 1
    decision = Decision.objects.create(meeting=meeting, seq=seq, text=text, due_date=due_date)
    for unit in owners:
        owner = DecisionOwner.objects.create(decision=decision, unit=unit)
        owner.obligation = _decision_obligation(
            decision=decision,
            unit=unit,
            start_at=meeting.starts_at,
            start_event=_("联席会议作出决定"),
            actor=actor,
        )
        owner.save(update_fields=["obligation"])
    for obj in links:
        ct, oid, orepr = _link_type(obj)
        DecisionLink.objects.get_or_create(
            decision=decision, link_type=ct, link_id=oid, defaults={"link_repr": orepr}
        )
    DecisionStatusChange.objects.create(
        decision=decision, from_status="", to_status=decision.status, actor=_user(actor)
    )
    audit_record(
        actor=actor,
        action="decision.create",
        obj=decision,
        after={
            **snapshot(decision),
            "owners": [u.pk for u in owners],
            "links": [f"{type(o)._meta.label_lower}:{o.pk}" for o in links],
        },
    )
    notify(
        users=[u for unit in owners for u in users_of_unit(unit.pk)],
        subject=_("会议决定事项交办：%(m)s（第%(n)s项）") % {"m": meeting.title, "n": seq},
        body=_("%(text)s\n完成时限：%(due)s") % {"text": text, "due": due_date},
        link=decision.get_absolute_url(),
    )
    return decision


def _open_supervisions(
    decision: Decision, unit_id: int | None = None, *, unclosed: bool = False
) -> models.QuerySet:
    """Notices on this decision still awaiting a response (or, with unclosed=True, any
    not yet closed — answered ones included)."""
    qs = Supervision.objects.filter(
        subject_type=ContentType.objects.get_for_model(Decision), subject_id=str(decision.pk)
    )
    if unclosed:
        qs = qs.exclude(status=SupervisionStatus.CLOSED)
    else:
        qs = qs.filter(status=SupervisionStatus.OPEN)
    if unit_id is not None:
        qs = qs.filter(target_id=unit_id)
    return qs


@transaction.atomic
def decision_progress_report(
    *, actor: Any, decision: Decision, text: str, completed: bool = False
) -> DecisionProgress:
    """An owner reports progress (or completion). A report also answers any supervision
    notice the owner has open on this decision. When every owner has reported
    completion, the decision waits for the office's verification."""
    if not decision_policy.can_view(actor, decision):
        raise NotFoundError(_("决定事项未找到，或无权查看。"))
    acting = actor_for(actor)
    owner = (
        DecisionOwner.objects.filter(decision=decision, unit_id=acting.unit_id).first()
        if acting.unit_id
        else None
    )
    if owner is None:
        raise PermissionDeniedError(
            _("只有该决定事项的承办单位可以报告落实情况。"), code="not_owner"
        )
    text = _required(text, "text", _("请填写落实情况。"))
    locked = Decision.objects.select_for_update().get(pk=decision.pk)
    if locked.status != DecisionStatus.OPEN:
        raise ConflictError(
            _("决定事项当前为“%(s)s”，不能再报告进展。") % {"s": locked.get_status_display()},
            code="decision_not_open",
        )
    owner = DecisionOwner.objects.select_for_update().get(pk=owner.pk)
    if owner.reported_done_at is not None:
        raise ConflictError(_("本单位已报告完成，等待办公室核验。"), code="already_reported")
    now = timezone.now()
    progress = DecisionProgress.objects.create(
        decision=locked,
        unit_id=owner.unit_id,
        person=acting.person,
        at=now,
        text=text,
        is_completion=completed,
    )
    audit_record(actor=actor, action="decision.progress", obj=progress, after=snapshot(progress))
    for sup in _open_supervisions(locked, owner.unit_id):
        supervision_respond(actor=actor, supervision=sup, response=text)
    if completed:
        owner.reported_done_at = now
        owner.save(update_fields=["reported_done_at"])
        if owner.obligation is not None and owner.obligation.status in LIVE:
            obligation_complete(obligation=owner.obligation, actor=actor, at=now)
        if not locked.owners.filter(reported_done_at__isnull=True).exists():
            decision_transition(
                decision=locked,
                to=DecisionStatus.REPORTED,
                actor=actor,
                note=_("全部承办单位已报告完成"),
            )
            notify(
                users=users_of_unit(locked.meeting.organiser_unit_id),
                subject=_("决定事项待核验：%(d)s") % {"d": str(locked)},
                link=locked.get_absolute_url(),
            )
    return progress


@transaction.atomic
def decision_close(*, actor: Any, decision: Decision, note: str = "") -> Decision:
    """The office verifies the reported completion and closes the decision (M5).
    Two concurrent closures: the second finds it closed and gets a 409."""
    if not decision_policy.can_view(actor, decision):
        raise NotFoundError(_("决定事项未找到，或无权查看。"))
    if not decision_policy.can_change(actor, decision):
        raise PermissionDeniedError(
            _("只有会议组织单位（领导小组办公室）可以核验办结决定事项。"), code="not_organiser"
        )
    closed = decision_transition(
        decision=decision,
        to=DecisionStatus.CLOSED,
        actor=actor,
        note=note,
        closed_at=timezone.now(),
        closed_by=_user(actor),
        verification_note=(note or "").strip(),
    )
    for sup in _open_supervisions(closed, unclosed=True):
        supervision_close(actor=actor, supervision=sup)
    notify(
        users=[u for o in closed.owners.all() for u in users_of_unit(o.unit_id)],
        subject=_("决定事项已核验办结：%(d)s") % {"d": str(closed)},
        link=closed.get_absolute_url(),
    )
    return closed


@transaction.atomic
def decision_verify_reject(
    *, actor: Any, decision: Decision, reason: str, due_date: dt.date
) -> Decision:
    """Verification failed: back to the owners, with a reason and a new due date (a new
    obligation for each owner)."""
    if not decision_policy.can_view(actor, decision):
        raise NotFoundError(_("决定事项未找到，或无权查看。"))
    if not decision_policy.can_change(actor, decision):
        raise PermissionDeniedError(_("只有会议组织单位可以核验决定事项。"), code="not_organiser")
    reason = _required(reason, "reason", _("核验不通过须写明原因。"))
    if due_date is None or due_date < timezone.localdate():
        raise ApplicationError(
            _("新的完成时限不能早于今天。"),
            code="due_date_invalid",
            fields={"due_date": [_("无效")]},
        )
    reopened = decision_transition(
        decision=decision,
        to=DecisionStatus.OPEN,
        actor=actor,
        note=reason,
        verification_note=reason,
        due_date=due_date,
    )
    now = timezone.now()
    for owner in reopened.owners.select_for_update():
        owner.reported_done_at = None
        owner.obligation = _decision_obligation(
            decision=reopened,
            unit=owner.unit,
            start_at=now,
            start_event=_("核验不通过，重新交办"),
            actor=actor,
        )
        owner.save(update_fields=["reported_done_at", "obligation"])
    notify(
        users=[u for o in reopened.owners.all() for u in users_of_unit(o.unit_id)],
        subject=_("决定事项核验未通过：%(d)s") % {"d": str(reopened)},
        body=reason,
        link=reopened.get_absolute_url(),
    )
    return reopened


@transaction.atomic
def decision_withdraw(*, actor: Any, decision: Decision, reason: str) -> Decision:
    """Decisions are never deleted; one that no longer applies is withdrawn with a reason."""
    if not decision_policy.can_view(actor, decision):
        raise NotFoundError(_("决定事项未找到，或无权查看。"))
    if not decision_policy.can_change(actor, decision):
        raise PermissionDeniedError(_("只有会议组织单位可以撤销决定事项。"), code="not_organiser")
    reason = _required(reason, "reason", _("撤销决定事项须写明原因。"))
    withdrawn = decision_transition(
        decision=decision,
        to=DecisionStatus.WITHDRAWN,
        actor=actor,
        note=reason,
        withdraw_reason=reason[:300],
    )
    for owner in withdrawn.owners.select_related("obligation"):
        if owner.obligation is not None and owner.obligation.status in LIVE:
            obligation_cancel(obligation=owner.obligation, actor=actor, reason=reason)
    for sup in _open_supervisions(withdrawn, unclosed=True):
        supervision_close(actor=actor, supervision=sup)
    return withdrawn
