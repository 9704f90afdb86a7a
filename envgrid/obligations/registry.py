"""Extension points: workflows and the grid tree plug in here (obligations knows neither).

- Escalation: `register_escalation_resolver_many(fn)`; fn(list[Obligation]) ->
  {obligation id: Unit | None} names who each overdue item of a sweep batch escalates to,
  in a few queries for the whole batch (grids registers "owner of the parent grid" this
  way). `register_escalation_resolver(fn)` takes the one-item form fn(obligation) ->
  Unit | None and adapts it (one call per item, for resolvers that answer only a rare
  kind without a query). Resolvers are asked in registration order, each about the items
  still without an answer; the first non-None answer other than the item's own unit wins;
  the fallback is the office of the unit's leading group.
- Overdue handlers: `register_overdue_handler(kind_prefix, fn)`; fn(list[Obligation]) runs
  once for items newly marked overdue whose kind starts with the prefix (meetings turn
  overdue decisions into supervision notices this way).
- Workflow-owned kinds: `register_workflow_kind(prefix, instead=…)`; obligations of that
  kind (or a dotted child) are closed, paused and extended only by the workflow's own
  service; the hand actions refuse them with a 409 naming `instead` (issue 15, part 2).
- Sweep hooks: `register_sweep_hook(fn)`; fn(now) runs at the start of every sweep, for
  periodic work that must not wait for a separate cron entry (meetings open the next
  period's task-report obligations this way). Hooks must be idempotent.
- Due-moved handlers: `register_due_moved_handler(kind_prefix, fn)`; fn(obligation) runs
  when the calendar recompute (an administrator entering or correcting a year) moves the
  due time of an obligation whose kind starts with the prefix, so a workflow that keeps a
  copy of the due time (an assignment's 签收截止, a due report's 截止时间) follows it.
- Provisional-fallback kinds: `register_provisional_kind(kind_prefix)`; an obligation of
  that kind whose working-day deadline runs into a year the calendar does not know is
  opened (and recomputed) with that year's weekdays, flagged provisional (暂定) with the
  year, instead of being refused; entering the official year recomputes it like any
  provisional deadline. For deadlines owed because of an event that must not fail for a
  missing calendar year (the I4 grid-adjustment report and publication).
- Rule texts: `register_rule_text(kind_prefix, fn)`; fn(obligation) -> str | None gives
  the sentence a person reads for the deadline ("次年1月14日前") when the workflow knows
  better than the generic "<起算事件>后 N 个工作日内" (labels.rule_text); no query.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

EscalationResolver = Callable[[Any], Any]
EscalationResolverMany = Callable[[list[Any]], Mapping[int, Any]]
OverdueHandler = Callable[[list[Any]], None]

SweepHook = Callable[[Any], None]

_resolvers: list[EscalationResolverMany] = []
_adapted: dict[EscalationResolver, EscalationResolverMany] = {}
_handlers: list[tuple[str, OverdueHandler]] = []
_sweep_hooks: list[SweepHook] = []


def _one_by_one(fn: EscalationResolver) -> EscalationResolverMany:
    """The batch form of a one-item resolver: an item it fails on has no answer from it
    (logged), the rest of the batch still has theirs."""

    def many(obligations: list[Any]) -> dict[int, Any]:
        answers: dict[int, Any] = {}
        for ob in obligations:
            try:
                answers[ob.pk] = fn(ob)
            except Exception:  # a broken resolver must not stop the sweep
                log.exception("escalation resolver failed for obligation %s", ob.pk)
        return answers

    many.__qualname__ = many.__name__ = f"one_by_one({getattr(fn, '__qualname__', fn)!s})"
    return many


def register_escalation_resolver(fn: EscalationResolver) -> EscalationResolver:
    if fn not in _adapted:
        _adapted[fn] = _one_by_one(fn)
        _resolvers.append(_adapted[fn])
    return fn


def register_escalation_resolver_many(fn: EscalationResolverMany) -> EscalationResolverMany:
    if fn not in _resolvers:
        _resolvers.append(fn)
    return fn


def register_overdue_handler(kind_prefix: str, fn: OverdueHandler) -> OverdueHandler:
    if (kind_prefix, fn) not in _handlers:
        _handlers.append((kind_prefix, fn))
    return fn


def escalation_resolvers() -> list[EscalationResolverMany]:
    """Every resolver in its batch form, in registration order."""
    return list(_resolvers)


def overdue_handlers() -> list[tuple[str, OverdueHandler]]:
    return list(_handlers)


def register_sweep_hook(fn: SweepHook) -> SweepHook:
    if fn not in _sweep_hooks:
        _sweep_hooks.append(fn)
    return fn


def sweep_hooks() -> list[SweepHook]:
    return list(_sweep_hooks)


DueMovedHandler = Callable[[Any], None]
_due_moved: list[tuple[str, DueMovedHandler]] = []


def register_due_moved_handler(kind_prefix: str, fn: DueMovedHandler) -> DueMovedHandler:
    if (kind_prefix, fn) not in _due_moved:
        _due_moved.append((kind_prefix, fn))
    return fn


def due_moved_handlers() -> list[tuple[str, DueMovedHandler]]:
    return list(_due_moved)


_provisional_kinds: set[str] = set()


def register_provisional_kind(kind_prefix: str) -> str:
    _provisional_kinds.add(kind_prefix)
    return kind_prefix


def allows_provisional_fallback(kind: str) -> bool:
    """Whether `kind` (or a dotted parent of it) was registered with register_provisional_kind."""
    return any(kind == p or kind.startswith(p + ".") for p in _provisional_kinds)


# ---- workflow-owned kinds -----------------------------------------------------------------
#
# An obligation a workflow opened is discharged by that workflow's own step (sending the
# transfer, feeding back, signing off the assignment …): marking it done by hand would leave
# the workflow object pending while the sweep stops chasing it and the assessment counts it
# as done on time. Each workflow registers the kinds it owns, with the action a person must
# take instead; envgrid.obligations.actions refuses hand completion, pause and extension of
# them. Only free-standing obligations (no registered prefix) are completed by hand.


@dataclass(frozen=True)
class WorkflowKind:
    prefix: str
    # What to do instead, shown in the 409 and on the page, e.g. "请在移送页面提交反馈".
    instead: Any
    app: str = ""


_workflow_kinds: dict[str, WorkflowKind] = {}


def register_workflow_kind(prefix: str, *, instead: Any, app: str = "") -> WorkflowKind:
    """Declare that obligations of kind `prefix` (or any dotted child, `prefix.…`) are owned
    by a workflow. `instead` names the action to take (a lazy translated string)."""
    owner = WorkflowKind(prefix=prefix, instead=instead, app=app)
    _workflow_kinds[prefix] = owner
    return owner


def workflow_owner(kind: str) -> WorkflowKind | None:
    """The registration that owns `kind`: the longest registered prefix that is the kind
    itself or a dotted parent of it; None for a free-standing obligation."""
    parts = kind.split(".")
    for n in range(len(parts), 0, -1):
        found = _workflow_kinds.get(".".join(parts[:n]))
        if found is not None:
            return found
    return None


def workflow_kinds() -> list[WorkflowKind]:
    return sorted(_workflow_kinds.values(), key=lambda w: w.prefix)


RuleText = Callable[[Any], Any]
_rule_texts: list[tuple[str, RuleText]] = []


def register_rule_text(kind_prefix: str, fn: RuleText) -> RuleText:
    if (kind_prefix, fn) not in _rule_texts:
        _rule_texts.append((kind_prefix, fn))
    return fn


def rule_text_for(ob: Any) -> str | None:
    for prefix, fn in _rule_texts:
        if ob.kind == prefix or ob.kind.startswith(prefix + "."):
            text = fn(ob)
            if text:
                return str(text)
    return None
