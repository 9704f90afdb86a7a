"""T4 on PostgreSQL: a concurrent accept and return of one transfer — two threads, their
own connections, a barrier — exactly one wins; the other gets a clear 409."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from envgrid.cases import services as S
from envgrid.cases.models import Case, Transfer, TransferStatus

from .conftest import complete_case

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs real concurrent connections"
    ),
    pytest.mark.django_db(transaction=True),
]


def test_T4_concurrent_accept_and_return_exactly_one_wins(tree):
    case = complete_case(tree.ca_staff, point=tree.p_cc)
    t = S.transfer_create(
        actor=tree.ca_staff.user, case=case, transfer_type="jurisdiction", receiver_unit=tree.cc
    )
    barrier = threading.Barrier(2, timeout=30)
    results: dict[str, tuple[int, dict]] = {}

    def run(name: str, path: str, data: dict) -> None:
        client = APIClient()
        client.force_authenticate(tree.cc_staff.user)
        try:
            barrier.wait()
            resp = client.post(path, data, format="json")
            results[name] = (resp.status_code, resp.json())
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("accept", f"/api/transfers/{t.pk}/accept/", {})),
        threading.Thread(
            target=run,
            args=("return", f"/api/transfers/{t.pk}/return/", {"explanation": "不属本社区"}),
        ),
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    codes = sorted(code for code, _ in results.values())
    assert codes == [200, 409], results
    loser = next(body for code, body in results.values() if code == 409)
    assert loser["code"] == "transfer_not_pending" and loser["message"]
    t.refresh_from_db()
    winner = next(name for name, (code, _) in results.items() if code == 200)
    assert t.status == (TransferStatus.ACCEPTED if winner == "accept" else TransferStatus.RETURNED)
    # One history row for the one decision; a received case only if accepted.
    assert t.status_changes.exclude(action="send").count() == 1
    assert Case.objects.filter(origin_transfer=t).exists() == (winner == "accept")
    assert Transfer.objects.count() == 1
