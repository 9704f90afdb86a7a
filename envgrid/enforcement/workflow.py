"""Status tables of actions and assignments, and the one function per table that moves a
status, writes an append-only history row and an audit event (STYLE rule 4).

The tables are data: a transition that is not listed does not exist. In particular an
assignment has no way to "decline" (E4: 下级网格要服从安排，不得推诿和回避).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.errors import ApplicationError, ConflictError

from .models import (
    ActionStatus,
    ActionStatusChange,
    Assignment,
    AssignmentEvent,
    AssignmentStatus,
    EnforcementAction,
)


@dataclass(frozen=True)
class Transition:
    verb: str
    label: Any
    # Who may take it: "approver" (organiser's leadership or the office), "organiser"
    # (the organising unit), "assignee" (the assigned unit), "system" (a cascade).
    who: str


S = ActionStatus
ACTION_TRANSITIONS: dict[tuple[str, str], Transition] = {
    (S.DRAFT, S.APPROVED): Transition("approve", gettext_lazy("批准方案"), "approver"),
    (S.APPROVED, S.DEPLOYED): Transition("deploy", gettext_lazy("部署"), "organiser"),
    (S.DEPLOYED, S.IN_PROGRESS): Transition("start", gettext_lazy("开始实施"), "organiser"),
    (S.IN_PROGRESS, S.COMPLETED): Transition("complete", gettext_lazy("完成"), "organiser"),
    (S.DRAFT, S.CANCELLED): Transition("cancel", gettext_lazy("撤销"), "organiser"),
    (S.APPROVED, S.CANCELLED): Transition("cancel", gettext_lazy("撤销"), "organiser"),
    (S.DEPLOYED, S.CANCELLED): Transition("cancel", gettext_lazy("撤销"), "organiser"),
    (S.IN_PROGRESS, S.CANCELLED): Transition("cancel", gettext_lazy("撤销"), "organiser"),
}

A = AssignmentStatus
ASSIGNMENT_TRANSITIONS: dict[tuple[str, str], Transition] = {
    (A.PENDING, A.ACKNOWLEDGED): Transition("acknowledge", gettext_lazy("签收"), "assignee"),
    (A.ACKNOWLEDGED, A.COMPLETED): Transition("complete", gettext_lazy("报告完成"), "assignee"),
    # Only when the whole action is cancelled by its organiser.
    (A.PENDING, A.CANCELLED): Transition("cancel", gettext_lazy("撤销"), "system"),
    (A.ACKNOWLEDGED, A.CANCELLED): Transition("cancel", gettext_lazy("撤销"), "system"),
}


def action_allowed(status: str) -> list[tuple[str, Transition]]:
    return [(to, t) for (frm, to), t in ACTION_TRANSITIONS.items() if frm == status]


def _status_label(choices: Any, value: str) -> str:
    return str(dict(choices.choices).get(value, value))


@transaction.atomic
def action_transition(
    *, action: EnforcementAction, to: str, actor: Any, note: str = "", **fields: Any
) -> EnforcementAction:
    """Move `action` to `to` if the table allows it from its current status, setting the
    given fields in the same write. Permission checks are the caller's (services)."""
    locked = EnforcementAction.objects.select_for_update().get(pk=action.pk)
    if locked.status != action.status:
        raise ConflictError(_("行动状态已被他人修改，请刷新后重试。"), code="status_changed")
    transition = ACTION_TRANSITIONS.get((locked.status, to))
    if transition is None:
        raise ApplicationError(
            _("行动当前为“%(frm)s”，不能变为“%(to)s”。")
            % {
                "frm": _status_label(ActionStatus, locked.status),
                "to": _status_label(ActionStatus, to),
            },
            code="transition_not_allowed",
            fields={"status": [locked.status]},
        )
    before = snapshot(locked)
    frm = locked.status
    locked.status = to
    for key, value in fields.items():
        setattr(locked, key, value)
    locked.save()
    user = actor if getattr(actor, "is_authenticated", False) else None
    ActionStatusChange.objects.create(
        action=locked, from_status=frm, to_status=to, at=timezone.now(), actor=user, note=note[:500]
    )
    audit_record(
        actor=actor,
        action=f"enforcement.action.{transition.verb}",
        obj=locked,
        before=before,
        after=snapshot(locked),
    )
    action.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def assignment_transition(
    *, assignment: Assignment, to: str, actor: Any, note: str = "", **fields: Any
) -> Assignment:
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    transition = ASSIGNMENT_TRANSITIONS.get((locked.status, to))
    if transition is None:
        raise ApplicationError(
            _(
                "任务当前为“%(frm)s”，不能变为“%(to)s”。下级网格应服从安排，"
                "任务只能签收并执行，不得推诿、回避或拒绝（E4）。"
            )
            % {
                "frm": _status_label(AssignmentStatus, locked.status),
                "to": _status_label(AssignmentStatus, to),
            },
            code="transition_not_allowed",
            fields={"to": [to]},
        )
    before = snapshot(locked)
    frm = locked.status
    locked.status = to
    for key, value in fields.items():
        setattr(locked, key, value)
    locked.save()
    user = actor if getattr(actor, "is_authenticated", False) else None
    AssignmentEvent.objects.create(
        assignment=locked,
        verb=transition.verb,
        from_status=frm,
        to_status=to,
        actor=user,
        note=note[:500],
    )
    audit_record(
        actor=actor,
        action=f"enforcement.assignment.{transition.verb}",
        obj=locked,
        before=before,
        after=snapshot(locked),
    )
    assignment.__dict__.update(locked.__dict__)
    return locked
