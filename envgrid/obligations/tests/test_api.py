"""Obligations API: "my obligations", scoped detail with history, the overdue register (T6),
and pause / resume / extend / complete by those allowed — bad input writes nothing."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.models import AuditEvent
from envgrid.obligations.models import (
    Obligation,
    ObligationEvent,
    ObligationExtension,
    ObligationPause,
)
from envgrid.obligations.services import obligation_open, sweep

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # World makes several logins per test; PBKDF2's cost would dominate without testing anything.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def state():
    return (
        Obligation.objects.count(),
        ObligationEvent.objects.count(),
        ObligationPause.objects.count(),
        ObligationExtension.objects.count(),
        AuditEvent.objects.count(),
        list(Obligation.objects.order_by("pk").values_list("status", "due_at", "paused_since")),
    )


@pytest.fixture
def obs(world):
    """One 15-working-day item per member unit, started Sun 28 Sep 2025 (due Fri 24 Oct)."""
    with time_machine.travel(at(2025, 9, 28, 10, 0), tick=False):
        return [
            obligation_open(
                unit=unit,
                person=staff,
                kind="test.feedback",
                title=f"反馈查处结果（{unit.name}）",
                rule=DeadlineRule(RuleKind.WORKDAYS, 15),
                start_at=at(2025, 9, 28, 10, 0),
                start_event="查处完成",
            )
            for unit, staff in zip(world.members, world.member_staff, strict=True)
        ]


def login(api, person):
    api.force_authenticate(getattr(person, "user", person))
    return api


def ids(response):
    return [row["id"] for row in response.json()["results"]]


def test_mine_lists_what_my_unit_owes_only(api, world, obs):
    r = login(api, world.member_staff[0]).get("/api/obligations/mine/")
    assert r.status_code == 200 and ids(r) == [obs[0].pk]
    assert r.json()["results"][0]["rule"] == "15 工作日"


def test_detail_is_scoped_and_carries_its_history(api, world, obs):
    login(api, world.member_staff[0])
    r = api.get(f"/api/obligations/{obs[0].pk}/")
    assert r.status_code == 200
    assert [e["action"] for e in r.json()["events"]] == ["opened"]
    other = api.get(f"/api/obligations/{obs[1].pk}/")
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    assert obs[1].pk not in ids(api.get("/api/obligations/"))


def test_office_sees_all_items_of_its_group(api, world, obs):
    r = login(api, world.office_staff).get("/api/obligations/?page_size=100")
    assert set(ids(r)) == {o.pk for o in obs}
    assert login(api, world.outsider).get("/api/obligations/").json()["count"] == 0


def test_pause_approved_by_office_moves_due_on_resume(api, world, obs):
    ob = obs[0]
    login(api, world.office_staff)
    with time_machine.travel(at(2025, 10, 13, 9, 0), tick=False):
        r = api.post(f"/api/obligations/{ob.pk}/pause/", {"reason": "等待检测报告"})
    assert r.status_code == 200, r.content
    assert r.json()["is_paused"] and r.json()["pauses"][0]["approver"] == world.office_staff.name
    with time_machine.travel(at(2025, 10, 17, 9, 0), tick=False):
        r = login(api, world.member_staff[0]).post(f"/api/obligations/{ob.pk}/resume/")
    assert r.status_code == 200
    # Four working days paused (14–17 Oct): 24 Oct → 30 Oct.
    assert dt.datetime.fromisoformat(r.json()["due_at"]) == at(2025, 10, 30, 23, 59, 59)
    assert [e["action"] for e in r.json()["events"]] == ["opened", "paused", "resumed"]


def test_owing_unit_cannot_approve_its_own_pause_or_extension(api, world, obs):
    login(api, world.member_staff[0])
    before = state()
    r = api.post(f"/api/obligations/{obs[0].pk}/pause/", {"reason": "想歇一歇"})
    assert r.status_code == 403 and r.json()["code"] == "approval_required"
    r = api.post(f"/api/obligations/{obs[0].pk}/extend/", {"amount": 5, "reason": "忙"})
    assert r.status_code == 403
    assert state() == before


def test_extension_by_a_leader_moves_due(api, world, obs):
    r = login(api, world.deputy).post(
        f"/api/obligations/{obs[0].pk}/extend/", {"amount": 2, "reason": "案情复杂"}
    )
    assert r.status_code == 200, r.content
    assert dt.datetime.fromisoformat(r.json()["due_at"]) == at(2025, 10, 28, 23, 59, 59)
    assert r.json()["extensions"][0]["approver"] == world.deputy.name


@pytest.mark.parametrize(
    "action, payload, field",
    [
        ("pause", {}, "reason"),
        ("pause", {"reason": ""}, "reason"),
        ("pause", {"reason": "x" * 301}, "reason"),
        ("extend", {"reason": "复杂"}, "amount"),
        ("extend", {"amount": 0, "reason": "复杂"}, "amount"),
        ("extend", {"amount": -3, "reason": "复杂"}, "amount"),
        ("extend", {"amount": "two", "reason": "复杂"}, "amount"),
        ("extend", {"amount": 2}, "reason"),
        ("complete", {}, "note"),
        ("complete", {"note": ""}, "note"),
    ],
)
def test_bad_input_to_actions_is_400_with_reason_and_writes_nothing(
    api, world, obs, action, payload, field
):
    login(api, world.office_staff)
    before = state()
    r = api.post(f"/api/obligations/{obs[0].pk}/{action}/", payload)
    assert r.status_code == 400, r.content
    assert r.json()["code"] == "invalid" and r.json()["message"] and field in r.json()["fields"]
    assert state() == before


def test_complete_by_owing_unit_then_again_is_409(api, world, obs):
    login(api, world.member_staff[0])
    with time_machine.travel(at(2025, 10, 20, 9, 0), tick=False):
        r = api.post(f"/api/obligations/{obs[0].pk}/complete/", {"note": "已反馈查处结果"})
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert not r.json()["completed_late"]
    before = state()
    again = api.post(f"/api/obligations/{obs[0].pk}/complete/", {"note": "再次"})
    assert again.status_code == 409 and again.json()["code"] == "obligation_closed"
    assert state() == before


def test_resume_when_not_paused_is_409_and_pause_twice_is_409(api, world, obs):
    login(api, world.office_staff)
    before = state()
    r = api.post(f"/api/obligations/{obs[0].pk}/resume/")
    assert r.status_code == 409 and r.json()["code"] == "not_paused"
    assert state() == before
    assert api.post(f"/api/obligations/{obs[0].pk}/pause/", {"reason": "a"}).status_code == 200
    before = state()
    r = api.post(f"/api/obligations/{obs[0].pk}/pause/", {"reason": "b"})
    assert r.status_code == 409 and r.json()["code"] == "already_paused"
    assert state() == before


def test_actions_on_an_unseen_item_are_404_whatever_the_input(api, world, obs):
    login(api, world.member_staff[0])
    before = state()
    for action, payload in [("complete", {}), ("complete", {"note": "x"}), ("resume", {})]:
        r = api.post(f"/api/obligations/{obs[1].pk}/{action}/", payload)
        assert r.status_code == 404, action
    assert state() == before


def test_admin_without_a_person_cannot_be_the_approver(api, world, obs):
    login(api, world.admin)
    before = state()
    r = api.post(f"/api/obligations/{obs[0].pk}/pause/", {"reason": "等待"})
    assert r.status_code == 400 and r.json()["code"] == "approver_required"
    assert state() == before


def test_T6_overdue_register_lists_overdue_and_late_items_with_person(api, world, obs):
    with time_machine.travel(at(2025, 10, 27, 9, 0), tick=False):
        sweep()
        login(api, world.member_staff[1]).post(
            f"/api/obligations/{obs[1].pk}/complete/", {"note": "逾期后办结"}
        )
    r = login(api, world.office_staff).get("/api/obligations/overdue/")
    rows = {row["id"]: row for row in r.json()["results"]}
    assert set(rows) == {o.pk for o in obs}
    assert rows[obs[1].pk]["completed_late"] and rows[obs[1].pk]["status"] == "done"
    assert rows[obs[0].pk]["person_name"] == world.member_staff[0].name
    late = login(api, world.office_staff).get("/api/obligations/overdue/?late=late_done")
    assert ids(late) == [obs[1].pk]
    mine = login(api, world.member_staff[0]).get("/api/obligations/overdue/")
    assert ids(mine) == [obs[0].pk]


def test_bad_filters_answer_400(api, world, obs):
    login(api, world.office_staff)
    for url in (
        "/api/obligations/?status=sleeping",
        "/api/obligations/?due_after=yesterday",
        "/api/obligations/?unit=abc",
        "/api/obligations/overdue/?late=sometimes",
    ):
        r = api.get(url)
        assert r.status_code == 400, url
        assert r.json()["code"] == "invalid"


def test_kind_filter_selects_a_family(api, world, obs):
    login(api, world.office_staff)
    assert len(ids(api.get("/api/obligations/?kind=test"))) == 3
    assert len(ids(api.get("/api/obligations/?kind=test.feedback"))) == 3
    assert ids(api.get("/api/obligations/?kind=tes")) == []
