"""Fixtures for accountability: a world with an overdue item and a discipline organ."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.obligations.services import obligation_complete, obligation_open, sweep
from envgrid.org.models import UnitKind
from envgrid.testing import make_unit

SH = ZoneInfo("Asia/Shanghai")


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


@pytest.fixture
def late(world):
    """Two items of members[0] (person: its staff): one still overdue, one done 3 days
    late; one item of members[1] done on time. Time: 2026-03-20."""
    unit, person = world.members[0], world.member_staff[0]
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        overdue = obligation_open(
            unit=unit,
            person=person,
            kind="transfer.feedback.jurisdiction",
            title="反馈移送案件查处结果 测移〔2026〕1号",
            rule=DeadlineRule(RuleKind.WORKDAYS, 5),
            start_at=at(2026, 3, 2, 9, 0),
            start_event="查处完成",
        )
        done_late = obligation_open(
            unit=unit,
            person=person,
            kind="meeting.decision",
            title="落实会议议定事项：清理河道垃圾",
            rule=DeadlineRule(RuleKind.DAYS, 3),
            start_at=at(2026, 3, 2, 9, 0),
            start_event="会议纪要印发",
        )
        on_time = obligation_open(
            unit=world.members[1],
            kind="meeting.decision",
            title="落实会议议定事项：按时",
            rule=DeadlineRule(RuleKind.DAYS, 3),
            start_at=at(2026, 3, 2, 9, 0),
            start_event="会议纪要印发",
        )
    with time_machine.travel(at(2026, 3, 4, 9, 0), tick=False):
        obligation_complete(obligation=on_time)
    with time_machine.travel(at(2026, 3, 8, 10, 0), tick=False):
        obligation_complete(obligation=done_late)
    with time_machine.travel(at(2026, 3, 12, 9, 0), tick=False):
        sweep()
    discipline = make_unit("区纪委监委", kind=UnitKind.DISCIPLINE)
    # In the group's directory, as every receiver a unit may name (org.policies).
    world.group.member_units.add(discipline)
    for ob in (overdue, done_late, on_time):
        ob.refresh_from_db()
    return SimpleNamespace(
        overdue=overdue, done_late=done_late, on_time=on_time, discipline=discipline
    )


@pytest.fixture(autouse=True)
def _transfer_rules(db):
    """The transfer time limits come from a data migration that a flushing test may undo."""
    import importlib

    from django.apps import apps

    from envgrid.cases.models import TransferRule

    if not TransferRule.objects.exists():
        importlib.import_module("envgrid.cases.migrations.0002_transfer_rules").seed(apps, None)
