"""Faults in the overdue sweep (issue 12, item 7): the database connection drops in the
middle of a run; the batch it was in rolls back whole, and the next run finishes the job
without notifying anyone twice."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import OperationalError, connection

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.models import Notification
from envgrid.obligations import services
from envgrid.obligations.models import Obligation, ObligationStatus
from envgrid.testing import World

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db(transaction=True)


def _open_items(world: World, n: int) -> list[Obligation]:
    return [
        services.obligation_open(
            unit=world.members[i % len(world.members)],
            person=world.member_staff[i % len(world.members)],
            kind="test.fault",
            title=f"断线测试事项{i}",
            rule=DeadlineRule(RuleKind.WORKDAYS, 1),
            start_at=dt.datetime(2025, 9, 1, 10, 0, tzinfo=SH),
            start_event="测试",
        )
        for i in range(n)
    ]


def test_sweep_survives_a_connection_drop_mid_run_and_never_notifies_twice(monkeypatch):
    world = World()
    items = _open_items(world, 7)
    real_notify_many = services.notify_many
    calls = {"n": 0}

    def dropping_notify_many(messages):
        # The sweep writes a batch's notifications in one call, after resolving where
        # every item escalates and before its events: the second call is the middle of
        # the second batch of three.
        calls["n"] += 1
        if calls["n"] == 2:
            # What a dropped connection looks like to the code: the socket is gone (on
            # PostgreSQL closing it is real; SQLite's test database ignores a close) and
            # the next statement fails.
            connection.close()
            raise OperationalError("server closed the connection unexpectedly")
        return real_notify_many(messages)

    monkeypatch.setattr(services, "notify_many", dropping_notify_many)
    with time_machine.travel(dt.datetime(2025, 10, 20, 9, 0, tzinfo=SH), tick=False):
        with pytest.raises(OperationalError):
            services.sweep(batch=3)
        monkeypatch.setattr(services, "notify_many", real_notify_many)

        # The first batch committed; the one the drop hit left nothing behind.
        escalated_after_drop = Obligation.objects.filter(escalated_at__isnull=False).count()
        assert escalated_after_drop == 3
        assert Notification.objects.count() == 3 * 3

        rerun = services.sweep(batch=3)
        again = services.sweep(batch=3)

    assert rerun.marked == 0 and rerun.escalated == 4
    assert again.escalated == 0 and again.notified == 0
    assert set(Obligation.objects.values_list("status", flat=True)) == {ObligationStatus.OVERDUE}
    # Each item: its responsible person once, and the two office staff it escalated to once.
    per_subject = Counter(Notification.objects.values_list("recipient_id", "subject"))
    assert per_subject and max(per_subject.values()) == 1
    assert Notification.objects.count() == 3 * len(items)
    for ob in Obligation.objects.all():
        assert ob.events.filter(action="escalated").count() == 1
