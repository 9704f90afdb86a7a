"""Calendar administration (SPEC "Calendar"): an administrator adds or corrects a year
through the API or the admin site, and the deadline answers change with it."""

import pytest

from envgrid.core.models import AuditEvent, CalendarDay, CalendarYear
from envgrid.testing import make_user

pytestmark = pytest.mark.django_db

NATIONAL_DAY_2025 = "/api/calendar/deadline/?start=2025-09-28&amount=15"
INTO_2027 = "/api/calendar/deadline/?start=2026-12-25&amount=5"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_api(api):
    api.force_authenticate(make_user("cal-admin", superuser=True))
    return api


def state():
    return (
        CalendarYear.objects.count(),
        sorted(CalendarDay.objects.values_list("date", "kind")),
        list(CalendarYear.objects.values_list("year", "notice_ref")),
        AuditEvent.objects.count(),
    )


YEAR_2027 = {
    "year": 2027,
    "notice_ref": "国办发明电〔2026〕X号（测试）",
    "days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}],
}


def test_deadline_into_an_unknown_year_is_refused_naming_the_year(admin_api):
    r = admin_api.get(INTO_2027)
    assert r.status_code == 400
    assert r.json()["code"] == "calendar_year_unknown" and "2027" in r.json()["message"]


def test_admin_adds_a_year_and_the_deadline_answer_appears(admin_api):
    r = admin_api.post("/api/calendar/years/", YEAR_2027)
    assert r.status_code == 201, r.content
    assert r.json()["days"][0]["name"] == "元旦"
    # Fri 25 Dec 2026 + 5 working days: 28–31 Dec, 1 Jan is a holiday, so Mon 4 Jan 2027.
    answer = admin_api.get(INTO_2027)
    assert answer.status_code == 200 and answer.json()["due_date"] == "2027-01-04"
    ev = AuditEvent.objects.order_by("-seq").first()
    assert ev.action == "calendar.year.create" and ev.after["days"][0]["date"] == "2027-01-01"
    assert 2027 in admin_api.get("/api/calendar/years/").json()["known_years"]


def test_admin_corrects_a_known_year_and_the_deadline_moves(admin_api):
    assert admin_api.get(NATIONAL_DAY_2025).json()["due_date"] == "2025-10-24"
    r = admin_api.put(
        "/api/calendar/years/2025/",
        {
            "notice_ref": "更正（测试）",
            "days": [{"date": "2025-10-13", "kind": "holiday", "name": "测试更正"}],
        },
    )
    assert r.status_code == 200, r.content
    assert admin_api.get(NATIONAL_DAY_2025).json()["due_date"] == "2025-10-27"
    # A second correction replaces the first: the answer goes back.
    r = admin_api.put("/api/calendar/years/2025/", {"notice_ref": "再更正（测试）", "days": []})
    assert r.status_code == 200
    assert admin_api.get(NATIONAL_DAY_2025).json()["due_date"] == "2025-10-24"
    ev = AuditEvent.objects.order_by("-seq").first()
    assert ev.action == "calendar.year.update" and ev.before["days"][0]["date"] == "2025-10-13"


def test_make_up_working_day_counts(admin_api):
    # Declare Sat 2027-01-09 a make-up working day: Fri 8 Jan + 1 working day = Sat 9 Jan.
    payload = {**YEAR_2027, "days": [{"date": "2027-01-09", "kind": "workday", "name": "调休"}]}
    assert admin_api.post("/api/calendar/years/", payload).status_code == 201
    r = admin_api.get("/api/calendar/deadline/?start=2027-01-08&amount=1")
    assert r.json()["due_date"] == "2027-01-09"


def test_non_administrators_cannot_change_the_calendar(api, world):
    before = state()
    api.force_authenticate(world.director.user)
    r = api.post("/api/calendar/years/", YEAR_2027)
    assert r.status_code == 403 and r.json()["message"]
    assert api.put("/api/calendar/years/2025/", {"notice_ref": "x", "days": []}).status_code == 403
    assert state() == before
    # Everyone signed in may ask for a deadline.
    assert api.get(NATIONAL_DAY_2025).json()["due_date"] == "2025-10-24"


def test_anonymous_cannot_use_the_calendar_api(api):
    assert api.get(NATIONAL_DAY_2025).status_code in (401, 403)
    assert api.post("/api/calendar/years/", YEAR_2027).status_code in (401, 403)


@pytest.mark.parametrize(
    "payload, status, code",
    [
        (
            {**YEAR_2027, "days": [{"date": "2026-12-31", "kind": "holiday"}]},
            400,
            "day_outside_year",
        ),
        (
            {
                **YEAR_2027,
                "days": [
                    {"date": "2027-01-01", "kind": "holiday"},
                    {"date": "2027-01-01", "kind": "workday"},
                ],
            },
            400,
            "day_duplicate",
        ),
        ({**YEAR_2027, "days": [{"date": "2027-01-01", "kind": "nap"}]}, 400, "invalid"),
        ({**YEAR_2027, "days": [{"date": "2027-02-30", "kind": "holiday"}]}, 400, "invalid"),
        ({**YEAR_2027, "notice_ref": ""}, 400, "invalid"),
        ({**YEAR_2027, "notice_ref": "   "}, 400, "invalid"),
        ({**YEAR_2027, "year": 1800}, 400, "invalid"),
        ({**YEAR_2027, "year": "next"}, 400, "invalid"),
        ({"year": 2027, "notice_ref": "x"}, 400, "invalid"),
        ({**YEAR_2027, "days": "2027-01-01"}, 400, "invalid"),
    ],
)
def test_bad_calendar_input_is_refused_and_nothing_written(admin_api, payload, status, code):
    before = state()
    r = admin_api.post("/api/calendar/years/", payload, format="json")
    assert r.status_code == status, r.content
    assert r.json()["code"] == code and r.json()["message"]
    assert state() == before


def test_adding_a_recorded_year_again_is_409_and_writes_nothing(admin_api):
    assert admin_api.post("/api/calendar/years/", YEAR_2027).status_code == 201
    before = state()
    r = admin_api.post("/api/calendar/years/", {**YEAR_2027, "notice_ref": "另一个"})
    assert r.status_code == 409 and r.json()["code"] == "calendar_year_exists"
    assert state() == before


def test_put_outside_year_is_refused_without_touching_the_recorded_days(admin_api):
    assert admin_api.post("/api/calendar/years/", YEAR_2027).status_code == 201
    before = state()
    r = admin_api.put(
        "/api/calendar/years/2027/",
        {"notice_ref": "x", "days": [{"date": "2028-01-01", "kind": "holiday"}]},
    )
    assert r.status_code == 400 and r.json()["code"] == "day_outside_year"
    assert state() == before


@pytest.mark.parametrize(
    "query",
    [
        "",
        "start=2025-09-28",
        "start=tomorrow&amount=3",
        "start=2025-09-28&amount=-1",
        "start=2025-09-28&amount=3&kind=fortnights",
    ],
)
def test_bad_deadline_queries_are_400(admin_api, query):
    r = admin_api.get(f"/api/calendar/deadline/?{query}")
    assert r.status_code == 400 and r.json()["code"] == "invalid" and r.json()["fields"]


def test_unrecorded_year_detail_is_404(admin_api):
    assert admin_api.get("/api/calendar/years/2031/").status_code == 404


def test_admin_site_adds_a_year_with_its_days_and_it_is_audited(client):
    client.force_login(make_user("cal-admin2", superuser=True))
    before_events = AuditEvent.objects.count()
    r = client.post(
        "/admin/core/calendaryear/add/",
        {
            "year": "2027",
            "notice_ref": "国办发明电〔2026〕X号（测试）",
            "note": "",
            "days-TOTAL_FORMS": "1",
            "days-INITIAL_FORMS": "0",
            "days-MIN_NUM_FORMS": "0",
            "days-MAX_NUM_FORMS": "1000",
            "days-0-date": "2027-01-01",
            "days-0-kind": "holiday",
            "days-0-name": "元旦",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert CalendarDay.objects.get().date.isoformat() == "2027-01-01"
    actions = list(
        AuditEvent.objects.filter(seq__gt=before_events).values_list("action", flat=True)
    )
    assert actions == ["admin.core.calendaryear.create", "admin.core.calendarday.create"]
    import datetime as dt

    from envgrid.core.calendar import add_workdays

    assert add_workdays(dt.date(2026, 12, 25), 5) == dt.date(2027, 1, 4)


def test_admin_site_refuses_a_day_outside_its_year(client):
    client.force_login(make_user("cal-admin3", superuser=True))
    before = state()
    r = client.post(
        "/admin/core/calendaryear/add/",
        {
            "year": "2027",
            "notice_ref": "x",
            "days-TOTAL_FORMS": "1",
            "days-INITIAL_FORMS": "0",
            "days-MIN_NUM_FORMS": "0",
            "days-MAX_NUM_FORMS": "1000",
            "days-0-date": "2028-01-01",
            "days-0-kind": "holiday",
        },
    )
    assert r.status_code == 200 and "日期须在本年度内" in r.content.decode()
    assert state() == before


def test_deadline_in_a_placeholder_year_is_answered_as_provisional(admin_api):
    """Issue 15, part 5: a year recorded as a placeholder (not the State Council notice)
    gives a deadline, but says it is provisional and names the year; the official notice
    for the same year makes the same question a plain answer."""
    import datetime as dt

    import time_machine

    CalendarYear.objects.create(year=2027, notice_ref="（演示占位，非国务院通知）", official=False)
    with time_machine.travel(dt.datetime(2026, 12, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        r = admin_api.get(INTO_2027)
        assert r.status_code == 200, r.json()
        body = r.json()
        assert body["provisional"] is True
        assert body["provisional_years"] == [2027]
        # Inside the packaged (official) year the answer is not provisional.
        r = admin_api.get(NATIONAL_DAY_2025)
        assert r.json()["provisional"] is False
        assert r.json()["provisional_years"] == []
        year = CalendarYear.objects.get(year=2027)
        year.official, year.notice_ref = True, "国办发明电〔2026〕测试号"
        year.save()
        r = admin_api.get(INTO_2027)
        assert r.json()["provisional"] is False
