"""Issue 15 part 5: a deadline computed across a placeholder calendar year is provisional
(暂定) on the obligation, in the API and on the page; entering the official year recomputes
the live ones (audited, owners notified); a year the calendar does not know is refused.

The placeholder is 2027 (the packaged State Council data ends with 2026). Started on
Sun 20 Dec 2026, 15 working days: 21–25 and 28–31 Dec (9), then weekdays of 2027. With the
placeholder (weekdays only) Fri 1 Jan counts, so the due day is Fri 8 Jan 2027; with the
official notice (1 Jan a holiday) it is Mon 11 Jan 2027.
"""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from envgrid.core.calendar import UnknownCalendarYear
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.models import AuditEvent, CalendarYear, Notification
from envgrid.obligations.models import Obligation, ObligationEvent, ObligationStatus
from envgrid.obligations.services import (
    obligation_complete,
    obligation_open,
    obligations_recompute_for_calendar,
    sweep,
)
from envgrid.testing import make_user

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

T4_FEEDBACK = DeadlineRule(RuleKind.WORKDAYS, 15)  # T4: feedback within 15 working days
OFFICIAL_2027 = {
    "notice_ref": "国办发明电〔2026〕测试号",
    "days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}],
}


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def placeholder(year=2027):
    return CalendarYear.objects.create(
        year=year, notice_ref="（演示占位，非国务院通知）", official=False
    )


def open_t4(world, i=0, start=None):
    start = start or at(2026, 12, 20, 10, 0)
    return obligation_open(
        unit=world.members[i],
        person=world.member_staff[i],
        kind="test.transfer.feedback",
        title=f"反馈查处结果（{world.members[i].name}）",
        rule=T4_FEEDBACK,
        start_at=start,
        start_event="查处完成",
    )


def test_T4_feedback_deadline_across_a_placeholder_year_is_provisional_everywhere(world, api):
    placeholder()
    with time_machine.travel(at(2026, 12, 21, 9, 0), tick=False):
        ob = open_t4(world)
        inside_2026 = open_t4(world, 1, start=at(2026, 11, 2, 10, 0))
        assert ob.provisional is True and ob.provisional_years == [2027]
        assert ob.due_at == at(2027, 1, 8, 23, 59, 59)
        # A deadline wholly inside an official year is not provisional.
        assert inside_2026.provisional is False and inside_2026.provisional_years == []

        # API: the obligation says provisional, with the year.
        api.force_authenticate(world.member_staff[0].user)
        body = api.get(f"/api/obligations/{ob.pk}/").json()
        assert body["provisional"] is True
        assert body["provisional_years"] == [2027]
        mine = {row["id"]: row for row in api.get("/api/obligations/mine/").json()["results"]}
        assert mine[ob.pk]["provisional_years"] == [2027]

        # Pages: the detail page and the task list carry the 暂定 mark with its explanation.
        from django.test import Client

        client = Client()
        client.force_login(world.member_staff[0].user)
        page = client.get(reverse("obligations:detail", args=[ob.pk])).content.decode()
        assert 'data-provisional-years="2027"' in page
        assert "暂定" in page and "2027 年的工作日历尚未按国务院通知录入" in page
        home = client.get("/").content.decode()
        assert 'data-provisional-years="2027"' in home

        # The other unit's official deadline shows no mark on its page.
        client.force_login(world.member_staff[1].user)
        page = client.get(reverse("obligations:detail", args=[inside_2026.pk])).content.decode()
        assert "data-provisional-years" not in page


def test_T4_entering_the_official_year_recomputes_audits_notifies_and_clears_provisional(
    world, api
):
    placeholder()
    with time_machine.travel(at(2026, 12, 21, 9, 0), tick=False):
        ob = open_t4(world)
        closed = open_t4(world, 1)
        obligation_complete(obligation=closed, at=at(2026, 12, 22, 9, 0))
        untouched = open_t4(world, 2, start=at(2026, 11, 2, 10, 0))
        untouched_due = untouched.due_at
        audit_before = AuditEvent.objects.count()

        api.force_authenticate(make_user("cal-admin", superuser=True))
        r = api.put("/api/calendar/years/2027/", OFFICIAL_2027, format="json")
        assert r.status_code == 200, r.content
        assert r.json()["official"] is True

    ob.refresh_from_db()
    assert ob.due_at == at(2027, 1, 11, 23, 59, 59)
    assert ob.provisional is False and ob.provisional_years == []
    assert ob.status == ObligationStatus.OPEN
    event = ob.events.get(action="recomputed")
    assert event.due_at == ob.due_at and "2027" in event.note
    audit = AuditEvent.objects.filter(seq__gt=audit_before, action="obligation.recompute").get()
    assert audit.object_id == str(ob.pk)
    assert audit.before["due_at"].startswith("2027-01-08")
    assert audit.after["due_at"].startswith("2027-01-11")
    assert audit.after["calendar_years"] == [2027]
    # The owner is told of the new date.
    note = Notification.objects.get(recipient=world.member_staff[0].user)
    assert "2027-01-08" in note.body and "2027-01-11" in note.body
    # A closed obligation and one wholly in 2026 are not touched, and nobody else is told.
    closed.refresh_from_db()
    untouched.refresh_from_db()
    assert closed.due_at == at(2027, 1, 8, 23, 59, 59) and closed.provisional is True
    assert untouched.due_at == untouched_due
    assert not ObligationEvent.objects.filter(
        obligation__in=[closed, untouched], action="recomputed"
    ).exists()
    assert Notification.objects.count() == 1


def test_provisional_flag_cleared_in_admin_site_without_a_date_change_is_audited_not_notified(
    world, client
):
    """Marking the placeholder official in the admin (its days already right) keeps the due
    date; the flag clears, audited, and nobody is told of an unchanged date."""
    year = placeholder()
    with time_machine.travel(at(2026, 12, 21, 9, 0), tick=False):
        ob = open_t4(world)
        due = ob.due_at
        client.force_login(make_user("cal-admin-site", superuser=True))
        r = client.post(
            f"/admin/core/calendaryear/{year.pk}/change/",
            {
                "year": "2027",
                "notice_ref": "国办发明电〔2026〕测试号",
                "note": "",
                "official": "on",
                "days-TOTAL_FORMS": "0",
                "days-INITIAL_FORMS": "0",
                "days-MIN_NUM_FORMS": "0",
                "days-MAX_NUM_FORMS": "1000",
            },
        )
        assert r.status_code == 302, r.content.decode()[:2000]
    ob.refresh_from_db()
    assert ob.due_at == due and ob.provisional is False and ob.provisional_years == []
    audit = AuditEvent.objects.get(action="obligation.recompute")
    assert audit.actor_repr and audit.before["provisional"] is True
    assert audit.after["provisional"] is False
    assert not Notification.objects.exists()


def test_provisional_year_marked_unofficial_flags_the_live_deadlines_it_crosses(world, api):
    """The reverse: an administrator records 2027 as a placeholder after the obligation was
    opened against an official 2027 — the live deadline becomes provisional."""
    CalendarYear.objects.create(year=2027, notice_ref="国办发明电〔2026〕测试号")
    with time_machine.travel(at(2026, 12, 21, 9, 0), tick=False):
        ob = open_t4(world)
        assert ob.provisional is False
        api.force_authenticate(make_user("cal-admin", superuser=True))
        r = api.put(
            "/api/calendar/years/2027/",
            {"notice_ref": "（占位）", "days": [], "official": False},
            format="json",
        )
        assert r.status_code == 200, r.content
    ob.refresh_from_db()
    assert ob.provisional is True and ob.provisional_years == [2027]


def test_provisional_recompute_does_not_move_statuses(world):
    """Only due dates are recomputed: an overdue item stays overdue (the workflows move
    statuses), an open one whose new date has passed goes overdue at the next sweep."""
    placeholder()
    with time_machine.travel(at(2026, 12, 21, 9, 0), tick=False):
        ob = open_t4(world)
    with time_machine.travel(at(2027, 1, 9, 9, 0), tick=False):
        sweep()
        ob.refresh_from_db()
        assert ob.status == ObligationStatus.OVERDUE
        year = CalendarYear.objects.get(year=2027)
        year.official = True
        year.save()
        year.days.create(date=dt.date(2027, 1, 1), kind="holiday", name="元旦")
        result = obligations_recompute_for_calendar(years=[2027])
    ob.refresh_from_db()
    assert result.moved == 1
    assert ob.due_at == at(2027, 1, 11, 23, 59, 59)
    assert ob.status == ObligationStatus.OVERDUE


def test_T4_deadline_in_an_unknown_year_is_refused_with_no_calendar_day_fallback(world):
    """No record of 2027 at all: opening the T4 deadline is refused naming the year, and
    nothing is written."""
    with time_machine.travel(at(2026, 12, 21, 9, 0), tick=False):
        n = Obligation.objects.count()
        with pytest.raises(UnknownCalendarYear) as exc:
            open_t4(world)
        assert exc.value.code == "calendar_year_unknown" and "2027" in exc.value.message
        assert Obligation.objects.count() == n


def test_provisional_extension_into_an_unknown_year_is_a_400_naming_the_year(world, api):
    """The hand extension of a free-standing obligation whose new deadline would fall in a
    year the calendar does not know: a 400 with the reason, nothing changed."""
    with time_machine.travel(at(2026, 12, 1, 9, 0), tick=False):
        ob = obligation_open(
            unit=world.members[0],
            person=world.member_staff[0],
            kind="test.free",
            title="自由事项",
            rule=DeadlineRule(RuleKind.WORKDAYS, 5),
            start_at=at(2026, 12, 1, 9, 0),
            start_event="开始",
        )
        due = ob.due_at
        api.force_authenticate(world.director.user)
        r = api.post(
            f"/api/obligations/{ob.pk}/extend/", {"amount": 30, "reason": "需要"}, format="json"
        )
    assert r.status_code == 400, r.content
    assert r.json()["code"] == "calendar_year_unknown"
    assert "2027" in r.json()["message"]
    ob.refresh_from_db()
    assert ob.due_at == due and not ob.extensions.exists()


def test_provisional_recompute_into_an_unknown_year_is_a_logged_skip(world, caplog):
    """Correcting 2027 so that a live deadline would run into 2028 (unknown): that item is
    left as it was and the skip is logged, the rest are recomputed."""
    placeholder()
    with time_machine.travel(at(2027, 12, 10, 9, 0), tick=False):
        late = obligation_open(
            unit=world.members[0],
            kind="test.free",
            title="年末事项",
            rule=DeadlineRule(RuleKind.WORKDAYS, 14),  # Fri 10 Dec + 14 = Thu 30 Dec 2027
            start_at=at(2027, 12, 10, 9, 0),
            start_event="开始",
        )
        assert late.due_at == at(2027, 12, 30, 23, 59, 59)
        year = CalendarYear.objects.get(year=2027)
        year.days.create(date=dt.date(2027, 12, 30), kind="holiday", name="测试")
        year.days.create(date=dt.date(2027, 12, 31), kind="holiday", name="测试")
        with caplog.at_level(logging.WARNING, logger="envgrid.obligations.services"):
            result = obligations_recompute_for_calendar(years=[2027])
    assert len(result.skipped) == 1 and "2028" in result.skipped[0]
    assert "2028" in caplog.text
    late.refresh_from_db()
    assert late.due_at == at(2027, 12, 30, 23, 59, 59)


def test_T6_register_and_api_filter_provisional_deadlines_and_export_the_mark(world, api):
    """The list API and the register page filter on provisional=true/false; the register's
    .xlsx carries a 暂定 column naming the year; a bad value is a 400."""
    import io

    from django.test import Client
    from openpyxl import load_workbook

    placeholder()
    with time_machine.travel(at(2026, 12, 21, 9, 0), tick=False):
        provisional = open_t4(world)  # due Fri 8 Jan 2027, across the placeholder
        official = open_t4(world, start=at(2026, 11, 2, 10, 0))  # due in November 2026
    with time_machine.travel(at(2027, 1, 9, 9, 0), tick=False):
        sweep()
        api.force_authenticate(world.office_staff.user)

        def ids(query):
            r = api.get(f"/api/obligations/?{query}")
            assert r.status_code == 200, r.content
            return {row["id"] for row in r.json()["results"]}

        assert provisional.pk in ids("provisional=true")
        assert official.pk not in ids("provisional=true")
        assert official.pk in ids("provisional=false")
        assert provisional.pk not in ids("provisional=false")
        bad = api.get("/api/obligations/?provisional=maybe")
        assert bad.status_code == 400 and "provisional" in bad.json()["fields"]

        client = Client()
        client.force_login(world.office_staff.user)
        url = reverse("obligations:register")
        page = client.get(url + "?provisional=true").content.decode()
        assert f'href="{reverse("obligations:detail", args=[provisional.pk])}"' in page
        assert f'href="{reverse("obligations:detail", args=[official.pk])}"' not in page
        assert 'name="provisional"' in page
        only_official = client.get(url + "?provisional=false").content.decode()
        assert f'href="{reverse("obligations:detail", args=[provisional.pk])}"' not in (
            only_official
        )
        assert f'href="{reverse("obligations:detail", args=[official.pk])}"' in only_official
        r = client.get(url + "?format=xlsx")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    col = rows[0].index("暂定")
    marks = {row[rows[0].index("截止时间")].date(): row[col] for row in rows[1:]}
    assert marks[dt.date(2027, 1, 8)] == "是（2027 年日历未正式录入）"
    assert marks[official.due_at.astimezone(SH).date()] == "否"
