"""T2 on the workflow kernel (issue 15 part 1): a request to clear the crime flag moves
only through `envgrid.core.workflow.transition` — filed, then approved or refused once.
A second decision (a stale copy, a second office user) is refused with 409
`transition_not_allowed` and writes nothing; each allowed move writes one history row and
one audit event; the page and the API offer the kernel's buttons."""

from __future__ import annotations

import pytest

from envgrid.cases import services as S
from envgrid.cases.models import ClearanceStatus, CrimeFlagClearance, CrimeFlagClearanceEvent
from envgrid.core.errors import ConflictError
from envgrid.core.models import AuditEvent

from .conftest import complete_case

pytestmark = pytest.mark.django_db
CLEARANCE = "cases.crimeflagclearance"


def _requested(api, tree):
    case = complete_case(tree.ca_staff, point=tree.p_ca, suspected_crime=True)
    S.case_open(actor=tree.ca_staff.user, case=case)
    api.force_authenticate(tree.ca_staff.user)
    r = api.post(f"/api/cases/{case.pk}/crime-flag-clearance/", {"reason": "未达追诉标准"})
    assert r.status_code == 201, r.json()
    return case, CrimeFlagClearance.objects.get(pk=r.json()["id"])


def _writes(clearance):
    return (
        CrimeFlagClearanceEvent.objects.filter(clearance=clearance).count(),
        AuditEvent.objects.filter(object_type=CLEARANCE, object_id=str(clearance.pk)).count(),
    )


def test_T2_filing_a_clearance_writes_its_history_and_audit(api, tree):
    _, clearance = _requested(api, tree)
    assert _writes(clearance) == (1, 1)
    row = clearance.events.get()
    assert (row.action, row.from_status, row.to_status, row.actor) == (
        "request",
        "",
        ClearanceStatus.PENDING,
        tree.ca_staff.user,
    )


def test_T2_approval_writes_one_history_row_and_one_audit_event(api, tree):
    case, clearance = _requested(api, tree)
    history, audits = _writes(clearance)
    api.force_authenticate(tree.world.director.user)
    r = api.post(
        f"/api/cases/{case.pk}/crime-flag-clearance/decide/",
        {"approve": True, "note": "同意"},
    )
    assert r.status_code == 200, r.json()
    assert r.json()["actions"] == []
    assert _writes(clearance) == (history + 1, audits + 1)
    row = clearance.events.order_by("-id").first()
    assert (row.action, row.from_status, row.to_status, row.actor, row.note) == (
        "approve",
        ClearanceStatus.PENDING,
        ClearanceStatus.APPROVED,
        tree.world.director.user,
        "同意",
    )
    event = AuditEvent.objects.filter(object_type=CLEARANCE, object_id=str(clearance.pk)).latest(
        "seq"
    )
    assert event.action == "crime_flag_clearance.decide"
    assert (event.before["status"], event.after["status"]) == ("pending", "approved")


def test_T2_a_decided_clearance_cannot_be_decided_again_409_transition_not_allowed(api, tree):
    case, clearance = _requested(api, tree)
    stale = CrimeFlagClearance.objects.get(pk=clearance.pk)
    S.case_crime_flag_clear_decide(
        actor=tree.world.director.user, clearance=clearance, approve=False, note="应移送"
    )
    case.refresh_from_db()
    flagged = case.suspected_crime
    before = _writes(clearance)
    # A second office user still holding the pending copy tries to approve it.
    with pytest.raises(ConflictError) as exc:
        S.case_crime_flag_clear_decide(
            actor=tree.world.director.user, clearance=stale, approve=True, note="同意"
        )
    assert (exc.value.code, exc.value.status) == ("transition_not_allowed", 409)
    clearance.refresh_from_db()
    case.refresh_from_db()
    assert clearance.status == ClearanceStatus.REJECTED
    assert (flagged, case.suspected_crime) == (True, True)
    assert _writes(clearance) == before


def test_T2_clearance_buttons_come_from_the_kernel(api, tree, client):
    case, _ = _requested(api, tree)
    client.force_login(tree.ca_staff.user)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "批准取消标记" not in page
    client.force_login(tree.world.director.user)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "批准取消标记" in page
    assert "不予批准" in page
