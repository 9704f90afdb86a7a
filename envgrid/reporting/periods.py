"""Reporting periods and their due dates (I3), as pure functions of a schedule's data."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from envgrid.core.deadlines import DeadlineRule, RuleKind, end_of_day

from .models import Frequency


@dataclass(frozen=True)
class Period:
    key: str  # "2026-03", "2026-Q1", "2026"
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        if "-Q" in self.key:
            year, q = self.key.split("-Q")
            return f"{year}年第{q}季度"
        if "-" in self.key:
            year, month = self.key.split("-")
            return f"{year}年{int(month)}月"
        return f"{self.key}年度"


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def period_containing(frequency: str, day: dt.date) -> Period:
    if frequency == Frequency.MONTHLY:
        return Period(
            f"{day.year}-{day.month:02d}",
            day.replace(day=1),
            _month_end(day.year, day.month),
        )
    if frequency == Frequency.QUARTERLY:
        q = (day.month - 1) // 3 + 1
        first = 3 * (q - 1) + 1
        return Period(
            f"{day.year}-Q{q}", dt.date(day.year, first, 1), _month_end(day.year, first + 2)
        )
    if frequency == Frequency.YEARLY:
        return Period(str(day.year), dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
    raise ValueError(f"unknown frequency {frequency!r}")


def periods_between(frequency: str, first: dt.date, last: dt.date) -> Iterator[Period]:
    """Every period that starts on or before `last` and ends on or after `first`."""
    period = period_containing(frequency, first)
    while period.start <= last:
        yield period
        period = period_containing(frequency, period.end + dt.timedelta(days=1))


def fixed_due_date(period: Period, *, month: int, day: int, year_offset: int) -> dt.date:
    """The schedule's fixed month/day in the period's year (plus offset); raises ValueError
    for an impossible date such as 31 April."""
    return dt.date(period.start.year + year_offset, month, day)


def fixed_date_text(due: dt.date, period_year: int) -> str:
    """A fixed due date as people write it, relative to the period's year: "当年3月31日前",
    "次年1月14日前", "2年后1月14日前" (issue 20: never "2026年度开始 + 379 自然日")."""
    values = {"m": due.month, "d": due.day, "n": due.year - period_year}
    if values["n"] == 0:
        return _("当年%(m)s月%(d)s日前") % values
    if values["n"] == 1:
        return _("次年%(m)s月%(d)s日前") % values
    return _("%(n)s年后%(m)s月%(d)s日前") % values


def workdays_text(period_label: str, n: int) -> str:
    return _("%(period)s期满后 %(n)s 个工作日内") % {"period": period_label, "n": n}


@dataclass(frozen=True)
class DueSpec:
    """How an obligation for one period is opened: its rule runs from `start_at`; `text` is
    the rule as one sentence ("次年1月14日前", "2026年3月期满后 5 个工作日内")."""

    rule: DeadlineRule
    start_at: dt.datetime
    start_event: str
    text: str = ""


def due_spec(
    period: Period,
    *,
    due_workdays: int | None,
    due_month: int | None,
    due_day: int | None,
    due_year_offset: int,
) -> DueSpec:
    if due_workdays is not None:
        # The N-th working day after the period's last day (start day not counted, art. 85).
        return DueSpec(
            DeadlineRule(RuleKind.WORKDAYS, due_workdays),
            end_of_day(period.end),
            f"{period.label}期满",
            workdays_text(period.label, due_workdays),
        )
    assert due_month is not None and due_day is not None
    due = fixed_due_date(period, month=due_month, day=due_day, year_offset=due_year_offset)
    start = period.start
    return DueSpec(
        DeadlineRule(RuleKind.DAYS, (due - start).days),
        dt.datetime.combine(start, dt.time(0, 0), tzinfo=end_of_day(start).tzinfo),
        f"{period.label}开始",
        fixed_date_text(due, start.year),
    )


def report_due_rule_text(ob: Any) -> str | None:
    """Rule text of a `report.due` obligation from its own fields (registered with
    obligations.registry.register_rule_text; no query): a calendar-day rule here is always
    a fixed date counted from the period's first day."""
    from django.utils import timezone

    if getattr(ob, "rule_kind", None) != RuleKind.DAYS:
        return None
    started = timezone.localtime(ob.started_at).date()
    return fixed_date_text(started + dt.timedelta(days=ob.rule_amount), started.year)
