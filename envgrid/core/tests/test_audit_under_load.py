"""audit-verify while the application keeps writing (PostgreSQL, real connections): no
false alarm from rows committed during the walk, and a raw-SQL edit made during the
writes is still caught (issue 16, part 7)."""

import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from envgrid.core.audit import audit_record, audit_verify, audit_verify_snapshot
from envgrid.core.models import AuditEvent
from envgrid.testing import make_user

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.audit_tamper,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs real concurrent connections"
    ),
]


class Writers:
    """Threads appending audit rows through the service as fast as they can."""

    def __init__(self, actor, n: int = 3) -> None:
        self.actor = actor
        self.stop = threading.Event()
        self.written = 0
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(n)]

    def _run(self, i: int) -> None:
        try:
            while not self.stop.is_set():
                audit_record(
                    actor=self.actor,
                    action="load.write",
                    object_type="test.load",
                    object_id=i,
                    after={"writer": i, "at": time.time()},
                )
                with self._lock:
                    self.written += 1
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)
        finally:
            connection.close()

    def __enter__(self) -> "Writers":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)


def _seed(n: int = 200):
    admin = make_user(superuser=True)
    for i in range(n):
        audit_record(actor=admin, action="seed.write", object_type="test.seed", object_id=i)
    return admin


def test_audit_verify_reports_nothing_while_writes_continue():
    admin = _seed()
    runs = []
    with Writers(admin) as writers:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            problems, total = audit_verify_snapshot(batch=50)
            runs.append((problems, total))
            call_command("audit_verify", stdout=open("/dev/null", "w"))
    assert writers.errors == []
    assert writers.written > 50, "the writers did not write during the check"
    assert len(runs) >= 3
    assert [p for p, _total in runs if p] == []
    # The runs saw the chain grow: they really ran while rows were being committed.
    assert runs[-1][1] > runs[0][1]
    assert audit_verify() == []
    connection.close()


def test_audit_verify_catches_a_raw_sql_edit_made_during_the_writes():
    admin = _seed()
    target = AuditEvent.objects.order_by("seq")[10].seq
    with Writers(admin) as writers:
        time.sleep(0.3)
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE core_auditevent SET object_repr = %s WHERE seq = %s", ["篡改", target]
            )
        time.sleep(0.3)
        found = [audit_verify_snapshot(batch=50)[0] for _ in range(3)]
        with pytest.raises(CommandError):
            call_command("audit_verify", stdout=open("/dev/null", "w"))
    assert writers.errors == []
    assert writers.written > 20
    for problems in found:
        assert [(p.seq, p.kind) for p in problems] == [(target, "altered")]
    connection.close()
