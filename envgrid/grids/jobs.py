"""The grid import as a long job (core.jobs): started from the import page or
`POST /api/grids/import/?background=1`, progress per grid, all or nothing."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from envgrid.core.jobs import Progress, job_function
from envgrid.core.models import Job

from .services import grid_import_geojson


@job_function
def grid_import(job: Job, progress: Progress) -> dict[str, Any]:
    p = job.params
    result = grid_import_geojson(
        actor=job.created_by,
        data=bytes(job.payload or b""),
        major=bool(p.get("major")),
        summary=str(p.get("summary", "")),
        crs=p.get("crs") or None,
        progress=progress,
    )
    return {
        "crs": result.crs,
        "created": [g.code for g in result.created],
        "updated": [g.code for g in result.updated],
        "unchanged": [g.code for g in result.unchanged],
        "message": _("导入完成：新增 %(c)d 个，更新 %(u)d 个，未变 %(n)d 个。")
        % {"c": len(result.created), "u": len(result.updated), "n": len(result.unchanged)},
    }


def grid_import_job_start(
    *, actor: Any, data: bytes, major: bool, summary: str, crs: str | None
) -> Job:
    """Queue a grid import (its owner may follow, retry or cancel it on /core/jobs/<id>/)."""
    from envgrid.core.errors import PermissionDeniedError
    from envgrid.core.jobs import job_create, job_start
    from envgrid.core.safeparse import check_upload_size

    from .policies import grid_policy
    from .services import _require_major_summary

    if not grid_policy.can_import(actor):
        raise PermissionDeniedError(_("只有领导小组办公室或系统管理员可以导入网格。"))
    _require_major_summary(major, summary)
    check_upload_size(data)
    job = job_create(
        actor=actor,
        fn=grid_import,
        params={"major": major, "summary": summary, "crs": crs or ""},
        payload=data,
    )
    job_start(job)
    return job
