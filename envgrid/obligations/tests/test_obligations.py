"""Obligations: deadlines from rules, pauses, extensions, the idempotent overdue sweep."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.errors import ConflictError
from envgrid.core.models import Notification
from envgrid.obligations.models import Obligation, ObligationStatus
from envgrid.obligations.services import (
    obligation_complete,
    obligation_extend,
    obligation_open,
    obligation_pause,
    obligation_resume,
    sweep,
)

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture
def feedback(world):
    unit = world.members[0]
    return obligation_open(
        unit=unit,
        person=world.member_staff[0],
        kind="test.feedback",
        title="反馈查处结果",
        rule=DeadlineRule(RuleKind.WORKDAYS, 15),
        start_at=at(2025, 9, 28, 10, 0),
        start_event="查处完成",
    )


def test_T4_obligation_due_15_working_days_after_start(feedback):
    assert feedback.due_at == at(2025, 10, 24, 23, 59, 59)


def test_obligation_goes_overdue_and_escalates_once(world, feedback):
    with time_machine.travel(at(2025, 10, 24, 12, 0), tick=False):
        assert sweep().marked == 0
    with time_machine.travel(at(2025, 10, 25, 9, 0), tick=False):
        first = sweep()
        second = sweep()
    feedback.refresh_from_db()
    assert first.marked == 1 and first.escalated == 1
    assert second.marked == 0 and second.escalated == 0 and second.notified == 0
    assert feedback.status == ObligationStatus.OVERDUE
    # No grid tree here: escalation falls back to the leading group's office.
    assert feedback.escalated_to == world.office_unit
    # The sweep on the due day sent the due-day reminder (催办, D6); the overdue notice once.
    overdue = Notification.objects.exclude(subject__startswith="催办提醒")
    assert overdue.filter(recipient=world.member_staff[0].user).count() == 1
    assert overdue.filter(recipient=world.director.user).count() == 1
    assert feedback.events.filter(action="escalated").count() == 1


def test_sweep_of_many_items_records_one_audit_entry_per_batch(world):
    """Found by the province-scale benchmark: the batch's audit entry named every id in
    a 64-character column, so on PostgreSQL a sweep of a few dozen items failed."""
    from envgrid.core.models import AuditEvent

    for i in range(60):
        obligation_open(
            unit=world.members[0],
            kind="test.bulk",
            title=f"事项{i}",
            rule=DeadlineRule(RuleKind.WORKDAYS, 1),
            start_at=at(2025, 9, 1, 10, 0),
            start_event="测试",
        )
    with time_machine.travel(at(2025, 10, 25, 9, 0), tick=False):
        result = sweep()
    assert result.marked == 60 and result.escalated == 60
    entry = AuditEvent.objects.filter(action="obligation.sweep").get()
    assert len(entry.after["ids"]) == 60 and "…" in entry.object_id


def test_sweep_command_is_idempotent(world, feedback):
    with time_machine.travel(at(2025, 11, 3, 9, 0), tick=False):
        call_command("sweep")
        after_first = Notification.objects.count()
        call_command("sweep")
    # The person responsible plus the two office staff the item escalated to; nothing more.
    assert after_first == 3
    assert Notification.objects.count() == after_first


def test_pause_moves_due_by_working_days_in_the_pause(world, feedback):
    # Pause Mon 13 Oct 09:00 to Fri 17 Oct 09:00: 4 working days (14, 15, 16, 17).
    with time_machine.travel(at(2025, 10, 13, 9, 0), tick=False):
        obligation_pause(
            obligation=feedback,
            actor=world.director.user,
            reason="等待检测报告",
            approver=world.director,
        )
    with time_machine.travel(at(2025, 10, 17, 9, 0), tick=False):
        ob = obligation_resume(obligation=feedback, actor=world.director.user)
    # 24 Oct + 4 working days = 30 Oct.
    assert ob.due_at == at(2025, 10, 30, 23, 59, 59)


def test_paused_obligation_is_not_marked_overdue(world, feedback):
    with time_machine.travel(at(2025, 10, 20, 9, 0), tick=False):
        obligation_pause(
            obligation=feedback,
            actor=world.director.user,
            reason="等待检测报告",
            approver=world.director,
        )
    with time_machine.travel(at(2025, 11, 5, 9, 0), tick=False):
        assert sweep().marked == 0


def test_extension_moves_due(world, feedback):
    ob = obligation_extend(
        obligation=feedback,
        actor=world.director.user,
        amount=2,
        reason="案情复杂",
        approver=world.director,
    )
    assert ob.due_at == at(2025, 10, 28, 23, 59, 59)


def test_complete_twice_is_a_conflict(world, feedback):
    with time_machine.travel(at(2025, 10, 20, 9, 0), tick=False):
        obligation_complete(obligation=feedback, actor=world.member_staff[0].user)
    with pytest.raises(ConflictError):
        obligation_complete(obligation=feedback, actor=world.member_staff[0].user)
    feedback.refresh_from_db()
    assert feedback.status == ObligationStatus.DONE and not feedback.completed_late


def test_completion_after_due_is_recorded_late(world, feedback):
    with time_machine.travel(at(2025, 10, 27, 9, 0), tick=False):
        sweep()
        ob = obligation_complete(obligation=feedback, actor=world.member_staff[0].user)
    assert ob.completed_late and ob.status == ObligationStatus.DONE


def test_hour_rule(world):
    ob = obligation_open(
        unit=world.members[0],
        kind="test.handover",
        title="移交材料",
        rule=DeadlineRule(RuleKind.HOURS, 24),
        start_at=at(2025, 9, 30, 15, 0),
        start_event="移送决定",
    )
    assert ob.due_at == at(2025, 10, 1, 15, 0)
    assert Obligation.objects.count() == 1
