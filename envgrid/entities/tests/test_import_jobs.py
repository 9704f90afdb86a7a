"""Import jobs on the task queue (issue 18 part 1): a job whose worker died (stale
heartbeat) is re-run by the reaper, or after the last attempt marked failed with nothing
written; its owner can retry a failed job (API and page); the API shows the progress.
The suite runs tasks inline (ENVGRID_TASKS_IMMEDIATE, root conftest.py); the real
consumer killed with SIGKILL is test_worker_kill.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from envgrid.core.audit import audit_verify
from envgrid.core.models import AuditEvent
from envgrid.entities import services
from envgrid.entities.models import EntityImportJob, ImportJobStatus, SupervisedEntity

from .test_g4_entities import good_rows, tree, workbook  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _dead_job(world, *, attempts: int, rows: int = 40) -> EntityImportJob:
    """A job as a SIGKILLed worker leaves it: writing, its heartbeat long stale."""
    job = services.import_job_create(
        actor=world.admin, filename="a.xlsx", content=workbook(good_rows(rows))
    )
    stale = timezone.now() - dt.timedelta(hours=1)
    EntityImportJob.objects.filter(pk=job.pk).update(
        status=ImportJobStatus.WRITING, attempts=attempts, heartbeat_at=stale, started_at=stale
    )
    return job


def test_the_reaper_reruns_a_job_whose_worker_died(world, tree, settings):  # noqa: F811
    settings.ENVGRID_JOB_MAX_ATTEMPTS = 3
    job = _dead_job(world, attempts=1)
    result = services.import_jobs_reap()
    assert result.requeued == [job.pk] and result.failed == []
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE
    assert job.attempts == 2
    assert job.created_count == job.written_rows == 40
    assert SupervisedEntity.objects.count() == 40
    assert AuditEvent.objects.filter(action="entity.import_job_requeue").count() == 1
    # A second reaper finds nothing left to do.
    assert services.import_jobs_reap().requeued == []
    assert audit_verify() == []


def test_the_reaper_fails_a_job_out_of_attempts_with_nothing_written(world, tree, settings):  # noqa: F811
    settings.ENVGRID_JOB_MAX_ATTEMPTS = 2
    job = _dead_job(world, attempts=2)
    result = services.import_jobs_reap()
    assert result.failed == [job.pk] and result.requeued == []
    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED and job.finished_at is not None
    assert "未导入任何数据" in job.message
    assert SupervisedEntity.objects.count() == 0


def test_a_job_alive_in_another_worker_is_left_alone(world, tree, settings):  # noqa: F811
    job = _dead_job(world, attempts=1)
    EntityImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    assert services.import_jobs_reap().requeued == []
    # A second delivery of its message does not start a second attempt.
    assert services.import_job_run(job.pk) is None
    job.refresh_from_db()
    assert job.status == ImportJobStatus.WRITING and job.attempts == 1


def test_the_owner_retries_a_failed_job_through_the_api(world, tree, api, settings):  # noqa: F811
    settings.ENVGRID_JOB_MAX_ATTEMPTS = 1
    job = _dead_job(world, attempts=1, rows=15)
    services.import_jobs_reap()
    api.force_authenticate(world.admin)
    r = api.post(f"/api/entity-import-jobs/{job.pk}/retry/")
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == ImportJobStatus.DONE
    assert body["attempts"] == 1
    assert body["written_rows"] == body["created_count"] == 15
    assert SupervisedEntity.objects.count() == 15
    # A finished job is not retried again.
    again = api.post(f"/api/entity-import-jobs/{job.pk}/retry/")
    assert again.status_code == 409
    assert again.json()["code"] == "job_not_failed"
    assert AuditEvent.objects.filter(action="entity.import_job_retry").count() == 1


def test_another_user_cannot_retry_the_job(world, tree, api, settings):  # noqa: F811
    settings.ENVGRID_JOB_MAX_ATTEMPTS = 1
    job = _dead_job(world, attempts=1)
    services.import_jobs_reap()
    api.force_authenticate(world.director.user)
    assert api.post(f"/api/entity-import-jobs/{job.pk}/retry/").status_code == 404
    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED


def test_the_page_offers_retry_for_a_failed_job(world, tree, client, settings):  # noqa: F811
    settings.ENVGRID_JOB_MAX_ATTEMPTS = 1
    job = _dead_job(world, attempts=1, rows=10)
    services.import_jobs_reap()
    client.force_login(world.admin)
    page = client.get(f"/entities/import/{job.pk}/").content.decode()
    assert f"/entities/import/{job.pk}/retry/" in page
    assert 'id="job-retry" hidden' not in page
    r = client.post(f"/entities/import/{job.pk}/retry/")
    assert r.status_code == 302
    status = client.get(f"/entities/import/{job.pk}/status/").json()
    assert status["status"] == ImportJobStatus.DONE
    assert status["written"] == 10 and status["attempts"] == 1


def test_the_owner_cancels_a_queued_job_through_the_api(world, tree, api):  # noqa: F811
    job = services.import_job_create(
        actor=world.admin, filename="a.xlsx", content=workbook(good_rows(5))
    )
    api.force_authenticate(world.admin)
    r = api.post(f"/api/entity-import-jobs/{job.pk}/cancel/")
    assert r.status_code == 200
    assert r.json()["status"] == ImportJobStatus.CANCELLED
    # A cancelled job is never run, even if its message is delivered afterwards.
    assert services.import_job_run(job.pk) is None
    assert services.import_jobs_reap().requeued == []
    assert SupervisedEntity.objects.count() == 0
    again = api.post(f"/api/entity-import-jobs/{job.pk}/cancel/")
    assert again.status_code == 409
    assert again.json()["code"] == "job_not_cancellable"
    assert AuditEvent.objects.filter(action="entity.import_job_cancel").count() == 1
    assert audit_verify() == []


def test_another_user_cannot_cancel_the_job(world, tree, api):  # noqa: F811
    job = services.import_job_create(
        actor=world.admin, filename="a.xlsx", content=workbook(good_rows(5))
    )
    api.force_authenticate(world.director.user)
    assert api.post(f"/api/entity-import-jobs/{job.pk}/cancel/").status_code == 404
    job.refresh_from_db()
    assert job.status == ImportJobStatus.PENDING


def test_a_running_attempt_sees_the_cancel_and_writes_nothing(world, tree, monkeypatch):  # noqa: F811
    job = services.import_job_create(
        actor=world.admin, filename="a.xlsx", content=workbook(good_rows(30))
    )
    real = services.validate_import

    def cancelled_midway(content, *, actor, default_crs, progress):
        # The owner cancels from another request while the worker validates.
        services.import_job_cancel(actor=world.admin, job=job)
        return real(content, actor=actor, default_crs=default_crs, progress=progress)

    monkeypatch.setattr(services, "validate_import", cancelled_midway)
    services.import_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJobStatus.CANCELLED
    assert job.written_rows == 0 and job.created_count == 0
    assert SupervisedEntity.objects.count() == 0


def test_the_page_offers_cancel_for_a_queued_job(world, tree, client):  # noqa: F811
    job = services.import_job_create(
        actor=world.admin, filename="a.xlsx", content=workbook(good_rows(3))
    )
    client.force_login(world.admin)
    page = client.get(f"/entities/import/{job.pk}/").content.decode()
    assert 'id="job-cancel" hidden' not in page
    assert client.post(f"/entities/import/{job.pk}/cancel/").status_code == 302
    status = client.get(f"/entities/import/{job.pk}/status/").json()
    assert status["status"] == ImportJobStatus.CANCELLED and status["finished"] is True
    page = client.get(f"/entities/import/{job.pk}/").content.decode()
    assert 'id="job-cancel" hidden' in page
