"""Cases and transfers through the services: jurisdiction proposal, T1–T4 obligations,
frozen materials, the T2 guard."""

from __future__ import annotations

import pytest
import time_machine

from envgrid.cases import services as S
from envgrid.cases.models import (
    CaseOutcome,
    CaseStatus,
    Transfer,
    TransferStatus,
    TransferType,
)
from envgrid.core.errors import ApplicationError, ConflictError
from envgrid.obligations.models import Obligation, ObligationStatus
from envgrid.obligations.services import obligations_for

from .conftest import at, complete_case

pytestmark = pytest.mark.django_db


def test_T5_place_resolves_to_lowest_grid_and_its_owner(tree):
    case = complete_case(tree.ca_staff, point=tree.p_ca)
    assert case.occurrence_grid == tree.g_ca
    assert case.proposed_unit == tree.ca
    assert case.owner_unit == tree.ca
    # In the sub-district but in no community: the sub-district's owner is proposed.
    other = complete_case(tree.s2_staff, point=tree.p_s2_only)
    assert other.occurrence_grid == tree.g_s2 and other.proposed_unit == tree.s2


def test_place_given_in_gcj02_is_converted_before_resolving(tree):
    from envgrid.cases.coords import wgs84_to_gcj02

    glon, glat = wgs84_to_gcj02(*tree.p_cb)
    case = complete_case(tree.cb_staff, point=(glon, glat), input_crs="gcj02")
    assert abs(case.lon - tree.p_cb[0]) < 1e-6 and abs(case.lat - tree.p_cb[1]) < 1e-6
    assert case.input_lon == pytest.approx(glon) and case.input_crs == "gcj02"
    assert case.occurrence_grid == tree.g_cb


def test_T1_case_found_outside_jurisdiction_owes_a_transfer(tree):
    with time_machine.travel(at(2025, 9, 1, 10, 0), tick=False):
        case = complete_case(tree.ca_staff, point=tree.p_cc)
    assert case.proposed_unit == tree.cc
    owed = obligations_for(case, "transfer.make.jurisdiction").get()
    assert owed.unit == tree.ca and owed.person == tree.ca_staff
    # 3 working days from Monday 1 Sep 2025 → Thursday 4 Sep, end of day.
    assert owed.due_at == at(2025, 9, 4, 23, 59, 59)
    # Inside its own grid: nothing owed.
    own = complete_case(tree.ca_staff, point=tree.p_ca)
    assert not obligations_for(own).exists()


def test_T1_parent_grid_unit_and_non_grid_departments_owe_no_transfer_by_location(tree):
    # 一号街道 owns the parent grid of 社区甲: the place is within its jurisdiction.
    sub = complete_case(tree.s1_staff, point=tree.p_ca)
    assert sub.proposed_unit == tree.ca and not obligations_for(sub).exists()
    # The police owns no grid: subject-matter jurisdiction, no T1 by location.
    police = complete_case(tree.police_staff, point=tree.p_ca)
    assert not obligations_for(police).exists()
    # But 一号街道 finding a case in 二号街道's area owes a transfer.
    across = complete_case(tree.s1_staff, point=tree.p_cc)
    assert obligations_for(across, "transfer.make.jurisdiction").exists()


def test_T1_transfer_discharges_the_obligation_and_T4_accept_creates_receiver_case(tree):
    case = complete_case(tree.ca_staff, point=tree.p_cc)
    t = S.transfer_create(
        actor=tree.ca_staff.user,
        case=case,
        transfer_type=TransferType.JURISDICTION,
        receiver_unit=tree.cc,
        reason="发生地属社区丙",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.TRANSFERRED
    ob = Obligation.objects.get(kind="transfer.make.jurisdiction")
    assert ob.status == ObligationStatus.DONE and not ob.completed_late
    decide = obligations_for(t, "transfer.decide.jurisdiction").get()
    assert decide.unit == tree.cc
    S.transfer_accept(actor=tree.cc_staff.user, transfer=t)
    t.refresh_from_db()
    case.refresh_from_db()
    assert t.status == TransferStatus.ACCEPTED and t.receiver_handler == tree.cc_staff
    assert case.status == CaseStatus.CLOSED and case.outcome == CaseOutcome.TRANSFERRED
    received = t.received_case
    assert received.owner_unit == tree.cc and received.source == "transfer_received"
    assert received.status == CaseStatus.INVESTIGATING
    assert received.facts == case.facts
    assert [e.sha256 for e in received.evidence.all()] == [e.sha256 for e in case.evidence.all()]
    # The original discoverer stays on record (T5 first discoverer).
    assert received.discovered_by_unit == tree.ca
    assert (
        obligations_for(t, "transfer.decide.jurisdiction", live_only=False).get().status == "done"
    )


def test_T4_feedback_due_15_working_days_after_handling_completed(tree):
    with time_machine.travel(at(2025, 9, 20, 9, 0), tick=False):
        case = complete_case(tree.ca_staff, point=tree.p_cc)
        t = S.transfer_create(
            actor=tree.ca_staff.user,
            case=case,
            transfer_type=TransferType.JURISDICTION,
            receiver_unit=tree.cc,
        )
        S.transfer_accept(actor=tree.cc_staff.user, transfer=t)
    # Sunday 28 Sep 2025 is a make-up working day; the National Day holiday follows.
    with time_machine.travel(at(2025, 9, 28, 16, 0), tick=False):
        S.transfer_complete(actor=tree.cc_staff.user, transfer=t, result="已责令改正并罚款")
    fb = obligations_for(t, "transfer.feedback.jurisdiction").get()
    assert fb.due_at == at(2025, 10, 24, 23, 59, 59)
    assert fb.unit == tree.cc and fb.person == tree.cc_staff
    t.refresh_from_db()
    assert t.status == TransferStatus.HANDLED
    assert t.received_case.status == CaseStatus.HANDLED
    with time_machine.travel(at(2025, 10, 20, 9, 0), tick=False):
        S.transfer_feedback(actor=tree.cc_staff.user, transfer=t, text="已处罚，整改完毕")
    fb.refresh_from_db()
    assert fb.status == ObligationStatus.DONE and not fb.completed_late
    t.refresh_from_db()
    assert t.status == TransferStatus.FED_BACK


def test_T4_no_feedback_owed_when_sender_asks_for_none(tree):
    case = complete_case(tree.ca_staff, point=tree.p_cc)
    t = S.transfer_create(
        actor=tree.ca_staff.user,
        case=case,
        transfer_type=TransferType.JURISDICTION,
        receiver_unit=tree.cc,
        feedback_required=False,
    )
    S.transfer_accept(actor=tree.cc_staff.user, transfer=t)
    S.transfer_complete(actor=tree.cc_staff.user, transfer=t, result="完成")
    assert not obligations_for(t, "transfer.feedback.jurisdiction").exists()


def test_T3_materials_stay_as_sent_when_the_case_changes(tree):
    case = complete_case(tree.ca_staff, point=tree.p_ca)
    S.case_open(actor=tree.ca_staff.user, case=case)
    case.detention_needed = False
    case = S.case_update(actor=tree.ca_staff.user, case=case, detention_needed=True)
    t = S.transfer_create(
        actor=tree.ca_staff.user,
        case=case,
        transfer_type=TransferType.DETENTION,
        receiver_unit=tree.police,
    )
    sent_facts = t.facts
    S.case_update(
        actor=tree.ca_staff.user,
        case=case,
        facts="改写后的事实",
        responsible_person="李某",
        entity_name="另一家公司",
    )
    S.evidence_add(
        actor=tree.ca_staff.user,
        case=case,
        upload=__import__("envgrid.cases.tests.conftest", fromlist=["evidence"]).evidence(
            "补充.pdf", b"%PDF-1.4\n" + b"1" * 50
        ),
    )
    t.refresh_from_db()
    assert t.facts == sent_facts and t.case_snapshot["facts"] == sent_facts
    assert t.responsible_person == "张某（合成）" and t.entity_name == "某某化工有限公司（合成）"
    assert t.evidence.count() == 1
    assert t.case_snapshot["evidence"][0]["sha256"] == t.evidence.get().sha256
    # A detention transfer is parallel: the case stays with its owner.
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING


def test_T3_transfer_refused_without_facts_evidence_person_or_entity(tree):
    case = complete_case(
        tree.ca_staff,
        point=tree.p_cc,
        evidence_count=0,
        facts="",
        responsible_person="",
        entity_name="",
    )
    with pytest.raises(ApplicationError) as exc:
        S.transfer_create(
            actor=tree.ca_staff.user,
            case=case,
            transfer_type=TransferType.JURISDICTION,
            receiver_unit=tree.cc,
        )
    assert exc.value.code == "transfer_incomplete"
    assert set(exc.value.fields) == {"facts", "evidence", "responsible_person", "entity"}
    assert not Transfer.objects.exists()


def test_T4_return_gives_case_back_and_sender_may_transfer_elsewhere(tree):
    case = complete_case(tree.ca_staff, point=tree.p_cc)
    S.case_open(actor=tree.ca_staff.user, case=case)
    t = S.transfer_create(
        actor=tree.ca_staff.user, case=case, transfer_type="jurisdiction", receiver_unit=tree.cb
    )
    with pytest.raises(ApplicationError) as exc:
        S.transfer_return(actor=tree.cb_staff.user, transfer=t, explanation="  ")
    assert exc.value.code == "explanation_required"
    S.transfer_return(actor=tree.cb_staff.user, transfer=t, explanation="发生地不在本社区")
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING  # back as it was before the transfer
    # T1 stands again: a new obligation to transfer, from the return.
    assert obligations_for(case, "transfer.make.jurisdiction").count() == 1
    t2 = S.transfer_create(
        actor=tree.ca_staff.user, case=case, transfer_type="jurisdiction", receiver_unit=tree.cc
    )
    assert t2.number != t.number
    with pytest.raises(ConflictError) as exc2:
        S.transfer_accept(actor=tree.cb_staff.user, transfer=t)
    assert exc2.value.code in ("transfer_not_pending",)


def test_T3_transfer_numbers_run_per_unit_per_year_in_the_configured_format(tree, settings):
    tree.ca.doc_prefix = "甲环"
    tree.ca.save()
    with time_machine.travel(at(2025, 3, 3, 9, 0), tick=False):
        case = complete_case(
            tree.ca_staff, point=tree.p_ca, detention_needed=True, discipline_breach=True
        )
        t1 = S.transfer_create(
            actor=tree.ca_staff.user,
            case=case,
            transfer_type="detention",
            receiver_unit=tree.police,
        )
        t2 = S.transfer_create(
            actor=tree.ca_staff.user,
            case=case,
            transfer_type="discipline",
            receiver_unit=tree.discipline,
        )
    assert (t1.number, t2.number) == ("甲环移〔2025〕1号", "甲环移〔2025〕2号")
    settings.ENVGRID_TRANSFER_NUMBER_FORMAT = "{prefix}移字〔{year}〕第{seq:03d}号"
    with time_machine.travel(at(2026, 1, 5, 9, 0), tick=False):
        case2 = complete_case(tree.ca_staff, point=tree.p_ca, detention_needed=True)
        t3 = S.transfer_create(
            actor=tree.ca_staff.user,
            case=case2,
            transfer_type="detention",
            receiver_unit=tree.police,
        )
    assert t3.number == "甲环移字〔2026〕第001号" and t3.year == 2026


def test_T2_routes_check_receiver_kind_and_flags(tree):
    case = complete_case(tree.ca_staff, point=tree.p_ca)
    with pytest.raises(ApplicationError) as e1:
        S.transfer_create(
            actor=tree.ca_staff.user,
            case=case,
            transfer_type="detention",
            receiver_unit=tree.police,
        )
    assert e1.value.code == "flag_required"
    S.case_update(actor=tree.ca_staff.user, case=case, detention_needed=True)
    with pytest.raises(ApplicationError) as e2:
        S.transfer_create(
            actor=tree.ca_staff.user,
            case=case,
            transfer_type="detention",
            receiver_unit=tree.discipline,
        )
    assert e2.value.code == "receiver_kind_mismatch"
    with pytest.raises(ApplicationError) as e3:
        S.transfer_create(
            actor=tree.ca_staff.user,
            case=case,
            transfer_type="government_proposal",
            receiver_unit=tree.gov,
        )
    assert e3.value.code == "investigation_required"
    S.case_open(actor=tree.ca_staff.user, case=case)
    gp = S.transfer_create(
        actor=tree.ca_staff.user,
        case=case,
        transfer_type="government_proposal",
        receiver_unit=tree.gov,
        proposal="建议责令停产整顿",
    )
    assert gp.status == TransferStatus.SENT


def test_T2_criminal_route_time_limits_and_procuratorate_copy(tree):
    with time_machine.travel(at(2025, 11, 3, 9, 0), tick=False):  # Monday
        case = complete_case(tree.ca_staff, point=tree.p_ca, suspected_crime=True)
    decide = obligations_for(case, "transfer.make.criminal").get()
    assert decide.due_at == at(2025, 11, 6, 23, 59, 59)  # 3 working days
    with time_machine.travel(at(2025, 11, 4, 10, 0), tick=False):
        S.case_criminal_decide(actor=tree.ca_staff.user, case=case, decision="transfer")
    handover = obligations_for(case, "transfer.handover.criminal").get()
    assert handover.due_at == at(2025, 11, 5, 10, 0)  # 24 hours
    with pytest.raises(ApplicationError) as exc:
        S.transfer_create(
            actor=tree.ca_staff.user, case=case, transfer_type="criminal", receiver_unit=tree.police
        )
    assert exc.value.code == "procuratorate_copy_required"
    with time_machine.travel(at(2025, 11, 4, 15, 0), tick=False):
        t = S.transfer_create(
            actor=tree.ca_staff.user,
            case=case,
            transfer_type="criminal",
            receiver_unit=tree.police,
            copy_to_unit=tree.procuratorate,
        )
    handover.refresh_from_db()
    assert handover.status == ObligationStatus.DONE and not handover.completed_late
    police_decide = obligations_for(t, "transfer.decide.criminal").get()
    assert police_decide.unit == tree.police
    assert police_decide.due_at == at(2025, 11, 7, 23, 59, 59)  # 3 working days
    # The procuratorate sees the transfer it was copied on.
    from envgrid.cases.policies import transfer_policy

    assert transfer_policy.can_view(tree.procuratorate_staff.user, t)


def test_T2_suspected_crime_cannot_close_with_administrative_penalty_alone(tree):
    case = complete_case(tree.ca_staff, point=tree.p_ca, suspected_crime=True)
    S.case_open(actor=tree.ca_staff.user, case=case)
    with pytest.raises(ApplicationError) as exc:
        S.case_close(
            actor=tree.ca_staff.user, case=case, outcome="administrative_penalty", note="罚款"
        )
    assert exc.value.code == "criminal_transfer_required"
    assert "不得以行政处罚代替刑事处罚" in exc.value.message
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING
    S.transfer_create(
        actor=tree.ca_staff.user,
        case=case,
        transfer_type="criminal",
        receiver_unit=tree.police,
        copy_to_unit=tree.procuratorate,
    )
    S.case_close(
        actor=tree.ca_staff.user, case=case, outcome="administrative_penalty", note="另处罚款"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_status_history_is_append_only_and_each_change_audited(tree):
    from envgrid.core.models import AuditEvent

    case = complete_case(tree.ca_staff, point=tree.p_ca)
    S.case_open(actor=tree.ca_staff.user, case=case)
    S.case_complete(actor=tree.ca_staff.user, case=case, result="已整改")
    S.case_close(actor=tree.ca_staff.user, case=case, outcome="order_correction", note="责令改正")
    rows = list(case.status_changes.values_list("from_status", "to_status"))
    assert rows == [
        ("", "registered"),
        ("registered", "investigating"),
        ("investigating", "handled"),
        ("handled", "closed"),
    ]
    actions = set(
        AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk)).values_list(
            "action", flat=True
        )
    )
    assert {
        "case.register",
        "case.open",
        "case.complete",
        "case.close",
        "case.evidence_add",
    } <= actions
    with pytest.raises(ConflictError):
        S.case_open(actor=tree.ca_staff.user, case=case)
