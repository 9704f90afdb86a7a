"""The assessment's per-unit patrol coverage is one grouped query; it must give exactly the
numbers of summing the per-entity windows of `coverage()` (the drill-down's detail), which
was its implementation before (issue 10 §3)."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import Any

import pytest

from envgrid.entities.models import EntityStatus, SupervisedEntity
from envgrid.grids.models import Grid
from envgrid.patrols.models import Patrol, PatrolCheck, PatrolPlan, PlanRequirement
from envgrid.patrols.selectors import (
    UnitPatrolCoverage,
    _unit_patrol_coverage_sql,
    coverage,
    unit_patrol_coverage,
)

from .conftest import T0

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = dt.timedelta(days=1)
CATEGORIES = ["key", "general", "registered", "site", "other"]  # "other": no default → 14


def reference(
    *, start: dt.datetime, end: dt.datetime, unit_ids: Any = None
) -> dict[int, UnitPatrolCoverage]:
    """The former implementation: every entity and check loaded, windows in Python."""
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


def _world(rng: random.Random, w: Any, start: dt.datetime, end: dt.datetime) -> None:
    grids = list(w.grids.values())
    # Several grids of one unit; one grid inactive (its entities are not counted).
    Grid.objects.filter(pk=w.grids["A2"].pk).update(owner_unit=w.a1.owner_unit)
    Grid.objects.filter(pk=w.grids["B2"].pk).update(is_active=False)
    for g in grids:
        if rng.random() < 0.6:  # a plan, overriding some categories (or none)
            plan = PatrolPlan.objects.create(grid=g)
            for cat in rng.sample(CATEGORIES, rng.randint(0, 3)):
                PlanRequirement.objects.create(
                    plan=plan, category=cat, every_days=rng.choice([1, 3, 5, 7, 10, 30, 400])
                )
    span_days = max(1, (end - start).days)
    for g in grids:
        patrol = Patrol.objects.create(staff=w.staff, grid=g, started_at=start)
        for n in range(rng.randint(0, 6)):
            e = SupervisedEntity.objects.create(
                name=f"合成对象{g.code}-{n}",
                lon=122.2,
                lat=40.66,
                grid=g,
                category=rng.choice(CATEGORIES),
                status=rng.choice([*EntityStatus.values, EntityStatus.OPERATING]),
            )
            # Some entities added mid-period (coverage does not depend on it).
            added = start + dt.timedelta(days=rng.randint(0, span_days))
            SupervisedEntity.objects.filter(pk=e.pk).update(created_at=added)
            stamps = [
                start,  # exactly at the start
                start - dt.timedelta(microseconds=1),  # just before: not in the period
                end,  # exactly at the end: not in the period
                end - dt.timedelta(microseconds=1),  # in the trailing part (if any)
            ]
            for _ in range(rng.randint(0, 12)):
                every = rng.choice([1, 3, 5, 7, 10, 14, 30])
                k = rng.randint(0, max(1, span_days // every))
                boundary = start + k * every * DAY
                stamps.append(
                    rng.choice(
                        [
                            boundary,  # exactly at a window boundary
                            boundary - dt.timedelta(microseconds=1),
                            boundary + dt.timedelta(seconds=rng.randint(0, 86_400 * every)),
                            start + dt.timedelta(seconds=rng.uniform(0, span_days * 86_400)),
                        ]
                    )
                )
            for t in rng.sample(stamps, rng.randint(0, len(stamps))):
                PatrolCheck.objects.create(
                    patrol=patrol,
                    entity=e,
                    checked_at=t,
                    result=rng.choice(["ok", "finding", "absent"]),
                    outside_grid=rng.random() < 0.2,  # made outside the grid: not counted
                )


PERIODS = [
    # The assessment year in local time (365 days: a trailing day after the last window).
    (dt.datetime(2025, 1, 1, tzinfo=SHANGHAI), dt.datetime(2026, 1, 1, tzinfo=SHANGHAI)),
    # The running year up to "now" (not a whole number of days).
    (
        dt.datetime(2026, 1, 1, tzinfo=SHANGHAI),
        dt.datetime(2026, 3, 17, 13, 47, 5, 123456, tzinfo=SHANGHAI),
    ),
    # Shorter than every window: one window due, whatever the frequency.
    (T0, T0 + dt.timedelta(hours=20)),
    # Exactly four weeks from a UTC start.
    (T0, T0 + 28 * DAY),
]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("period", range(len(PERIODS)))
def test_unit_patrol_coverage_query_equals_per_entity_windows(patrol_world, seed, period):
    start, end = PERIODS[period]
    rng = random.Random(seed * 100 + period)
    _world(rng, patrol_world, start, end)
    assert PatrolCheck.objects.exists()

    everyone = reference(start=start, end=end)
    assert everyone  # the fixture has units with entities
    assert _unit_patrol_coverage_sql(start=start, end=end, unit_ids=None) == everyone
    assert unit_patrol_coverage(start=start, end=end) == everyone

    units = [*sorted(everyone)[: max(1, len(everyone) // 2)], 999_999]
    assert unit_patrol_coverage(start=start, end=end, unit_ids=units) == reference(
        start=start, end=end, unit_ids=units
    )
    assert unit_patrol_coverage(start=start, end=end, unit_ids=[]) == {}


def test_unit_patrol_coverage_in_a_zone_with_daylight_saving(patrol_world):
    """Windows added in wall-clock time across a change of UTC offset are not whole
    multiples of days in absolute time: the per-entity windows are used there."""
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    start, end = dt.datetime(2026, 3, 1, tzinfo=berlin), dt.datetime(2026, 5, 1, tzinfo=berlin)
    _world(random.Random(5), patrol_world, start, end)
    assert unit_patrol_coverage(start=start, end=end) == reference(start=start, end=end)


def test_unit_patrol_coverage_counts_boundaries_and_trailing_part(patrol_world):
    """Hand-checked: weekly key entity over 15 days → 2 windows; a check exactly at the
    second window's start counts for the second window; the trailing day counts nothing."""
    w = patrol_world
    patrol = Patrol.objects.create(staff=w.staff, grid=w.a1, started_at=T0)
    for t in (T0 + 7 * DAY, T0 + 14 * DAY, T0 + 14 * DAY + dt.timedelta(hours=3)):
        PatrolCheck.objects.create(patrol=patrol, entity=w.k1, checked_at=t, result="ok")
    PatrolCheck.objects.create(
        patrol=patrol, entity=w.k2, checked_at=T0, result="finding", outside_grid=True
    )
    end = T0 + 15 * DAY
    u = unit_patrol_coverage(start=T0, end=end, unit_ids=[w.a1.owner_unit_id])[w.a1.owner_unit_id]
    # k1, k2 weekly (2 windows each), gen fortnightly (1): due 5; only k1's 2nd window done.
    assert (u.entities, u.entities_met, u.due, u.checked, u.findings, u.outside_checks) == (
        3,
        0,
        5,
        1,
        0,
        1,
    )
    assert u == reference(start=T0, end=end, unit_ids=[w.a1.owner_unit_id])[w.a1.owner_unit_id]
