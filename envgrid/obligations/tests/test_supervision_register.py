"""Supervision as a tool (督办, D6): issued by hand by the office or a leader on any item,
numbered, the notice as .docx, replied to by the addressed unit (which discharges the
reply deadline), an overdue reply escalated by the sweep, scoped reads, the register as
.xlsx."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
import time_machine

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.models import AuditEvent
from envgrid.obligations.models import Obligation, ObligationStatus, Supervision
from envgrid.obligations.services import obligation_open, sweep
from envgrid.testing import official_layout_problems

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=SH)


def as_(api, person):
    api.force_authenticate(person.user)
    return api


@pytest.fixture
def item(world):
    """The lagging item put under supervision: an obligation of member unit 1."""
    return obligation_open(
        unit=world.members[0],
        kind="test.lagging",
        title="整改某企业超标排放",
        rule=DeadlineRule(RuleKind.WORKDAYS, 5),
        start_at=at(2025, 9, 1, 10, 0),
        start_event="交办",
    )


def _issue(api, person, world, item, **extra):
    body = {
        "target_type": "obligations.obligation",
        "target_id": item.pk,
        "addressee": world.members[0].pk,
        "demand": "请于期限内完成整改并书面报告整改结果",
        "workdays": 3,
        **extra,
    }
    return as_(api, person).post("/api/supervisions/", body, format="json")


def test_D6_hand_issued_notice_docx_has_number_and_demand_and_reply_discharges(api, world, item):
    with time_machine.travel(at(2025, 9, 3, 10, 0), tick=False):
        r = _issue(api, world.office_staff, world, item)
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["by_hand"] is True
    assert "督〔2025〕1号" in data["number"]
    sup = Supervision.objects.get(pk=data["id"])
    assert sup.response_obligation.kind == "supervision.respond"
    assert sup.response_obligation.due_at == at(2025, 9, 8, 23, 59, 59)
    assert AuditEvent.objects.filter(action="supervision.issue", object_id=str(sup.pk)).exists()

    r = as_(api, world.office_staff).get(f"/api/supervisions/{sup.pk}/docx/")
    assert r.status_code == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs)
    assert data["number"] in text
    assert "请于期限内完成整改并书面报告整改结果" in text
    assert "督办通知书" in text
    assert official_layout_problems(r.content) == []

    r = as_(api, world.member_staff[0]).post(
        f"/api/supervisions/{sup.pk}/reply/", {"reply": "已完成整改，附监测报告"}, format="json"
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "responded"
    sup.response_obligation.refresh_from_db()
    assert sup.response_obligation.status == ObligationStatus.DONE
    assert AuditEvent.objects.filter(action="supervision.respond", object_id=str(sup.pk)).exists()


def test_D6_leader_issues_a_member_unit_cannot(api, world, item):
    assert _issue(api, world.leader, world, item).status_code == 201
    r = _issue(api, world.member_staff[1], world, item)
    assert r.status_code == 403
    assert r.json()["code"] == "supervision_issue_denied"


def test_D6_notice_without_demand_is_refused_with_fields(api, world, item):
    r = _issue(api, world.office_staff, world, item, demand="  ")
    assert r.status_code == 400
    assert "demand" in r.json()["fields"]
    assert Supervision.objects.count() == 0


def test_D6_only_the_addressed_unit_replies(api, world, item):
    sup_id = _issue(api, world.office_staff, world, item).json()["id"]
    r = as_(api, world.office_staff).post(
        f"/api/supervisions/{sup_id}/reply/", {"reply": "代为回复"}, format="json"
    )
    assert r.status_code == 403


def test_D6_overdue_supervision_reply_is_escalated_by_the_sweep(api, world, item):
    with time_machine.travel(at(2025, 9, 3, 10, 0), tick=False):
        sup_id = _issue(api, world.office_staff, world, item).json()["id"]
    reply = Supervision.objects.get(pk=sup_id).response_obligation
    with time_machine.travel(at(2025, 9, 8, 18, 0), tick=False):  # the due day
        sweep()
    reply.refresh_from_db()
    assert reply.status == ObligationStatus.OPEN
    with time_machine.travel(at(2025, 9, 9, 9, 0), tick=False):
        first = sweep()
        second = sweep()
    reply.refresh_from_db()
    assert reply.status == ObligationStatus.OVERDUE
    assert reply.escalated_to == world.office_unit
    assert first.escalated >= 1
    assert second.escalated == 0


def test_D6_unit_outside_scope_cannot_see_the_notice(api, world, item):
    sup_id = _issue(api, world.office_staff, world, item).json()["id"]
    for person in (world.member_staff[1], world.outsider):
        assert as_(api, person).get(f"/api/supervisions/{sup_id}/").status_code == 404
        assert as_(api, person).get(f"/api/supervisions/{sup_id}/docx/").status_code == 404
        assert as_(api, person).get("/api/supervisions/").json()["count"] == 0
    assert as_(api, world.member_staff[0]).get(f"/api/supervisions/{sup_id}/").status_code == 200
    assert as_(api, world.leader).get(f"/api/supervisions/{sup_id}/").status_code == 200


def test_D6_hand_close_of_the_reply_obligation_is_refused_409(api, world, item):
    sup_id = _issue(api, world.office_staff, world, item).json()["id"]
    reply = Supervision.objects.get(pk=sup_id).response_obligation
    r = as_(api, world.member_staff[0]).post(
        f"/api/obligations/{reply.pk}/complete/", {"note": "已办"}, format="json"
    )
    assert r.status_code == 409
    assert r.json()["code"] == "obligation_workflow_owned"
    assert Obligation.objects.get(pk=reply.pk).status == ObligationStatus.OPEN


def test_D6_register_exports_xlsx(api, world, item):
    number = _issue(api, world.office_staff, world, item).json()["number"]
    r = as_(api, world.office_staff).get("/api/supervisions/xlsx/")
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "督办文号"
    assert [row[0] for row in rows[1:]] == [number]


def test_D6_register_page_issue_form_and_reply_form(client, world, item):
    client.force_login(world.office_staff.user)
    r = client.get(f"/obligations/{item.pk}/")
    assert "/obligations/supervision/new/?target_type=obligations.obligation" in r.content.decode()
    r = client.post(
        "/obligations/supervision/new/",
        {
            "target_type": "obligations.obligation",
            "target_id": item.pk,
            "addressee": world.members[0].pk,
            "demand": "五个工作日内报送整改方案",
            "workdays": 5,
        },
    )
    sup = Supervision.objects.get()
    assert r.status_code == 302
    assert r["Location"] == f"/obligations/supervision/{sup.pk}/"
    page = client.get("/obligations/supervision/").content.decode()
    assert sup.number in page
    client.force_login(world.member_staff[0].user)
    assert client.get("/obligations/supervision/new/").status_code == 403
    r = client.post(f"/obligations/supervision/{sup.pk}/", {"reply": "方案已报送"})
    assert r.status_code == 302
    sup.refresh_from_db()
    assert sup.response == "方案已报送"
    client.force_login(world.member_staff[1].user)
    assert client.get(f"/obligations/supervision/{sup.pk}/").status_code == 404
    assert sup.number not in client.get("/obligations/supervision/").content.decode()
