"""Status tables of meetings and decisions, and the one function per workflow that
changes a status: it locks the row, checks the table, writes the history row and the
audit event (STYLE rule 4). A move the table does not allow — including the second of
two concurrent closures — is a 409, never a silent overwrite."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.errors import ConflictError

from .models import (
    Decision,
    DecisionStatus,
    DecisionStatusChange,
    Meeting,
    MeetingStatus,
    MeetingStatusChange,
)

# (from, to) -> audit action
MEETING_TRANSITIONS: dict[tuple[str, str], str] = {
    (MeetingStatus.SCHEDULED, MeetingStatus.HELD): "meeting.hold",
    (MeetingStatus.HELD, MeetingStatus.MINUTED): "meeting.minutes_issue",
    (MeetingStatus.SCHEDULED, MeetingStatus.CANCELLED): "meeting.cancel",
}

DECISION_TRANSITIONS: dict[tuple[str, str], str] = {
    # Every owner has reported completion: the office now verifies (M5).
    (DecisionStatus.OPEN, DecisionStatus.REPORTED): "decision.reported",
    # Verification found it not done: back to the owners with a new due date.
    (DecisionStatus.REPORTED, DecisionStatus.OPEN): "decision.verify_reject",
    (DecisionStatus.REPORTED, DecisionStatus.CLOSED): "decision.close",
    (DecisionStatus.OPEN, DecisionStatus.WITHDRAWN): "decision.withdraw",
    (DecisionStatus.REPORTED, DecisionStatus.WITHDRAWN): "decision.withdraw",
}


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def meeting_transition(
    *, meeting: Meeting, to: str, actor: Any, note: str = "", **changes: Any
) -> Meeting:
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    action = MEETING_TRANSITIONS.get((locked.status, to))
    if action is None:
        raise ConflictError(
            _("会议当前状态为“%(cur)s”，不能变更为“%(to)s”。")
            % {"cur": locked.get_status_display(), "to": MeetingStatus(to).label},
            code="meeting_status_conflict",
            fields={"status": locked.status},
        )
    before = snapshot(locked)
    from_status = locked.status
    locked.status = to
    for key, value in changes.items():
        setattr(locked, key, value)
    locked.save()
    MeetingStatusChange.objects.create(
        meeting=locked, from_status=from_status, to_status=to, actor=_user(actor), note=note[:500]
    )
    audit_record(actor=actor, action=action, obj=locked, before=before, after=snapshot(locked))
    return locked


@transaction.atomic
def decision_transition(
    *, decision: Decision, to: str, actor: Any, note: str = "", **changes: Any
) -> Decision:
    locked = Decision.objects.select_for_update().get(pk=decision.pk)
    action = DECISION_TRANSITIONS.get((locked.status, to))
    if action is None:
        raise ConflictError(
            _("决定事项当前状态为“%(cur)s”，不能变更为“%(to)s”（可能已被他人处理）。")
            % {"cur": locked.get_status_display(), "to": DecisionStatus(to).label},
            code="decision_status_conflict",
            fields={"status": locked.status},
        )
    before = snapshot(locked)
    from_status = locked.status
    locked.status = to
    for key, value in changes.items():
        setattr(locked, key, value)
    locked.save()
    DecisionStatusChange.objects.create(
        decision=locked,
        from_status=from_status,
        to_status=to,
        at=timezone.now(),
        actor=_user(actor),
        note=note[:500],
    )
    audit_record(actor=actor, action=action, obj=locked, before=before, after=snapshot(locked))
    return locked
