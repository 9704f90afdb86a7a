"""Reads for patrols: scoped lists, the track, and coverage (issue 10 §3).

Coverage counts checks and findings, never distance. For an entity whose category must be
checked every N days, the period is cut into consecutive windows of N days from its start
(a trailing part shorter than N days is not required); the plan is met for the entity when
every window holds at least one counted check. A check made outside the entity's grid is
reported and not counted."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from envgrid.entities.models import EntityStatus, SupervisedEntity
from envgrid.grids.models import Grid

from .models import DEFAULT_EVERY_DAYS, Patrol, PatrolCheck, PatrolPlan
from .policies import can_set_plan, patrol_policy


def patrol_list(*, user: Any, qs: QuerySet | None = None) -> QuerySet:
    return patrol_policy.scope(user, qs).select_related("staff", "grid")


def patrol_get(*, user: Any, pk: Any) -> Patrol:
    return patrol_policy.get_visible(user, pk, Patrol.objects.select_related("staff", "grid"))


@dataclass
class PlanRow:
    """A grid's patrol plan as in force: staff named and days per category (the plan's
    own where set, the default otherwise)."""

    grid: Grid
    plan: PatrolPlan | None
    staff: list[Any]
    every_days: dict[str, int]
    own: dict[str, int]
    can_change: bool


def plan_rows(*, user: Any, grids: Any) -> list[PlanRow]:
    """Plans of the given grids (already scoped by the caller) as the user sees them."""
    grids = list(grids)
    plans = {
        p.grid_id: p
        for p in PatrolPlan.objects.filter(grid__in=grids).prefetch_related("requirements", "staff")
    }
    rows = []
    for g in grids:
        plan = plans.get(g.pk)
        own = {r.category: r.every_days for r in plan.requirements.all()} if plan else {}
        rows.append(
            PlanRow(
                grid=g,
                plan=plan,
                staff=sorted(plan.staff.all(), key=lambda p: (p.name, p.pk)) if plan else [],
                every_days={**DEFAULT_EVERY_DAYS, **own},
                own=own,
                can_change=can_set_plan(user, g),
            )
        )
    return rows


def track_geojson(patrol: Patrol) -> dict[str, Any]:
    pts = list(patrol.points.order_by("t").values_list("t", "lon", "lat"))
    return {
        "type": "Feature",
        "properties": {"times": [p[0].isoformat() for p in pts]},
        "geometry": {"type": "LineString", "coordinates": [[p[1], p[2]] for p in pts]},
    }


@dataclass
class EntityCoverage:
    entity: SupervisedEntity
    every_days: int
    windows_due: int
    windows_done: int
    checks: int
    findings: int
    outside: int

    @property
    def met(self) -> bool:
        return self.windows_done >= self.windows_due


@dataclass
class GridCoverage:
    grid: Grid
    entities: list[EntityCoverage] = field(default_factory=list)
    outside_seconds: int = 0
    patrols: int = 0

    @property
    def met(self) -> bool:
        return all(e.met for e in self.entities)

    @property
    def due(self) -> int:
        return sum(e.windows_due for e in self.entities)

    @property
    def done(self) -> int:
        return sum(e.windows_done for e in self.entities)

    @property
    def checks(self) -> int:
        return sum(e.checks for e in self.entities)

    @property
    def findings(self) -> int:
        return sum(e.findings for e in self.entities)


def _windows(start: dt.datetime, end: dt.datetime, every: int) -> list[dt.datetime]:
    step = dt.timedelta(days=every)
    bounds = []
    t = start
    while t + step <= end:
        bounds.append(t)
        t += step
    return bounds


def coverage(grids: Any, start: dt.datetime, end: dt.datetime) -> list[GridCoverage]:
    """Coverage of the given grids' entities over [start, end)."""
    grids = list(grids)
    plans = {
        p.grid_id: p.every_days()
        for p in PatrolPlan.objects.filter(grid__in=grids).prefetch_related("requirements")
    }
    entities = list(
        SupervisedEntity.objects.filter(grid__in=grids).exclude(status=EntityStatus.CLOSED)
    )
    checks = defaultdict(list)
    for c in PatrolCheck.objects.filter(
        entity__in=entities, checked_at__gte=start, checked_at__lt=end
    ).values("entity_id", "checked_at", "result", "outside_grid"):
        checks[c["entity_id"]].append(c)
    out: dict[int, GridCoverage] = {g.pk: GridCoverage(grid=g) for g in grids}
    for row in Patrol.objects.filter(grid__in=grids, started_at__gte=start, started_at__lt=end):
        out[row.grid_id].patrols += 1
        out[row.grid_id].outside_seconds += row.outside_seconds
    for e in entities:
        every = plans.get(e.grid_id or 0, DEFAULT_EVERY_DAYS).get(
            e.category, DEFAULT_EVERY_DAYS.get(e.category, 14)
        )
        wins = _windows(start, end, every) or [start]
        step = dt.timedelta(days=every)
        mine = checks.get(e.pk, [])
        counted = [c for c in mine if not c["outside_grid"]]
        done = sum(1 for w in wins if any(w <= c["checked_at"] < w + step for c in counted))
        out[e.grid_id].entities.append(  # type: ignore[index]
            EntityCoverage(
                entity=e,
                every_days=every,
                windows_due=len(wins),
                windows_done=done,
                checks=len(counted),
                findings=sum(1 for c in counted if c["result"] == "finding"),
                outside=len(mine) - len(counted),
            )
        )
    return list(out.values())


def coverage_for_user(*, user: Any, start: dt.datetime, end: dt.datetime) -> list[GridCoverage]:
    from envgrid.grids.policies import grid_policy

    grids = grid_policy.scope(user).filter(entities__isnull=False).distinct()
    return coverage(grids, start, end)


@dataclass
class UnitPatrolCoverage:
    unit_id: int
    entities: int
    entities_met: int
    due: int
    checked: int
    findings: int
    outside_checks: int


def unit_patrol_coverage(
    *, start: dt.datetime, end: dt.datetime, unit_ids: Any = None
) -> dict[int, UnitPatrolCoverage]:
    """For the assessment app: per grid owner unit, over [start, end), the checks due
    (windows required, summed over its grids' entities) against those done."""
    grids = Grid.objects.filter(entities__isnull=False, is_active=True).distinct()
    if unit_ids is not None:
        grids = grids.filter(owner_unit_id__in=list(unit_ids))
    result: dict[int, UnitPatrolCoverage] = {}
    for gc in coverage(grids, start, end):
        u = result.setdefault(
            gc.grid.owner_unit_id, UnitPatrolCoverage(gc.grid.owner_unit_id, 0, 0, 0, 0, 0, 0)
        )
        u.entities += len(gc.entities)
        u.entities_met += sum(1 for e in gc.entities if e.met)
        u.due += gc.due
        u.checked += gc.done
        u.findings += gc.findings
        u.outside_checks += sum(e.outside for e in gc.entities)
    return result
