"""Writes for information reporting (I2–I3): reports and their steps, the office's
reporting schedule and the due reports it generates, information officers, and the
report drafts that grid major adjustments create (G5)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.deadlines import DeadlineRule, RuleKind, compute_due
from envgrid.core.documents import document_number_next
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.core.notifications import notify
from envgrid.obligations.services import (
    LIVE,
    obligation_cancel,
    obligation_complete,
    obligation_open,
    obligations_for,
    users_of_unit,
)
from envgrid.org.models import LeadingGroup, PersonRole, Unit
from envgrid.org.selectors import actor_for

from .models import (
    DRAFT_STATUSES,
    Frequency,
    Report,
    ReportDue,
    ReportSchedule,
    ReportStatus,
    ReportType,
)
from .periods import Period, due_spec, periods_between
from .policies import report_policy, schedule_policy
from .registry import publish_handlers
from .rules import rule as reporting_rule
from .workflow import AUTHOR, COLLECT, history_add, report_transition, transition_get

log = logging.getLogger(__name__)

# Obligation kind of a scheduled report (I3); assessment and the overdue register read it.
DUE_KIND = "report.due"
# I4: the sent report of a major grid adjustment (subject: the grids MajorAdjustment).
ADJUSTMENT_REPORT_KIND = "adjustment.report"
# Document number of a submitted report: 站环信〔2026〕12号.
NUMBER_FORMAT = "{prefix}信〔{year}〕{seq}号"
THEMATIC_PARTS = ("situation", "analysis", "recommendations")
EDITABLE_FIELDS = (
    "title",
    "content",
    "situation",
    "analysis",
    "recommendations",
    "grid",
    "occurred_at",
    "place",
    "due",
)


# --------------------------------------------------------------------------- reports


def _field_label(name: str) -> Any:
    return getattr(Report._meta.get_field(name), "verbose_name", name)


def thematic_check(*, report_type: str, data: dict[str, Any]) -> None:
    """I3: a thematic comprehensive report carries situation, analysis and recommendations
    (有情况、有分析、有建议); without any one of them it is refused."""
    if report_type != ReportType.THEMATIC:
        return
    missing = {
        name: [_("专题综合信息必须填写此项")]
        for name in THEMATIC_PARTS
        if not str(data.get(name) or "").strip()
    }
    if missing:
        raise ApplicationError(
            _("专题综合信息须有情况、有分析、有建议，缺少：%(parts)s。")
            % {"parts": "、".join(str(_field_label(n)) for n in missing)},
            code="thematic_incomplete",
            fields=missing,
        )


def _default_group(unit: Unit) -> LeadingGroup | None:
    """The leading group a unit reports to: the first it is a member of (by id)."""
    return (
        LeadingGroup.objects.filter(member_units=unit).order_by("id").first()
        or LeadingGroup.objects.filter(office_unit=unit).order_by("id").first()
    )


def _check_due(*, due: ReportDue | None, unit: Unit, report_type: str, report: Report | None):
    if due is None:
        return
    if due.unit_id != unit.pk:
        raise ApplicationError(
            _("所选应报事项不属于本单位。"), code="due_unit_mismatch", fields={"due": [_("无效")]}
        )
    if due.schedule.report_type != report_type:
        raise ApplicationError(
            _("所选应报事项要求报送“%(type)s”。")
            % {"type": ReportType(due.schedule.report_type).label},
            code="due_type_mismatch",
            fields={"due": [_("信息类型不符")]},
        )
    if due.report_id is not None and (report is None or due.report_id != report.pk):
        raise ConflictError(
            _("该应报事项已由其他信息报送。"), code="due_fulfilled", fields={"due": [_("已报送")]}
        )


@transaction.atomic
def report_create(
    *,
    actor: Any,
    report_type: str,
    title: str,
    unit: Unit | None = None,
    content: str = "",
    situation: str = "",
    analysis: str = "",
    recommendations: str = "",
    grid: Any = None,
    occurred_at: dt.datetime | None = None,
    place: str = "",
    due: ReportDue | None = None,
    leading_group: LeadingGroup | None = None,
    source: models.Model | None = None,
    at: dt.datetime | None = None,
) -> Report:
    """Collect (采集) a report: the first step, recorded like the others.

    `actor` None means the system (a major-adjustment draft); otherwise the actor must
    belong to `unit` (default: the actor's unit) or be an administrator."""
    who = actor_for(actor) if actor is not None else None
    if unit is None:
        if who is None or who.person is None:
            raise ApplicationError(
                _("请指定报送单位。"), code="unit_required", fields={"unit": [_("必填")]}
            )
        unit = who.person.unit
    if who is not None and not who.is_admin and unit.pk != who.unit_id:
        raise PermissionDeniedError(_("只能以本单位名义采集和报送信息。"))
    if report_type not in ReportType.values:
        raise ApplicationError(
            _("信息类型无效。"), code="invalid", fields={"report_type": [_("无效")]}
        )
    if not title.strip():
        raise ApplicationError(_("标题不能为空。"), code="invalid", fields={"title": [_("必填")]})
    thematic_check(
        report_type=report_type,
        data={"situation": situation, "analysis": analysis, "recommendations": recommendations},
    )
    _check_due(due=due, unit=unit, report_type=report_type, report=None)
    group = leading_group or _default_group(unit)
    if (
        leading_group is not None
        and not LeadingGroup.objects.filter(pk=leading_group.pk, member_units=unit).exists()
        and leading_group.office_unit_id != unit.pk
    ):
        raise ApplicationError(
            _("本单位不是该领导小组的成员单位。"),
            code="group_not_member",
            fields={"leading_group": [_("无效")]},
        )
    report = Report(
        report_type=report_type,
        title=title.strip(),
        unit=unit,
        author=who.person if who is not None else None,
        leading_group=group,
        recipient_unit_id=group.office_unit_id if group else None,
        grid=grid,
        content=content,
        situation=situation,
        analysis=analysis,
        recommendations=recommendations,
        occurred_at=occurred_at,
        place=place,
        due=due,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if source is not None:
        report.source_type = ContentType.objects.get_for_model(source)
        report.source_id = str(source.pk)
    report.save()
    if at is not None:  # backdated collection (demo, imports): keep the record honest
        Report.objects.filter(pk=report.pk).update(created_at=at)
        report.created_at = at
    history_add(
        report=report,
        action=COLLECT,
        actor=actor,
        from_status="",
        to_status=ReportStatus.COLLECTED,
        at=at,
    )
    audit_record(actor=actor, action="report.collect", obj=report, after=snapshot(report))
    return report


@transaction.atomic
def report_update(*, actor: Any, report: Report, **data: Any) -> Report:
    """Edit a report while its unit still works on it (before submission or after a return)."""
    if not report_policy.is_author(actor, report):
        if report_policy.can_view(actor, report):
            raise PermissionDeniedError(_("只有报送单位可以修改信息。"))
        raise ApplicationError(_("报送信息未找到"), code="not_found", status=404)
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(
            _("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))},
            code="invalid",
            fields={k: [_("不可修改")] for k in unknown},
        )
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if locked.status not in DRAFT_STATUSES:
        raise ConflictError(
            _("信息已报送，不能再修改；如需修改请由接收单位退回。"), code="report_locked"
        )
    merged = {name: data.get(name, getattr(locked, name)) for name in THEMATIC_PARTS}
    thematic_check(report_type=locked.report_type, data=merged)
    if "title" in data and not str(data["title"] or "").strip():
        raise ApplicationError(_("标题不能为空。"), code="invalid", fields={"title": [_("必填")]})
    if "due" in data:
        _check_due(due=data["due"], unit=locked.unit, report_type=locked.report_type, report=locked)
    before = snapshot(locked)
    for key, value in data.items():
        setattr(locked, key, value)
    locked.save()
    audit_record(
        actor=actor, action="report.update", obj=locked, before=before, after=snapshot(locked)
    )
    return locked


def _submission_check(report: Report) -> None:
    if report.leading_group_id is None:
        raise ApplicationError(
            _("本单位未加入任何领导小组，无法确定报送对象。"), code="no_recipient"
        )
    if report.report_type == ReportType.THEMATIC:
        thematic_check(
            report_type=report.report_type, data={n: getattr(report, n) for n in THEMATIC_PARTS}
        )
    elif not report.content.strip():
        raise ApplicationError(
            _("报送前须填写正文。"), code="content_required", fields={"content": [_("必填")]}
        )


def _author_users(report: Report) -> list[Any]:
    users = {}
    for user in (
        report.created_by,
        report.author.user if report.author else None,
        report.officer.user if report.officer else None,
    ):
        if user is not None:
            users[user.pk] = user
    if not users:
        return users_of_unit(report.unit_id)
    return list(users.values())


def _fulfil_due(report: Report, *, actor: Any, at: dt.datetime) -> None:
    """Submitting completes the due report's obligation (I3); late if past its due time."""
    due = (
        ReportDue.objects.select_for_update()
        .select_related("obligation")
        .get(pk=report.due_id or 0)
    )
    if due.report_id is not None and due.report_id != report.pk:
        raise ConflictError(_("该应报事项已由其他信息报送。"), code="due_fulfilled")
    if due.report_id is None:
        due.report = report
        due.submitted_at = at
        due.save(update_fields=["report", "submitted_at"])
    if due.obligation.status in LIVE:
        obligation_complete(obligation=due.obligation, actor=actor, at=at, note=report.number)


@transaction.atomic
def report_act(
    *, actor: Any, report: Report, action: str, note: str = "", at: dt.datetime | None = None
) -> Report:
    """Take one step (screen, process, submit, feedback, return, publish, archive,
    withdraw). The author unit works the report up to submission; the office of the
    group it went to gives feedback, publishes and archives."""
    transition = transition_get(action)
    if not report_policy.can_view(actor, report):
        raise ApplicationError(_("报送信息未找到"), code="not_found", status=404)
    allowed = (
        report_policy.is_author(actor, report)
        if transition.by == AUTHOR
        else report_policy.is_receiver(actor, report)
    )
    if not allowed:
        raise PermissionDeniedError(
            _("只有报送单位可以执行此操作。")
            if transition.by == AUTHOR
            else _("只有接收信息的领导小组办公室可以执行此操作。")
        )
    when = at or timezone.now()
    report = Report.objects.select_related("unit", "leading_group", "due").get(pk=report.pk)
    changes: dict[str, Any] = {}
    if action == "submit":
        _submission_check(report)
        if not report.number:
            year = timezone.localtime(when).year
            unit = report.unit
            changes["number"] = document_number_next(
                kind="report",
                issuer_key=str(unit.pk),
                year=year,
                fmt=NUMBER_FORMAT,
                prefix=unit.doc_prefix or unit.short_name or unit.code,
            )
        changes["officer_id"] = report.unit.information_officer_id
        changes["recipient_unit_id"] = report.leading_group.office_unit_id  # type: ignore[union-attr]
    elif action in ("feedback", "return"):
        changes["feedback"] = note
        changes["fed_back_by"] = actor if getattr(actor, "is_authenticated", False) else None
        if action == "return":
            changes["fed_back_at"] = when
    elif action == "withdraw":
        changes["withdraw_reason"] = note[:500]
    report = report_transition(
        report=report, action=action, actor=actor, note=note, at=when, changes=changes
    )
    link = report.get_absolute_url()
    if action == "submit":
        if report.due_id is not None:
            _fulfil_due(report, actor=actor, at=report.submitted_at or when)
        _adjustment_reported(report, actor=actor, at=report.submitted_at or when)
        office_users = users_of_unit(report.recipient_unit_id, roles=[PersonRole.OFFICE])  # type: ignore[arg-type]
        notify(
            users=office_users,
            subject=_("收到报送信息：%(title)s") % {"title": report.title},
            body=_("%(unit)s 报送了%(type)s %(number)s。")
            % {
                "unit": report.unit.name,
                "type": report.get_report_type_display(),
                "number": report.number,
            },
            link=link,
        )
    elif action in ("feedback", "return"):
        # The office's feedback goes back to the author (I2: 反馈).
        notify(
            users=_author_users(report),
            subject=(
                _("信息反馈：%(title)s") if action == "feedback" else _("信息被退回修改：%(title)s")
            )
            % {"title": report.title},
            body=note,
            link=link,
        )
    elif action == "publish":
        ref = ""
        for handler in publish_handlers():
            result = handler(report, actor)
            if result and not ref:
                ref = str(result)[:200]
        if ref:
            Report.objects.filter(pk=report.pk).update(disclosure_ref=ref)
            report.disclosure_ref = ref
    return report


# --------------------------------------------------------------------------- schedules


def _schedule_validate(data: dict[str, Any], units: list[Unit] | None) -> None:
    fields: dict[str, list[str]] = {}
    workdays = data.get("due_workdays")
    month, day = data.get("due_month"), data.get("due_day")
    if data.get("frequency") not in Frequency.values:
        fields["frequency"] = [_("无效")]
    if data.get("report_type") not in ReportType.values:
        fields["report_type"] = [_("无效")]
    if not str(data.get("name") or "").strip():
        fields["name"] = [_("必填")]
    if workdays is not None and (month is not None or day is not None):
        fields["due_workdays"] = [_("“期满后第几个工作日”与“固定截止日期”只能选一种")]
    elif workdays is None and (month is None or day is None):
        fields["due_workdays"] = [_("请设定截止规则：期满后第几个工作日，或固定截止月日")]
    elif workdays is not None and not 1 <= workdays <= 60:
        fields["due_workdays"] = [_("须在 1 到 60 之间")]
    elif workdays is None:
        if data.get("frequency") != Frequency.YEARLY:
            fields["due_month"] = [_("固定截止日期只适用于年度报送")]
        else:
            try:
                # Any year must have the date: 29 February is refused.
                dt.date(2023, int(month), int(day))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                fields["due_day"] = [_("日期无效")]
        if data.get("due_year_offset", 0) not in (0, 1):
            fields["due_year_offset"] = [_("只能为 0（当年）或 1（次年）")]
    valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
    if valid_from is None:
        fields["valid_from"] = [_("必填")]
    elif valid_to is not None and valid_to < valid_from:
        fields["valid_to"] = [_("不能早于起始日期")]
    group = data.get("leading_group")
    if units and group is not None:
        members = set(group.member_units.values_list("id", flat=True)) | {group.office_unit_id}
        outside = [u.name for u in units if u.pk not in members]
        if outside:
            fields["units"] = [_("非本领导小组成员单位：%(u)s") % {"u": "、".join(outside)}]
    if fields:
        first = next(iter(fields.values()))[0]
        raise ApplicationError(first, code="schedule_invalid", fields=fields)


@transaction.atomic
def schedule_create(
    *, actor: Any, leading_group: LeadingGroup, units: list[Unit] | None = None, **data: Any
) -> ReportSchedule:
    """The office sets what each unit submits and when (I3)."""
    if not schedule_policy.can_create_for(actor, leading_group):
        raise PermissionDeniedError(_("只有领导小组办公室可以制定报送计划。"))
    data.setdefault("due_year_offset", 0)
    _schedule_validate({**data, "leading_group": leading_group}, units)
    schedule = ReportSchedule.objects.create(leading_group=leading_group, **data)
    if units:
        schedule.units.set(units)
    audit_record(
        actor=actor,
        action="report_schedule.create",
        obj=schedule,
        after={**snapshot(schedule), "units": sorted(u.pk for u in units or [])},
    )
    return schedule


@transaction.atomic
def schedule_update(
    *, actor: Any, schedule: ReportSchedule, units: list[Unit] | None = None, **data: Any
) -> ReportSchedule:
    """Change a schedule. Dues already generated keep their deadlines (an obligation keeps
    the rule it was opened with); new periods follow the new rule."""
    schedule_policy.require_change(actor, schedule)
    locked = ReportSchedule.objects.select_for_update().get(pk=schedule.pk)
    if "leading_group" in data and data["leading_group"].pk != locked.leading_group_id:
        raise ApplicationError(
            _("不能把报送计划转到其他领导小组。"),
            code="invalid",
            fields={"leading_group": [_("不可修改")]},
        )
    data.pop("leading_group", None)
    merged = {
        name: data.get(name, getattr(locked, name))
        for name in (
            "name",
            "report_type",
            "frequency",
            "due_workdays",
            "due_month",
            "due_day",
            "due_year_offset",
            "valid_from",
            "valid_to",
        )
    }
    _schedule_validate({**merged, "leading_group": locked.leading_group}, units)
    before = {**snapshot(locked), "units": sorted(locked.units.values_list("id", flat=True))}
    for key, value in data.items():
        setattr(locked, key, value)
    locked.save()
    if units is not None:
        locked.units.set(units)
    audit_record(
        actor=actor,
        action="report_schedule.update",
        obj=locked,
        before=before,
        after={**snapshot(locked), "units": sorted(locked.units.values_list("id", flat=True))},
    )
    return locked


def schedule_units(schedule: ReportSchedule) -> list[Unit]:
    chosen = list(schedule.units.filter(is_active=True).order_by("code"))
    if chosen:
        return chosen
    return list(schedule.leading_group.member_units.filter(is_active=True).order_by("code"))


@dataclass
class GenerateResult:
    created: int = 0
    existing: int = 0
    errors: list[str] = field(default_factory=list)


def _due_title(schedule: ReportSchedule, unit: Unit, period: Period) -> str:
    return _("%(unit)s报送%(name)s（%(period)s）") % {
        "unit": unit.short_name or unit.name,
        "name": schedule.name,
        "period": period.label,
    }


def dues_generate(
    *,
    today: dt.date | None = None,
    schedules: Any = None,
    actor: Any = None,
) -> GenerateResult:
    """Open a "report.due" obligation for every unit and every period that has begun,
    for each active schedule. Idempotent (one due per schedule, unit and period, held
    by a unique constraint), so the command, the pages and a cron job may all call it.

    A period whose deadline falls in a year the working-day calendar does not know is
    skipped with an error naming the year (the calendar refuses to guess)."""
    today = today or timezone.localdate()
    result = GenerateResult()
    qs = ReportSchedule.objects.filter(is_active=True, valid_from__lte=today)
    if schedules is not None:
        qs = qs.filter(pk__in=[s.pk for s in schedules])
    for schedule in qs.select_related("leading_group").order_by("id"):
        last = min(today, schedule.valid_to) if schedule.valid_to else today
        units = schedule_units(schedule)
        existing = set(schedule.dues.values_list("unit_id", "period_key"))
        link_base = reverse("reporting:due_list")
        for period in periods_between(schedule.frequency, schedule.valid_from, last):
            spec = due_spec(
                period,
                due_workdays=schedule.due_workdays,
                due_month=schedule.due_month,
                due_day=schedule.due_day,
                due_year_offset=schedule.due_year_offset,
            )
            try:
                due_at = compute_due(spec.rule, spec.start_at)
            except ApplicationError as exc:
                result.errors.append(f"{schedule.name} {period.label}: {exc.message}")
                continue
            for unit in units:
                if (unit.pk, period.key) in existing:
                    result.existing += 1
                    continue
                try:
                    with transaction.atomic():
                        ob = obligation_open(
                            unit=unit,
                            person=unit.information_officer,
                            kind=DUE_KIND,
                            title=_due_title(schedule, unit, period),
                            rule=spec.rule,
                            start_at=spec.start_at,
                            start_event=spec.start_event,
                            link=f"{link_base}?schedule={schedule.pk}&period={period.key}",
                            actor=actor,
                        )
                        due = ReportDue.objects.create(
                            schedule=schedule,
                            unit=unit,
                            period_key=period.key,
                            period_start=period.start,
                            period_end=period.end,
                            due_at=due_at,
                            obligation=ob,
                        )
                        # The obligation's subject is the due itself (found by obligations_for).
                        ob.subject_type = ContentType.objects.get_for_model(ReportDue)
                        ob.subject_id = str(due.pk)
                        ob.save(update_fields=["subject_type", "subject_id"])
                except IntegrityError:
                    # A concurrent run created it between our read and our write.
                    result.existing += 1
                    continue
                result.created += 1
    return result


@transaction.atomic
def due_waive(*, actor: Any, due: ReportDue, reason: str) -> ReportDue:
    """The office exempts a unit from one due report (the obligation is cancelled, with
    the reason, so it counts neither as missing nor as submitted)."""
    if not schedule_policy.can_change(actor, due.schedule):
        raise PermissionDeniedError(_("只有领导小组办公室可以免报。"))
    if due.obligation.status not in LIVE:
        raise ConflictError(_("该事项已报送或已免报。"), code="obligation_closed")
    obligation_cancel(obligation=due.obligation, actor=actor, reason=reason)
    return due


# --------------------------------------------------------------------------- G5 major adjustments


def major_adjustment_model() -> type[models.Model] | None:
    try:
        return apps.get_model("grids", "MajorAdjustment")
    except LookupError:
        return None


def _adjustment_text(adj: Any) -> tuple[str, str]:
    """Title and body of the report drafted from a grids MajorAdjustment (G5)."""
    grid = adj.grid
    kind = adj.get_kind_display() if hasattr(adj, "get_kind_display") else adj.kind
    title = _("网格重大调整报告：%(grid)s%(kind)s") % {"grid": grid.name, "kind": kind}
    lines = [
        _("网格：%(g)s") % {"g": str(grid)},
        _("网格主体单位：%(u)s") % {"u": grid.owner_unit.name},
        _("调整类型：%(k)s") % {"k": kind},
        _("调整说明：%(s)s") % {"s": adj.summary},
        _("调整时间：%(t)s") % {"t": f"{timezone.localtime(adj.made_at):%Y-%m-%d %H:%M}"},
    ]
    for value, label in ((adj.before, _("调整前")), (adj.after, _("调整后"))):
        if value:
            text = json.dumps(value, ensure_ascii=False, default=str)
            lines.append(f"{label}：{text[:2000]}")
    return title, "\n".join(lines)


@transaction.atomic
def report_from_major_adjustment(*, adjustment: Any, actor: Any = None) -> Report:
    """G5: a major adjustment creates an upward report draft (status 采集) for the grid's
    owner unit and links it (grids' MajorAdjustment contract: `report_ref` = our report
    id). The adjustment is *reported* (`reported_at`) only when that report is sent
    (`report_act(action="submit")`), never when it is drafted. Idempotent: a second call
    returns the report made the first time (also held by the unique source constraint)."""
    ct = ContentType.objects.get_for_model(adjustment)
    found = Report.objects.filter(source_type=ct, source_id=str(adjustment.pk)).first()
    if found is None:
        title, content = _adjustment_text(adjustment)
        found = report_create(
            actor=None,
            report_type=ReportType.MAJOR_ADJUSTMENT,
            title=title,
            unit=adjustment.grid.owner_unit,
            content=content,
            grid=adjustment.grid,
            source=adjustment,
        )
        notify(
            users=_author_users(found),
            subject=_("请报送网格重大调整信息：%(title)s") % {"title": found.title},
            body=_("网格发生重大调整，系统已生成报送信息草稿，请核实加工后报送。"),
            link=found.get_absolute_url(),
        )
        _adjustment_report_obligation(adjustment=adjustment, report=found)
    if not adjustment.report_ref:
        type(adjustment)._default_manager.filter(pk=adjustment.pk, report_ref="").update(
            report_ref=str(found.pk)
        )
    return found


def _adjustment_report_obligation(*, adjustment: Any, report: Report) -> None:
    """I4: the grid's owner unit owes the sent report within N working days of the
    adjustment (rules.ADJUSTMENT_REPORT_WORKDAYS); closed by `report_act(submit)`."""
    if obligations_for(adjustment, ADJUSTMENT_REPORT_KIND, live_only=False).exists():
        return
    # A deadline in a year whose official calendar is not entered yet opens provisional
    # (暂定, weekdays of that year): the grid change must not fail for it, and entering the
    # official year recomputes it (adjustment.report is a provisional kind, apps.py).
    obligation_open(
        unit=report.unit,
        person=report.unit.information_officer,
        kind=ADJUSTMENT_REPORT_KIND,
        title=_("报送网格重大调整信息：%(title)s") % {"title": report.title},
        rule=DeadlineRule(RuleKind.WORKDAYS, reporting_rule("ADJUSTMENT_REPORT_WORKDAYS")),
        start_at=adjustment.made_at,
        start_event=str(_("网格重大调整")),
        subject=adjustment,
        link=report.get_absolute_url(),
    )


def _adjustment_reported(report: Report, *, actor: Any, at: dt.datetime) -> None:
    """G5/I4: sending a major-adjustment report is what makes the adjustment reported."""
    model = major_adjustment_model()
    if model is None or report.report_type != ReportType.MAJOR_ADJUSTMENT or not report.source_id:
        return
    if report.source_type_id != ContentType.objects.get_for_model(model).pk:
        return
    model._default_manager.filter(pk=report.source_id, reported_at__isnull=True).update(
        reported_at=at
    )
    adjustment = model._default_manager.filter(pk=report.source_id).first()
    if adjustment is not None:
        for ob in obligations_for(adjustment, ADJUSTMENT_REPORT_KIND):
            obligation_complete(obligation=ob, actor=actor, at=at, note=report.number)


def major_adjustments_sync() -> int:
    """Draft reports for every MajorAdjustment that has none yet (`report_ref` empty).
    Runs from `envgrid reporting-schedule` and when the report pages
    open; the grids listener (apps.py) makes it immediate when grids provides one."""
    model = major_adjustment_model()
    if model is None:
        return 0
    made = 0
    pending = model._default_manager.filter(report_ref="").select_related("grid__owner_unit")
    for adjustment in pending.order_by("pk")[:500]:
        report_from_major_adjustment(adjustment=adjustment)
        made += 1
    return made


def on_due_moved(ob: Any) -> None:
    """The calendar recompute moved a report-due deadline: the due's copy of it follows,
    audited (issue 15, part 5)."""
    for due in ReportDue.objects.select_for_update().filter(obligation=ob):
        before = snapshot(due)
        due.due_at = ob.due_at
        due.save(update_fields=["due_at"])
        audit_record(
            actor=None,
            action="report_due.due_recomputed",
            obj=due,
            before=before,
            after=snapshot(due),
        )
