"""Staff pages for information reporting: reports and their steps, the schedule, due
reports, per-unit compliance and information officers. Each list exports to .xlsx.

Reads go through the policies first: an object the user may not see answers 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from envgrid.core.errors import ApplicationError, PermissionDeniedError
from envgrid.core.exports import xlsx_response
from envgrid.core.params import maybe_id, query_year
from envgrid.org.models import LeadingGroup
from envgrid.org.selectors import actor_for

from .forms import ReportForm, ScheduleForm
from .models import Frequency, ReportSchedule, ReportStatus, ReportType
from .policies import due_policy, report_policy, schedule_policy
from .selectors import (
    LATE,
    MISSING,
    ON_TIME,
    OUTCOMES,
    PENDING,
    WAIVED,
    due_list,
    officer_list,
    report_compliance,
    report_list,
    schedule_list,
)
from .services import (
    EDITABLE_FIELDS,
    due_waive,
    dues_generate,
    major_adjustments_sync,
    report_act,
    report_create,
    report_update,
    schedule_create,
    schedule_update,
)
from .workflow import AUTHOR, STEP_LABELS, available_actions

PAGE_SIZE = 50


def _outcome_labels() -> dict[str, str]:
    return {
        ON_TIME: _("按时报送"),
        LATE: _("逾期报送"),
        MISSING: _("逾期未报"),
        PENDING: _("未到期"),
        WAIVED: _("免报"),
    }


def _wants_xlsx(request: HttpRequest) -> bool:
    return request.GET.get("format") == "xlsx"


def _form_refused(form: Any, exc: ApplicationError) -> None:
    placed = False
    for name, errors in (exc.fields or {}).items():
        if name in form.fields:
            for err in errors if isinstance(errors, list) else [errors]:
                form.add_error(name, str(err))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _int_param(request: HttpRequest, name: str) -> int | None:
    if name == "year":
        return query_year(request.GET)
    return maybe_id(request.GET.get(name))


def _year(request: HttpRequest) -> int:
    year = _int_param(request, "year")
    return year if year and 2000 <= year <= 2100 else timezone.localdate().year


# --------------------------------------------------------------------------- reports


@login_required
def report_list_view(request: HttpRequest) -> HttpResponse:
    major_adjustments_sync()
    filters: dict[str, Any] = {
        "status": request.GET.get("status")
        if request.GET.get("status") in ReportStatus.values
        else None,
        "report_type": request.GET.get("report_type")
        if request.GET.get("report_type") in ReportType.values
        else None,
        "unit": _int_param(request, "unit"),
        "year": _int_param(request, "year"),
        "q": request.GET.get("q", "").strip(),
    }
    reports = report_list(user=request.user, filters=filters)
    if _wants_xlsx(request):
        return xlsx_response(
            _("报送信息"),
            [
                _("编号"),
                _("标题"),
                _("信息类型"),
                _("报送单位"),
                _("状态"),
                _("采集时间"),
                _("报送时间"),
                _("反馈时间"),
                _("应报期次"),
                _("逾期"),
            ],
            (
                [
                    r.number,
                    r.title,
                    r.get_report_type_display(),
                    r.unit.name,
                    r.get_status_display(),
                    r.created_at,
                    r.submitted_at,
                    r.fed_back_at,
                    r.due.period_key if r.due else "",
                    _("是")
                    if r.due_id and r.due and r.submitted_at and r.submitted_at > r.due.due_at
                    else "",
                ]
                for r in reports
            ),
            title=_("报送信息"),
        )
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    actor = actor_for(request.user)
    return render(
        request,
        "reporting/report_list.html",
        {
            "page": page,
            "statuses": ReportStatus.choices,
            "types": ReportType.choices,
            "filters": filters,
            "can_create": actor.person is not None,
            "tab": "reports",
        },
    )


def _report_form_response(
    request: HttpRequest, form: ReportForm, report: Any = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "reporting/report_form.html",
        {"form": form, "report": report, "tab": "reports"},
        status=status,
    )


@login_required
def report_new(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    if actor.person is None:
        raise PermissionDeniedError(_("只有单位人员可以采集信息。"))
    initial: dict[str, Any] = {}
    due_id = _int_param(request, "due")
    if due_id:
        due = due_policy.get_visible(request.user, due_id)
        initial.update(
            due=due.pk,
            report_type=due.schedule.report_type,
            title=f"{due.unit.short_name or due.unit.name}{due.schedule.name}（{due.period_key}）",
        )
    if request.GET.get("report_type") in ReportType.values:
        initial["report_type"] = request.GET["report_type"]
    form = ReportForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                report = report_create(actor=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                _form_refused(form, exc)
            else:
                messages.success(request, _("信息已采集，可继续筛选、加工后报送。"))
                return redirect("reporting:detail", pk=report.pk)
        return _report_form_response(request, form, status=400)
    return _report_form_response(request, form)


@login_required
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_policy.get_visible(request.user, pk)
    if not report_policy.is_author(request.user, report):
        raise PermissionDeniedError(_("只有报送单位可以修改信息。"))
    fields = EDITABLE_FIELDS
    initial = {name: getattr(report, name) for name in fields}
    initial["report_type"] = report.report_type
    form = ReportForm(
        request.POST or None, user=request.user, unit_id=report.unit_id, initial=initial
    )
    due_field: Any = form.fields["due"]
    if report.due_id:
        due_field.queryset = due_field.queryset | due_policy.scope(request.user).filter(
            pk=report.due_id
        )
    form.fields["report_type"].disabled = True
    if request.method == "POST":
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k in fields}
            try:
                report_update(actor=request.user, report=report, **data)
            except ApplicationError as exc:
                _form_refused(form, exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect("reporting:detail", pk=report.pk)
        return _report_form_response(request, form, report, status=400)
    return _report_form_response(request, form, report)


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_policy.get_visible(
        request.user,
        pk,
        report_policy.scope(request.user).select_related(
            "unit",
            "leading_group",
            "recipient_unit",
            "grid",
            "due__schedule",
            "due__obligation",
            "officer",
            "author",
        ),
    )
    if request.GET.get("format") == "docx":
        from .documents import report_docx

        return report_docx(report)
    actions = [
        t
        for t in available_actions(report)
        if (
            report_policy.is_author(request.user, report)
            if t.by == AUTHOR
            else report_policy.is_receiver(request.user, report)
        )
    ]
    events = list(report.events.all())
    for e in events:
        e.label = STEP_LABELS.get(e.action, e.action)
    return render(
        request,
        "reporting/report_detail.html",
        {
            "report": report,
            "steps": _steps(report),
            "actions": actions,
            "events": events,
            "can_edit": report_policy.is_author(request.user, report)
            and report.status in ("collected", "screened", "processed"),
            "tab": "reports",
        },
    )


STEP_ORDER = (
    ("collected", "collect"),
    ("screened", "screen"),
    ("processed", "process"),
    ("submitted", "submit"),
    ("fed_back", "feedback"),
    ("published", "publish"),
    ("archived", "archive"),
)


def _steps(report: Any) -> list[tuple[Any, str]]:
    """The seven I2 steps with done / current / todo for the progress strip."""
    statuses = [s for s, _a in STEP_ORDER]
    current = statuses.index(report.status) if report.status in statuses else -1
    if report.status == "archived" and report.published_at is None:
        skipped = {"published"}
    else:
        skipped = set()
    out = []
    for i, (status, action) in enumerate(STEP_ORDER):
        if status in skipped:
            state = "skipped"
        elif i < current:
            state = "done"
        elif i == current:
            state = "current"
        else:
            state = "todo"
        out.append((STEP_LABELS[action], state))
    return out


@login_required
@require_POST
def report_act_view(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_policy.get_visible(request.user, pk)
    action = request.POST.get("action", "")
    try:
        report = report_act(
            actor=request.user, report=report, action=action, note=request.POST.get("note", "")
        )
    except ApplicationError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
        return redirect("reporting:detail", pk=pk)
    messages.success(
        request,
        _("已完成“%(step)s”。") % {"step": STEP_LABELS.get(action, action)},
    )
    return redirect("reporting:detail", pk=report.pk)


# --------------------------------------------------------------------------- schedules


def _schedule_rule(s: ReportSchedule) -> str:
    if s.due_workdays is not None:
        return _("期满后第 %(n)s 个工作日") % {"n": s.due_workdays}
    year = _("次年") if s.due_year_offset else _("当年")
    return _("%(year)s %(m)s 月 %(d)s 日前") % {"year": year, "m": s.due_month, "d": s.due_day}


@login_required
def schedule_list_view(request: HttpRequest) -> HttpResponse:
    schedules = list(schedule_list(user=request.user))
    for s in schedules:
        s.rule_text = _schedule_rule(s)
        s.can_change = schedule_policy.can_change(request.user, s)
    if _wants_xlsx(request):
        return xlsx_response(
            _("报送计划"),
            [
                _("领导小组"),
                _("报送要求"),
                _("信息类型"),
                _("报送周期"),
                _("截止规则"),
                _("起始日期"),
                _("终止日期"),
                _("报送单位"),
                _("已生成应报事项"),
                _("启用"),
            ],
            (
                [
                    s.leading_group.name,
                    s.name,
                    s.get_report_type_display(),
                    s.get_frequency_display(),
                    s.rule_text,
                    s.valid_from,
                    s.valid_to,
                    "、".join(u.short_name or u.name for u in s.units.all()) or _("全部成员单位"),
                    s.n_dues,
                    _("是") if s.is_active else _("否"),
                ]
                for s in schedules
            ),
            title=_("报送计划"),
        )
    actor = actor_for(request.user)
    return render(
        request,
        "reporting/schedule_list.html",
        {
            "schedules": schedules,
            "can_create": actor.is_admin or actor.is_office,
            "tab": "schedules",
        },
    )


@login_required
def schedule_new(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    if not (actor.is_admin or actor.is_office):
        raise PermissionDeniedError(_("只有领导小组办公室可以制定报送计划。"))
    groups = LeadingGroup.objects.filter(pk__in=actor.office_group_ids)
    initial = {
        "leading_group": groups.first(),
        "frequency": Frequency.MONTHLY,
        "report_type": ReportType.WORK_INFO,
        "due_workdays": 5,
        "valid_from": timezone.localdate().replace(month=1, day=1),
        "is_active": True,
    }
    form = ScheduleForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            units = list(data.pop("units") or [])
            group = data.pop("leading_group")
            try:
                schedule = schedule_create(
                    actor=request.user, leading_group=group, units=units, **data
                )
            except ApplicationError as exc:
                _form_refused(form, exc)
            else:
                result = dues_generate(schedules=[schedule], actor=request.user)
                messages.success(
                    request,
                    _("报送计划已保存，生成应报事项 %(n)s 项。") % {"n": result.created},
                )
                for err in result.errors:
                    messages.error(request, err)
                return redirect("reporting:schedule_list")
        return render(
            request, "reporting/schedule_form.html", {"form": form, "tab": "schedules"}, status=400
        )
    return render(request, "reporting/schedule_form.html", {"form": form, "tab": "schedules"})


@login_required
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = schedule_policy.get_visible(request.user, pk)
    if not schedule_policy.can_change(request.user, schedule):
        raise PermissionDeniedError(_("只有领导小组办公室可以修改报送计划。"))
    initial = {
        f: getattr(schedule, f)
        for f in (
            "name",
            "report_type",
            "frequency",
            "due_workdays",
            "due_month",
            "due_day",
            "due_year_offset",
            "valid_from",
            "valid_to",
            "is_active",
            "note",
        )
    }
    initial["leading_group"] = schedule.leading_group
    initial["units"] = list(schedule.units.all())
    form = ScheduleForm(request.POST or None, user=request.user, initial=initial)
    form.fields["leading_group"].disabled = True
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            units = list(data.pop("units") or [])
            data.pop("leading_group", None)
            try:
                schedule_update(actor=request.user, schedule=schedule, units=units, **data)
            except ApplicationError as exc:
                _form_refused(form, exc)
            else:
                messages.success(request, _("报送计划已保存。"))
                return redirect("reporting:schedule_list")
        return render(
            request,
            "reporting/schedule_form.html",
            {"form": form, "schedule": schedule, "tab": "schedules"},
            status=400,
        )
    return render(
        request,
        "reporting/schedule_form.html",
        {"form": form, "schedule": schedule, "tab": "schedules"},
    )


@login_required
@require_POST
def schedule_generate(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    if not (actor.is_admin or actor.is_office):
        raise PermissionDeniedError(_("只有领导小组办公室可以生成应报事项。"))
    schedules = [
        s
        for s in schedule_policy.scope(request.user).filter(is_active=True)
        if schedule_policy.can_change(request.user, s)
    ]
    result = dues_generate(schedules=schedules, actor=request.user)
    messages.success(
        request,
        _("新生成应报事项 %(created)s 项，已存在 %(existing)s 项。")
        % {"created": result.created, "existing": result.existing},
    )
    for err in result.errors:
        messages.error(request, err)
    return redirect("reporting:schedule_list")


# --------------------------------------------------------------------------- dues, compliance


@login_required
def due_list_view(request: HttpRequest) -> HttpResponse:
    filters: dict[str, Any] = {
        "unit": _int_param(request, "unit"),
        "schedule": _int_param(request, "schedule"),
        "period": request.GET.get("period", "").strip()[:10],
        "year": _int_param(request, "year"),
        "outcome": request.GET.get("outcome") if request.GET.get("outcome") in OUTCOMES else None,
    }
    dues = due_list(user=request.user, filters=filters)
    labels = _outcome_labels()
    if _wants_xlsx(request):
        return xlsx_response(
            _("应报事项"),
            [
                _("报送要求"),
                _("期次"),
                _("报送单位"),
                _("截止时间"),
                _("报送时间"),
                _("报送信息"),
                _("情况"),
            ],
            (
                [
                    d.schedule.name,
                    d.period_key,
                    d.unit.name,
                    d.obligation.due_at,
                    d.submitted_at,
                    d.report.number if d.report else "",
                    labels[d.outcome],
                ]
                for d in dues
            ),
            title=_("应报事项"),
        )
    page = Paginator(dues, PAGE_SIZE).get_page(request.GET.get("page"))
    actor = actor_for(request.user)
    for d in page.object_list:
        d.outcome_label = labels[d.outcome]
        d.is_mine = d.unit_id == actor.unit_id
        d.can_waive = schedule_policy.can_change(request.user, d.schedule)
    return render(
        request,
        "reporting/due_list.html",
        {
            "page": page,
            "filters": filters,
            "outcomes": list(labels.items()),
            "tab": "dues",
        },
    )


@login_required
@require_POST
def due_waive_view(request: HttpRequest, pk: int) -> HttpResponse:
    due = due_policy.get_visible(request.user, pk)
    try:
        due_waive(actor=request.user, due=due, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已免报。"))
    return redirect(request.POST.get("next") or "reporting:due_list")


@login_required
def compliance_view(request: HttpRequest) -> HttpResponse:
    """Late and missing reports per unit (I3), the figures assessment reads."""
    year = _year(request)
    rows = list(report_compliance(year=year, user=request.user))
    if _wants_xlsx(request):
        return xlsx_response(
            _("报送情况 %(year)s") % {"year": year},
            [
                _("单位代码"),
                _("单位"),
                _("应报"),
                _("按时报送"),
                _("逾期报送"),
                _("逾期未报"),
                _("未到期"),
                _("免报"),
            ],
            (
                [
                    r["unit__code"],
                    r["unit__name"],
                    r["due"],
                    r["on_time"],
                    r["late"],
                    r["missing"],
                    r["pending"],
                    r["waived"],
                ]
                for r in rows
            ),
            title=_("报送情况"),
        )
    totals = {
        k: sum(r[k] for r in rows)
        for k in ("due", "on_time", "late", "missing", "pending", "waived")
    }
    return render(
        request,
        "reporting/compliance.html",
        {
            "rows": rows,
            "year": year,
            "totals": totals,
            "years": range(timezone.localdate().year - 3, timezone.localdate().year + 1),
            "tab": "compliance",
        },
    )


# --------------------------------------------------------------------------- officers (I2)


@login_required
def officers_view(request: HttpRequest) -> HttpResponse:
    gaps_only = request.GET.get("gaps") == "1"
    units = officer_list(user=request.user, gaps_only=gaps_only)
    if _wants_xlsx(request):
        return xlsx_response(
            _("信息工作负责人"),
            [_("单位代码"), _("单位"), _("信息工作负责人"), _("职务"), _("联系电话"), _("状态")],
            (
                [
                    u.code,
                    u.name,
                    u.information_officer.name if u.information_officer else "",
                    u.information_officer.title if u.information_officer else "",
                    u.information_officer.phone if u.information_officer else "",
                    _("缺位") if u.officer_gap else _("已明确"),
                ]
                for u in units
            ),
            title=_("信息工作负责人"),
        )
    rows = list(units)
    gap_count = sum(1 for u in rows if u.officer_gap)
    return render(
        request,
        "reporting/officers.html",
        {"units": rows, "gaps_only": gaps_only, "gap_count": gap_count, "tab": "officers"},
    )
