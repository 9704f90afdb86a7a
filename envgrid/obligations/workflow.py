"""Status table of a supervision notice (督办), declared for the core workflow kernel.

Obligations themselves are moved by `obligations.services` (part 2 of issue 15 decides who
owns them); a supervision is a small workflow of its own: open → responded → closed."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from envgrid.core.workflow import Workflow, register, step, transition

from .models import Supervision, SupervisionStatus

__all__ = ["SUPERVISION_WORKFLOW", "transition"]

S = SupervisionStatus
SUPERVISION_WORKFLOW = register(
    Workflow(
        model=Supervision,
        transitions=(
            step("respond", {S.OPEN}, S.RESPONDED, gettext_lazy("回复办理情况")),
            step("close", {S.OPEN, S.RESPONDED}, S.CLOSED, gettext_lazy("办结")),
        ),
        audit_prefix="supervision",
    )
)
