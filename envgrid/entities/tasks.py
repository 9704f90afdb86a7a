"""The entity import as a task on the queue, and its reaper (docs/decisions/0018-task-queue.md).

The consumer takes a task off the queue before running it: a worker killed mid-import
loses the message. The job row keeps the truth instead: the import writes in one
transaction (nothing half-written), the worker beats the job's heartbeat, and the reaper
re-enqueues a job whose heartbeat went stale, or marks it failed after
ENVGRID_JOB_MAX_ATTEMPTS attempts."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services


@db_task()
def entity_import(job_id: int) -> None:
    services.import_job_run(job_id)


@db_task()
def import_jobs_reap() -> tuple[list[int], list[int]]:
    """Run the reaper now (the periodic task below runs it every minute)."""
    result = services.import_jobs_reap()
    return result.requeued, result.failed


# Every minute, in every scheduler: the reaper's conditional UPDATEs already make two
# reapers act on a job once, so it needs no period lease.
@db_periodic_task(crontab(minute="*"))
def periodic_import_jobs_reap() -> None:
    services.import_jobs_reap()
