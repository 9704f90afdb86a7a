"""G5/I4: a major grid adjustment is *reported* only when its report is sent, and the
sending is owed within a configurable number of working days (an obligation that goes
overdue into the register like any other)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from envgrid.grids.models import Grid, MajorAdjustment
from envgrid.grids.services import grid_assign
from envgrid.obligations.models import Obligation, ObligationStatus
from envgrid.obligations.services import sweep
from envgrid.reporting.models import Report, ReportType
from envgrid.reporting.services import ADJUSTMENT_REPORT_KIND, report_act

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


def _grid(unit) -> Grid:
    square = {
        "type": "Polygon",
        "coordinates": [[[122, 40], [122.1, 40], [122.1, 40.1], [122, 40.1], [122, 40]]],
    }
    g = Grid.objects.create(code="G-R1", name="测试社区", level=4, owner_unit=unit, boundary=square)
    g.path = f"/{g.pk}/"
    g.save()
    return g


def _major(world) -> tuple[MajorAdjustment, Report]:
    grid = _grid(world.members[0])
    grid_assign(
        actor=world.admin,
        grid=grid,
        role="head",
        person=world.member_staff[0],
        major=True,
        summary="网格长重大调整",
    )
    adj = MajorAdjustment.objects.get(grid=grid)
    return adj, Report.objects.get(report_type=ReportType.MAJOR_ADJUSTMENT)


def test_G5_drafted_adjustment_report_is_not_shown_as_reported_until_sent(world, client, api):
    staff = world.member_staff[0].user
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        adj, report = _major(world)
    adj.refresh_from_db()
    assert adj.report_ref == str(report.pk)
    assert adj.reported_at is None
    client.force_login(world.director.user)
    page = client.get(reverse("grids:adjustments")).content.decode()
    assert "已起草，待上报" in page
    assert "已上报" not in page.replace("已起草，待上报", "")
    api.force_authenticate(world.admin)
    row = api.get(f"/api/grid-major-adjustments/{adj.pk}/").json()
    assert row["reported_at"] is None

    with time_machine.travel(at(2026, 3, 4, 15, 0), tick=False):
        for action in ("screen", "process", "submit"):
            report = report_act(actor=staff, report=report, action=action)
    adj.refresh_from_db()
    assert adj.reported_at == at(2026, 3, 4, 15, 0)
    page = client.get(reverse("grids:adjustments")).content.decode()
    assert "已上报 2026-03-04" in page
    assert api.get(f"/api/grid-major-adjustments/{adj.pk}/").json()["reported_at"]


def test_I4_adjustment_report_due_in_five_working_days_closed_on_time_by_sending(world):
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):  # a Monday
        adj, report = _major(world)
    ob = Obligation.objects.get(kind=ADJUSTMENT_REPORT_KIND, subject_id=str(adj.pk))
    assert ob.unit == world.members[0]
    assert timezone_local(ob.due_at) == at(2026, 3, 9, 23, 59, 59)
    with time_machine.travel(at(2026, 3, 9, 16, 0), tick=False):
        for action in ("screen", "process", "submit"):
            report = report_act(actor=world.member_staff[0].user, report=report, action=action)
    ob.refresh_from_db()
    assert ob.status == ObligationStatus.DONE
    assert ob.completed_late is False


def test_I4_unsent_adjustment_report_goes_overdue_into_the_register(world, client, settings):
    settings.ENVGRID_REPORTING = {"ADJUSTMENT_REPORT_WORKDAYS": 2}
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        adj, _report = _major(world)
    ob = Obligation.objects.get(kind=ADJUSTMENT_REPORT_KIND, subject_id=str(adj.pk))
    assert timezone_local(ob.due_at) == at(2026, 3, 4, 23, 59, 59)
    with time_machine.travel(at(2026, 3, 5, 9, 0), tick=False):
        sweep()
    ob.refresh_from_db()
    assert ob.status == ObligationStatus.OVERDUE
    client.force_login(world.director.user)
    register = client.get(reverse("obligations:register")).content.decode()
    assert "报送网格重大调整信息" in register


def timezone_local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(SH)
