"""The overdue sweep racing manual completions on PostgreSQL (issue 12, item 2): real
concurrent connections, repeated rounds. Whatever the interleaving, every completion is
kept (no lost update), each item is completed once, and nobody is notified twice."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.models import Notification
from envgrid.obligations import services
from envgrid.obligations.models import Obligation, ObligationEvent, ObligationStatus
from envgrid.testing import World

SH = ZoneInfo("Asia/Shanghai")
ROUNDS = 8
ITEMS = 6

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs real concurrent connections"
    ),
]


def test_sweep_racing_manual_completion_keeps_every_completion_and_notifies_once(capsys):
    world = World()
    now = dt.datetime(2025, 10, 20, 9, 0, tzinfo=SH)
    outcomes: Counter = Counter()
    for rnd in range(ROUNDS):
        items = [
            services.obligation_open(
                unit=world.members[0],
                person=world.member_staff[0],
                kind="test.race",
                title=f"竞争第{rnd}轮事项{i}",
                rule=DeadlineRule(RuleKind.WORKDAYS, 1),
                start_at=dt.datetime(2025, 9, 1, 10, 0, tzinfo=SH),
                start_event="测试",
            )
            for i in range(ITEMS + 1)
        ]
        # The last item is nobody's to complete: the sweep must find it and send its
        # reminder, so a sweep that sends nothing fails this test.
        items, control = items[:ITEMS], items[ITEMS]
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def sweeper(barrier=barrier, errors=errors) -> None:
            try:
                barrier.wait(timeout=10)
                services.sweep(now=now, batch=2)
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

        def completer(items=items, barrier=barrier, errors=errors) -> None:
            try:
                barrier.wait(timeout=10)
                for ob in items:
                    services.obligation_complete(
                        obligation=ob, actor=world.member_staff[0].user, at=now
                    )
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=sweeper), threading.Thread(target=completer)]
        with time_machine.travel(now, tick=True):
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
        assert errors == []

        for ob in Obligation.objects.filter(pk__in=[o.pk for o in items]):
            assert ob.status == ObligationStatus.DONE  # the completion is never lost
            assert ObligationEvent.objects.filter(obligation=ob, action="done").count() == 1
            escalations = ob.events.filter(action="escalated").count()
            assert escalations <= 1
            outcomes["escalated then done" if escalations else "done before sweep"] += 1
            swept = ob.events.filter(action__in=("escalated", "overdue")).count()
            reminders = Notification.objects.filter(
                recipient=world.member_staff[0].user, subject__contains=ob.title
            ).count()
            assert reminders == swept  # a swept item is reminded once, a completed one never
        control.refresh_from_db()
        assert control.status == ObligationStatus.OVERDUE
        assert control.escalated_at == now
        assert (
            Notification.objects.filter(
                recipient=world.member_staff[0].user, subject__contains=control.title
            ).count()
            == 1
        )

    per_subject = Counter(Notification.objects.values_list("recipient_id", "subject"))
    assert len(per_subject) >= ROUNDS  # at least every round's control item was sent
    assert max(per_subject.values()) == 1
    with capsys.disabled():
        print(
            f"\nsweep vs manual completion: {ROUNDS} rounds × {ITEMS} items, "
            + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))
        )
