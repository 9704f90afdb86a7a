"""Periodic jobs run once per period for the whole deployment (issue 18 part 1): every
consumer's scheduler fires them, and `core.tasks.once_per_period` lets one run per period
(the PeriodLease insert wins). Two schedulers firing the same minute — two threads with
their own database connections on PostgreSQL — give one sweep; the next period sweeps
again."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY

from envgrid.core.models import PeriodLease
from envgrid.core.tasks import lease_take, period_key
from envgrid.obligations import tasks as obligation_tasks

UTC = dt.UTC
AT = dt.datetime(2026, 12, 7, 2, 0, 10, tzinfo=UTC)  # minute 0: every */5 job is due


def _counting_sweep() -> tuple[list[dt.datetime], Any]:
    calls: list[dt.datetime] = []
    real = obligation_tasks.sweep
    lock = threading.Lock()

    def counted(**kw: Any) -> Any:
        with lock:
            calls.append(kw.get("now") or AT)
        return real(**kw)

    return calls, counted


def _names(tasks: Any) -> set[str]:
    return {f"{type(t).__module__}.{t.name}" for t in tasks}


def _scheduler_tick(at: dt.datetime) -> list[str]:
    """What one consumer's scheduler does at `at`: run every periodic task that is due."""
    due = HUEY.read_periodic(at.replace(tzinfo=None))
    for task in due:
        HUEY.execute(task)
    return sorted(_names(due))


def test_period_key_floors_to_the_period():
    assert period_key(300, AT) == "2026-12-07T02:00:00"
    assert period_key(300, AT + dt.timedelta(minutes=4, seconds=49)) == "2026-12-07T02:00:00"
    assert period_key(300, AT + dt.timedelta(minutes=5)) == "2026-12-07T02:05:00"
    assert period_key(3600, AT + dt.timedelta(minutes=59)) == "2026-12-07T02:00:00"


@pytest.mark.django_db
def test_the_first_lease_of_a_period_wins_and_the_next_period_is_free():
    assert lease_take("x", 300, AT) is True
    assert lease_take("x", 300, AT + dt.timedelta(seconds=100)) is False
    assert lease_take("y", 300, AT) is True  # another job's lease is its own
    assert lease_take("x", 300, AT + dt.timedelta(seconds=300)) is True
    assert PeriodLease.objects.filter(name="x").count() == 2


@pytest.mark.django_db
def test_every_periodic_job_is_on_the_schedule():
    autodiscover_modules("tasks")  # what `manage.py run_huey` does at start
    with time_machine.travel(AT, tick=False):
        names = _names(HUEY.read_periodic(AT.replace(tzinfo=None)))
    assert {
        "envgrid.obligations.tasks.periodic_sweep",
        "envgrid.grids.tasks.periodic_index_rebuild",
        "envgrid.entities.tasks.periodic_import_jobs_reap",
    } <= names
    hourly = _names(HUEY.read_periodic(AT.replace(minute=3, tzinfo=None)))
    assert "envgrid.reporting.tasks.periodic_reporting_schedule" in hourly


@pytest.mark.django_db
def test_two_schedulers_in_turn_sweep_once_per_period():
    calls, counted = _counting_sweep()
    with mock.patch.object(obligation_tasks, "sweep", counted):
        for minute in (0, 5):
            at = AT + dt.timedelta(minutes=minute)
            with time_machine.travel(at, tick=False):
                _scheduler_tick(at)  # scheduler on host 1
                _scheduler_tick(at)  # scheduler on host 2, the same minute
    assert len(calls) == 2  # one sweep per period, not one per scheduler
    assert list(
        PeriodLease.objects.filter(name="obligations.sweep")
        .order_by("period_key")
        .values_list("period_key", flat=True)
    ) == ["2026-12-07T02:00:00", "2026-12-07T02:05:00"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_schedulers_sweep_once_per_period():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent connections: PostgreSQL")
    calls, counted = _counting_sweep()
    errors: list[BaseException] = []
    for minute in (0, 5, 10):
        at = AT + dt.timedelta(minutes=minute)
        start = threading.Barrier(2)

        def scheduler(at: dt.datetime = at, start: threading.Barrier = start) -> None:
            try:
                start.wait(10)
                _scheduler_tick(at)
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                connection.close()

        with mock.patch.object(obligation_tasks, "sweep", counted):
            with time_machine.travel(at, tick=False):
                threads = [threading.Thread(target=scheduler) for _ in range(2)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(60)
    assert errors == []
    assert len(calls) == 3  # three periods, two schedulers: three sweeps
    assert PeriodLease.objects.filter(name="obligations.sweep").count() == 3
