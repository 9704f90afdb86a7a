"""Working-day calendar: the State Council notice as data (SPEC "Calendar")."""

import datetime as dt

import pytest

from envgrid.core.calendar import UnknownCalendarYear, add_workdays, is_workday, workdays_between
from envgrid.core.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db


def test_calendar_known_answer_2025_national_day():
    # 2025-09-28 is a make-up working day; Oct 1-8 are holidays; Oct 11 (Sat) is worked.
    assert add_workdays(dt.date(2025, 9, 28), 15) == dt.date(2025, 10, 24)


def test_calendar_known_answer_2026_national_day():
    assert add_workdays(dt.date(2026, 9, 25), 15) == dt.date(2026, 10, 22)


def test_calendar_makeup_day_is_a_workday_and_holiday_is_not():
    assert is_workday(dt.date(2025, 9, 28))  # Sunday, 调休上班
    assert not is_workday(dt.date(2025, 10, 3))
    assert not is_workday(dt.date(2025, 10, 4))  # Saturday in the holiday


def test_calendar_counts_between():
    assert workdays_between(dt.date(2025, 9, 28), dt.date(2025, 10, 24)) == 15
    assert workdays_between(dt.date(2025, 10, 24), dt.date(2025, 9, 28)) == 0


def test_calendar_unknown_year_is_refused_naming_the_year():
    with pytest.raises(UnknownCalendarYear) as exc:
        add_workdays(dt.date(2099, 3, 2), 3)
    assert "2099" in exc.value.message
    assert exc.value.code == "calendar_year_unknown"


def test_calendar_deadline_running_into_unknown_year_is_refused():
    with pytest.raises(UnknownCalendarYear) as exc:
        add_workdays(dt.date(2026, 12, 25), 15)
    assert exc.value.year == 2027


def test_calendar_admin_adds_a_year():
    year = CalendarYear.objects.create(year=2027, notice_ref="国办发明电〔2026〕X号（测试）")
    CalendarDay.objects.create(
        year=year, date=dt.date(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦"
    )
    # Fri 2026-12-25 + 5 working days: 28, 29, 30, 31 Dec, then 1 Jan is a holiday -> Mon 4 Jan.
    assert add_workdays(dt.date(2026, 12, 25), 5) == dt.date(2027, 1, 4)


def test_calendar_admin_override_of_a_known_year_changes_the_answer():
    before = add_workdays(dt.date(2025, 9, 28), 15)
    year = CalendarYear.objects.create(year=2025, notice_ref="更正（测试）")
    # Declare 2025-10-13 a holiday: the 15th working day moves one working day later.
    CalendarDay.objects.create(year=year, date=dt.date(2025, 10, 13), kind=CalendarDay.Kind.HOLIDAY)
    after = add_workdays(dt.date(2025, 9, 28), 15)
    assert before == dt.date(2025, 10, 24)
    assert after == dt.date(2025, 10, 27)
