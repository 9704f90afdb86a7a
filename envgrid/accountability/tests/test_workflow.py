"""T6 on the workflow kernel (issue 15 part 1): the proposal moves only through
`envgrid.core.workflow.transition` — a step the table does not allow from the stored
status is refused with 409 `transition_not_allowed` and writes nothing; an allowed one
writes one history row and one audit event; the API and page offer the kernel's buttons."""

from __future__ import annotations

import pytest
import time_machine

from envgrid.accountability.models import AccountabilityProposal, ProposalEvent, ProposalStatus
from envgrid.core.models import AuditEvent
from envgrid.core.workflow import StatusHistory

from .conftest import at

pytestmark = pytest.mark.django_db
PROPOSAL = "accountability.accountabilityproposal"


def _proposal(api, world, late):
    api.force_authenticate(world.director.user)
    r = api.post(
        "/api/accountability/findings/",
        {
            "obligation": late.overdue.pk,
            "level": "serious",
            "facts": "未按期反馈，造成重复投诉。",
            "evidence": "投诉登记表",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    r = api.post(
        "/api/accountability/proposals/",
        {"findings": [r.json()["id"]], "facts": "严重逾期。"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    return r.json()


def _writes(pid):
    return (
        ProposalEvent.objects.filter(proposal_id=pid).count(),
        AuditEvent.objects.filter(object_type=PROPOSAL, object_id=str(pid)).count(),
    )


def test_T6_proposal_history_is_a_kernel_status_history():
    assert issubclass(ProposalEvent, StatusHistory)


def test_T6_withdrawn_proposal_cannot_be_decided_409_transition_not_allowed(world, late, api):
    with time_machine.travel(at(2026, 3, 20, 10, 0), tick=False):
        pid = _proposal(api, world, late)["id"]
        r = api.post(
            f"/api/accountability/proposals/{pid}/withdraw/", {"reason": "重复提出"}, format="json"
        )
        assert r.status_code == 200, r.json()
        assert r.json()["actions"] == []
        before = _writes(pid)
        api.force_authenticate(world.leader.user)
        r = api.post(
            f"/api/accountability/proposals/{pid}/decide/",
            {"decision": "criticism", "reason": "书面批评。"},
            format="json",
        )
    assert r.status_code == 409
    assert r.json()["code"] == "transition_not_allowed"
    assert AccountabilityProposal.objects.get(pk=pid).status == ProposalStatus.WITHDRAWN
    assert _writes(pid) == before


def test_T6_allowed_decision_writes_one_history_row_and_one_audit_event(world, late, api):
    with time_machine.travel(at(2026, 3, 20, 10, 0), tick=False):
        pid = _proposal(api, world, late)["id"]
        history, audits = _writes(pid)
        api.force_authenticate(world.leader.user)
        r = api.post(
            f"/api/accountability/proposals/{pid}/decide/",
            {"decision": "criticism", "reason": "书面批评。"},
            format="json",
        )
    assert r.status_code == 200, r.json()
    assert _writes(pid) == (history + 1, audits + 1)
    row = ProposalEvent.objects.filter(proposal_id=pid).order_by("-id").first()
    assert (row.action, row.from_status, row.to_status, row.actor, row.note) == (
        "decide",
        ProposalStatus.PROPOSED,
        ProposalStatus.DECIDED,
        world.leader.user,
        "书面批评。",
    )
    event = (
        AuditEvent.objects.filter(object_type=PROPOSAL, object_id=str(pid)).order_by("-seq").first()
    )
    assert event.action == "accountability.proposal_decide"
    assert (event.before["status"], event.after["status"]) == ("proposed", "decided")


def test_T6_buttons_come_from_the_kernel_for_each_role(world, late, api, client):
    with time_machine.travel(at(2026, 3, 20, 10, 0), tick=False):
        p = _proposal(api, world, late)
    assert p["actions"] == ["withdraw"]  # the office: withdraw, not decide
    api.force_authenticate(world.leader.user)
    assert api.get(f"/api/accountability/proposals/{p['id']}/").json()["actions"] == ["decide"]
    client.force_login(world.leader.user)
    page = client.get(f"/accountability/proposals/{p['id']}/").content.decode()
    assert f"/accountability/proposals/{p['id']}/decide/" in page
    assert f"/accountability/proposals/{p['id']}/withdraw/" not in page
