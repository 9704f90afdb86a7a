"""E5 and E4 on PostgreSQL with real concurrent connections: two people name a liaison for
the same unit at the same moment — one wins, the other is refused; two deploy the same
plan at once — assignments are issued exactly once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from envgrid.enforcement import services
from envgrid.enforcement.models import ActionParticipant, Assignment

from .factories import draft, staff_up

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs real concurrent connections"
    ),
]


def _race(calls):
    barrier = threading.Barrier(len(calls))
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def run(user, url, data):
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait(timeout=10)
            r = client.post(url, data, format="json")
            with lock:
                results.append((r.status_code, r.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=c) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(results, key=lambda r: r[0])


def test_E5_two_liaisons_named_at_once_one_wins_the_other_is_refused(ew):
    action = draft(ew)
    p = action.participants.get(unit=ew.north_unit)
    url = f"/api/enforcement/participants/{p.pk}/liaison/"
    results = _race(
        [
            (ew.north_staff.user, url, {"person": ew.north_staff.pk}),
            (ew.org_user, url, {"person": ew.north_officers[0].pk}),
        ]
    )
    assert [code for code, _ in results] == [200, 409]
    assert results[1][1]["code"] == "liaison_exists"
    winner = ActionParticipant.objects.get(pk=p.pk).liaison
    assert winner in (ew.north_staff, ew.north_officers[0])


def test_E4_deploying_twice_at_once_issues_assignments_once(ew):
    action = draft(ew)
    staff_up(ew, action)
    services.action_approve(actor=ew.org_leader.user, action=action)
    url = f"/api/enforcement/actions/{action.pk}/deploy/"
    results = _race([(ew.org_user, url, {}), (ew.org_staff.user, url, {})])
    codes = [code for code, _ in results]
    assert codes[0] == 200 and 400 <= codes[1] < 500
    assert Assignment.objects.filter(action=action).count() == 2
