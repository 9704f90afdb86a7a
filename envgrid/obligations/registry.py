"""Extension points: workflows and the grid tree plug in here (obligations knows neither).

- Escalation: `register_escalation_resolver(fn)`; fn(obligation) -> Unit | None names who
  an overdue item escalates to (grids registers "owner of the parent grid"). The first
  non-None answer wins; the fallback is the office of the unit's leading group.
- Overdue handlers: `register_overdue_handler(kind_prefix, fn)`; fn(list[Obligation]) runs
  once for items newly marked overdue whose kind starts with the prefix (meetings turn
  overdue decisions into supervision notices this way).
- Sweep hooks: `register_sweep_hook(fn)`; fn(now) runs at the start of every sweep, for
  periodic work that must not wait for a separate cron entry (meetings open the next
  period's task-report obligations this way). Hooks must be idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EscalationResolver = Callable[[Any], Any]
OverdueHandler = Callable[[list[Any]], None]

SweepHook = Callable[[Any], None]

_resolvers: list[EscalationResolver] = []
_handlers: list[tuple[str, OverdueHandler]] = []
_sweep_hooks: list[SweepHook] = []


def register_escalation_resolver(fn: EscalationResolver) -> EscalationResolver:
    if fn not in _resolvers:
        _resolvers.append(fn)
    return fn


def register_overdue_handler(kind_prefix: str, fn: OverdueHandler) -> OverdueHandler:
    if (kind_prefix, fn) not in _handlers:
        _handlers.append((kind_prefix, fn))
    return fn


def escalation_resolvers() -> list[EscalationResolver]:
    return list(_resolvers)


def overdue_handlers() -> list[tuple[str, OverdueHandler]]:
    return list(_handlers)


def register_sweep_hook(fn: SweepHook) -> SweepHook:
    if fn not in _sweep_hooks:
        _sweep_hooks.append(fn)
    return fn


def sweep_hooks() -> list[SweepHook]:
    return list(_sweep_hooks)
