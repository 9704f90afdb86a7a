"""Issue 15, part 3 (case side): the bypasses of T2, T2 (a) and T5 a new user could take
through the API and the services, each refused; and part 2 end to end on a real transfer
(T4 feedback is discharged by feeding back, never by hand)."""

from __future__ import annotations

import pytest
import time_machine

from envgrid.cases import services as S
from envgrid.cases.models import (
    Case,
    CaseStatus,
    ClearanceStatus,
    CriminalDecision,
    TransferStatus,
)
from envgrid.core.errors import ApplicationError, ConflictError
from envgrid.core.models import AuditEvent
from envgrid.obligations.models import ObligationStatus
from envgrid.obligations.services import obligations_for
from envgrid.org.models import UnitKind
from envgrid.testing import make_unit

from .conftest import at, complete_case

pytestmark = pytest.mark.django_db

CRIMINAL_MAKE = "transfer.make.criminal"


def _flagged(tree):
    case = complete_case(tree.ca_staff, point=tree.p_ca, suspected_crime=True)
    S.case_open(actor=tree.ca_staff.user, case=case)
    return case


def _criminal_transfer(tree, case):
    return S.transfer_create(
        actor=tree.ca_staff.user,
        case=case,
        transfer_type="criminal",
        receiver_unit=tree.police,
        copy_to_unit=tree.procuratorate,
    )


# ---- T2: a suspected crime is never closed without a criminal transfer ------------------


@pytest.mark.parametrize("outcome", ["other", "no_violation", "order_correction"])
def test_T2_suspected_crime_cannot_close_with_any_outcome_without_a_criminal_transfer(
    api, tree, outcome
):
    case = _flagged(tree)
    api.force_authenticate(tree.ca_staff.user)
    r = api.post(f"/api/cases/{case.pk}/close/", {"outcome": outcome, "note": "结案"})
    assert r.status_code == 409
    assert r.json()["code"] == "criminal_transfer_required"
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING


def test_T2_suspected_crime_cannot_be_withdrawn_to_dodge_the_transfer(tree):
    case = _flagged(tree)
    with pytest.raises(ConflictError) as exc:
        S.case_withdraw(actor=tree.ca_staff.user, case=case, reason="登记错误")
    assert exc.value.code == "criminal_transfer_required"
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING


def test_T2_unit_cannot_clear_its_own_crime_flag(api, tree):
    case = _flagged(tree)
    api.force_authenticate(tree.ca_staff.user)
    r = api.patch(
        f"/api/cases/{case.pk}/",
        {"suspected_crime": False, "reason": "经查不构成犯罪"},
        format="json",
    )
    assert r.status_code == 409
    assert r.json()["code"] == "crime_flag_approval_required"
    case.refresh_from_db()
    assert case.suspected_crime is True
    r = api.post(f"/api/cases/{case.pk}/close/", {"outcome": "administrative_penalty"})
    assert r.status_code == 409


def test_T2_clearing_the_crime_flag_needs_the_offices_approval_and_is_audited(api, tree):
    case = _flagged(tree)
    api.force_authenticate(tree.ca_staff.user)
    r = api.post(
        f"/api/cases/{case.pk}/crime-flag-clearance/", {"reason": "涉案数额未达立案追诉标准"}
    )
    assert r.status_code == 201
    assert r.json()["status"] == ClearanceStatus.PENDING
    review = obligations_for(case.crime_flag_clearances.get(pk=r.json()["id"])).get()
    assert review.unit == tree.world.office_unit
    # The requesting unit cannot approve its own request.
    r = api.post(f"/api/cases/{case.pk}/crime-flag-clearance/decide/", {"approve": True})
    assert r.status_code == 403
    case.refresh_from_db()
    assert case.suspected_crime is True
    api.force_authenticate(tree.world.director.user)
    r = api.post(
        f"/api/cases/{case.pk}/crime-flag-clearance/decide/",
        {"approve": True, "note": "同意取消标记"},
    )
    assert r.status_code == 200
    assert r.json()["status"] == ClearanceStatus.APPROVED
    case.refresh_from_db()
    assert case.suspected_crime is False
    review.refresh_from_db()
    assert review.status == ObligationStatus.DONE
    assert not obligations_for(case, CRIMINAL_MAKE).exists()
    cleared = AuditEvent.objects.get(action="case.crime_flag_clear", object_id=str(case.pk))
    assert cleared.actor_id == tree.world.director.user.pk
    S.case_close(actor=tree.ca_staff.user, case=case, outcome="administrative_penalty")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_T2_no_transfer_decision_keeps_the_flag_and_a_refusal_reopens_the_duty(tree):
    with time_machine.travel(at(2025, 11, 3, 9, 0), tick=False):  # Monday
        case = _flagged(tree)
    with time_machine.travel(at(2025, 11, 4, 9, 0), tick=False):
        S.case_criminal_decide(
            actor=tree.ca_staff.user, case=case, decision="no_transfer", note="情节轻微"
        )
    case.refresh_from_db()
    assert case.suspected_crime is True
    assert case.criminal_decision == CriminalDecision.NO_TRANSFER
    with pytest.raises(ConflictError):
        S.case_close(actor=tree.ca_staff.user, case=case, outcome="administrative_penalty")
    clearance = case.crime_flag_clearances.get()
    with pytest.raises(ApplicationError) as exc:
        S.case_crime_flag_clear_decide(
            actor=tree.world.director.user, clearance=clearance, approve=False
        )
    assert exc.value.code == "reason_required"
    with time_machine.travel(at(2025, 11, 5, 10, 0), tick=False):  # Wednesday
        S.case_crime_flag_clear_decide(
            actor=tree.world.director.user,
            clearance=clearance,
            approve=False,
            note="涉案数额较大，应移送",
        )
    case.refresh_from_db()
    assert case.suspected_crime is True
    assert case.criminal_decision == CriminalDecision.NONE
    duty = obligations_for(case, CRIMINAL_MAKE).get()
    assert duty.due_at == at(2025, 11, 10, 23, 59, 59)  # 3 working days from Wednesday


# ---- T2: a returned criminal transfer reopens the duty to transfer ----------------------


def test_T2_police_return_reopens_the_duty_to_transfer_with_a_deadline(tree):
    with time_machine.travel(at(2025, 11, 3, 9, 0), tick=False):  # Monday
        case = _flagged(tree)
        t = _criminal_transfer(tree, case)
    assert not obligations_for(case, CRIMINAL_MAKE).exists()
    with time_machine.travel(at(2025, 11, 5, 10, 0), tick=False):  # Wednesday
        S.transfer_return(
            actor=tree.police_staff.user, transfer=t, explanation="材料不全，退回补充"
        )
    t.refresh_from_db()
    assert t.status == TransferStatus.RETURNED
    case.refresh_from_db()
    assert case.suspected_crime is True
    assert case.criminal_decision == CriminalDecision.NONE
    duty = obligations_for(case, CRIMINAL_MAKE).get()
    assert duty.status == ObligationStatus.OPEN
    assert duty.due_at == at(2025, 11, 10, 23, 59, 59)
    # The judicial side's return is on record: the transfer may be sent again.
    t2 = _criminal_transfer(tree, case)
    assert t2.status == TransferStatus.SENT
    duty.refresh_from_db()
    assert duty.status == ObligationStatus.DONE


def test_T2_sender_withdrawing_its_criminal_transfer_reopens_the_duty(tree):
    case = _flagged(tree)
    t = _criminal_transfer(tree, case)
    S.transfer_withdraw(actor=tree.ca_staff.user, transfer=t, reason="补充证据后再移送")
    assert obligations_for(case, CRIMINAL_MAKE).get().status == ObligationStatus.OPEN
    with pytest.raises(ConflictError) as exc:
        S.case_close(actor=tree.ca_staff.user, case=case, outcome="other")
    assert exc.value.code == "criminal_transfer_required"


# ---- T2 (a): handling proposal to the government at the case's own level ---------------


def test_T2a_government_proposal_requires_the_proposal_text(tree):
    case = complete_case(tree.ca_staff, point=tree.p_ca)
    S.case_open(actor=tree.ca_staff.user, case=case)
    with pytest.raises(ApplicationError) as exc:
        S.transfer_create(
            actor=tree.ca_staff.user,
            case=case,
            transfer_type="government_proposal",
            receiver_unit=tree.gov,
            proposal="  ",
        )
    assert exc.value.code == "proposal_required"
    assert not case.transfers.exists()


def test_T2a_government_proposal_goes_to_the_government_at_the_cases_own_level(api, tree):
    city = make_unit("市人民政府", kind=UnitKind.GOVERNMENT)
    tree.world.group.member_units.add(city)
    case = complete_case(tree.ca_staff, point=tree.p_ca)
    S.case_open(actor=tree.ca_staff.user, case=case)
    api.force_authenticate(tree.ca_staff.user)
    body = {
        "case": case.pk,
        "transfer_type": "government_proposal",
        "proposal": "建议责令停产整顿",
    }
    r = api.post("/api/transfers/", {**body, "receiver_unit": city.pk}, format="json")
    assert r.status_code == 400
    assert r.json()["code"] == "government_level_mismatch"
    assert tree.gov.name in r.json()["message"]
    r = api.post("/api/transfers/", {**body, "receiver_unit": tree.gov.pk}, format="json")
    assert r.status_code == 201


# ---- T5: the first discoverer holds a linked matter --------------------------------------


def _linked(tree):
    """社区甲 found it first (08:15); 社区乙 later (09:30), linked as the same matter."""
    a = complete_case(tree.ca_staff, point=tree.p_ca, discovered_at=at(2025, 6, 3, 8, 15))
    b = complete_case(
        tree.cb_staff, point=tree.p_cb, discovered_at=at(2025, 6, 3, 9, 30), same_matter_as=a
    )
    a.refresh_from_db()
    return a, b


def test_T5_later_discoverer_cannot_open_or_handle_a_linked_matter(api, tree):
    a, b = _linked(tree)
    api.force_authenticate(tree.cb_staff.user)
    r = api.post(f"/api/cases/{b.pk}/open/", {})
    assert r.status_code == 409
    assert r.json()["code"] == "not_first_discoverer"
    assert tree.ca.name in r.json()["message"]
    r = api.post(f"/api/cases/{b.pk}/close/", {"outcome": "no_violation"})
    assert r.status_code == 409
    b.refresh_from_db()
    assert b.status == CaseStatus.REGISTERED
    S.case_open(actor=tree.ca_staff.user, case=a)
    a.refresh_from_db()
    assert a.status == CaseStatus.INVESTIGATING


def test_T5_designated_unit_may_open_after_the_designation(tree):
    _a, b = _linked(tree)
    dispute = S.dispute_raise(actor=tree.cb_staff.user, case=b, parties=[tree.ca], reason="争议")
    S.dispute_designate(actor=tree.s1_staff.user, dispute=dispute, unit=tree.cb, reason="便于查处")
    b.refresh_from_db()
    S.case_open(actor=tree.cb_staff.user, case=b)
    b.refresh_from_db()
    assert b.status == CaseStatus.INVESTIGATING


def test_T5_discovery_times_are_frozen_once_another_units_case_is_linked(api, tree):
    _a, b = _linked(tree)
    api.force_authenticate(tree.cb_staff.user)
    r = api.patch(
        f"/api/cases/{b.pk}/", {"discovered_at": "2025-06-03T07:00:00+08:00"}, format="json"
    )
    assert r.status_code == 409
    assert r.json()["code"] == "discovery_frozen"
    r = api.patch(
        f"/api/cases/{b.pk}/", {"reported_at": "2025-06-03T07:00:00+08:00"}, format="json"
    )
    assert r.status_code == 409
    b.refresh_from_db()
    assert b.discovered_at == at(2025, 6, 3, 9, 30)
    assert b.reported_at is None
    # An unlinked case may still correct its own times.
    c = complete_case(tree.cb_staff, point=tree.p_cb, discovered_at=at(2025, 6, 3, 9, 30))
    S.case_update(actor=tree.cb_staff.user, case=c, discovered_at=at(2025, 6, 3, 7, 0))
    c.refresh_from_db()
    assert c.discovered_at == at(2025, 6, 3, 7, 0)


def test_T5_unit_records_only_its_own_discoveries(api, tree):
    api.force_authenticate(tree.cb_staff.user)
    body = {
        "title": "河道异味",
        "source": "patrol",
        "lon": tree.p_cb[0],
        "lat": tree.p_cb[1],
        "discovered_by_unit": tree.ca.pk,
    }
    before = Case.objects.count()
    r = api.post("/api/cases/", body, format="json")
    assert r.status_code == 403
    assert r.json()["code"] == "discovery_not_own"
    assert Case.objects.count() == before
    r = api.post("/api/cases/", {**body, "discovered_by_unit": tree.cb.pk}, format="json")
    assert r.status_code == 201


# ---- part 2 end to end: T4 feedback --------------------------------------------------------


def test_T4_feedback_obligation_is_discharged_by_feeding_back_not_by_hand(api, tree):
    case = complete_case(tree.ca_staff, point=tree.p_cc)  # the act took place in 社区丙
    t = S.transfer_create(
        actor=tree.ca_staff.user, case=case, transfer_type="jurisdiction", receiver_unit=tree.cc
    )
    S.transfer_accept(actor=tree.cc_staff.user, transfer=t)
    S.transfer_complete(actor=tree.cc_staff.user, transfer=t, result="已责令整改并处罚款")
    feedback = obligations_for(t, "transfer.feedback.jurisdiction").get()
    api.force_authenticate(tree.cc_staff.user)
    r = api.post(f"/api/obligations/{feedback.pk}/complete/", {"note": "已反馈"}, format="json")
    assert r.status_code == 409
    assert "请在移送页面提交反馈" in r.json()["message"]
    feedback.refresh_from_db()
    assert feedback.status == ObligationStatus.OPEN
    S.transfer_feedback(actor=tree.cc_staff.user, transfer=t, text="已处罚款五万元")
    feedback.refresh_from_db()
    assert feedback.status == ObligationStatus.DONE


def test_T2_crime_flag_clearance_on_the_case_page_request_then_office_approval(client, tree):
    case = _flagged(tree)
    client.force_login(tree.ca_staff.user)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "提交取消标记申请" in page
    client.post(f"/cases/{case.pk}/action/crime_flag_clearance/", {"reason": "未达追诉标准"})
    # The unit's own attempt to approve is refused; the flag stands.
    client.post(f"/cases/{case.pk}/action/crime_flag_clearance_decide/", {"approve": "1"})
    case.refresh_from_db()
    assert case.suspected_crime is True
    client.force_login(tree.world.director.user)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "批准取消标记" in page
    client.post(
        f"/cases/{case.pk}/action/crime_flag_clearance_decide/", {"approve": "1", "note": "同意"}
    )
    case.refresh_from_db()
    assert case.suspected_crime is False
    assert case.crime_flag_clearances.get().status == ClearanceStatus.APPROVED
