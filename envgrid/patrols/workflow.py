"""Status table of a patrol, declared for the core workflow kernel: a patrol is open until
it is finished (an interrupted patrol stays open and resumes; nothing voids it)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from envgrid.core import workflow as kernel
from envgrid.core.workflow import Workflow, register, step

from .models import Patrol, PatrolStatus


def _may(patrol: Patrol, actor: Any, t: kernel.Transition) -> bool:
    from .policies import patrol_policy

    return bool(patrol_policy.can_change(actor, patrol))


# Only the patroller finishes the patrol (the page asks `actions_available` for the button).
PATROL_WORKFLOW = register(
    Workflow(
        model=Patrol,
        transitions=(
            step(
                "finish",
                {PatrolStatus.OPEN},
                PatrolStatus.FINISHED,
                gettext_lazy("结束巡查"),
                who="patroller",
            ),
        ),
        audit_prefix="patrol",
        may=_may,
    )
)


def patrol_transition(
    *, patrol: Patrol, action: str, actor: Any, fields: dict[str, Any] | None = None
) -> Patrol:
    return kernel.transition(patrol, action=action, actor=actor, fields=fields)
