"""Periodic jobs run once for the whole deployment (docs/decisions/0018-task-queue.md).

Huey's scheduler fires periodic tasks in every consumer that runs one; several hosts may
each run a consumer with its scheduler. `once_per_period(name, period)` takes a lease in
the database for the current period: the first INSERT of (name, period_key) wins, every
other scheduler's insert hits the unique constraint and skips the period."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import socket
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .models import PeriodLease

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def period_key(period: int, now: dt.datetime | None = None) -> str:
    """The period `now` falls in, for a period of `period` seconds counted from the epoch
    (UTC), e.g. '2026-12-06T02:30:00' for a 300 s period."""
    now = now or timezone.now()
    epoch = int(now.timestamp())
    start = dt.datetime.fromtimestamp(epoch - epoch % period, tz=dt.UTC)
    return start.strftime("%Y-%m-%dT%H:%M:%S")


def lease_take(name: str, period: int, now: dt.datetime | None = None) -> bool:
    """True for the one caller that takes (name, this period); False for every other."""
    key = period_key(period, now)
    holder = f"{socket.gethostname()}:{os.getpid()}"[:200]
    try:
        with transaction.atomic():
            PeriodLease.objects.create(name=name, period_key=key, holder=holder)
    except IntegrityError:
        log.info("periodic %s for %s: already run by another scheduler", name, key)
        return False
    return True


def once_per_period(name: str, period: int) -> Callable[[F], F]:
    """Decorate a periodic job so it runs at most once per `period` seconds across every
    scheduler of the deployment; the other calls return None without running it."""

    def decorator(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if not lease_take(name, period, kwargs.get("now")):
                return None
            return fn(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return decorator


# Long jobs (core.jobs): defined here so Huey's autodiscovery registers them.


@db_task()
def job_run(job_id: int) -> None:
    from . import jobs

    jobs.job_run(job_id)


# Every minute in every scheduler: the reaper's conditional UPDATEs act on a job once.
@db_periodic_task(crontab(minute="*"))
def periodic_jobs_reap() -> None:
    from . import jobs

    jobs.jobs_reap()
