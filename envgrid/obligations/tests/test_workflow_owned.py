"""Issue 15 part 2: an obligation a workflow opened is closed, paused or extended only by
that workflow; the generic hand actions (API and page) refuse it with a 409 naming what to
do instead, and write nothing. Free-standing obligations are still completed by hand."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.models import AuditEvent
from envgrid.obligations.models import Obligation, ObligationEvent, ObligationStatus
from envgrid.obligations.registry import workflow_owner
from envgrid.obligations.services import obligation_open

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

# Every kind a workflow opens (grep `kind=` / `_KIND =` in the workflows' services), with
# the words its refusal must name.
WORKFLOW_KINDS = [
    ("transfer.make.jurisdiction", "移送"),  # T1
    ("transfer.make.criminal", "移送"),  # T2 (d)
    ("transfer.handover.criminal", "司法机关"),  # T2 (d)
    ("transfer.decide.detention", "受理或退回"),  # T4
    ("transfer.handle.discipline", "查处完成"),  # T4
    ("transfer.feedback.jurisdiction", "请在移送页面提交反馈"),  # T4
    ("enforcement.assignment.ack", "确认任务"),  # E4
    ("enforcement.assignment.report", "执法情况"),  # E4
    ("meeting.decision", "会议决定事项"),  # M5
    ("meeting.task_report", "汇报"),  # M6
    ("report.due", "信息报送"),  # I2
    ("assessment.self_evaluation", "自评"),  # A
    ("assessment.objection", "异议"),  # A
    ("petition.acknowledge", "信访"),  # I4
    ("petition.handle", "信访"),
    ("petition.reroute", "信访"),
    ("supervision.respond", "督办"),  # M5 / D
    ("adjustment.report", "重大调整报告"),  # G5 / I4
    ("adjustment.publish", "网格调整公告"),  # I4
    ("disclosure.refresh.plan", "发布更新"),  # I4 (one per public item kind)
    ("disclosure.refresh.hazard", "发布更新"),
]


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def _open(world, kind):
    with time_machine.travel(at(2025, 9, 29, 10, 0), tick=False):
        return obligation_open(
            unit=world.members[0],
            person=world.member_staff[0],
            kind=kind,
            title=f"测试事项 {kind}",
            rule=DeadlineRule(RuleKind.WORKDAYS, 15),
            start_at=at(2025, 9, 29, 10, 0),
            start_event="测试起算",
        )


def _writes():
    return (ObligationEvent.objects.count(), AuditEvent.objects.count())


@pytest.mark.parametrize(("kind", "instead"), WORKFLOW_KINDS)
def test_workflow_owned_obligation_refuses_hand_complete_with_409_naming_the_action(
    api, world, kind, instead
):
    ob = _open(world, kind)
    before = _writes()
    api.force_authenticate(world.member_staff[0].user)
    r = api.post(f"/api/obligations/{ob.pk}/complete/", {"note": "已办"}, format="json")
    assert r.status_code == 409
    assert r.json()["code"] == "obligation_workflow_owned"
    assert instead in r.json()["message"]
    ob.refresh_from_db()
    assert ob.status == ObligationStatus.OPEN
    assert _writes() == before


@pytest.mark.parametrize("action", ["pause", "extend"])
def test_T4_office_cannot_pause_or_extend_a_transfer_feedback_by_hand(api, world, action):
    ob = _open(world, "transfer.feedback.jurisdiction")
    due = ob.due_at
    before = _writes()
    api.force_authenticate(world.director.user)
    data = {"reason": "等待材料", "amount": 5}
    r = api.post(f"/api/obligations/{ob.pk}/{action}/", data, format="json")
    assert r.status_code == 409
    assert r.json()["code"] == "obligation_workflow_owned"
    ob.refresh_from_db()
    assert (ob.due_at, ob.paused_since, ob.status) == (due, None, ObligationStatus.OPEN)
    assert _writes() == before


def test_free_standing_obligation_is_still_completed_by_hand(api, world):
    ob = _open(world, "test.feedback")
    assert workflow_owner(ob.kind) is None
    api.force_authenticate(world.member_staff[0].user)
    r = api.post(f"/api/obligations/{ob.pk}/complete/", {"note": "已办结"}, format="json")
    assert r.status_code == 200
    assert r.json()["status"] == "done"


def test_workflow_owned_page_offers_no_hand_actions_and_names_the_step(client, world):
    ob = _open(world, "transfer.feedback.jurisdiction")
    client.force_login(world.member_staff[0].user)
    page = client.get(f"/obligations/{ob.pk}/").content.decode()
    assert "请在移送页面提交反馈" in page
    assert f"/obligations/{ob.pk}/complete/" not in page
    r = client.post(f"/obligations/{ob.pk}/complete/", {"note": "已办"})
    assert r.status_code == 409
    assert "请在移送页面提交反馈" in r.content.decode()
    assert Obligation.objects.get(pk=ob.pk).status == ObligationStatus.OPEN


def test_prefix_matches_dotted_children_only():
    assert workflow_owner("transfer.feedback.criminal") is not None
    assert workflow_owner("transfer.feedbackish") is None
    assert workflow_owner("petitioner.x") is None
