"""A2: computed indicators fed through the other apps' own services (cases, grids,
meetings) equal hand counts, and move when a record changes."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.core.files.base import ContentFile

from envgrid.assessment.indicators import compute_metrics, metric_drilldown

from .conftest import at

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
NOW = at(2026, 3, 2, 10)


@pytest.fixture
def grids(world):
    from envgrid.grids.testing import build_square_tree

    return build_square_tree(world.admin, world)


def _case(person, point, when):
    from envgrid.cases.services import case_create

    with time_machine.travel(when, tick=False):
        return case_create(
            actor=person.user,
            title="某厂夜间偷排废水（合成）",
            source="patrol",
            lon=point[0],
            lat=point[1],
            address="测试路1号",
            description="巡查发现排污口有异味废水外排。",
            entity_name="某某化工有限公司（合成）",
            responsible_person="张某（合成）",
            facts="夜间通过暗管向雨水管网排放未经处理的生产废水。",
            evidence_files=[ContentFile(PNG, name="照片.png")],
        )


def _transfer(person, case, receiver, when):
    from envgrid.cases.models import TransferType
    from envgrid.cases.services import transfer_create

    with time_machine.travel(when, tick=False):
        return transfer_create(
            actor=person.user,
            case=case,
            transfer_type=TransferType.JURISDICTION,
            receiver_unit=receiver,
            reason="发生地不属本单位",
        )


def test_A2_transfer_made_late_through_cases_lowers_the_senders_rate(world, grids):
    from envgrid.cases.models import TransferRule

    if not TransferRule.objects.exists():  # seeded by a data migration; flushed by some tests
        import importlib

        from django.apps import apps

        importlib.import_module("envgrid.cases.migrations.0002_transfer_rules").seed(apps, None)
    a_unit, a_staff = world.members[0], world.member_staff[0]
    b1 = grids["B1"].owner_unit
    in_b1 = (122.23, 40.665)
    # Found on Monday 1 Sep 2025 in another unit's grid: owed within 3 working days.
    first = _case(a_staff, in_b1, at(2025, 9, 1, 10))
    _transfer(a_staff, first, b1, at(2025, 9, 2, 10))  # on time
    with time_machine.travel(NOW, tick=False):
        before = compute_metrics(2025, [a_unit.pk], ["transfer.made", "transfer.on_time"])
    assert (
        before["transfer.made"][a_unit.pk].numerator,
        before["transfer.made"][a_unit.pk].denominator,
    ) == (1, 1)
    second = _case(a_staff, in_b1, at(2025, 10, 9, 10))
    _transfer(a_staff, second, b1, at(2025, 10, 31, 10))  # weeks late
    with time_machine.travel(NOW, tick=False):
        after = compute_metrics(
            2025, [a_unit.pk, b1.pk], ["transfer.made", "transfer.handled", "transfer.on_time"]
        )
        drill = metric_drilldown("transfer.made", 2025, a_unit.pk)
    made = after["transfer.made"][a_unit.pk]
    assert (made.numerator, made.denominator, made.value) == (1, 2, Decimal("0.5"))
    assert after["transfer.on_time"][a_unit.pk].value == Decimal("0.5")
    assert drill is not None and sorted(r[-1] for r in drill.rows) == ["按时", "逾期"]
    # The receiver answers for its own step: both transfers still undecided, long past due.
    assert after["transfer.made"][b1.pk].denominator == 0
    handled = after["transfer.handled"][b1.pk]
    assert (handled.numerator, handled.denominator) == (0, 2)


def test_A2_grid_roles_filled_through_the_roster(world, grids):
    from envgrid.grids.models import GridRole
    from envgrid.grids.services import grid_assign, staffing_rule_set
    from envgrid.testing import make_person

    a_unit = world.members[0]
    grid_a = grids["A"]
    staffing_rule_set(actor=world.admin, level=3, min_staff=2)
    # Grid A (owned by A) needs: leader 1, head 1, staff 2, supervisor 1 = 5 places.
    with time_machine.travel(at(2025, 3, 1, 9), tick=False):
        grid_assign(
            actor=world.admin, grid=grid_a, role=GridRole.LEADER, person=make_person(a_unit)
        )
        grid_assign(actor=world.admin, grid=grid_a, role=GridRole.STAFF, person=make_person(a_unit))
    with time_machine.travel(NOW, tick=False):
        v = compute_metrics(2025, [a_unit.pk], ["grids.roles_filled"])["grids.roles_filled"][
            a_unit.pk
        ]
    assert (v.numerator, v.denominator, v.value) == (2, 5, Decimal("0.4"))
    # A head named in 2026 does not count for the roster at the end of 2025.
    with time_machine.travel(at(2026, 2, 1, 9), tick=False):
        grid_assign(actor=world.admin, grid=grid_a, role=GridRole.HEAD, person=make_person(a_unit))
    with time_machine.travel(NOW, tick=False):
        v25 = compute_metrics(2025, [a_unit.pk], ["grids.roles_filled"])["grids.roles_filled"][
            a_unit.pk
        ]
        v26 = compute_metrics(2026, [a_unit.pk], ["grids.roles_filled"])["grids.roles_filled"][
            a_unit.pk
        ]
    assert v25.numerator == 2 and v26.numerator == 3


def test_A2_meeting_attendance_through_meetings(world):
    from envgrid.meetings.models import AgendaKind, Attendance, ProblemKind
    from envgrid.meetings.services import (
        AgendaInput,
        AttendanceInput,
        meeting_attendance_record,
        meeting_hold,
        meeting_schedule,
    )

    a, b, _c = world.members
    leader = world.leader.user

    def meeting(day, present_a):
        with time_machine.travel(at(2025, 5, day, 8), tick=False):
            m = meeting_schedule(
                actor=leader,
                leading_group=world.group,
                title=f"联席会议{day}",
                starts_at=at(2025, 5, day, 9),
                place="会议室",
                agenda=[AgendaInput(AgendaKind.COORDINATION, ProblemKind.KEY, "协调议题")],
            )
        entries = {
            p.unit_id: AttendanceInput(p.unit_id, Attendance.PRESENT, attendee_name="某某")
            for p in m.participants.all()
        }
        if not present_a:
            entries[a.pk] = AttendanceInput(a.pk, Attendance.ABSENT, absence_reason="外出检查")
        entries[b.pk] = AttendanceInput(b.pk, Attendance.DELEGATE, delegate_name="乙代表")
        with time_machine.travel(at(2025, 5, day, 11), tick=False):
            meeting_attendance_record(actor=leader, meeting=m, entries=list(entries.values()))
            meeting_hold(actor=leader, meeting=m)
        return m

    meeting(12, True)
    meeting(19, False)
    meeting(26, True)
    with time_machine.travel(NOW, tick=False):
        v = compute_metrics(2025, [a.pk, b.pk], ["meeting.attendance"])["meeting.attendance"]
    assert (v[a.pk].numerator, v[a.pk].denominator) == (2, 3)
    assert v[a.pk].value == Decimal("0.6667")
    assert v[b.pk].value == Decimal("1")
