"""M6: units report the completion of their environmental tasks at the office's interval;
each report due is an obligation; attendance, decisions and reports are assessment data."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from envgrid.core.calendar import add_workdays
from envgrid.core.deadlines import end_of_day
from envgrid.core.errors import PermissionDeniedError
from envgrid.meetings import services
from envgrid.meetings.models import TaskReport
from envgrid.meetings.selectors import unit_year_stats
from envgrid.obligations.models import Obligation
from envgrid.obligations.services import sweep

from .factories import at, decide, hold, schedule

pytestmark = pytest.mark.django_db


def monthly(world, **kw):
    return services.task_report_schedule_create(
        actor=world.office_staff.user,
        leading_group=world.group,
        title="环保任务完成情况月报",
        interval="monthly",
        **kw,
    )


def test_M6_office_sets_the_interval_and_each_report_due_is_an_obligation(world, march):
    schedule_ = monthly(world, starts_on=dt.date(2026, 3, 1), due_workdays=5)
    reports = TaskReport.objects.filter(schedule=schedule_)
    # Every member unit except the office itself reports.
    expected = set(
        world.group.member_units.exclude(pk=world.office_unit.pk).values_list("pk", flat=True)
    )
    assert set(reports.values_list("unit_id", flat=True)) == expected
    r = reports.first()
    assert (r.period_start, r.period_end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert r.obligation.kind == "meeting.task_report" and r.obligation.unit == r.unit
    # Due 5 working days after the period ends (Qingming falls in between in 2026).
    assert r.obligation.due_at == end_of_day(add_workdays(dt.date(2026, 3, 31), 5))
    assert r.obligation.due_at == at(2026, 4, 8, 23, 59, 59)


def test_M6_next_periods_are_opened_idempotently(world, march):
    monthly(world)
    n = TaskReport.objects.count()
    assert services.task_reports_generate().created == 0
    call_command("meeting_task_reports")
    assert TaskReport.objects.count() == n
    with time_machine.travel(at(2026, 4, 1, 8, 0), tick=False):
        assert services.task_reports_generate().created == n
        assert services.task_reports_generate().created == 0
    # Skipped months are caught up, each once.
    with time_machine.travel(at(2026, 6, 15, 8, 0), tick=False):
        assert services.task_reports_generate().created == 2 * n
    starts = sorted(set(TaskReport.objects.values_list("period_start", flat=True)))
    assert starts == [dt.date(2026, m, 1) for m in (3, 4, 5, 6)]
    assert Obligation.objects.filter(kind="meeting.task_report").count() == 4 * n


def test_M6_the_sweep_opens_each_new_period(world, march):
    """Without any cron entry of its own: the periodic sweep opens the next period."""
    monthly(world)
    n = TaskReport.objects.count()
    with time_machine.travel(at(2026, 4, 1, 0, 10), tick=False):
        sweep()
        sweep()
    assert TaskReport.objects.count() == 2 * n
    assert TaskReport.objects.filter(period_start=dt.date(2026, 4, 1)).count() == n


def test_M6_a_year_the_calendar_does_not_know_is_refused_with_its_name(world):
    with time_machine.travel(at(2026, 12, 10, 9, 0), tick=False):
        monthly(world)
        result = services.task_reports_generate()
    assert TaskReport.objects.count() == 0
    assert result.created == 0
    with time_machine.travel(at(2026, 12, 10, 9, 0), tick=False):
        result = services.task_reports_generate()
    assert result.skipped and all("2027" in line for line in result.skipped)


def test_M6_only_office_sets_intervals(world, march):
    with pytest.raises(PermissionDeniedError):
        services.task_report_schedule_create(
            actor=world.member_staff[0].user,
            leading_group=world.group,
            title="x",
            interval="monthly",
        )


def test_M6_unit_submits_its_own_report(world, api, march):
    monthly(world)
    mine = TaskReport.objects.get(unit=world.members[0])
    theirs = TaskReport.objects.get(unit=world.members[1])
    api.force_authenticate(world.member_staff[0].user)
    assert api.get(f"/api/meeting-task-reports/{theirs.pk}/").status_code == 404
    r = api.post(f"/api/meeting-task-reports/{mine.pk}/submit/", {"content": ""}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "content_required"
    r = api.post(
        f"/api/meeting-task-reports/{mine.pk}/submit/",
        {"content": "完成散乱污整治8家"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["late"] is False
    r = api.post(f"/api/meeting-task-reports/{mine.pk}/submit/", {"content": "再报"}, format="json")
    assert r.status_code == 409
    mine.refresh_from_db()
    assert mine.obligation.status == "done"
    # The office sees everyone's; it cannot submit for a unit.
    api.force_authenticate(world.office_staff.user)
    assert (
        len(api.get("/api/meeting-task-reports/").json()["results"]) == TaskReport.objects.count()
    )
    r = api.post(
        f"/api/meeting-task-reports/{theirs.pk}/submit/", {"content": "代报"}, format="json"
    )
    assert r.status_code == 403


def test_M6_assessment_figures_per_unit_per_year(world, march):
    a, b, c = world.members
    # Two meetings: a present at both, b once by delegate and once absent, c absent once.
    m1 = schedule(world)
    services.meeting_attendance_record(
        actor=world.office_staff.user,
        meeting=m1,
        entries=[
            services.AttendanceInput(unit_id=p.unit_id, attendance="present")
            for p in m1.participants.exclude(unit__in=[b, c])
        ]
        + [
            services.AttendanceInput(unit_id=b.pk, attendance="delegate", delegate_name="王五"),
            services.AttendanceInput(unit_id=c.pk, attendance="absent", absence_reason="出差"),
        ],
    )
    services.meeting_hold(actor=world.office_staff.user, meeting=m1)
    m2 = schedule(world, title="第二次", starts_at=at(2026, 3, 10, 9, 30))
    services.meeting_attendance_record(
        actor=world.office_staff.user,
        meeting=m2,
        entries=[
            services.AttendanceInput(
                unit_id=p.unit_id,
                attendance="absent" if p.unit_id == b.pk else "present",
                absence_reason="未请假" if p.unit_id == b.pk else "",
            )
            for p in m2.participants.all()
        ],
    )
    services.meeting_hold(actor=world.office_staff.user, meeting=m2)
    schedule(world, title="尚未召开", starts_at=at(2026, 5, 1, 9, 0))  # not counted

    # Decisions: a closes one on time and one late; b leaves one overdue.
    on_time = decide(world, m1, owners=[a], due=dt.date(2026, 3, 20), text="按时")
    late = decide(world, m1, owners=[a], due=dt.date(2026, 3, 20), text="逾期")
    decide(world, m1, owners=[b], due=dt.date(2026, 3, 20), text="未完成")
    with time_machine.travel(at(2026, 3, 19, 9, 0), tick=False):
        services.decision_progress_report(
            actor=world.member_staff[0].user, decision=on_time, text="完成", completed=True
        )
        services.decision_close(actor=world.office_staff.user, decision=on_time)
    with time_machine.travel(at(2026, 3, 21, 9, 0), tick=False):
        sweep()
        services.decision_progress_report(
            actor=world.member_staff[0].user, decision=late, text="完成", completed=True
        )
        services.decision_close(actor=world.office_staff.user, decision=late)

    # Task reports: a on time, b late, c missing.
    monthly(world, starts_on=dt.date(2026, 3, 1), due_workdays=5)
    reports = {r.unit_id: r for r in TaskReport.objects.all()}
    with time_machine.travel(at(2026, 4, 2, 9, 0), tick=False):
        services.task_report_submit(
            actor=world.member_staff[0].user, report=reports[a.pk], content="ok"
        )
    with time_machine.travel(at(2026, 4, 20, 9, 0), tick=False):
        services.task_report_submit(
            actor=world.member_staff[1].user, report=reports[b.pk], content="ok"
        )
        sa = unit_year_stats(unit=a, year=2026)
        sb = unit_year_stats(unit=b, year=2026)
        sc = unit_year_stats(unit=c, year=2026)

    assert (sa.meetings_invited, sa.meetings_attended, sa.meetings_absent) == (2, 2, 0)
    assert (sb.meetings_invited, sb.meetings_attended, sb.meetings_absent) == (2, 1, 1)
    assert (sc.meetings_invited, sc.meetings_attended, sc.meetings_absent) == (2, 1, 1)
    assert sb.records["meetings_absent"] == [m2.pk]
    assert (sa.decisions_owned, sa.decisions_closed_on_time, sa.decisions_closed_late) == (2, 1, 1)
    assert sa.records["decisions_closed_on_time"] == [on_time.pk]
    assert (sb.decisions_owned, sb.decisions_closed_on_time, sb.decisions_open_overdue) == (1, 0, 1)
    assert (sa.task_reports_due, sa.task_reports_on_time) == (1, 1)
    assert (sb.task_reports_due, sb.task_reports_late) == (1, 1)
    assert (sc.task_reports_due, sc.task_reports_missing) == (1, 1)
    # Another year has nothing.
    assert unit_year_stats(unit=a, year=2025).meetings_invited == 0


def test_M6_task_report_pages(world, client, march):
    monthly(world)
    report = TaskReport.objects.get(unit=world.members[0])
    client.force_login(world.member_staff[0].user)
    assert client.get("/meetings/task-reports/").status_code == 200
    r = client.post(f"/meetings/task-reports/{report.pk}/", {"content": "已完成"})
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.submitted_at is not None
    other = TaskReport.objects.get(unit=world.members[1])
    assert client.get(f"/meetings/task-reports/{other.pk}/").status_code == 404
    hold(world, schedule(world))  # the office's page still renders with meetings around
    client.force_login(world.office_staff.user)
    r = client.post(
        "/meetings/task-reports/",
        {
            "leading_group": world.group.pk,
            "title": "季报",
            "interval": "quarterly",
            "starts_on": "2026-03-15",
        },
    )
    assert r.status_code == 400 and "1日" in r.content.decode()
