"""Audit: hash-chained rows; audit-verify finds edits and deletions made by raw SQL."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from envgrid.core.audit import audit_record, audit_verify
from envgrid.core.models import AuditEvent
from envgrid.org.services import unit_create
from envgrid.testing import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.audit_tamper]


@pytest.fixture
def chain():
    admin = make_user(superuser=True)
    for i in range(5):
        unit_create(actor=admin, code=f"A{i}", name=f"审计测试单位{i}", kind="bureau")
    return admin


def test_audit_service_write_records_who_what_before_after(chain):
    ev = AuditEvent.objects.get(
        action="unit.create", object_id=str(AuditEvent.objects.first().object_id)
    )
    assert ev.actor == chain
    assert ev.after["name"].startswith("审计测试单位")
    assert ev.object_type == "org.unit"


def test_audit_verify_clean_chain(chain):
    assert audit_verify() == []
    call_command("audit_verify")


def test_audit_verify_detects_row_edited_by_raw_sql(chain):
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditevent SET object_repr = %s WHERE seq = 3", ["篡改"])
    problems = audit_verify()
    assert [(p.seq, p.kind) for p in problems] == [(3, "altered")]
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_audit_verify_detects_row_deleted_by_raw_sql(chain):
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditevent WHERE seq = 2")
    kinds = {(p.seq, p.kind) for p in audit_verify()}
    assert (2, "deleted") in kinds


def test_audit_verify_detects_last_row_deleted(chain):
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditevent WHERE seq = 5")
    assert [(p.seq, p.kind) for p in audit_verify()] == [(5, "deleted")]


def test_audit_verify_detects_inserted_row(chain):
    last = AuditEvent.objects.order_by("-seq").first()
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditevent SET seq = seq + 1000 WHERE seq >= 4")
        cur.execute("UPDATE core_auditevent SET seq = seq - 999 WHERE seq >= 1000")
    AuditEvent.objects.create(
        seq=4,
        at=last.at,
        action="x",
        object_type="x",
        object_id="1",
        prev_hash="0" * 64,
        hash="f" * 64,
    )
    problems = {(p.seq, p.kind) for p in audit_verify()}
    assert (4, "altered") in problems
    assert (4, "inserted") in problems


def test_audit_record_without_actor_is_system():
    ev = audit_record(actor=None, action="test.system", object_type="x", object_id=1)
    assert ev.actor_repr == "system"
