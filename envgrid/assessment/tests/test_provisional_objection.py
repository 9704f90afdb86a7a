"""Issue 15 part 5 for the assessment's own deadline field: an A3 objection window counted
across a placeholder calendar year is provisional in the API and on the page, and entering
the official year recomputes it (audited, the assessed units told)."""

from __future__ import annotations

import pytest
import time_machine

from envgrid.assessment.models import Assessment
from envgrid.core.models import AuditEvent, CalendarYear, Notification
from envgrid.testing import make_user

from .conftest import at
from .test_workflow import finalised, login, opened  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_A3_objection_deadline_across_a_placeholder_year_is_provisional_then_recomputed(
    world,
    finalised,  # noqa: F811
    api,
    client,
):
    CalendarYear.objects.create(year=2027, notice_ref="（演示占位，非国务院通知）", official=False)
    # Finalised Tue 29 Dec 2026: 5 working days are 30, 31 Dec, then (placeholder: weekdays)
    # Fri 1, Mon 4, Tue 5 Jan 2027.
    from envgrid.assessment.services import objection_deadline_for

    Assessment.objects.filter(pk=finalised.pk).update(
        finalised_at=at(2026, 12, 29, 10),
        objection_deadline=objection_deadline_for(at(2026, 12, 29, 10), 5),
    )
    finalised.refresh_from_db()
    assert finalised.objection_deadline == at(2027, 1, 5, 23, 59, 59)
    with time_machine.travel(at(2026, 12, 30, 9), tick=False):
        login(api, world.director)
        body = api.get(f"/api/assessment/assessments/{finalised.pk}/").json()
        assert body["objection_provisional"] is True
        assert body["objection_provisional_years"] == [2027]
        client.force_login(world.director.user)
        page = client.get(finalised.get_absolute_url()).content.decode()
        assert 'data-provisional-years="2027"' in page

        api.force_authenticate(make_user("cal-admin", superuser=True))
        r = api.put(
            "/api/calendar/years/2027/",
            {
                "notice_ref": "国办发明电〔2026〕测试号",
                "days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}],
            },
            format="json",
        )
        assert r.status_code == 200, r.content
    finalised.refresh_from_db()
    # With 1 Jan a holiday the window ends Wed 6 Jan 2027, no longer provisional.
    assert finalised.objection_deadline == at(2027, 1, 6, 23, 59, 59)
    assert finalised.provisional_years == []
    audit = AuditEvent.objects.get(action="assessment.objection_recompute")
    assert audit.before["objection_deadline"].startswith("2027-01-05")
    unit_users = {p.user for p in world.member_staff}
    told = {n.recipient for n in Notification.objects.filter(body__contains="2027-01-06")}
    assert unit_users <= told
