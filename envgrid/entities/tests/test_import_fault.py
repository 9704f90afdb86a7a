"""A failure in the middle of an import (issue 12, item 7): the third batch (of 10 rows
here; 1,000 in production) fails after two batches were written — the job ends failed and nothing of it stays."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from envgrid.core.models import AuditEvent
from envgrid.entities import services
from envgrid.entities.models import EntityImportJob, ImportJobStatus, SupervisedEntity
from envgrid.grids.models import GridHistory

from .test_g4_entities import good_rows, tree, workbook  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_import_failing_in_its_third_batch_leaves_nothing_half_written(world, tree, api, settings):  # noqa: F811
    settings.ENVGRID_IMPORT_INLINE = True
    api.force_authenticate(world.admin)
    before = (
        SupervisedEntity.objects.count(),
        GridHistory.objects.count(),
        AuditEvent.objects.filter(action="entity.import").count(),
    )
    real = services.audit_record
    calls = {"n": 0}

    def failing_audit(**kwargs):
        if kwargs.get("action") == "entity.import":
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("disk full (injected)")
        return real(**kwargs)

    upload = SimpleUploadedFile("big.xlsx", workbook(good_rows(35)))
    with (
        mock.patch.object(services, "IMPORT_BATCH", 10),
        mock.patch.object(services, "audit_record", side_effect=failing_audit),
    ):
        r = api.post("/api/entities/import/", {"file": upload}, format="multipart")
    assert r.status_code == 202, r.content[:300]
    assert calls["n"] == 3  # two batches had been written before the failure
    job = EntityImportJob.objects.get(pk=r.json()["id"])
    assert job.status == ImportJobStatus.FAILED and job.created_count == 0, job.message
    after = (
        SupervisedEntity.objects.count(),
        GridHistory.objects.count(),
        AuditEvent.objects.filter(action="entity.import").count(),
    )
    assert after == before
