"""Status tables of actions and assignments, and the one function per table that moves a
status, writes an append-only history row and an audit event (STYLE rule 4).

The tables are data: a transition that is not listed does not exist. In particular an
assignment has no way to "decline" (E4: 下级网格要服从安排，不得推诿和回避).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from envgrid.core import workflow as kernel
from envgrid.core.errors import ConflictError
from envgrid.core.workflow import Transition, Workflow, register, step

from .models import (
    ActionStatus,
    ActionStatusChange,
    Assignment,
    AssignmentEvent,
    AssignmentStatus,
    EnforcementAction,
    Finding,
    FindingStatus,
)

# Who may take a step (the services check it with their own messages; the kernel checks it
# again and the pages ask it for their buttons): "approver" (the organiser's leadership or
# the office, E3), "organiser" (the organising unit), "inspector" (the organiser or a
# participating unit: the first inspection starts the action), "closer" (organiser or
# approver), "assignee" (the assigned unit). Cascades have no `who` (kernel.SYSTEM).
S = ActionStatus
_ACTION_STEPS = (
    step("approve", {S.DRAFT}, S.APPROVED, gettext_lazy("批准方案"), who="approver"),
    step("deploy", {S.APPROVED}, S.DEPLOYED, gettext_lazy("部署"), who="organiser"),
    step("start", {S.DEPLOYED}, S.IN_PROGRESS, gettext_lazy("开始实施"), who="inspector"),
    step("complete", {S.IN_PROGRESS}, S.COMPLETED, gettext_lazy("完成"), who="organiser"),
    step(
        "cancel",
        {S.DRAFT, S.APPROVED, S.DEPLOYED, S.IN_PROGRESS},
        S.CANCELLED,
        gettext_lazy("撤销"),
        who="closer",
    ),
)
# (from, to) → step, as the services and tests look moves up.
ACTION_TRANSITIONS: dict[tuple[str, str], Transition] = {
    (frm, t.target): t for t in _ACTION_STEPS for frm in sorted(t.sources)
}

A = AssignmentStatus
_ASSIGNMENT_STEPS = (
    step("acknowledge", {A.PENDING}, A.ACKNOWLEDGED, gettext_lazy("签收"), who="assignee"),
    step("complete", {A.ACKNOWLEDGED}, A.COMPLETED, gettext_lazy("报告完成"), who="assignee"),
    # Only when the whole action is cancelled by its organiser.
    step("cancel", {A.PENDING, A.ACKNOWLEDGED}, A.CANCELLED, gettext_lazy("撤销")),
)
ASSIGNMENT_TRANSITIONS: dict[tuple[str, str], Transition] = {
    (frm, t.target): t for t in _ASSIGNMENT_STEPS for frm in sorted(t.sources)
}


def _may_action(action: EnforcementAction, actor: Any, t: Transition) -> bool:
    from .policies import action_policy

    p = action_policy
    if t.who == "approver":
        return bool(p.can_approve(actor, action))
    if t.who == "inspector":
        return bool(p.can_inspect(actor, action) or p.can_change(actor, action))
    if t.who == "closer":
        return bool(p.is_organiser(actor, action) or p.can_approve(actor, action))
    return bool(p.is_organiser(actor, action) or p.can_change(actor, action))


def _may_assignment(assignment: Assignment, actor: Any, t: Transition) -> bool:
    from .policies import action_policy

    return bool(action_policy.can_act_on_assignment(actor, assignment))


ACTION_WORKFLOW = register(
    Workflow(
        model=EnforcementAction,
        transitions=_ACTION_STEPS,
        audit_prefix="enforcement.action",
        history=ActionStatusChange,
        history_subject="action",
        history_action=False,
        may=_may_action,
    )
)
ASSIGNMENT_WORKFLOW = register(
    Workflow(
        model=Assignment,
        transitions=_ASSIGNMENT_STEPS,
        audit_prefix="enforcement.assignment",
        history=AssignmentEvent,
        history_subject="assignment",
        may=_may_assignment,
    )
)

# A finding becomes a case once (E3); its status says so.
FINDING_WORKFLOW = register(
    Workflow(
        model=Finding,
        transitions=(
            step(
                "to_case",
                {FindingStatus.OPEN},
                FindingStatus.CASE_CREATED,
                gettext_lazy("登记为案件"),
            ),
        ),
        audit_prefix="enforcement.finding",
    )
)


def action_allowed(status: str) -> list[tuple[str, Transition]]:
    return [(t.target, t) for t in ACTION_WORKFLOW.allowed_from(status)]


def action_transition(
    *, action: EnforcementAction, to: str, actor: Any, note: str = "", **fields: Any
) -> EnforcementAction:
    """Move `action` to `to` if the table allows it from its current status, setting the
    given fields in the same write. Permission checks are the caller's (services)."""
    if action.pk:
        stored = EnforcementAction.objects.values_list("status", flat=True).get(pk=action.pk)
        if stored != action.status:
            raise ConflictError(_("行动状态已被他人修改，请刷新后重试。"), code="status_changed")
    return kernel.transition(action, to=to, actor=actor, note=note, fields=fields, refresh=True)


def assignment_transition(
    *, assignment: Assignment, to: str, actor: Any, note: str = "", **fields: Any
) -> Assignment:
    try:
        return kernel.transition(
            assignment,
            to=to,
            actor=actor,
            note=note,
            fields=fields,
            refresh=True,
        )
    except ConflictError as exc:
        if exc.code != kernel.NOT_ALLOWED:
            raise
        # E4: the table has no way to decline an assignment; say so in the refusal.
        exc.message = str(
            _(
                "任务当前为“%(frm)s”，不能变为“%(to)s”。下级网格应服从安排，"
                "任务只能签收并执行，不得推诿、回避或拒绝（E4）。"
            )
            % {
                "frm": ASSIGNMENT_WORKFLOW.label_of(assignment.status),
                "to": ASSIGNMENT_WORKFLOW.label_of(to),
            }
        )
        raise


def finding_transition(
    *, finding: Finding, action: str, actor: Any, fields: dict[str, Any] | None = None
) -> Finding:
    return kernel.transition(finding, action=action, actor=actor, fields=fields)
