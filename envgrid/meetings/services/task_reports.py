"""Task report schedules and the reports they generate and receive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.calendar import UnknownCalendarYear
from envgrid.core.deadlines import DeadlineRule, RuleKind, end_of_day
from envgrid.core.errors import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from envgrid.obligations.services import (
    LIVE,
    obligation_complete,
    obligation_open,
)
from envgrid.org.models import LeadingGroup, Unit
from envgrid.org.selectors import actor_for

from ..models import (
    INTERVAL_MONTHS,
    ReportInterval,
    TaskReport,
    TaskReportSchedule,
)
from ..policies import task_report_policy
from ..rules import rule
from ..selectors import TASK_REPORT_KIND, schedule_units
from ._common import _required, log

# ---- task reports (M6) ---------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, 1)


def schedule_periods(schedule: TaskReportSchedule, upto: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Reporting periods from the schedule's start through the one containing `upto`."""
    step = INTERVAL_MONTHS[ReportInterval(schedule.interval)]
    periods = []
    start = schedule.starts_on
    while start <= upto:
        nxt = _add_months(start, step)
        periods.append((start, nxt - dt.timedelta(days=1)))
        start = nxt
    return periods


@transaction.atomic
def task_report_schedule_create(
    *,
    actor: Any,
    leading_group: LeadingGroup,
    title: str,
    interval: str,
    starts_on: dt.date | None = None,
    due_workdays: int | None = None,
    units: Sequence[Unit] = (),
    now: dt.datetime | None = None,
) -> TaskReportSchedule:
    """Set the interval at which member units report (M6) and open the current period's
    reports (`now` is the "as of" time of that first generation; default: now)."""
    acting = actor_for(actor)
    if not (acting.is_admin or leading_group.pk in acting.office_group_ids):
        raise PermissionDeniedError(
            _("只有领导小组办公室可以设定任务完成情况的报送周期。"), code="not_office"
        )
    title = _required(title, "title", _("请填写名称。"))
    if interval not in ReportInterval.values:
        raise ApplicationError(
            _("报送周期无效。"), code="interval_invalid", fields={"interval": [_("无效")]}
        )
    today = timezone.localtime(now).date() if now else timezone.localdate()
    starts_on = starts_on or today.replace(day=1)
    if starts_on.day != 1:
        raise ApplicationError(
            _("报告期须从某月1日开始。"),
            code="starts_on_invalid",
            fields={"starts_on": [_("须为某月1日")]},
        )
    due_workdays = rule("TASK_REPORT_DUE_WORKDAYS") if due_workdays is None else due_workdays
    if due_workdays < 0 or due_workdays > 60:
        raise ApplicationError(
            _("报送时限须在0至60个工作日之间。"),
            code="due_workdays_invalid",
            fields={"due_workdays": [_("无效")]},
        )
    member_ids = set(leading_group.member_units.values_list("pk", flat=True))
    for unit in units:
        if unit.pk not in member_ids:
            raise ApplicationError(
                _("%(unit)s 不是领导小组成员单位。") % {"unit": unit.name},
                code="unit_not_member",
                fields={"units": [unit.name]},
            )
    schedule = TaskReportSchedule.objects.create(
        leading_group=leading_group,
        title=title,
        interval=interval,
        starts_on=starts_on,
        due_workdays=due_workdays,
    )
    schedule.units.set(units)
    audit_record(
        actor=actor,
        action="task_report_schedule.create",
        obj=schedule,
        after={**snapshot(schedule), "units": [u.pk for u in units]},
    )
    task_reports_generate(schedule=schedule, actor=actor, now=now)
    return schedule


@dataclass
class GenerateResult:
    created: int = 0
    skipped: list[str] = field(default_factory=list)


def task_reports_generate(
    *,
    now: dt.datetime | None = None,
    schedule: TaskReportSchedule | None = None,
    actor: Any = None,
) -> GenerateResult:
    """Open each unit's report obligation for the current period (and any period since its
    last one that was missed). Idempotent: a (schedule, unit, period) exists at most once,
    and the schedule row is locked while its periods are filled. A unit is never given
    periods from before it was first included."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    result = GenerateResult()
    schedules = (
        [schedule]
        if schedule is not None
        else list(TaskReportSchedule.objects.filter(is_active=True).order_by("pk"))
    )
    for sched in schedules:
        with transaction.atomic():
            sched = TaskReportSchedule.objects.select_for_update().get(pk=sched.pk)
            if not sched.is_active:
                continue
            periods = schedule_periods(sched, today)
            if not periods:
                continue
            for unit in schedule_units(sched):
                last = TaskReport.objects.filter(schedule=sched, unit=unit).aggregate(
                    m=Max("period_start")
                )["m"]
                todo = [p for p in periods if p[0] > last] if last else periods[-1:]
                for start, end in todo:
                    try:
                        with transaction.atomic():
                            ob = obligation_open(
                                unit=unit,
                                kind=TASK_REPORT_KIND,
                                title=_("%(t)s（%(a)s至%(b)s）")
                                % {"t": sched.title, "a": start, "b": end},
                                rule=DeadlineRule(RuleKind.WORKDAYS, sched.due_workdays),
                                start_at=end_of_day(end),
                                start_event=_("报告期结束"),
                                subject=sched,
                                actor=actor,
                            )
                            report = TaskReport.objects.create(
                                schedule=sched,
                                unit=unit,
                                period_start=start,
                                period_end=end,
                                obligation=ob,
                            )
                            ob.link = report.get_absolute_url()
                            ob.save(update_fields=["link"])
                            audit_record(
                                actor=actor,
                                action="task_report.open",
                                obj=report,
                                after=snapshot(report),
                            )
                            result.created += 1
                    except UnknownCalendarYear as exc:
                        # Refuse, and say why: no formula predicts the holiday notice.
                        result.skipped.append(f"{sched.title} {unit.name} {start}: {exc.message}")
    return result


def task_reports_on_sweep(now: dt.datetime) -> None:
    """Sweep hook (M6): open the current period's reports of every active schedule."""
    result = task_reports_generate(now=now)
    for line in result.skipped:
        log.warning("task report not opened: %s", line)


@transaction.atomic
def task_report_submit(*, actor: Any, report: TaskReport, content: str) -> TaskReport:
    if not task_report_policy.can_view(actor, report):
        raise NotFoundError(_("报告未找到，或无权查看。"))
    acting = actor_for(actor)
    if acting.unit_id != report.unit_id:
        raise PermissionDeniedError(
            _("只有报送单位本身可以报送任务完成情况。"), code="not_report_unit"
        )
    content = _required(content, "content", _("请填写任务完成情况。"))
    locked = TaskReport.objects.select_for_update().get(pk=report.pk)
    if locked.submitted_at is not None:
        raise ConflictError(_("本期报告已报送。"), code="already_submitted")
    before = snapshot(locked)
    now = timezone.now()
    locked.content = content
    locked.submitted_at = now
    locked.submitted_by = acting.person
    locked.save(update_fields=["content", "submitted_at", "submitted_by"])
    if locked.obligation is not None and locked.obligation.status in LIVE:
        obligation_complete(obligation=locked.obligation, actor=actor, at=now)
    audit_record(
        actor=actor, action="task_report.submit", obj=locked, before=before, after=snapshot(locked)
    )
    return locked
