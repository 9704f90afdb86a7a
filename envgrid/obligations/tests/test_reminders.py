"""Reminders before deadlines (催办, D6): working days before the due day and on it, once
each, batched per person, run by the sweep under frozen time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.models import Notification
from envgrid.obligations.models import ReminderSent
from envgrid.obligations.services import (
    obligation_complete,
    obligation_open,
    obligation_pause,
    sweep,
)
from envgrid.org.models import Unit
from envgrid.testing import make_person

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=SH)


@pytest.fixture
def staff(world):
    """A unit of its own with one person who logs in, so every reminder is countable."""
    unit = Unit.objects.create(
        code="REMIND", name="催办测试单位", short_name="催办", kind=world.members[0].kind
    )
    return make_person(unit, "责任人")


def _open(staff, title: str, start: dt.datetime, days: int = 5):
    # Monday 8 September 2025 + 5 working days = Monday 15 September (end of day).
    return obligation_open(
        unit=staff.unit,
        person=staff,
        kind="test.remind",
        title=title,
        rule=DeadlineRule(RuleKind.WORKDAYS, days),
        start_at=start,
        start_event="测试",
        link="/x/",
    )


def _inbox(staff):
    return list(Notification.objects.filter(recipient=staff.user).order_by("id"))


def _sweep_at(moment: dt.datetime):
    with time_machine.travel(moment, tick=False):
        return sweep()


def test_D6_reminder_two_working_days_before_across_a_weekend_once(staff):
    ob = _open(staff, "报送整改情况", at(2025, 9, 8, 10, 0))
    assert ob.due_at == at(2025, 9, 15, 23, 59, 59)  # a Monday
    _sweep_at(at(2025, 9, 10, 9, 0))  # Wednesday: three working days left
    assert _inbox(staff) == []
    first = _sweep_at(at(2025, 9, 11, 9, 0))  # Thursday: Friday and Monday left
    assert first.reminded == 1
    [msg] = _inbox(staff)
    assert "报送整改情况" in msg.subject
    assert "还有 2 个工作日" in msg.body
    # A second sweep the same day, and the weekend's sweeps, send nothing.
    for moment in (at(2025, 9, 11, 9, 5), at(2025, 9, 12, 9, 0), at(2025, 9, 13, 9, 0)):
        assert _sweep_at(moment).reminded == 0
    assert len(_inbox(staff)) == 1
    assert list(ReminderSent.objects.filter(obligation=ob).values_list("offset", flat=True)) == [2]


def test_D6_due_day_reminder_once(staff):
    _open(staff, "签收移送", at(2025, 9, 8, 10, 0))
    _sweep_at(at(2025, 9, 11, 9, 0))
    _sweep_at(at(2025, 9, 15, 8, 0))  # Monday, the due day
    _sweep_at(at(2025, 9, 15, 16, 0))
    inbox = _inbox(staff)
    assert len(inbox) == 2
    assert "今日" in inbox[1].body


def test_D6_reminders_batched_per_person_one_message_listing_all(staff):
    for title in ("事项甲", "事项乙", "事项丙"):
        _open(staff, title, at(2025, 9, 8, 10, 0))
    result = _sweep_at(at(2025, 9, 11, 9, 0))
    [msg] = _inbox(staff)
    assert result.reminded == 1
    assert "3 项" in msg.subject
    assert [line for line in msg.body.splitlines() if line.startswith("·")] == [
        line for line in msg.body.splitlines() if line
    ]
    for title in ("事项甲", "事项乙", "事项丙"):
        assert title in msg.body


def test_D6_paused_and_closed_obligations_do_not_remind(world, staff):
    paused = _open(staff, "暂停的事项", at(2025, 9, 8, 10, 0))
    done = _open(staff, "已办结的事项", at(2025, 9, 8, 10, 0))
    _open(staff, "仍在办理的事项", at(2025, 9, 8, 10, 0))
    with time_machine.travel(at(2025, 9, 9, 9, 0), tick=False):
        obligation_pause(obligation=paused, actor=world.admin, reason="等待检测", approver=staff)
        obligation_complete(obligation=done, actor=world.admin)
    _sweep_at(at(2025, 9, 11, 9, 0))
    [msg] = _inbox(staff)
    assert "仍在办理的事项" in msg.subject
    assert "暂停" not in msg.body
    assert "已办结" not in msg.body


def test_D6_reminder_offset_is_a_configurable_rule(settings, staff):
    settings.ENVGRID_RULES = {
        "obligations.reminder_workdays_before": 4,
        "obligations.reminder_on_due_day": False,
    }
    _open(staff, "提前四日", at(2025, 9, 8, 10, 0))
    _sweep_at(at(2025, 9, 9, 9, 0))  # Tuesday: Wed, Thu, Fri, Mon left
    assert len(_inbox(staff)) == 1
    _sweep_at(at(2025, 9, 15, 9, 0))  # no due-day reminder
    assert len(_inbox(staff)) == 1
