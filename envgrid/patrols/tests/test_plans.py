"""Patrol plans (issue 10 §1): set by the office or the grid's owner unit, through the page
and the API; scoped reads, audited writes, a clear 4xx on bad input."""

from __future__ import annotations

from envgrid.core.models import AuditEvent
from envgrid.patrols.models import PatrolPlan
from envgrid.patrols.selectors import coverage

from .conftest import T0


def test_plan_api_set_by_owner_unit_scoped_and_audited(patrol_world, api):
    w = patrol_world
    url = f"/api/patrol-plans/{w.a1.pk}/"
    api.force_authenticate(w.a1_unit_person.user)  # owner unit of A1
    r = api.get(url)
    assert r.status_code == 200 and r.json()["every_days"]["key"] == 7
    assert r.json()["can_change"] is True and r.json()["staff"] == []
    body = {"staff": [w.staff.pk], "every_days": {"key": 3, "site": None}, "notes": "汛期加密"}
    r = api.put(url, body, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["own"] == {"key": 3} and r.json()["every_days"]["general"] == 14
    assert [s["name"] for s in r.json()["staff"]] == ["网格员甲"]
    event = AuditEvent.objects.filter(action="patrol.plan_set").last()
    assert event.after["every_days"] == {"key": 3} and event.before is None
    # Replacing the frequencies: a category left out falls back to the default.
    r = api.put(url, {"staff": [w.staff.pk], "every_days": {"general": 10}}, format="json")
    assert r.json()["own"] == {"general": 10}
    assert AuditEvent.objects.filter(action="patrol.plan_set").last().before["every_days"] == {
        "key": 3
    }
    [gc] = coverage([w.a1], T0, T0 + dt_days(14))
    assert {e.every_days for e in gc.entities if e.entity.category == "general"} == {10}


def dt_days(n):
    import datetime as dt

    return dt.timedelta(days=n)


def test_plan_api_bad_input_is_a_clear_400_and_writes_nothing(patrol_world, api):
    w = patrol_world
    url = f"/api/patrol-plans/{w.a1.pk}/"
    api.force_authenticate(w.world.office_staff.user)
    bad = [
        ({"staff": [], "every_days": {"key": 0}}, "plan_invalid", "key"),
        ({"staff": [], "every_days": {"key": 400}}, "plan_invalid", "key"),
        ({"staff": [], "every_days": {"boats": 7}}, "plan_invalid", "boats"),
        ({"staff": [w.other_staff.pk], "every_days": {}}, "plan_invalid", "staff"),
        ({"staff": [999999], "every_days": {}}, "staff_invalid", "staff"),
        ({"staff": "x", "every_days": {}}, None, "staff"),
        ({"staff": [], "every_days": {"key": "weekly"}}, None, "every_days"),
    ]
    for body, code, field in bad:
        r = api.put(url, body, format="json")
        assert r.status_code == 400, (body, r.content)
        if code:
            assert r.json()["code"] == code, body
        assert field in r.json()["fields"], (body, r.json())
    assert not PatrolPlan.objects.exists()
    assert not AuditEvent.objects.filter(action="patrol.plan_set").exists()


def test_plan_api_who_may_set_and_see(patrol_world, api):
    w = patrol_world
    url = f"/api/patrol-plans/{w.a1.pk}/"
    body = {"staff": [w.staff.pk], "every_days": {"key": 5}}
    # Grid staff of A1 sees the plan but may not set it; other grids' people don't see it.
    api.force_authenticate(w.staff.user)
    assert api.get(url).status_code == 200
    assert api.put(url, body, format="json").status_code == 403
    for user in (w.other_staff.user, w.world.outsider.user):
        api.force_authenticate(user)
        assert api.get(url).status_code == 404
        assert api.put(url, body, format="json").status_code == 404
    api.force_authenticate(w.world.office_staff.user)
    assert api.put(url, body, format="json").status_code == 200
    codes = [g["grid_code"] for g in api.get("/api/patrol-plans/").json()["results"]]
    assert "A1" in codes
    api.force_authenticate(w.other_staff.user)
    codes = [g["grid_code"] for g in api.get("/api/patrol-plans/").json()["results"]]
    assert "A1" not in codes


def test_plan_page(patrol_world, client):
    w = patrol_world
    client.force_login(w.a1_unit_person.user)
    r = client.get("/patrols/plans/")
    assert r.status_code == 200 and "甲一社区" in r.content.decode()
    url = f"/patrols/plans/{w.a1.pk}/"
    page = client.get(url).content.decode()
    assert "网格员甲" in page and 'name="every_key"' in page
    r = client.post(url, {"every_key": "0", "every_general": "", "staff": [w.staff.pk]})
    assert r.status_code == 400 and "须为 1 至 366 之间的整数天数" in r.content.decode()
    assert not PatrolPlan.objects.exists()
    r = client.post(
        url, {"every_key": "5", "every_general": "", "staff": [w.staff.pk], "notes": "合成"}
    )
    assert r.status_code == 302
    plan = PatrolPlan.objects.get(grid=w.a1)
    assert plan.every_days()["key"] == 5 and list(plan.staff.all()) == [w.staff]
    client.force_login(w.staff.user)
    assert client.get(url).status_code == 403
    client.force_login(w.other_staff.user)
    assert client.get(url).status_code == 404
