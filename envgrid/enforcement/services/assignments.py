"""Writes of an assignment (SPEC E4): acknowledgement, report, moves, and the overdue handlers."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.errors import ApplicationError, PermissionDeniedError
from envgrid.obligations.services import (
    obligation_complete_for,
)

from ..models import (
    Assignment,
    AssignmentEvent,
    AssignmentStatus,
)
from ..policies import action_policy
from ..workflow import assignment_transition
from ._common import ACK_KIND, REPORT_KIND, _person, _required

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
    from ..workflow import ASSIGNMENT_TRANSITIONS

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
