"""T6 accountability: consequences recorded from the overdue register, a proposal naming
the units and persons responsible with the items and delays from the records, the
leading group's decision, and a referral that becomes a discipline-route transfer."""

from __future__ import annotations

import io

import pytest
import time_machine
from docx import Document

from envgrid.accountability.models import (
    AccountabilityProposal,
    ConsequenceFinding,
    ProposalEvent,
    ProposalStatus,
)
from envgrid.accountability.services import (
    finding_record,
    proposal_decide,
    proposal_open,
    proposal_refer,
    proposal_withdraw,
)
from envgrid.cases.models import Transfer, TransferType
from envgrid.core.audit import audit_verify
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.core.models import AuditEvent
from envgrid.obligations.models import Obligation
from envgrid.testing import official_layout_problems

from .conftest import at

pytestmark = pytest.mark.django_db


def _serious(world, late, ob=None):
    return finding_record(
        actor=world.director.user,
        obligation=ob or late.overdue,
        level="serious",
        facts="未按期反馈，群众重复投诉 12 次，媒体曝光。",
        evidence="投诉登记表 12 份；报道截图。",
    )


def test_T6_office_records_consequences_of_an_overdue_item_numbered_and_audited(world, late):
    with time_machine.travel(at(2026, 3, 20, 10, 0), tick=False):
        f = _serious(world, late)
    assert f.number == "测环责认〔2026〕1号"
    assert f.unit == world.members[0]
    assert f.leading_group == world.group
    assert f.delay_days == 11  # due 9 March 23:59:59, recorded 20 March 10:00
    assert AuditEvent.objects.filter(action="accountability.finding_record").count() == 1
    assert audit_verify() == []


@pytest.mark.parametrize(
    ("who", "code"),
    [("member_staff", "office_required"), ("leader", "office_required")],
)
def test_T6_only_the_office_records_consequences(world, late, who, code):
    user = world.member_staff[0].user if who == "member_staff" else world.leader.user
    with pytest.raises(PermissionDeniedError) as exc:
        finding_record(actor=user, obligation=late.overdue, level="none", facts="无影响")
    assert exc.value.code == code
    assert ConsequenceFinding.objects.count() == 0


def test_T6_consequences_only_for_late_items_once_and_with_evidence(world, late):
    office = world.director.user
    with pytest.raises(ConflictError) as on_time:
        finding_record(actor=office, obligation=late.on_time, level="none", facts="按时办结")
    with pytest.raises(ApplicationError) as no_evidence:
        finding_record(actor=office, obligation=late.overdue, level="ordinary", facts="有影响")
    with pytest.raises(ApplicationError) as bad_level:
        finding_record(actor=office, obligation=late.overdue, level="huge", facts="x")
    finding_record(actor=office, obligation=late.done_late, level="none", facts="未造成影响")
    with pytest.raises(ConflictError) as twice:
        finding_record(actor=office, obligation=late.done_late, level="none", facts="再认定")
    assert on_time.value.code == "not_overdue"
    assert no_evidence.value.code == "evidence_required"
    assert bad_level.value.code == "level_invalid"
    assert twice.value.code == "finding_exists"
    assert ConsequenceFinding.objects.count() == 1


def test_T6_proposal_names_units_persons_and_delays_from_the_records(world, late):
    with time_machine.travel(at(2026, 3, 20, 10, 0), tick=False):
        f1 = _serious(world, late)
        f2 = _serious(world, late, late.done_late)
        p = proposal_open(actor=world.director.user, findings=[f1, f2], facts="两项严重逾期。")
    assert p.number == "测环问责建〔2026〕1号"
    assert p.status == ProposalStatus.PROPOSED
    assert list(p.units.all()) == [world.members[0]]
    assert list(p.persons.all()) == [world.member_staff[0]]
    delays = {i["title"]: i["delay_days"] for i in p.items}
    assert delays == {late.overdue.title: 11, late.done_late.title: 3}
    assert [e.action for e in ProposalEvent.objects.filter(proposal=p)] == ["propose"]


def test_T6_proposal_refuses_non_serious_findings_and_persons_outside_the_units(world, late):
    office = world.director.user
    ordinary = finding_record(
        actor=office, obligation=late.done_late, level="ordinary", facts="x", evidence="y"
    )
    serious = _serious(world, late)
    with pytest.raises(ApplicationError) as not_serious:
        proposal_open(actor=office, findings=[ordinary], facts="x")
    with pytest.raises(ApplicationError) as stranger:
        proposal_open(actor=office, findings=[serious], facts="x", persons=[world.member_staff[1]])
    with pytest.raises(PermissionDeniedError) as by_unit:
        proposal_open(actor=world.member_staff[0].user, findings=[serious], facts="x")
    assert not_serious.value.code == "finding_not_serious"
    assert stranger.value.code == "person_not_in_units"
    assert by_unit.value.status in (403, 404)
    assert AccountabilityProposal.objects.count() == 0


def test_T6_leading_group_decides_criticism_numbered_and_shown_in_register(world, late, client):
    with time_machine.travel(at(2026, 3, 20, 10, 0), tick=False):
        p = proposal_open(
            actor=world.director.user, findings=[_serious(world, late)], facts="严重逾期。"
        )
    with pytest.raises(PermissionDeniedError) as office_decides:
        proposal_decide(actor=world.director.user, proposal=p, decision="criticism", reason="x")
    assert office_decides.value.code == "leader_required"
    with time_machine.travel(at(2026, 3, 25, 10, 0), tick=False):
        p = proposal_decide(
            actor=world.deputy.user, proposal=p, decision="criticism", reason="予以书面批评。"
        )
    assert p.status == ProposalStatus.DECIDED
    assert p.decision_number == "测环问责决〔2026〕1号"
    assert p.decided_by == world.deputy
    with pytest.raises(ConflictError):
        proposal_decide(actor=world.leader.user, proposal=p, decision="no_action", reason="x")
    client.force_login(world.director.user)
    page = client.get("/obligations/register/").content.decode()
    assert "后果：严重后果" in page
    assert f"问责 {p.number}：书面批评" in page
    assert audit_verify() == []


def test_T6_referral_creates_discipline_route_transfer_with_materials(world, late):
    with time_machine.travel(at(2026, 3, 20, 10, 0), tick=False):
        p = proposal_open(
            actor=world.director.user, findings=[_serious(world, late)], facts="严重逾期。"
        )
        p = proposal_decide(
            actor=world.leader.user, proposal=p, decision="referral", reason="移送纪委监委。"
        )
    case = p.referral_case
    assert case.discipline_breach is True
    assert case.owner_unit == world.office_unit
    assert world.member_staff[0].name in case.responsible_person
    assert case.evidence.count() == 1
    with pytest.raises(PermissionDeniedError):
        proposal_refer(actor=world.leader.user, proposal=p, receiver_unit=late.discipline)
    with pytest.raises(ApplicationError) as wrong_kind:
        proposal_refer(actor=world.director.user, proposal=p, receiver_unit=world.members[1])
    assert wrong_kind.value.code == "receiver_kind_mismatch"
    with time_machine.travel(at(2026, 3, 21, 10, 0), tick=False):
        transfer = proposal_refer(
            actor=world.director.user, proposal=p, receiver_unit=late.discipline
        )
    p.refresh_from_db()
    assert transfer.transfer_type == TransferType.DISCIPLINE
    assert transfer.receiver_unit == late.discipline
    assert transfer.sender_unit == world.office_unit
    assert transfer.evidence.count() == 1
    assert p.status == ProposalStatus.REFERRED
    assert p.referral_transfer == transfer
    # The receiver now owes its decision on the transfer (T4), like any transfer.
    assert Obligation.objects.get(subject_id=str(transfer.pk)).unit == late.discipline
    assert Transfer.objects.count() == 1
    assert [e.action for e in p.events.all()] == ["propose", "decide", "refer"]
    assert audit_verify() == []


def test_T6_proposal_docx_opens_with_items_delays_and_decision(world, late, client):
    with time_machine.travel(at(2026, 3, 20, 10, 0), tick=False):
        p = proposal_open(
            actor=world.director.user, findings=[_serious(world, late)], facts="严重逾期。"
        )
        proposal_decide(actor=world.leader.user, proposal=p, decision="interview", reason="约谈")
    client.force_login(world.director.user)
    r = client.get(f"/accountability/proposals/{p.pk}/?format=docx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(par.text for par in doc.paragraphs)
    cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    assert "问责建议书" in text
    assert p.number in text
    assert "测环问责决〔2026〕1号" in text
    assert "约谈" in text
    assert late.overdue.title in cells
    assert "11" in cells
    assert official_layout_problems(r.content) == []


def test_T6_withdrawn_proposal_frees_its_findings(world, late):
    f = _serious(world, late)
    p = proposal_open(actor=world.director.user, findings=[f], facts="x")
    with pytest.raises(ConflictError) as busy:
        proposal_open(actor=world.director.user, findings=[f], facts="again")
    with pytest.raises(ApplicationError) as no_reason:
        proposal_withdraw(actor=world.director.user, proposal=p, reason=" ")
    proposal_withdraw(actor=world.director.user, proposal=p, reason="事实需补充")
    again = proposal_open(actor=world.director.user, findings=[f], facts="补充后重新提出")
    assert busy.value.code == "finding_in_proposal"
    assert no_reason.value.code == "reason_required"
    assert again.status == ProposalStatus.PROPOSED
    assert AccountabilityProposal.objects.count() == 2


def test_T6_serious_consequences_count_in_the_assessment(world, late):
    from envgrid.assessment.indicators import metric_get

    metric = metric_get("accountability.no_serious")
    now = at(2026, 3, 20, 10, 0)
    unit = world.members[0].pk
    before = metric.compute(2026, [unit, world.members[1].pk], now=now)
    with time_machine.travel(now, tick=False):
        _serious(world, late)
    after = metric.compute(2026, [unit], now=now)
    # members[0]: two late items; members[1]: none late (nothing owed here).
    assert (before[unit].numerator, before[unit].denominator) == (2, 2)
    assert before[world.members[1].pk].value is None
    assert (after[unit].numerator, after[unit].denominator) == (1, 2)
    assert str(after[unit].value) == "0.5000"
    rows = metric.drilldown(2026, unit, now=now).rows
    assert [r[3][0] for r in rows if isinstance(r[3], tuple)] == ["严重后果"]
