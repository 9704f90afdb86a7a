"""/core/jobs/<id>/: a long job's page (core.jobs), polling its progress; retry and
cancel buttons for its owner. Another user's job is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from . import jobs
from .errors import ApplicationError
from .models import Job

TITLES: dict[str, Any] = {
    "envgrid.grids.jobs.grid_import": _("网格导入"),
    "envgrid.patrols.jobs.patrol_ingest": _("巡查轨迹导入"),
    "envgrid.core.backup_job.backup": _("备份"),
    "envgrid.assessment.tasks.finalise": _("考核结果确定"),
}


def _job(request: HttpRequest, pk: int) -> Job:
    return get_object_or_404(jobs.job_list(user=request.user), pk=pk)


@login_required
def job_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    title = TITLES.get(job.kind, job.kind)
    return render(request, "core/job.html", {"job": job, "title": title})


@login_required
def job_status(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(jobs.job_as_dict(_job(request, pk)))


def _act(request: HttpRequest, pk: int, retry: bool) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405)
    job = _job(request, pk)
    try:
        if retry:
            jobs.job_retry(actor=request.user, job=job)
        else:
            jobs.job_cancel(actor=request.user, job=job)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("core:job", pk=job.pk)


@login_required
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, retry=True)


@login_required
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, retry=False)
