"""M5 on PostgreSQL: two people close the same decision at the same moment — exactly one
succeeds, the other gets a clear 409 (the row lock in the workflow decides)."""

import threading

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from envgrid.meetings import services
from envgrid.meetings.models import Decision, DecisionStatus, DecisionStatusChange
from envgrid.testing import World

from .factories import at, decide, hold, schedule

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs real concurrent connections"
    ),
]


def test_M5_closing_one_decision_twice_concurrently_one_wins_other_409():
    with time_machine.travel(at(2026, 3, 10, 10, 0), tick=True):
        world = World()
        meeting = hold(world, schedule(world))
        d = decide(world, meeting)
        services.decision_progress_report(
            actor=world.member_staff[0].user, decision=d, text="完成", completed=True
        )
    assert Decision.objects.get(pk=d.pk).status == DecisionStatus.REPORTED

    barrier = threading.Barrier(2)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def close(user):
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait(timeout=10)
            r = client.post(
                f"/api/meeting-decisions/{d.pk}/close/", {"note": "核验"}, format="json"
            )
            with lock:
                results.append((r.status_code, r.json()))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=close, args=(u,))
        for u in (world.office_staff.user, world.director.user)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(code for code, _ in results) == [200, 409]
    loser = next(body for code, body in results if code == 409)
    assert loser["code"] == "transition_not_allowed"
    assert "已核验办结" in loser["message"]
    assert Decision.objects.get(pk=d.pk).status == DecisionStatus.CLOSED
    assert DecisionStatusChange.objects.filter(decision_id=d.pk, to_status="closed").count() == 1
