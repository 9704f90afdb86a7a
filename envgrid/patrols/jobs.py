"""The patrol track ingest as a long job (core.jobs): `POST /api/patrols/ingest/` with a
CSV (or .csv.gz) of a day of tracks; progress per stage, all or nothing, and the same
file run again adds nothing (a retried or re-run job is safe)."""

from __future__ import annotations

import tempfile
from typing import Any

from django.utils.translation import gettext as _

from envgrid.core.errors import PermissionDeniedError
from envgrid.core.jobs import Progress, job_create, job_function, job_start
from envgrid.core.models import Job

from .ingest import ingest, read_csv


@job_function
def patrol_ingest(job: Job, progress: Progress) -> dict[str, Any]:
    suffix = ".csv.gz" if job.params.get("gz") else ".csv"
    with tempfile.NamedTemporaryFile(suffix=suffix) as fh:
        fh.write(bytes(job.payload or b""))
        fh.flush()

        def staged(stage: str, done: int, total: int) -> None:
            progress(done, total)

        parsed = read_csv(fh.name, progress=staged)
        result = ingest(parsed, actor=job.created_by, progress=staged)
    return {
        "points": result.points,
        "added": result.added,
        "duplicates": result.duplicates,
        "patrols_created": result.patrols_created,
        "patrols_merged": result.patrols_merged,
        "message": _("%(n)d 个轨迹点，新增 %(a)d，重复跳过 %(d)d")
        % {"n": result.points, "a": result.added, "d": result.duplicates},
    }


def patrol_ingest_job_start(*, actor: Any, data: bytes, filename: str) -> Job:
    """Queue a track ingest (administrators: it writes every staff member's tracks)."""
    if not getattr(actor, "is_superuser", False):
        raise PermissionDeniedError(_("只有系统管理员可以导入巡查轨迹。"))
    job = job_create(
        actor=actor,
        fn=patrol_ingest,
        params={"filename": filename[:255], "gz": filename.lower().endswith(".gz")},
        payload=data,
    )
    job_start(job)
    return job
