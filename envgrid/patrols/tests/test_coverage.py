"""Coverage counts checks and findings per planned window (issue 10 §3)."""

from __future__ import annotations

import datetime as dt

from envgrid.patrols.selectors import coverage, unit_patrol_coverage
from envgrid.patrols.services import check_record, patrol_finish, patrol_start, plan_set

from .conftest import T0

DAY = dt.timedelta(days=1)


def test_coverage_plan_met_missed_and_check_outside_grid(patrol_world):
    w = patrol_world
    user = w.staff.user
    plan_set(actor=w.world.admin, grid=w.a1, staff=[w.staff], every_days={"key": 7})
    # Week 1: both key entities checked; the general one "checked" from grid B1.
    p1 = patrol_start(actor=user, started_at=T0)
    check_record(
        actor=user,
        patrol=p1,
        entity=w.k1,
        result="ok",
        checked_at=T0 + dt.timedelta(hours=1),
        lon=122.205,
        lat=40.665,
    )
    check_record(
        actor=user,
        patrol=p1,
        entity=w.k2,
        result="finding",
        checked_at=T0 + dt.timedelta(hours=2),
        lon=122.215,
        lat=40.665,
    )
    outside = check_record(
        actor=user,
        patrol=p1,
        entity=w.gen,
        result="ok",
        checked_at=T0 + dt.timedelta(hours=3),
        lon=122.23,
        lat=40.665,
    )
    patrol_finish(actor=user, patrol=p1, ended_at=T0 + dt.timedelta(hours=4))
    # Week 2: only k1.
    p2 = patrol_start(actor=user, started_at=T0 + 8 * DAY)
    check_record(
        actor=user,
        patrol=p2,
        entity=w.k1,
        result="finding",
        checked_at=T0 + 8 * DAY + dt.timedelta(hours=1),
    )
    patrol_finish(actor=user, patrol=p2, ended_at=T0 + 8 * DAY + dt.timedelta(hours=2))

    assert outside.outside_grid is True
    [gc] = [g for g in coverage([w.a1], T0, T0 + 14 * DAY) if g.grid == w.a1]
    by = {e.entity.pk: e for e in gc.entities}
    assert (by[w.k1.pk].windows_due, by[w.k1.pk].windows_done, by[w.k1.pk].met) == (2, 2, True)
    assert (by[w.k2.pk].windows_due, by[w.k2.pk].windows_done, by[w.k2.pk].met) == (2, 1, False)
    assert by[w.k2.pk].findings == 1 and by[w.k1.pk].findings == 1
    # General entities: every 14 days by default; the only check was outside → not counted.
    assert (by[w.gen.pk].windows_due, by[w.gen.pk].windows_done) == (1, 0)
    assert by[w.gen.pk].outside == 1 and by[w.gen.pk].checks == 0
    assert gc.met is False and gc.patrols == 2

    units = unit_patrol_coverage(start=T0, end=T0 + 14 * DAY, unit_ids=[w.a1.owner_unit_id])
    u = units[w.a1.owner_unit_id]
    assert (u.entities, u.entities_met, u.due, u.checked, u.findings, u.outside_checks) == (
        3,
        1,
        5,
        3,
        2,
        1,
    )


def test_coverage_follows_plan_frequency(patrol_world):
    w = patrol_world
    user = w.staff.user
    p = patrol_start(actor=user, started_at=T0)
    for e in (w.k1, w.k2):
        check_record(
            actor=user, patrol=p, entity=e, result="ok", checked_at=T0 + dt.timedelta(hours=1)
        )
    # Default: key weekly → 2 windows in 14 days, one done.
    [gc] = coverage([w.a1], T0, T0 + 14 * DAY)
    assert {e.windows_due for e in gc.entities if e.entity.category == "key"} == {2}
    plan_set(actor=w.world.admin, grid=w.a1, staff=[w.staff], every_days={"key": 14})
    [gc] = coverage([w.a1], T0, T0 + 14 * DAY)
    key = [e for e in gc.entities if e.entity.category == "key"]
    assert all(e.met for e in key) and {e.windows_due for e in key} == {1}
