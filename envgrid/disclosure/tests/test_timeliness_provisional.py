"""I4 grid-adjustment deadlines in a year the calendar does not know (issue 15, part 5):
the report owed in 5 working days and the publication owed in 20 open provisional (暂定,
counted over that year's weekdays, flagged with the year) instead of being dropped with a
log line; entering the official year recomputes them, audited, and tells their owners.

2027 is not in the packaged State Council data and not recorded here. A major adjustment
on Mon 28 Dec 2026: the report (5 working days) falls due Mon 4 Jan 2027 counting Fri 1 Jan
as a weekday, Tue 5 Jan once 1 Jan is the official 元旦 holiday; the publication (20) falls
due Mon 25 Jan, then Tue 26 Jan."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from envgrid.core.models import AuditEvent, CalendarYear, Notification
from envgrid.disclosure.timeliness import ADJUSTMENT_PUBLISH_KIND
from envgrid.obligations.models import Obligation, ObligationStatus
from envgrid.obligations.services import users_of_unit
from envgrid.reporting.services import ADJUSTMENT_REPORT_KIND
from envgrid.testing import make_user

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

OFFICIAL_2027 = {
    "notice_ref": "国办发明电〔2026〕测试号",
    "days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}],
}


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


def _adjust(district):
    from envgrid.grids.models import MajorAdjustment
    from envgrid.grids.services import grid_assign

    w = district.world
    grid_assign(
        actor=w.admin,
        grid=district.west,
        role="head",
        person=w.member_staff[0],
        major=True,
        summary="西部街道网格长调整",
    )
    return MajorAdjustment.objects.get(grid=district.west)


def _obligations(adj):
    report = Obligation.objects.get(kind=ADJUSTMENT_REPORT_KIND, subject_id=str(adj.pk))
    publish = Obligation.objects.get(kind=ADJUSTMENT_PUBLISH_KIND, subject_id=str(adj.pk))
    return report, publish


def test_I4_adjustment_report_and_publication_in_an_unknown_year_open_provisional(district, api):
    assert not CalendarYear.objects.filter(year=2027).exists()
    with time_machine.travel(at(2026, 12, 28, 10, 0), tick=False):  # a Monday
        adj = _adjust(district)
    report, publish = _obligations(adj)
    assert report.status == ObligationStatus.OPEN
    assert report.due_at.astimezone(SH) == at(2027, 1, 4, 23, 59, 59)
    assert report.provisional is True and report.provisional_years == [2027]
    assert publish.status == ObligationStatus.OPEN
    assert publish.due_at.astimezone(SH) == at(2027, 1, 25, 23, 59, 59)
    assert publish.provisional is True and publish.provisional_years == [2027]
    # The API says so, with the year.
    api.force_authenticate(district.world.admin)
    body = api.get(f"/api/obligations/{publish.pk}/").json()
    assert body["provisional"] is True
    assert body["provisional_years"] == [2027]


def test_I4_entering_the_official_year_recomputes_the_provisional_adjustment_deadlines(
    district, api
):
    with time_machine.travel(at(2026, 12, 28, 10, 0), tick=False):
        adj = _adjust(district)
    report, publish = _obligations(adj)
    audit_before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    with time_machine.travel(at(2026, 12, 29, 9, 0), tick=False):
        api.force_authenticate(make_user("cal-admin", superuser=True))
        r = api.put("/api/calendar/years/2027/", OFFICIAL_2027, format="json")
        assert r.status_code == 200, r.content
    report.refresh_from_db()
    publish.refresh_from_db()
    assert report.due_at.astimezone(SH) == at(2027, 1, 5, 23, 59, 59)
    assert publish.due_at.astimezone(SH) == at(2027, 1, 26, 23, 59, 59)
    for ob in (report, publish):
        assert ob.provisional is False and ob.provisional_years == []
        assert ob.status == ObligationStatus.OPEN
        assert ob.events.filter(action="recomputed").count() == 1
    audited = set(
        AuditEvent.objects.filter(seq__gt=audit_before, action="obligation.recompute").values_list(
            "object_id", flat=True
        )
    )
    assert audited == {str(report.pk), str(publish.pk)}
    # Each owner is told of the new date: the report's information officer (or its unit's
    # people), the office's people for the publication.
    told = Notification.objects.filter(subject__startswith="期限调整")
    publish_owners = {u.pk for u in users_of_unit(publish.unit_id)}
    assert publish_owners
    assert publish_owners <= set(
        told.filter(subject__contains=publish.title).values_list("recipient_id", flat=True)
    )
    report_told = told.filter(subject__contains=report.title)
    assert report_told.exists()
    assert all("2027-01-04" in n.body and "2027-01-05" in n.body for n in report_told)


def test_I4_adjustment_deadline_in_a_known_year_is_not_provisional(district):
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        adj = _adjust(district)
    report, publish = _obligations(adj)
    assert report.provisional is False and publish.provisional is False
