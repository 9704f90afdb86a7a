"""Fixtures for the assessment tests: a leading group (World) with a draft plan and helpers
to put obligations of the workflows' real kinds on the record with time frozen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.obligations.services import obligation_complete, obligation_open

SH = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


def owe(unit, kind, *, start, done=None, days=5, title=None):
    """An obligation of `kind` owed by `unit`, started at `start` (working days rule), and
    completed at `done` if given — all with the clock frozen at those moments."""
    with time_machine.travel(start, tick=False):
        ob = obligation_open(
            unit=unit,
            kind=kind,
            title=title or f"{kind} {start:%m-%d}",
            rule=DeadlineRule(RuleKind.WORKDAYS, days),
            start_at=start,
            start_event="测试",
        )
    if done is not None:
        with time_machine.travel(done, tick=False):
            ob = obligation_complete(obligation=ob, at=done)
    return ob


@pytest.fixture
def plan(world):
    from envgrid.assessment.services import plan_create

    return plan_create(actor=world.director.user, leading_group=world.group, year=2025)


@pytest.fixture
def small_plan(world):
    """Two computed indicators and one scored in review: easy to count by hand."""
    from envgrid.assessment.services import indicator_create, plan_create

    user = world.director.user
    p = plan_create(
        actor=user, leading_group=world.group, year=2025, name="测试方案", with_defaults=False
    )
    indicator_create(
        actor=user,
        plan=p,
        code="T",
        category="operation",
        name="按时反馈",
        weight=Decimal("40"),
        source="computed",
        metric="transfer.feedback",
    )
    indicator_create(
        actor=user,
        plan=p,
        code="R",
        category="operation",
        name="信息按时报送",
        weight=Decimal("30"),
        source="computed",
        metric="report.due",
        when_empty="zero",
    )
    indicator_create(
        actor=user,
        plan=p,
        code="P",
        category="establishment",
        name="建设方案",
        weight=Decimal("30"),
        source="review",
        requires_evidence=True,
    )
    return p
