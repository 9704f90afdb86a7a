"""Petition handling (I4 only discloses how petitions were handled; these rules are not
I4's): routing to the grid owner (G3), deadlines as obligations from the 2022 petition
regulation, objection and re-routing, extension, duplicate linking, case."""

from __future__ import annotations

import pytest
import time_machine

from envgrid.core.errors import ApplicationError
from envgrid.disclosure.models import Petition, PetitionEvent, PetitionRules, PetitionStatus
from envgrid.disclosure.petitions import (
    KIND_ACK,
    KIND_HANDLE,
    KIND_REROUTE,
    petition_acknowledge,
    petition_extend,
    petition_object,
    petition_reply,
    petition_reroute,
    petition_to_case,
)
from envgrid.obligations.models import Obligation, ObligationStatus
from envgrid.obligations.services import obligations_for, sweep
from envgrid.testing import make_person

from .conftest import EAST_POINT, WEST_POINT, at

pytestmark = pytest.mark.django_db


def _user(person):
    return person.user


def test_petition_routed_to_owner_of_grid_containing_place(district, submit):
    w = district.world
    p = submit(lon=EAST_POINT[0], lat=EAST_POINT[1])
    assert p.grid == district.east
    assert p.unit == w.members[1]
    assert p.office_unit == w.office_unit
    assert p.status == PetitionStatus.RECEIVED
    ack = obligations_for(p, KIND_ACK).get()
    assert ack.unit == w.members[1]


def test_G3_petition_coordinates_in_gcj02_are_converted_before_routing(district, submit):
    """A point just west of the boundary in WGS84 is given in GCJ-02 (≈ 500 m east):
    read as WGS84 it would land in the east grid, converted it belongs to the west."""
    from envgrid.grids.coords import wgs84_to_gcj02

    true_lon, true_lat = 122.2495, 40.66
    g_lon, g_lat = wgs84_to_gcj02(true_lon, true_lat)
    assert g_lon > 122.25  # the raw GCJ-02 number is on the east side
    p = submit(lon=g_lon, lat=g_lat, crs="gcj02")
    assert p.grid == district.west
    assert p.unit == district.world.members[0]
    assert abs(p.lon - true_lon) < 1e-7 and p.input_crs == "gcj02"


def test_petition_outside_every_grid_goes_to_the_office(district, submit):
    p = submit(lon=100.0, lat=30.0)
    assert p.grid is None
    assert p.unit == district.world.office_unit


def test_petition_deadlines_ack_15_days_handle_60_days(district, submit):
    w = district.world
    with time_machine.travel(at(2025, 3, 3, 10, 0), tick=False):
        p = submit()
    ack = obligations_for(p, KIND_ACK).get()
    assert ack.due_at == at(2025, 3, 18, 23, 59, 59)  # 15 calendar days
    with time_machine.travel(at(2025, 3, 10, 9, 0), tick=False):
        p = petition_acknowledge(actor=_user(w.member_staff[0]), petition=p)
    ack.refresh_from_db()
    assert ack.status == ObligationStatus.DONE and not ack.completed_late
    handle = obligations_for(p, KIND_HANDLE).get()
    assert handle.due_at == at(2025, 5, 9, 23, 59, 59)  # 60 days from acceptance
    with time_machine.travel(at(2025, 5, 10, 8, 0), tick=False):
        sweep()
    handle.refresh_from_db()
    assert handle.status == ObligationStatus.OVERDUE
    # An overdue petition deadline escalates up the grid tree like every obligation
    # (the owner of the parent grid); the routing office is the fallback off the tree.
    assert handle.escalated_to == district.root.owner_unit == w.government


def test_petition_ack_overdue_when_silent(district, submit):
    with time_machine.travel(at(2025, 3, 3, 10, 0), tick=False):
        p = submit()
    with time_machine.travel(at(2025, 3, 18, 23, 0), tick=False):
        assert sweep().marked == 0
    with time_machine.travel(at(2025, 3, 19, 0, 30), tick=False):
        sweep()
    assert obligations_for(p, KIND_ACK).get().status == ObligationStatus.OVERDUE


def test_petition_extension_once_up_to_30_days_with_approval(district, submit):
    w = district.world
    staff = w.member_staff[0]
    head = make_person(w.members[0], "单位负责人", title="局长")
    with time_machine.travel(at(2025, 3, 3, 10, 0), tick=False):
        p = submit()
        p = petition_acknowledge(actor=staff.user, petition=p)
    handle = obligations_for(p, KIND_HANDLE).get()
    due = handle.due_at
    with pytest.raises(ApplicationError) as exc:
        petition_extend(actor=staff.user, petition=p, days=31, reason="情况复杂", approver=head)
    assert exc.value.code == "extension_too_long"
    with pytest.raises(ApplicationError) as exc:
        petition_extend(actor=staff.user, petition=p, days=30, reason="情况复杂", approver=staff)
    assert exc.value.code == "approver_invalid"
    outsider = w.member_staff[1]
    with pytest.raises(ApplicationError):
        petition_extend(actor=staff.user, petition=p, days=30, reason="情况复杂", approver=outsider)
    petition_extend(actor=staff.user, petition=p, days=30, reason="情况复杂", approver=head)
    handle.refresh_from_db()
    assert (handle.due_at - due).days == 30
    with pytest.raises(ApplicationError) as exc:
        petition_extend(actor=staff.user, petition=p, days=5, reason="再延", approver=head)
    assert exc.value.code == "extension_exhausted"
    handle.refresh_from_db()
    assert (handle.due_at - due).days == 30


def test_petition_objection_within_5_working_days_returns_to_office_for_rerouting(district, submit):
    w = district.world
    # Friday 2025-09-26: 5 working days run to Friday 2025-10-10 (National Day holiday,
    # with the make-up working days 9-28 and 10-11 around it).
    with time_machine.travel(at(2025, 9, 26, 10, 0), tick=False):
        p = submit()
    with time_machine.travel(at(2025, 10, 9, 15, 0), tick=False):
        p = petition_object(actor=w.member_staff[0].user, petition=p, reason="属水务部门职责")
    assert p.status == PetitionStatus.OBJECTED
    assert obligations_for(p, KIND_ACK).count() == 0  # cancelled
    assert (
        Obligation.objects.get(kind=KIND_ACK, subject_id=str(p.pk)).status
        == ObligationStatus.CANCELLED
    )
    reroute = obligations_for(p, KIND_REROUTE).get()
    assert reroute.unit == w.office_unit
    # Only the office re-routes; the objecting unit cannot.
    with pytest.raises(ApplicationError):
        petition_reroute(actor=w.member_staff[0].user, petition=p, unit=w.members[2])
    with time_machine.travel(at(2025, 10, 10, 9, 0), tick=False):
        p = petition_reroute(actor=w.office_staff.user, petition=p, unit=w.members[2])
    assert p.status == PetitionStatus.RECEIVED and p.unit == w.members[2]
    assert obligations_for(p, KIND_REROUTE).count() == 0
    ack = obligations_for(p, KIND_ACK).get()
    assert ack.unit == w.members[2]
    assert ack.due_at == at(2025, 10, 25, 23, 59, 59)  # new 15 days from re-routing
    # The new unit sees it in its inbox; the objecting unit no longer does.
    from envgrid.disclosure.selectors import petition_list

    assert p in petition_list(user=w.member_staff[2].user)
    assert p not in petition_list(user=w.member_staff[0].user)


def test_petition_objection_after_5_working_days_is_refused(district, submit):
    w = district.world
    with time_machine.travel(at(2025, 9, 26, 10, 0), tick=False):
        p = submit()
    with time_machine.travel(at(2025, 10, 11, 9, 0), tick=False):  # 6th working day (调休)
        with pytest.raises(ApplicationError) as exc:
            petition_object(actor=w.member_staff[0].user, petition=p, reason="不属本单位")
    assert exc.value.code == "objection_window_closed"
    p.refresh_from_db()
    assert p.status == PetitionStatus.RECEIVED
    assert obligations_for(p, KIND_REROUTE).count() == 0


def test_petition_objection_needs_reason_and_is_only_for_receiving_unit(district, submit):
    w = district.world
    p = submit()
    with pytest.raises(ApplicationError) as exc:
        petition_object(actor=w.member_staff[0].user, petition=p, reason=" ")
    assert exc.value.code == "reason_required"
    with pytest.raises(ApplicationError):
        petition_object(actor=w.member_staff[1].user, petition=p, reason="不属本单位")
    p.refresh_from_db()
    assert p.status == PetitionStatus.RECEIVED


def test_petition_duplicate_same_place_and_category_is_linked_not_reopened(district, submit):
    first = submit()
    dup = submit(lon=WEST_POINT[0] + 0.0005, lat=WEST_POINT[1], description="又闻到臭味")
    assert dup.status == PetitionStatus.LINKED
    assert dup.duplicate_of == first
    assert obligations_for(dup).count() == 0  # no second deadline, no second handling
    assert obligations_for(first, KIND_ACK).count() == 1
    # A different category at the same place, or the same category far away, is new.
    other_cat = submit(category="noise")
    far = submit(lon=WEST_POINT[0] + 0.02, lat=WEST_POINT[1])
    assert other_cat.duplicate_of is None and far.duplicate_of is None
    assert PetitionEvent.objects.filter(petition=first, action="duplicate").exists()


def test_petition_duplicate_window_is_configurable(district, submit):
    rules = PetitionRules.objects.create(duplicate_window_days=3)
    with time_machine.travel(at(2025, 3, 3, 10, 0), tick=False):
        first = submit()
    with time_machine.travel(at(2025, 3, 5, 10, 0), tick=False):
        assert submit().duplicate_of == first
    with time_machine.travel(at(2025, 3, 7, 10, 0), tick=False):
        assert submit().duplicate_of is None
    rules.delete()


def test_closed_petition_is_not_a_duplicate_target(district, submit):
    w = district.world
    first = submit()
    petition_acknowledge(actor=w.member_staff[0].user, petition=first)
    petition_reply(actor=w.member_staff[0].user, petition=first, reply="已查处。")
    assert submit().duplicate_of is None


def test_petition_deadline_rules_are_configurable(district, submit):
    PetitionRules.objects.create(ack_amount=10, handle_amount=30)
    with time_machine.travel(at(2025, 3, 3, 10, 0), tick=False):
        p = submit()
        assert obligations_for(p, KIND_ACK).get().due_at == at(2025, 3, 13, 23, 59, 59)
        p = petition_acknowledge(actor=district.world.member_staff[0].user, petition=p)
        assert obligations_for(p, KIND_HANDLE).get().due_at == at(2025, 4, 2, 23, 59, 59)


def test_petition_decline_and_reply_close_with_reason(district, submit):
    w = district.world
    p = submit()
    with pytest.raises(ApplicationError):
        petition_acknowledge(actor=w.member_staff[0].user, petition=p, accept=False, reason="")
    p.refresh_from_db()
    assert p.status == PetitionStatus.RECEIVED
    assert obligations_for(p, KIND_ACK).count() == 1  # nothing half-written
    p = petition_acknowledge(
        actor=w.member_staff[0].user, petition=p, accept=False, reason="已通过诉讼途径解决"
    )
    assert p.status == PetitionStatus.DECLINED and p.closed_at is not None
    q = submit(category="water")
    petition_acknowledge(actor=w.member_staff[0].user, petition=q)
    with pytest.raises(ApplicationError):
        petition_reply(actor=w.member_staff[0].user, petition=q, reply="")
    q = petition_reply(actor=w.member_staff[0].user, petition=q, reply="已责令整改。")
    assert q.status == PetitionStatus.REPLIED
    assert obligations_for(q, KIND_HANDLE, live_only=False).get().status == "done"


def test_petition_becomes_a_case(district, submit):
    w = district.world
    p = submit()
    p = petition_acknowledge(actor=w.member_staff[0].user, petition=p)
    p = petition_to_case(actor=w.member_staff[0].user, petition=p)
    from envgrid.cases.models import Case

    case = Case.objects.get(pk=p.case_id)
    assert case.source == "petition"
    assert case.owner_unit == w.members[0]
    # The case carries the facts, never the petitioner's contact.
    p2 = Petition.objects.get(pk=p.pk)
    assert p2.case_label
    with pytest.raises(ApplicationError):
        petition_to_case(actor=w.member_staff[0].user, petition=p2)
