"""Information reporting (I1–I3): the seven steps, the schedule's obligations, thematic
reports, information officers, G5 drafts — through services, the API and the pages."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from envgrid.core.audit import audit_verify
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.core.models import AuditEvent, Notification
from envgrid.grids.models import Grid
from envgrid.obligations.models import Obligation, ObligationStatus
from envgrid.obligations.services import sweep
from envgrid.reporting import registry
from envgrid.reporting.models import (
    Report,
    ReportDue,
    ReportEvent,
    ReportSchedule,
    ReportStatus,
    ReportType,
)
from envgrid.reporting.selectors import report_compliance, report_compliance_for_unit
from envgrid.reporting.services import (
    DUE_KIND,
    dues_generate,
    major_adjustments_sync,
    report_act,
    report_create,
    report_update,
    schedule_create,
)
from envgrid.testing import official_layout_problems

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


def staff(world, i=0):
    return world.member_staff[i].user


def office(world):
    return world.director.user


def new_report(world, i=0, **kw):
    data = {
        "report_type": ReportType.WORK_INFO,
        "title": "一月份网格巡查情况",
        "content": "巡查 12 次。",
    }
    data.update(kw)
    return report_create(actor=staff(world, i), **data)


def walk(report, actor, *actions, note=""):
    for action in actions:
        report = report_act(actor=actor, report=report, action=action, note=note)
    return report


@pytest.fixture
def monthly(world):
    """Monthly work information by the 5th working day of the next month, two units."""
    return schedule_create(
        actor=office(world),
        leading_group=world.group,
        name="月度工作信息",
        report_type=ReportType.WORK_INFO,
        frequency="monthly",
        due_workdays=5,
        valid_from=dt.date(2026, 1, 1),
        units=[world.members[0], world.members[1]],
    )


# --------------------------------------------------------------------------- I2 steps


def test_I2_report_moves_through_collect_screen_process_submit_feedback_publish_archive(
    world, monkeypatch
):
    handed_over = []
    monkeypatch.setattr(registry, "_publish_handlers", [])
    registry.register_publish_handler(lambda report, actor: handed_over.append(report.pk) or "D-1")

    report = new_report(world)
    assert report.status == ReportStatus.COLLECTED
    report = walk(report, staff(world), "screen", "process", "submit")
    assert report.status == ReportStatus.SUBMITTED
    assert report.number.endswith("号") and report.submitted_at is not None
    report = report_act(actor=office(world), report=report, action="feedback", note="已阅，很好。")
    report = walk(report, office(world), "publish", "archive")

    assert report.status == ReportStatus.ARCHIVED
    assert handed_over == [report.pk] and report.disclosure_ref == "D-1"
    steps = list(report.events.values_list("action", "actor_id"))
    assert [s for s, _u in steps] == [
        "collect",
        "screen",
        "process",
        "submit",
        "feedback",
        "publish",
        "archive",
    ]
    authors = {staff(world).pk}
    assert {u for s, u in steps[:4]} == authors
    assert {u for s, u in steps[4:]} == {office(world).pk}
    actions = set(
        AuditEvent.objects.filter(
            object_type="reporting.report", object_id=str(report.pk)
        ).values_list("action", flat=True)
    )
    assert {"report.collect", "report.submit", "report.feedback", "report.archive"} <= actions
    assert audit_verify() == []


def test_I2_feedback_goes_back_to_the_author(world):
    report = walk(new_report(world), staff(world), "screen", "process", "submit")
    report_act(actor=office(world), report=report, action="feedback", note="请补充数据来源。")
    note = Notification.objects.get(recipient=staff(world), subject__contains="信息反馈")
    assert "请补充数据来源" in note.body
    assert note.link == reverse("reporting:detail", args=[report.pk])


def test_I2_feedback_needs_a_note_and_a_return_reopens_processing(world):
    report = walk(new_report(world), staff(world), "screen", "process", "submit")
    with pytest.raises(ApplicationError) as exc:
        report_act(actor=office(world), report=report, action="feedback", note=" ")
    assert exc.value.code == "note_required"
    report = report_act(actor=office(world), report=report, action="return", note="数据有误")
    assert report.status == ReportStatus.PROCESSED
    report = report_update(actor=staff(world), report=report, content="修正后的数据。")
    first_number, first_time = report.number, report.submitted_at
    report = report_act(actor=staff(world), report=report, action="submit")
    # The number and the first submission time stay (timeliness counts the first one).
    assert (report.number, report.submitted_at) == (first_number, first_time)


def test_I2_only_the_author_unit_submits_and_only_the_office_gives_feedback(world):
    report = walk(new_report(world), staff(world), "screen", "process")
    with pytest.raises(ApplicationError) as exc:  # the office does not even see a draft
        report_act(actor=office(world), report=report, action="submit")
    assert exc.value.status == 404
    report = report_act(actor=staff(world), report=report, action="submit")
    with pytest.raises(PermissionDeniedError):
        report_act(actor=staff(world), report=report, action="feedback", note="自己反馈")
    with pytest.raises(ApplicationError) as exc:
        report_act(actor=world.outsider.user, report=report, action="feedback", note="x")
    assert exc.value.status == 404


def test_I2_a_step_out_of_order_is_a_conflict(world):
    report = new_report(world)
    with pytest.raises(ConflictError):
        report_act(actor=staff(world), report=report, action="submit")
    assert report.events.count() == 1


def test_I2_drafts_stay_with_the_unit_until_submitted(world, api):
    report = walk(new_report(world), staff(world), "screen")
    api.force_authenticate(office(world))
    assert api.get(f"/api/reporting/reports/{report.pk}/").status_code == 404
    api.force_authenticate(staff(world, 1))
    assert api.get(f"/api/reporting/reports/{report.pk}/").status_code == 404
    walk(report, staff(world), "process", "submit")
    api.force_authenticate(office(world))
    assert api.get(f"/api/reporting/reports/{report.pk}/").status_code == 200
    api.force_authenticate(staff(world, 1))
    assert api.get(f"/api/reporting/reports/{report.pk}/").status_code == 404


def test_I2_withdrawal_keeps_the_record_with_its_reason(world):
    report = new_report(world)
    report = report_act(actor=staff(world), report=report, action="withdraw", note="重复采集")
    assert Report.objects.filter(
        pk=report.pk, status="withdrawn", withdraw_reason="重复采集"
    ).exists()


# --------------------------------------------------------------------------- I3 thematic


def test_I3_thematic_report_without_analysis_is_refused_by_the_api(world, api):
    api.force_authenticate(staff(world))
    audit_before = AuditEvent.objects.count()
    response = api.post(
        "/api/reporting/reports/",
        {
            "report_type": "thematic",
            "title": "扬尘治理专题",
            "situation": "工地 12 处，裸土未覆盖 3 处。",
            "recommendations": "加密巡查。",
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "thematic_incomplete"
    assert "analysis" in body["fields"]
    assert Report.objects.count() == 0 and ReportEvent.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_I3_thematic_report_with_all_three_parts_is_accepted_and_cannot_lose_one(world, api):
    api.force_authenticate(staff(world))
    response = api.post(
        "/api/reporting/reports/",
        {
            "report_type": "thematic",
            "title": "扬尘治理专题",
            "situation": "情况",
            "analysis": "分析",
            "recommendations": "建议",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    response = api.patch(f"/api/reporting/reports/{pk}/", {"analysis": ""}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "thematic_incomplete"
    assert Report.objects.get(pk=pk).analysis == "分析"


def test_I3_other_reports_need_content_before_submission(world):
    report = walk(new_report(world, content=""), staff(world), "screen", "process")
    with pytest.raises(ApplicationError) as exc:
        report_act(actor=staff(world), report=report, action="submit")
    assert exc.value.code == "content_required"


# --------------------------------------------------------------------------- I3 schedule


def test_I3_schedule_obligations_go_overdue_when_nothing_is_submitted(world, monthly):
    with time_machine.travel(at(2026, 2, 2, 9, 0), tick=False):
        call_command("reporting_schedule")
        call_command("reporting_schedule")  # idempotent: a second run adds nothing
    dues = ReportDue.objects.filter(schedule=monthly)
    assert dues.count() == 4  # January and February, two units
    assert Obligation.objects.filter(kind=DUE_KIND).count() == 4
    jan = dues.get(unit=world.members[0], period_key="2026-01")
    # 31 Jan 2026 is a Saturday: the 5th working day of February is Friday 6 February.
    assert jan.obligation.due_at == at(2026, 2, 6, 23, 59, 59)
    assert jan.obligation.person is None and jan.obligation.unit == world.members[0]

    with time_machine.travel(at(2026, 2, 6, 20, 0), tick=False):
        assert sweep().marked == 0
    with time_machine.travel(at(2026, 2, 9, 9, 0), tick=False):
        result = sweep()
        row = report_compliance_for_unit(unit=world.members[0], year=2026)
    assert result.marked == 2  # both units' January reports
    jan.obligation.refresh_from_db()
    assert jan.obligation.status == ObligationStatus.OVERDUE
    assert row == {"due": 2, "on_time": 0, "late": 0, "missing": 1, "pending": 1, "waived": 0}
    # The unit is told, and the item escalates to the office.
    assert Notification.objects.filter(recipient=staff(world), subject__contains="逾期").exists()
    assert jan.obligation.escalated_to == world.office_unit


def test_I3_late_submission_completes_the_obligation_as_late(world, monthly):
    with time_machine.travel(at(2026, 2, 2, 9, 0), tick=False):
        dues_generate()
    jan = ReportDue.objects.get(unit=world.members[0], period_key="2026-01")
    with time_machine.travel(at(2026, 2, 10, 10, 0), tick=False):
        sweep()
        report = walk(new_report(world, due=jan), staff(world), "screen", "process", "submit")
    jan.refresh_from_db()
    jan.obligation.refresh_from_db()
    assert jan.report == report and jan.submitted_at == at(2026, 2, 10, 10, 0)
    assert jan.obligation.status == ObligationStatus.DONE and jan.obligation.completed_late
    assert report.is_late
    with time_machine.travel(at(2026, 2, 10, 11, 0), tick=False):
        row = report_compliance_for_unit(unit=world.members[0], year=2026)
    assert row["late"] == 1 and row["missing"] == 0


def test_I3_on_time_submission_and_visible_per_unit(world, monthly, client):
    with time_machine.travel(at(2026, 2, 2, 9, 0), tick=False):
        dues_generate()
    jan0 = ReportDue.objects.get(unit=world.members[0], period_key="2026-01")
    with time_machine.travel(at(2026, 2, 5, 15, 0), tick=False):
        walk(new_report(world, due=jan0), staff(world), "screen", "process", "submit")
    with time_machine.travel(at(2026, 2, 12, 9, 0), tick=False):
        rows = {r["unit_id"]: r for r in report_compliance(year=2026)}
        client.force_login(office(world))
        page = client.get(reverse("reporting:compliance") + "?year=2026")
        xlsx = client.get(reverse("reporting:compliance") + "?year=2026&format=xlsx")
        missing = client.get(reverse("reporting:due_list") + "?year=2026&outcome=missing")
    assert rows[world.members[0].pk]["on_time"] == 1
    assert rows[world.members[1].pk]["missing"] == 1
    assert page.status_code == 200 and world.members[1].name in page.content.decode()
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    by_unit = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert by_unit[world.members[1].name][5] == 1  # 逾期未报
    body = missing.content.decode()
    late, on_time = world.members[1], world.members[0]
    assert f"<td>{late.short_name or late.name}</td>" in body  # the late unit is listed
    assert f"<td>{on_time.short_name or on_time.name}</td>" not in body  # on time: not
    assert "逾期未报" in body


def test_I3_due_of_another_unit_or_type_is_refused(world, monthly):
    with time_machine.travel(at(2026, 2, 2, 9, 0), tick=False):
        dues_generate()
    other = ReportDue.objects.get(unit=world.members[1], period_key="2026-01")
    with pytest.raises(ApplicationError) as exc:
        new_report(world, due=other)
    assert exc.value.code == "due_unit_mismatch"
    mine = ReportDue.objects.get(unit=world.members[0], period_key="2026-01")
    with pytest.raises(ApplicationError) as exc:
        new_report(world, due=mine, report_type=ReportType.INCIDENT)
    assert exc.value.code == "due_type_mismatch"


def test_I3_annual_summary_due_on_a_fixed_date(world):
    schedule_create(
        actor=office(world),
        leading_group=world.group,
        name="年度工作总结",
        report_type=ReportType.WORK_SUMMARY,
        frequency="yearly",
        due_month=1,
        due_day=15,
        due_year_offset=1,
        valid_from=dt.date(2026, 1, 1),
    )
    with time_machine.travel(at(2026, 3, 1, 9, 0), tick=False):
        result = dues_generate()
    members = world.group.member_units.count()
    assert result.created == members
    due_times = set(ReportDue.objects.values_list("obligation__due_at", flat=True))
    assert due_times == {at(2027, 1, 15, 23, 59, 59)}


def test_I3_a_deadline_in_an_unknown_calendar_year_is_refused_with_the_year(world):
    schedule_create(
        actor=office(world),
        leading_group=world.group,
        name="月度工作信息",
        report_type=ReportType.WORK_INFO,
        frequency="monthly",
        due_workdays=5,
        valid_from=dt.date(2026, 12, 1),
        units=[world.members[0]],
    )
    result = dues_generate(today=dt.date(2027, 1, 3))
    assert result.created == 0
    assert result.errors and all("2027" in e for e in result.errors)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"due_workdays": 5, "due_month": 1, "due_day": 15}, "due_workdays"),
        ({}, "due_workdays"),
        ({"due_month": 2, "due_day": 29, "frequency": "yearly"}, "due_day"),
        ({"due_month": 1, "due_day": 15}, "due_month"),  # fixed date on a monthly schedule
    ],
)
def test_I3_schedule_needs_exactly_one_valid_due_rule(world, data, field):
    base = {
        "name": "x",
        "report_type": "work_info",
        "frequency": "monthly",
        "valid_from": dt.date(2026, 1, 1),
    }
    with pytest.raises(ApplicationError) as exc:
        schedule_create(actor=office(world), leading_group=world.group, **{**base, **data})
    assert exc.value.code == "schedule_invalid" and field in exc.value.fields


def test_I3_only_the_office_sets_the_schedule(world, api):
    api.force_authenticate(staff(world))
    response = api.post(
        "/api/reporting/schedules/",
        {
            "leading_group": world.group.pk,
            "name": "月度",
            "report_type": "work_info",
            "frequency": "monthly",
            "due_workdays": 5,
            "valid_from": "2026-01-01",
        },
        format="json",
    )
    assert response.status_code == 403
    api.force_authenticate(office(world))
    response = api.post(
        "/api/reporting/schedules/",
        {
            "leading_group": world.group.pk,
            "name": "月度",
            "report_type": "work_info",
            "frequency": "monthly",
            "due_workdays": 5,
            "valid_from": "2026-01-01",
            "units": [world.members[2].pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    with time_machine.travel(at(2026, 3, 3, 9, 0), tick=False):
        generated = api.post(f"/api/reporting/schedules/{response.json()['id']}/generate/")
        dues = api.get("/api/reporting/dues/?outcome=missing")
    assert generated.json()["created"] == 3  # January, February, March
    assert [d["period_key"] for d in dues.json()["results"]] == ["2026-01"]


def test_I3_office_can_waive_a_due_with_a_reason(world, monthly, api):
    with time_machine.travel(at(2026, 2, 2, 9, 0), tick=False):
        dues_generate()
    due = ReportDue.objects.get(unit=world.members[0], period_key="2026-01")
    api.force_authenticate(staff(world))
    assert api.post(f"/api/reporting/dues/{due.pk}/waive/", {"reason": "x"}).status_code == 403
    api.force_authenticate(office(world))
    response = api.post(f"/api/reporting/dues/{due.pk}/waive/", {"reason": "单位撤并"})
    assert response.status_code == 200 and response.json()["outcome"] == "waived"


# --------------------------------------------------------------------------- I2 officers


def test_I2_unit_without_information_officer_shows_as_a_gap(world, client):
    unit = world.members[0]
    unit.information_officer = world.member_staff[0]
    unit.save()
    client.force_login(office(world))
    page = client.get(reverse("reporting:officers") + "?gaps=1")
    body = page.content.decode()
    assert world.members[1].name in body and world.members[0].name not in body
    xlsx = client.get(reverse("reporting:officers") + "?format=xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    status = {r[1]: r[5] for r in rows[1:]}
    assert status[world.members[0].name] == "已明确" and status[world.members[1].name] == "缺位"


def test_I2_officer_who_left_is_a_gap_too(world, api):
    unit = world.members[0]
    unit.information_officer = world.member_staff[0]
    unit.save()
    world.member_staff[0].is_active = False
    world.member_staff[0].save()
    api.force_authenticate(office(world))
    rows = api.get("/api/reporting/officers/?gaps=1").json()
    assert unit.pk in [r["id"] for r in rows]


# --------------------------------------------------------------------------- G5 drafts


def _grid(unit):
    square = {
        "type": "Polygon",
        "coordinates": [[[122, 40], [122.1, 40], [122.1, 40.1], [122, 40.1], [122, 40]]],
    }
    g = Grid.objects.create(code="G-T1", name="测试社区", level=4, owner_unit=unit, boundary=square)
    g.path = f"/{g.pk}/"
    g.save()
    return g


def test_G5_major_adjustment_creates_one_report_draft_for_the_owner_unit(world):
    from envgrid.grids.models import MajorAdjustment

    grid = _grid(world.members[0])
    adj = MajorAdjustment.objects.create(
        grid=grid,
        kind="people",
        summary="网格长调整",
        made_at=at(2026, 3, 2, 10, 0),
        before={"head": "甲"},
        after={"head": "乙"},
    )
    assert major_adjustments_sync() == 1
    assert major_adjustments_sync() == 0
    report = Report.objects.get(report_type=ReportType.MAJOR_ADJUSTMENT)
    assert report.unit == world.members[0] and report.status == ReportStatus.COLLECTED
    assert report.grid == grid and "网格长调整" in report.content
    adj.refresh_from_db()
    assert adj.report_ref == str(report.pk)
    # Drafted is not reported (G5): only sending the report reports the adjustment.
    assert adj.reported_at is None
    # The unit then works it up and submits it like any report.
    walk(report, staff(world), "screen", "process", "submit")
    adj.refresh_from_db()
    assert adj.reported_at is not None


# --------------------------------------------------------------------------- pages and API


def test_report_pages_render_and_export(world, client, monthly):
    with time_machine.travel(at(2026, 2, 2, 9, 0), tick=False):
        dues_generate()
        due = ReportDue.objects.get(unit=world.members[0], period_key="2026-01")
        client.force_login(staff(world))
        form = client.get(reverse("reporting:create") + f"?due={due.pk}")
        assert form.status_code == 200
        created = client.post(
            reverse("reporting:create") + f"?due={due.pk}",
            {"report_type": "work_info", "title": "一月工作信息", "content": "正文", "due": due.pk},
        )
        assert created.status_code == 302
        report = Report.objects.get(title="一月工作信息")
        for action in ("screen", "process", "submit"):
            r = client.post(reverse("reporting:act", args=[report.pk]), {"action": action})
            assert r.status_code == 302
        detail = client.get(reverse("reporting:detail", args=[report.pk]))
        docx = client.get(reverse("reporting:detail", args=[report.pk]) + "?format=docx")
        listing = client.get(reverse("reporting:list") + "?format=xlsx")
        bad = client.post(
            reverse("reporting:create"),
            {"report_type": "thematic", "title": "专题", "situation": "s", "recommendations": "r"},
        )
        pages = {
            name: client.get(reverse(f"reporting:{name}")).status_code
            for name in ("list", "due_list", "compliance", "officers", "schedule_list", "dashboard")
        }
    assert set(pages.values()) == {200}
    assert "已报送" in detail.content.decode()
    assert docx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert official_layout_problems(docx.content) == []
    assert load_workbook(io.BytesIO(listing.content)).active.max_row == 2
    assert bad.status_code == 400 and "专题综合信息" in bad.content.decode()
    assert Report.objects.filter(title="专题").count() == 0


def test_unseen_report_page_is_404(world, client):
    report = new_report(world)
    client.force_login(staff(world, 1))
    assert client.get(reverse("reporting:detail", args=[report.pk])).status_code == 404
    assert (
        client.post(reverse("reporting:act", args=[report.pk]), {"action": "screen"}).status_code
        == 404
    )


def test_api_transition_and_history(world, api):
    report = new_report(world)
    api.force_authenticate(staff(world))
    for action in ("screen", "process", "submit"):
        r = api.post(f"/api/reporting/reports/{report.pk}/transition/", {"action": action})
        assert r.status_code == 200, r.json()
    bad = api.post(f"/api/reporting/reports/{report.pk}/transition/", {"action": "fly"})
    assert bad.status_code == 400
    api.force_authenticate(office(world))
    r = api.post(
        f"/api/reporting/reports/{report.pk}/transition/", {"action": "feedback", "note": "好"}
    )
    assert r.json()["status"] == "fed_back" and "publish" in r.json()["actions"]
    history = api.get(f"/api/reporting/reports/{report.pk}/history/").json()
    assert [h["action"] for h in history] == ["collect", "screen", "process", "submit", "feedback"]


def test_api_schema_builds_for_reporting_without_warnings(capsys):
    """drf-spectacular describes every reporting endpoint (the project's /api/schema/
    is this plus the other areas' endpoints)."""
    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator(patterns=[path("api/", include("envgrid.reporting.api_urls"))])
    schema = generator.get_schema(request=None, public=True)
    paths = schema["paths"]
    assert "/api/reporting/reports/{id}/transition/" in paths
    assert "/api/reporting/compliance/" in paths and "/api/reporting/schedules/" in paths
    assert "Warning" not in capsys.readouterr().err


def test_G5_major_adjustment_through_grids_drafts_the_report_at_once(world):
    """Wired through grids' major-adjustment listener (reporting.apps): no sync needed."""
    from envgrid.grids.models import MajorAdjustment
    from envgrid.grids.services import grid_assign

    grid = _grid(world.members[1])
    grid_assign(
        actor=world.admin,
        grid=grid,
        role="head",
        person=world.member_staff[1],
        major=True,
        summary="网格长重大调整",
    )
    adj = MajorAdjustment.objects.get(grid=grid)
    report = Report.objects.get(report_type=ReportType.MAJOR_ADJUSTMENT)
    assert report.unit == world.members[1] and adj.report_ref == str(report.pk)
    assert major_adjustments_sync() == 0
    assert Notification.objects.filter(
        recipient=staff(world, 1), link=report.get_absolute_url()
    ).exists()


def test_I3_office_sets_the_schedule_on_its_page(world, client):
    client.force_login(office(world))
    assert client.get(reverse("reporting:schedule_new")).status_code == 200
    with time_machine.travel(at(2026, 4, 2, 9, 0), tick=False):
        response = client.post(
            reverse("reporting:schedule_new"),
            {
                "leading_group": world.group.pk,
                "name": "季度专题综合信息",
                "report_type": "thematic",
                "frequency": "quarterly",
                "due_workdays": 10,
                "due_year_offset": 0,
                "valid_from": "2026-01-01",
                "units": [world.members[0].pk],
                "is_active": "on",
            },
        )
        assert response.status_code == 302
        schedule = ReportSchedule.objects.get(name="季度专题综合信息")
        # Saving generates the periods begun so far: Q1 and Q2.
        assert sorted(schedule.dues.values_list("period_key", flat=True)) == ["2026-Q1", "2026-Q2"]
        edit = client.get(reverse("reporting:schedule_edit", args=[schedule.pk]))
        refused = client.post(
            reverse("reporting:schedule_edit", args=[schedule.pk]),
            {
                "name": "季度专题综合信息",
                "report_type": "thematic",
                "frequency": "quarterly",
                "due_month": 1,
                "due_day": 15,
                "due_year_offset": 0,
                "valid_from": "2026-01-01",
            },
        )
    assert edit.status_code == 200
    assert refused.status_code == 400 and "固定截止日期只适用于年度报送" in refused.content.decode()
    client.force_login(staff(world))
    assert client.get(reverse("reporting:schedule_new")).status_code == 403
