"""Status table of a patrol, declared for the core workflow kernel: a patrol is open until
it is finished (an interrupted patrol stays open and resumes; nothing voids it)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from envgrid.core import workflow as kernel
from envgrid.core.workflow import Workflow, register, step

from .models import Patrol, PatrolStatus

PATROL_WORKFLOW = register(
    Workflow(
        model=Patrol,
        transitions=(
            step("finish", {PatrolStatus.OPEN}, PatrolStatus.FINISHED, gettext_lazy("结束巡查")),
        ),
        audit_prefix="patrol",
    )
)


def patrol_transition(
    *, patrol: Patrol, action: str, actor: Any, fields: dict[str, Any] | None = None
) -> Patrol:
    return kernel.transition(patrol, action=action, actor=actor, fields=fields)
