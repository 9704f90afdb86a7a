"""T5 jurisdiction: first discoverer from recorded timestamps; disputes go to the owner of
the lowest common parent grid, whose designation is final, audited and moves the case."""

from __future__ import annotations

import pytest

from envgrid.cases import services as S
from envgrid.cases.models import CaseOutcome, CaseStatus, DisputeStatus
from envgrid.cases.selectors import jurisdiction_first, jurisdiction_proposal
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.core.models import AuditEvent
from envgrid.obligations.services import obligations_for

from .conftest import at, complete_case

pytestmark = pytest.mark.django_db


def _two_cases_same_matter(tree, *, ca_found, cb_found, cb_reported=None):
    a = complete_case(tree.ca_staff, point=tree.p_ca, discovered_at=ca_found)
    b = complete_case(
        tree.cb_staff,
        point=tree.p_cb,
        discovered_at=cb_found,
        reported_at=cb_reported,
        source="hotline" if cb_reported else "patrol",
        same_matter_as=a,
    )
    a.refresh_from_db()
    return a, b


def test_T5_first_discoverer_decided_by_timestamps(tree):
    a, b = _two_cases_same_matter(
        tree, ca_found=at(2025, 6, 3, 9, 30), cb_found=at(2025, 6, 3, 8, 15)
    )
    first = jurisdiction_first([a, b])
    assert first.unit == tree.cb and not first.tie
    assert [r["case"] for r in first.as_rows()] == [b.number, a.number]
    # The first to receive the report counts like the first to discover it.
    c, d = _two_cases_same_matter(
        tree,
        ca_found=at(2025, 6, 5, 9, 0),
        cb_found=at(2025, 6, 5, 11, 0),
        cb_reported=at(2025, 6, 5, 7, 45),
    )
    assert jurisdiction_first([c, d]).unit == tree.cb
    # Equal times: nobody has it by timestamps, it must be designated.
    e, f = _two_cases_same_matter(
        tree, ca_found=at(2025, 6, 7, 9, 0), cb_found=at(2025, 6, 7, 9, 0)
    )
    tie = jurisdiction_first([e, f])
    assert tie.tie and tie.unit is None


def test_T5_proposal_shows_grid_chain_and_first_discoverer(tree):
    a, _b = _two_cases_same_matter(
        tree, ca_found=at(2025, 6, 3, 9, 30), cb_found=at(2025, 6, 3, 8, 15)
    )
    p = jurisdiction_proposal(a)
    assert [g.code for g in p.chain] == ["T", "T1", "T1A"]
    assert p.proposed_unit == tree.ca and p.owner_is_proposed
    assert p.first.unit == tree.cb


def test_T5_dispute_designated_by_owner_of_lowest_common_parent_grid(tree):
    a, b = _two_cases_same_matter(
        tree, ca_found=at(2025, 6, 3, 9, 30), cb_found=at(2025, 6, 3, 8, 15)
    )
    dispute = S.dispute_raise(
        actor=tree.ca_staff.user, case=a, parties=[tree.cb], reason="污染跨两社区，双方均已立案"
    )
    # 社区甲 and 社区乙 are both in 一号街道: its owner designates.
    assert dispute.common_grid == tree.g_s1
    assert dispute.designating_unit == tree.s1
    assert dispute.suggested_unit == tree.cb
    assert {c.pk for c in dispute.cases.all()} == {a.pk, b.pk}
    assert dispute.evidence["first_unit"] == tree.cb.name
    # A party cannot designate; only the common parent grid's owner can.
    with pytest.raises(PermissionDeniedError):
        S.dispute_designate(actor=tree.ca_staff.user, dispute=dispute, unit=tree.ca, reason="x")
    S.dispute_designate(
        actor=tree.s1_staff.user, dispute=dispute, unit=tree.ca, reason="排污口位于社区甲"
    )
    dispute.refresh_from_db()
    a.refresh_from_db()
    b.refresh_from_db()
    assert dispute.status == DisputeStatus.DESIGNATED and dispute.designated_unit == tree.ca
    assert a.owner_unit == tree.ca and a.status == CaseStatus.REGISTERED
    assert b.status == CaseStatus.CLOSED and b.outcome == CaseOutcome.DESIGNATED_ELSEWHERE
    assert AuditEvent.objects.filter(action="dispute.designate", object_id=str(dispute.pk)).exists()
    # Final: no second designation.
    with pytest.raises(ConflictError) as exc:
        S.dispute_designate(actor=tree.s1_staff.user, dispute=dispute, unit=tree.cb, reason="改")
    assert exc.value.code == "dispute_designated"


def test_T5_dispute_across_sub_districts_goes_to_the_district_and_moves_the_case(tree):
    # 社区甲 found pollution whose act took place in 社区丙 (another sub-district).
    case = complete_case(tree.ca_staff, point=tree.p_cc, discovered_at=at(2025, 7, 1, 9, 0))
    assert obligations_for(case, "transfer.make.jurisdiction").exists()
    t = S.transfer_create(
        actor=tree.ca_staff.user, case=case, transfer_type="jurisdiction", receiver_unit=tree.cc
    )
    S.transfer_return(actor=tree.cc_staff.user, transfer=t, explanation="排污行为发生在社区甲一侧")
    # The receiver records the dispute from the returned transfer.
    dispute = S.dispute_raise(
        actor=tree.cc_staff.user,
        case=case,
        parties=[tree.ca],
        reason="双方对发生地有争议",
        transfer=t,
    )
    assert dispute.common_grid == tree.g_root and dispute.designating_unit == tree.gov
    with pytest.raises(ApplicationError) as exc:
        S.dispute_designate(
            actor=tree.gov_staff.user, dispute=dispute, unit=tree.police, reason="x"
        )
    assert exc.value.code == "designee_invalid"
    S.dispute_designate(
        actor=tree.gov_staff.user, dispute=dispute, unit=tree.cc, reason="发生地在社区丙"
    )
    case.refresh_from_db()
    assert case.owner_unit == tree.cc
    assert AuditEvent.objects.filter(action="case.move", object_id=str(case.pk)).exists()
    # The finder's transfer duty ends with the designation, and none is re-opened.
    assert not obligations_for(case, "transfer.make.jurisdiction").exists()
    # The designated unit now sees and handles the case.
    from envgrid.cases.policies import case_policy

    assert case_policy.can_change(tree.cc_staff.user, case)


def test_T5_dispute_between_parent_and_child_grid_goes_one_level_up(tree):
    case = complete_case(tree.s1_staff, point=tree.p_ca)
    dispute = S.dispute_raise(
        actor=tree.s1_staff.user, case=case, parties=[tree.ca], reason="街道与社区争议"
    )
    # The common grid 一号街道 is a party's own grid: its parent designates.
    assert dispute.designating_unit == tree.gov


def test_T5_dispute_needs_two_parties_and_a_reason(tree):
    case = complete_case(tree.ca_staff, point=tree.p_ca)
    with pytest.raises(ApplicationError) as e1:
        S.dispute_raise(actor=tree.ca_staff.user, case=case, parties=[], reason="x")
    assert e1.value.code == "parties_required"
    with pytest.raises(ApplicationError) as e2:
        S.dispute_raise(actor=tree.ca_staff.user, case=case, parties=[tree.cb], reason=" ")
    assert e2.value.code == "reason_required"


def test_T5_designating_unit_that_keeps_the_matter_takes_the_first_known_case(tree):
    # No party's case is the designated unit's own: the case known first (社区乙's,
    # discovered earlier although registered later) moves, and the other closes.
    a, b = _two_cases_same_matter(
        tree, ca_found=at(2025, 6, 3, 9, 30), cb_found=at(2025, 6, 3, 8, 15)
    )
    assert b.pk > a.pk  # the first known is not the first registered
    dispute = S.dispute_raise(
        actor=tree.ca_staff.user, case=a, parties=[tree.cb], reason="污染跨两社区，双方均已立案"
    )
    assert dispute.designating_unit == tree.s1
    S.dispute_designate(
        actor=tree.s1_staff.user, dispute=dispute, unit=tree.s1, reason="跨社区，由街道直接查处"
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.owner_unit == tree.s1 and b.status != CaseStatus.CLOSED
    assert AuditEvent.objects.filter(action="case.move", object_id=str(b.pk)).exists()
    assert a.owner_unit == tree.ca
    assert a.status == CaseStatus.CLOSED and a.outcome == CaseOutcome.DESIGNATED_ELSEWHERE
    assert b.number in a.close_note
