"""T2 × T5: a jurisdiction designation closes the other parties' cases on the matter as
"designated elsewhere"; a suspected-crime flag on any of them is carried to the designated
unit's case, which then owes the transfer decision — the designation is no way to drop it."""

from __future__ import annotations

import pytest
import time_machine

from envgrid.cases import services as S
from envgrid.cases.models import CaseOutcome, CaseStatus
from envgrid.core.errors import ConflictError
from envgrid.core.models import AuditEvent
from envgrid.obligations.services import obligations_for

from .conftest import at, complete_case

pytestmark = pytest.mark.django_db
CRIMINAL_MAKE = "transfer.make.criminal"


def _matter(tree, *, a_flagged, b_flagged):
    """社区甲 found it at 08:15, 社区乙 at 09:30; linked as the same matter, disputed."""
    with time_machine.travel(at(2025, 11, 3, 10, 0), tick=False):  # Monday
        a = complete_case(
            tree.ca_staff,
            point=tree.p_ca,
            discovered_at=at(2025, 11, 3, 8, 15),
            suspected_crime=a_flagged,
        )
        b = complete_case(
            tree.cb_staff,
            point=tree.p_cb,
            discovered_at=at(2025, 11, 3, 9, 30),
            same_matter_as=a,
            suspected_crime=b_flagged,
        )
        dispute = S.dispute_raise(
            actor=tree.ca_staff.user, case=a, parties=[tree.cb], reason="双方均认为属本辖区"
        )
    return a, b, dispute


def test_T2_T5_designation_carries_the_crime_flag_to_the_designated_units_case(tree):
    a, b, dispute = _matter(tree, a_flagged=False, b_flagged=True)
    assert obligations_for(b, CRIMINAL_MAKE).exists()
    with time_machine.travel(at(2025, 11, 5, 10, 0), tick=False):  # Wednesday
        S.dispute_designate(
            actor=tree.s1_staff.user, dispute=dispute, unit=tree.ca, reason="排污口位于社区甲"
        )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (b.status, b.outcome) == (CaseStatus.CLOSED, CaseOutcome.DESIGNATED_ELSEWHERE)
    assert a.suspected_crime is True
    duty = obligations_for(a, CRIMINAL_MAKE).get()
    assert duty.unit == tree.ca
    assert duty.due_at == at(2025, 11, 10, 23, 59, 59)  # 3 working days from Wednesday
    carried = AuditEvent.objects.get(action="case.crime_flag_carry", object_id=str(a.pk))
    assert carried.after["from_cases"] == [b.pk]
    # The carried flag binds: no closing with an administrative outcome.
    S.case_open(actor=tree.ca_staff.user, case=a)
    with pytest.raises(ConflictError) as exc:
        S.case_close(actor=tree.ca_staff.user, case=a, outcome="administrative_penalty")
    assert exc.value.code == "criminal_transfer_required"


def test_T2_T5_designated_units_flagged_case_keeps_one_duty_when_designated_to_it(tree):
    a, b, dispute = _matter(tree, a_flagged=True, b_flagged=True)
    with time_machine.travel(at(2025, 11, 5, 10, 0), tick=False):
        S.dispute_designate(
            actor=tree.s1_staff.user, dispute=dispute, unit=tree.ca, reason="排污口位于社区甲"
        )
    a.refresh_from_db()
    assert a.suspected_crime is True
    assert obligations_for(a, CRIMINAL_MAKE).count() == 1
    assert not obligations_for(b, CRIMINAL_MAKE).exists()
    assert not AuditEvent.objects.filter(action="case.crime_flag_carry").exists()


def test_T5_designation_without_a_crime_flag_sets_none(tree):
    a, _b, dispute = _matter(tree, a_flagged=False, b_flagged=False)
    S.dispute_designate(
        actor=tree.s1_staff.user, dispute=dispute, unit=tree.ca, reason="排污口位于社区甲"
    )
    a.refresh_from_db()
    assert a.suspected_crime is False
    assert not obligations_for(a, CRIMINAL_MAKE).exists()
