"""Long jobs as tasks, one mechanism for all (docs/decisions/0018-task-queue.md).

An app marks a function `@job_function` and starts it with `job_create(...)` +
`job_start(job)`: the function runs on a worker (`core.tasks.job_run`) as
`fn(job, progress) -> dict`, calling `progress(done, total)` as it goes. The job row keeps
the truth: a heartbeat (a thread with its own connection, so progress shows even while the
function's transaction is open), the attempts, the result or the error. The reaper
re-enqueues a job whose heartbeat went stale (worker killed), or fails it after
`core.job_max_attempts`; the owner (or an administrator) can retry a failed job and cancel
a queued or running one: the running attempt raises `JobCancelled` at its next
`progress()` call, and its transaction rolls back. The functions write all or nothing
(one transaction), so a killed or cancelled attempt leaves nothing half-written."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from . import rules
from .audit import audit_record
from .errors import ApplicationError, ConflictError, PermissionDeniedError
from .models import Job, JobStatus

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
JobFunction = Callable[[Job, Progress], dict[str, Any]]

_LIVE = (JobStatus.PENDING, JobStatus.RUNNING)


class JobCancelled(Exception):
    """Raised inside a running job when its owner cancelled it (or a reaper handed it to
    another attempt): the job's transaction rolls back."""


def job_function(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Mark a module-level function as runnable as a job (its dotted path is the kind)."""
    fn._envgrid_job = True  # type: ignore[attr-defined]
    return fn


def _function(kind: str) -> JobFunction:
    if not kind.startswith("envgrid."):
        raise ValueError(f"not a job function: {kind}")
    fn = import_string(kind)
    if not getattr(fn, "_envgrid_job", False):
        raise ValueError(f"not a job function: {kind}")
    return fn


def kind_of(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__name__}"


def job_create(
    *,
    actor: Any,
    fn: Callable[..., Any],
    params: dict[str, Any] | None = None,
    payload: bytes | None = None,
) -> Job:
    kind = kind_of(fn)
    _function(kind)
    job = Job.objects.create(
        kind=kind,
        params=params or {},
        payload=payload,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        heartbeat_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="job.create",
        obj=job,
        after={"kind": kind, "params": job.params, "bytes": len(payload or b"")},
    )
    return job


def _immediate() -> bool:
    return bool(settings.ENVGRID_TASKS_IMMEDIATE)


def _enqueue(job_id: int) -> None:
    from .tasks import job_run as task

    task(job_id)


def job_start(job: Job) -> None:
    """Hand the job to the queue once the request commits, or run it now when
    ENVGRID_TASKS_IMMEDIATE is set (tests, single-process tools)."""
    if _immediate():
        job_run(job.pk)
        return
    transaction.on_commit(functools.partial(_enqueue, job.pk))


def _claim(job_id: int) -> tuple[Job, int] | None:
    now = timezone.now()
    stale = now - dt.timedelta(seconds=rules.get("core.job_stale_seconds"))
    with transaction.atomic():
        job = Job.objects.select_for_update(of=("self",)).filter(pk=job_id).first()
        if job is None or job.finished:
            return None
        if job.status == JobStatus.RUNNING and job.heartbeat_at and job.heartbeat_at >= stale:
            return None
        attempt = job.attempts + 1
        Job.objects.filter(pk=job.pk).update(
            attempts=attempt,
            status=JobStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            progress_done=0,
            message="",
        )
    job.refresh_from_db()
    return job, attempt


class _Beat:
    """The worker's heartbeat and progress, written from a thread with its own database
    connection; it also notices a cancel (the job no longer running for this attempt)."""

    def __init__(self, job_id: int, attempt: int) -> None:
        self.job_id, self.attempt = job_id, attempt
        self.done = self.total = 0
        self.lost = threading.Event()
        self._stop = threading.Event()
        self.interval = max(0.5, rules.get("core.job_stale_seconds") / 5)
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"job-{job_id}")

    def __enter__(self) -> _Beat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    if not Job.objects.filter(
                        pk=self.job_id, attempts=self.attempt, status=JobStatus.RUNNING
                    ).update(
                        heartbeat_at=timezone.now(),
                        progress_done=self.done,
                        progress_total=self.total,
                    ):
                        self.lost.set()
                except Exception:  # SQLite locked by the job's write: beat next time
                    log.debug("heartbeat of job %s skipped", self.job_id, exc_info=True)
        finally:
            connection.close()


def job_run(job_id: int) -> Job | None:
    """One attempt at a job (what the task runs). None when the job is not this
    attempt's to run (finished, cancelled, or alive in another worker)."""
    claimed = _claim(job_id)
    if claimed is None:
        return None
    job, attempt = claimed
    fn = _function(job.kind)
    mine = Job.objects.filter(pk=job.pk, attempts=attempt, status=JobStatus.RUNNING)
    beat: _Beat | None = None

    seen = {"done": 0, "total": 0}

    def progress(done: int, total: int) -> None:
        seen.update(done=done, total=total)
        if beat is not None:
            beat.done, beat.total = done, total
            if beat.lost.is_set():
                raise JobCancelled
            return
        # Inline (tests, tools): a read, not a write, so the function's transaction takes
        # no lock on the job row and a cancel committed by another connection is seen.
        if not mine.exists():
            raise JobCancelled

    def attempt_once() -> None:
        # The function's writes and "done" commit together, and only while the job is
        # still this attempt's: a cancel that lands at the last moment rolls it all back.
        with transaction.atomic():
            result = fn(job, progress) or {}
            if not mine.select_for_update().exists():
                raise JobCancelled
            done = {"progress_done": seen["done"], "progress_total": seen["total"]}
            mine.update(
                status=JobStatus.DONE,
                result=result,
                message=str(result.get("message", ""))[:1000],
                finished_at=timezone.now(),
                heartbeat_at=timezone.now(),
                **done,
            )

    fields: dict[str, Any]
    try:
        if _immediate():
            attempt_once()
        else:
            with _Beat(job.pk, attempt) as beat:
                attempt_once()
        job.refresh_from_db()
        return job
    except JobCancelled:
        log.warning("job %s attempt %s cancelled or superseded; rolled back", job.pk, attempt)
        job.refresh_from_db()
        return job
    except ApplicationError as exc:
        fields = {
            "status": JobStatus.FAILED,
            "message": str(exc.message)[:1000],
            "result": {"code": exc.code, "fields": exc.fields},
        }
    except Exception as exc:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        fields = {
            "status": JobStatus.FAILED,
            "message": _("处理失败：%s") % exc.__class__.__name__,
        }
    mine.update(finished_at=timezone.now(), heartbeat_at=timezone.now(), **fields)
    job.refresh_from_db()
    return job


@dataclass
class ReapResult:
    requeued: list[int]
    failed: list[int]


def jobs_reap(*, now: dt.datetime | None = None) -> ReapResult:
    """Jobs whose worker died (queued or running, heartbeat older than
    core.job_stale_seconds): enqueue each again while it has attempts left, else fail it.
    One conditional UPDATE takes each job, so two reapers never both act on it."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=rules.get("core.job_stale_seconds"))
    result = ReapResult(requeued=[], failed=[])
    stale = Job.objects.filter(status__in=_LIVE, heartbeat_at__lt=cutoff)
    for pk, attempts, status in stale.values_list("pk", "attempts", "status"):
        this = Job.objects.filter(pk=pk, status=status, heartbeat_at__lt=cutoff)
        if attempts >= rules.get("core.job_max_attempts"):
            message = _("工作进程中断，已尝试 %(n)d 次，未写入任何数据") % {"n": attempts}
            if this.update(status=JobStatus.FAILED, message=message, finished_at=now):
                audit_record(
                    actor=None,
                    action="job.failed",
                    object_type=Job._meta.label_lower,
                    object_id=pk,
                    before={"status": status, "attempts": attempts},
                    after={"status": JobStatus.FAILED},
                )
                result.failed.append(pk)
        elif this.update(status=JobStatus.PENDING, heartbeat_at=now):
            audit_record(
                actor=None,
                action="job.requeue",
                object_type=Job._meta.label_lower,
                object_id=pk,
                before={"status": status, "attempts": attempts},
                after={"status": JobStatus.PENDING},
            )
            result.requeued.append(pk)
            if _immediate():
                job_run(pk)
            else:
                transaction.on_commit(functools.partial(_enqueue, pk))
    return result


def _check_owner(actor: Any, job: Job, what: str) -> None:
    if not (
        job.created_by_id == getattr(actor, "pk", None) or getattr(actor, "is_superuser", False)
    ):
        raise PermissionDeniedError(_("只有任务发起人可以%s该任务。") % what)


def job_retry(*, actor: Any, job: Job) -> Job:
    """The owner (or an administrator) runs a failed or cancelled job again."""
    _check_owner(actor, job, _("重试"))
    with transaction.atomic():
        before = job.status
        if before not in (JobStatus.FAILED, JobStatus.CANCELLED) or not Job.objects.filter(
            pk=job.pk, status=before
        ).update(
            status=JobStatus.PENDING,
            attempts=0,
            message="",
            result={},
            finished_at=None,
            progress_done=0,
            heartbeat_at=timezone.now(),
        ):
            raise ConflictError(
                _("只有处理失败或已取消的任务可以重试（当前：%s）。") % job.get_status_display(),
                code="job_not_failed",
            )
        audit_record(
            actor=actor,
            action="job.retry",
            obj=job,
            before={"status": before, "attempts": job.attempts},
            after={"status": JobStatus.PENDING},
        )
        job.refresh_from_db()
        job_start(job)
    job.refresh_from_db()
    return job


def job_cancel(*, actor: Any, job: Job) -> Job:
    """The owner (or an administrator) cancels a queued or running job; a running attempt
    stops at its next progress report (or heartbeat) and rolls back."""
    _check_owner(actor, job, _("取消"))
    # The cancel commits before it is audited: a running attempt holds the audit chain
    # (its own writes are audited) until it sees the cancel and rolls back, and the audit
    # record below then takes the chain. Within one request, so the answer comes after
    # the rollback.
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.status not in _LIVE:
            raise ConflictError(
                _("只有排队中或进行中的任务可以取消（当前：%s）。") % locked.get_status_display(),
                code="job_not_cancellable",
            )
        Job.objects.filter(pk=job.pk, status=locked.status).update(
            status=JobStatus.CANCELLED,
            message=_("已取消，未写入任何数据"),
            finished_at=timezone.now(),
        )
    audit_record(
        actor=actor,
        action="job.cancel",
        obj=job,
        before={"status": locked.status, "attempts": locked.attempts},
        after={"status": JobStatus.CANCELLED},
    )
    job.refresh_from_db()
    return job


def job_list(*, user: Any) -> Any:
    """The caller's jobs (administrators: all), without the uploaded content."""
    qs = Job.objects.defer("payload")
    if getattr(user, "is_superuser", False):
        return qs
    return qs.filter(created_by_id=getattr(user, "pk", None))


def job_as_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "status_label": job.get_status_display(),
        "done": job.progress_done,
        "total": job.progress_total,
        "percent": job.percent,
        "attempts": job.attempts,
        "finished": job.finished,
        "message": job.message,
        "result": job.result,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }
