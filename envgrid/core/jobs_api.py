"""/api/jobs/…: the caller's long jobs (core.jobs): progress, retry, cancel. Another
user's job answers 404, as if it did not exist."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from envgrid.core.serializer_fields import StrictBooleanField, StrictCharField, StrictIntegerField

from . import jobs
from .models import Job

_JOB_FIELDS: dict[str, serializers.Field] = {
    "id": StrictIntegerField(),
    "kind": StrictCharField(),
    "status": StrictCharField(),
    "status_label": StrictCharField(),
    "done": StrictIntegerField(),
    "total": StrictIntegerField(),
    "percent": StrictIntegerField(),
    "attempts": StrictIntegerField(),
    "finished": StrictBooleanField(),
    "message": StrictCharField(),
    "result": serializers.JSONField(),
    "created_at": serializers.DateTimeField(),
    "finished_at": serializers.DateTimeField(allow_null=True),
}
JobOut = inline_serializer("Job", _JOB_FIELDS)
JobOutList = type(JobOut)(many=True)


def _job(request: Request, pk: int) -> Job:
    return get_object_or_404(jobs.job_list(user=request.user), pk=pk)


class JobListView(APIView):
    @extend_schema(operation_id="jobs_list", responses=JobOutList)
    def get(self, request: Request) -> Response:
        return Response([jobs.job_as_dict(j) for j in jobs.job_list(user=request.user)[:100]])


class JobDetailView(APIView):
    @extend_schema(operation_id="jobs_retrieve", responses=JobOut)
    def get(self, request: Request, pk: int) -> Response:
        return Response(jobs.job_as_dict(_job(request, pk)))


class JobRetryView(APIView):
    @extend_schema(operation_id="jobs_retry", request=None, responses={202: JobOut})
    def post(self, request: Request, pk: int) -> Response:
        job = jobs.job_retry(actor=request.user, job=_job(request, pk))
        return Response(jobs.job_as_dict(job), status=status.HTTP_202_ACCEPTED)


class JobCancelView(APIView):
    @extend_schema(operation_id="jobs_cancel", request=None, responses=JobOut)
    def post(self, request: Request, pk: int) -> Response:
        job = jobs.job_cancel(actor=request.user, job=_job(request, pk))
        return Response(jobs.job_as_dict(job))


def job_started(job: Job) -> Response:
    """The 202 answer of an endpoint that started a job: the job, and where to poll it."""
    job.refresh_from_db()
    body: dict[str, Any] = {**jobs.job_as_dict(job), "url": f"/api/jobs/{job.pk}/"}
    return Response(body, status=status.HTTP_202_ACCEPTED)
