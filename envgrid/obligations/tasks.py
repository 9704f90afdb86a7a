"""The overdue sweep as a periodic task (docs/decisions/0018-task-queue.md): every
ENVGRID_SWEEP_SECONDS (default 300 s), once for the whole deployment. The sweep's hooks
run with it: the meetings' task-report reminders (M6), and every deadline kept as an
obligation (publication deadlines, transfer and assignment acknowledgements, decisions)
is marked overdue and escalated by it."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from envgrid.core.tasks import once_per_period

from .services import sweep

SWEEP_SECONDS = int(os.environ.get("ENVGRID_SWEEP_SECONDS", "300"))


@once_per_period("obligations.sweep", SWEEP_SECONDS)
def sweep_once(*, now: dt.datetime | None = None) -> Any:
    """Run the sweep unless another scheduler already ran it in this period."""
    return sweep(now=now)


@db_periodic_task(crontab(minute=f"*/{max(1, SWEEP_SECONDS // 60)}"))
def periodic_sweep() -> None:
    sweep_once()
