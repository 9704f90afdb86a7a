"""The grid index kept built in the worker (docs/decisions/0018-task-queue.md): imports
and the sweep resolve points through it, so the worker rebuilds it when the grids changed
(GridIndexVersion) before a job needs it. Once per period for the deployment."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from envgrid.core.tasks import once_per_period

from .index import current_index

INDEX_SECONDS = 600


@once_per_period("grids.index_rebuild", INDEX_SECONDS)
def index_rebuild_once() -> int:
    index, _grids, _chains = current_index()
    return int(index.stats().get("grids", 0))


@db_periodic_task(crontab(minute="*/10"))
def periodic_index_rebuild() -> None:
    index_rebuild_once()
