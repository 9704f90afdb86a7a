"""Working days (工作日) per the State Council's yearly holiday notice.

Known years come from the `chinesecalendar` package; an administrator adds or
corrects a year in the database (CalendarYear/CalendarDay), which wins. A date in a
year neither knows is refused with an error naming the year: no formula predicts
the notice, so guessing would silently produce wrong deadlines.
"""

from __future__ import annotations

import datetime as dt
import threading
from functools import lru_cache

from django.db.models import Count, Max, Q
from django.dispatch import Signal
from django.utils.translation import gettext as _

from .errors import ApplicationError

# Sent after an administrator entered, corrected or marked (un)official a calendar year,
# with `years` (the years whose working days may have changed) and `actor`. Obligations
# recompute the live deadlines computed across those years (issue 15, part 5).
calendar_changed = Signal()


class UnknownCalendarYear(ApplicationError):
    def __init__(self, year: int) -> None:
        super().__init__(
            _("工作日历未包含 %(year)s 年的节假日安排，无法计算期限；请管理员先录入该年度日历。")
            % {"year": year},
            code="calendar_year_unknown",
            fields={"year": year},
        )
        self.year = year


@lru_cache(maxsize=1)
def _package_years() -> frozenset[int]:
    from chinese_calendar import constants

    years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    return frozenset(years)


def _package_is_workday(day: dt.date) -> bool:
    import chinese_calendar

    return bool(chinese_calendar.is_workday(day))


class _Overrides:
    """Per-process cache of the administrator's years, refreshed when they change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._years: set[int] = set()
        self._provisional: set[int] = set()
        self._days: dict[dt.date, bool] = {}

    def _current_version(self) -> tuple:
        from .models import CalendarDay, CalendarYear

        y = CalendarYear.objects.aggregate(
            n=Count("id"), m=Max("updated_at"), p=Count("id", filter=Q(official=False))
        )
        d = CalendarDay.objects.aggregate(
            n=Count("id"), m=Max("id"), w=Count("id", filter=Q(kind=CalendarDay.Kind.WORKDAY))
        )
        return (y["n"], y["m"], y["p"], d["n"], d["m"], d["w"])

    def load(self) -> tuple[set[int], dict[dt.date, bool], set[int]]:
        from .models import CalendarDay, CalendarYear

        version = self._current_version()
        with self._lock:
            if version != self._version:
                self._years = set(CalendarYear.objects.values_list("year", flat=True))
                self._provisional = set(
                    CalendarYear.objects.filter(official=False).values_list("year", flat=True)
                )
                self._days = {
                    day: kind == CalendarDay.Kind.WORKDAY
                    for day, kind in CalendarDay.objects.values_list("date", "kind")
                }
                self._version = version
            return self._years, self._days, self._provisional


_overrides = _Overrides()


class WorkCalendar:
    """A snapshot of the calendar for one computation (one version query, then pure lookups).

    `fallback_unknown=True` answers a year the calendar does not know as the demo
    placeholder does (weekdays only, no holidays) instead of refusing it, and records the
    year in `fallback_years`: a deadline computed that way is provisional (暂定) until the
    official year is entered. Only the obligation kinds registered for it use this (the I4
    grid-adjustment deadlines, whose grid change must not fail for a missing year)."""

    def __init__(self, *, fallback_unknown: bool = False) -> None:
        self.admin_years, self.admin_days, self.provisional_years = _overrides.load()
        self.fallback_unknown = fallback_unknown
        self.fallback_years: set[int] = set()

    def known_years(self) -> set[int]:
        return set(_package_years()) | set(self.admin_years)

    def provisional_in(self, start: dt.date, end: dt.date) -> list[int]:
        """Years from start to end recorded as placeholders, not an official notice: a
        deadline computed across them is provisional (暂定)."""
        lo, hi = min(start, end).year, max(start, end).year
        return sorted(y for y in self.provisional_years if lo <= y <= hi)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.admin_days:
            return self.admin_days[day]
        if day.year in _package_years():
            return _package_is_workday(day)
        if day.year in self.admin_years:
            return day.weekday() < 5
        if self.fallback_unknown:
            self.fallback_years.add(day.year)
            return day.weekday() < 5
        raise UnknownCalendarYear(day.year)

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (start itself not counted, per
        Administrative Penalty Law art. 85). n=0 gives start."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        counted = 0
        while counted < n:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many working days pass from start to end."""
        if end <= start:
            return 0
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


def is_workday(day: dt.date) -> bool:
    return WorkCalendar().is_workday(day)


def add_workdays(start: dt.date, n: int) -> dt.date:
    return WorkCalendar().add_workdays(start, n)


def workdays_between(start: dt.date, end: dt.date) -> int:
    return WorkCalendar().workdays_between(start, end)
