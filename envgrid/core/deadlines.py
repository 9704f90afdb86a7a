"""Deadline rules: n working days, n calendar days or n hours from a start event.

A rule is data (kind + amount), kept with what it was computed from so a deadline
can be recomputed after a pause or an extension, and shown to people as a sentence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .calendar import WorkCalendar


class RuleKind(models.TextChoices):
    WORKDAYS = "workdays", _("工作日")
    DAYS = "days", _("自然日")
    HOURS = "hours", _("小时")


@dataclass(frozen=True)
class DeadlineRule:
    kind: str
    amount: int

    def describe(self) -> str:
        return f"{self.amount} {RuleKind(self.kind).label}"


def end_of_day(day: dt.date) -> dt.datetime:
    """Day-based deadlines fall due at the end of their last day, local time."""
    tz = timezone.get_current_timezone()
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz)


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


@dataclass(frozen=True)
class Due:
    """A computed due time and the placeholder calendar years it was computed across:
    non-empty means the deadline is provisional (暂定) until the official notice is
    entered for those years (issue 15, part 5)."""

    at: dt.datetime
    provisional_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.provisional_years)


def compute_due_detail(
    rule: DeadlineRule,
    start: dt.datetime,
    *,
    pauses: Iterable[tuple[dt.datetime, dt.datetime]] = (),
    extra_workdays: int = 0,
    extra_days: int = 0,
    extra_hours: int = 0,
    calendar: WorkCalendar | None = None,
    fallback_unknown: bool = False,
) -> Due:
    """Due time of `rule` started at `start`, moved by pauses and extensions, with the
    placeholder years it crossed.

    Pauses count in the rule's own unit: a working-day rule is moved by the working
    days inside the pause, a calendar-day rule by its calendar days, an hour rule by
    its duration. Only a working-day rule reads the holiday calendar, so only it can be
    provisional; a year the calendar does not know raises UnknownCalendarYear (no
    calendar-day fallback) unless `fallback_unknown`, which counts that year's weekdays
    as the placeholder does and flags the deadline provisional with that year.
    """
    cal = calendar or WorkCalendar(fallback_unknown=fallback_unknown)
    pauses = list(pauses)
    if rule.kind == RuleKind.HOURS:
        paused = sum(((b - a) for a, b in pauses), dt.timedelta())
        return Due(start + dt.timedelta(hours=rule.amount + extra_hours) + paused)
    start_day = local_date(start)
    if rule.kind == RuleKind.DAYS:
        paused_days = sum((local_date(b) - local_date(a)).days for a, b in pauses)
        due_day = start_day + dt.timedelta(days=rule.amount + extra_days + paused_days)
        return Due(end_of_day(due_day))
    paused_workdays = sum(cal.workdays_between(local_date(a), local_date(b)) for a, b in pauses)
    due_day = cal.add_workdays(start_day, rule.amount + extra_workdays + paused_workdays)
    read = [start_day, due_day, *(local_date(m) for p in pauses for m in p)]
    years = set(cal.provisional_in(min(read), max(read))) | cal.fallback_years
    return Due(end_of_day(due_day), tuple(sorted(years)))


def compute_due(
    rule: DeadlineRule,
    start: dt.datetime,
    *,
    pauses: Iterable[tuple[dt.datetime, dt.datetime]] = (),
    extra_workdays: int = 0,
    extra_days: int = 0,
    extra_hours: int = 0,
    calendar: WorkCalendar | None = None,
) -> dt.datetime:
    """Due time of `rule` started at `start` (see compute_due_detail)."""
    return compute_due_detail(
        rule,
        start,
        pauses=pauses,
        extra_workdays=extra_workdays,
        extra_days=extra_days,
        extra_hours=extra_hours,
        calendar=calendar,
    ).at
