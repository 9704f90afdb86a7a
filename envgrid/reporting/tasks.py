"""The reporting schedule as a periodic task (docs/decisions/0018-task-queue.md): new
periods open their due reports (I3) and unreported grid major adjustments get their draft
upward reports (G5), hourly, once for the whole deployment."""

from __future__ import annotations

import os
from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from envgrid.core.tasks import once_per_period

from .services import dues_generate, major_adjustments_sync

SCHEDULE_SECONDS = int(os.environ.get("ENVGRID_REPORTING_SCHEDULE_SECONDS", "3600"))


@once_per_period("reporting.schedule", SCHEDULE_SECONDS)
def schedule_once() -> Any:
    result = dues_generate()
    return result, major_adjustments_sync()


# A few minutes before the sweep's own minute, so a new month's due reports exist
# before the sweep can find them missing.
@db_periodic_task(crontab(minute="3"))
def periodic_reporting_schedule() -> None:
    schedule_once()
