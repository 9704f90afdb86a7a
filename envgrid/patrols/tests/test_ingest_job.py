"""The patrol track ingest as a long job (issue 18 part 1, core.jobs): started from the
API, progress recorded, re-run by the reaper when its worker died, retried by its owner
(another user: 404), cancelled with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from envgrid.core import jobs
from envgrid.core.models import AuditEvent, Job, JobStatus
from envgrid.patrols.jobs import patrol_ingest
from envgrid.patrols.models import TrackPoint

from .test_ingest import day_rows, write

pytestmark = pytest.mark.django_db


def _csv(w, tmp_path) -> bytes:
    return write(tmp_path / "day.csv.gz", day_rows(w)).read_bytes()


def _dead(w, tmp_path, *, attempts: int) -> Job:
    job = jobs.job_create(
        actor=w.world.admin, fn=patrol_ingest, params={"gz": True}, payload=_csv(w, tmp_path)
    )
    stale = timezone.now() - dt.timedelta(hours=1)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=attempts, heartbeat_at=stale, started_at=stale
    )
    return job


def test_the_api_runs_a_track_ingest_as_a_job_with_progress(patrol_world, api, tmp_path):
    w = patrol_world
    api.force_authenticate(w.world.admin)
    upload = SimpleUploadedFile("day.csv.gz", _csv(w, tmp_path))
    r = api.post("/api/patrols/ingest/", {"file": upload}, format="multipart")
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["status"] == JobStatus.DONE
    assert body["total"] > 0 and body["done"] == body["total"]
    assert body["result"]["points"] == 26 and body["result"]["added"] == 25
    assert TrackPoint.objects.count() == 25
    assert api.get(body["url"]).json()["status"] == JobStatus.DONE


def test_only_an_administrator_starts_a_track_ingest(patrol_world, api, tmp_path):
    w = patrol_world
    api.force_authenticate(w.staff.user)
    upload = SimpleUploadedFile("day.csv.gz", _csv(w, tmp_path))
    assert api.post("/api/patrols/ingest/", {"file": upload}, format="multipart").status_code == 403
    assert Job.objects.count() == 0


def test_the_reaper_reruns_a_track_ingest_whose_worker_died(patrol_world, tmp_path, settings):
    settings.ENVGRID_JOB_MAX_ATTEMPTS = 3
    job = _dead(patrol_world, tmp_path, attempts=1)
    assert jobs.jobs_reap().requeued == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 2
    assert TrackPoint.objects.count() == 25


def test_the_owner_retries_a_failed_track_ingest(patrol_world, api, tmp_path, settings):
    settings.ENVGRID_JOB_MAX_ATTEMPTS = 1
    w = patrol_world
    job = _dead(w, tmp_path, attempts=1)
    assert jobs.jobs_reap().failed == [job.pk]
    assert TrackPoint.objects.count() == 0
    api.force_authenticate(w.staff.user)
    assert api.post(f"/api/jobs/{job.pk}/retry/").status_code == 404
    api.force_authenticate(w.world.admin)
    r = api.post(f"/api/jobs/{job.pk}/retry/")
    assert r.status_code == 202 and r.json()["status"] == JobStatus.DONE
    assert TrackPoint.objects.count() == 25
    assert AuditEvent.objects.filter(action="job.retry").count() == 1


def test_the_owner_cancels_a_queued_track_ingest(patrol_world, api, tmp_path):
    w = patrol_world
    job = jobs.job_create(
        actor=w.world.admin, fn=patrol_ingest, params={"gz": True}, payload=_csv(w, tmp_path)
    )
    api.force_authenticate(w.world.admin)
    r = api.post(f"/api/jobs/{job.pk}/cancel/")
    assert r.status_code == 200 and r.json()["status"] == JobStatus.CANCELLED
    assert jobs.job_run(job.pk) is None
    assert TrackPoint.objects.count() == 0
