"""Status tables of meetings and decisions, declared for the core workflow kernel
(`envgrid.core.workflow`), which locks the row, checks the table, writes the history row
and the audit event (STYLE rule 4). A move the table does not allow — including the
second of two concurrent closures — is a 409 `transition_not_allowed`, never a silent
overwrite."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from envgrid.core import workflow as kernel
from envgrid.core.workflow import Transition, Workflow, register, step

from .models import (
    Decision,
    DecisionStatus,
    DecisionStatusChange,
    Meeting,
    MeetingStatus,
    MeetingStatusChange,
)

M = MeetingStatus
_MEETING_STEPS = (
    step(
        "hold",
        {M.SCHEDULED},
        M.HELD,
        gettext_lazy("召开"),
        audit_action="meeting.hold",
        who="manager",
    ),
    step(
        "minutes_issue",
        {M.HELD},
        M.MINUTED,
        gettext_lazy("印发纪要"),
        audit_action="meeting.minutes_issue",
        who="manager",
    ),
    step(
        "cancel",
        {M.SCHEDULED},
        M.CANCELLED,
        gettext_lazy("取消"),
        audit_action="meeting.cancel",
        who="manager",
    ),
)
# (from, to) -> audit action
MEETING_TRANSITIONS: dict[tuple[str, str], str] = {
    (frm, t.target): t.audit_action for t in _MEETING_STEPS for frm in t.sources
}

D = DecisionStatus
_DECISION_STEPS = (
    # Every owner has reported completion: the office now verifies (M5).
    step("reported", {D.OPEN}, D.REPORTED, gettext_lazy("报告完成")),
    # Verification found it not done: back to the owners with a new due date.
    step("verify_reject", {D.REPORTED}, D.OPEN, gettext_lazy("核查未通过"), who="office"),
    step("close", {D.REPORTED}, D.CLOSED, gettext_lazy("核查销号"), who="office"),
    step("withdraw", {D.OPEN, D.REPORTED}, D.WITHDRAWN, gettext_lazy("撤销"), who="office"),
)
DECISION_TRANSITIONS: dict[tuple[str, str], str] = {
    (frm, t.target): f"decision.{t.action}" for t in _DECISION_STEPS for frm in t.sources
}


def _may_meeting(meeting: Meeting, actor: Any, t: Transition) -> bool:
    from envgrid.org.selectors import actor_for

    from .policies import can_manage_meeting

    return can_manage_meeting(actor_for(actor), meeting)


def _may_decision(decision: Decision, actor: Any, t: Transition) -> bool:
    from .policies import decision_policy

    return bool(decision_policy.can_change(actor, decision))


MEETING_WORKFLOW = register(
    Workflow(
        model=Meeting,
        transitions=_MEETING_STEPS,
        audit_prefix="meeting",
        history=MeetingStatusChange,
        history_subject="meeting",
        may=_may_meeting,
    )
)
DECISION_WORKFLOW = register(
    Workflow(
        model=Decision,
        transitions=_DECISION_STEPS,
        audit_prefix="decision",
        history=DecisionStatusChange,
        history_subject="decision",
        may=_may_decision,
    )
)


def meeting_transition(
    *, meeting: Meeting, to: str, actor: Any, note: str = "", **changes: Any
) -> Meeting:
    return kernel.transition(meeting, to=to, actor=actor, note=note, fields=changes, refresh=True)


def decision_transition(
    *, decision: Decision, to: str, actor: Any, note: str = "", **changes: Any
) -> Decision:
    return kernel.transition(decision, to=to, actor=actor, note=note, fields=changes, refresh=True)
