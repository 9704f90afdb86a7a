"""Staff pages for joint meetings: list, schedule, the meeting page (attendance, minutes,
decisions), the decisions tracker, a decision's page, task reports. Views parse, call one
service and render; a refused rule comes back on the same page with its reason."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from envgrid.core.documents import docx_response
from envgrid.core.errors import ApplicationError
from envgrid.core.exports import xlsx_response
from envgrid.core.params import maybe_id, query_year
from envgrid.core.workflow import actions_available
from envgrid.org.models import LeadingGroup, Person, Unit
from envgrid.org.policies import unit_policy
from envgrid.org.selectors import actor_for

from . import services
from .documents import minutes_document
from .forms import AgendaFormSet, DecisionForm, MeetingForm, ScheduleForm, parse_refs
from .models import (
    Attendance,
    Decision,
    DecisionStatus,
    Meeting,
    MeetingScope,
    MeetingStatus,
)
from .policies import can_manage_meeting, decision_policy, task_report_policy
from .selectors import (
    decision_get,
    decision_list,
    decision_supervisions,
    link_resolve,
    linkable_decisions,
    meeting_get,
    meeting_list,
    task_report_list,
    task_report_schedule_list,
)


def _int(value: Any) -> int | None:
    return maybe_id(value)


def _year(request: HttpRequest) -> int | None:
    return query_year(request.GET)


# ---- meetings ---------------------------------------------------------------


@login_required
def meeting_list_view(request: HttpRequest) -> HttpResponse:
    qs = meeting_list(
        user=request.user,
        year=_year(request),
        scope=request.GET.get("scope", ""),
        status=request.GET.get("status", ""),
    )
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("联席会议"),
            [
                _("会议名称"),
                _("类别"),
                _("时间"),
                _("地点"),
                _("召集人"),
                _("组织单位"),
                _("状态"),
                _("纪要文号"),
            ],
            (
                [
                    m.title,
                    m.get_scope_display(),
                    m.starts_at,
                    m.place,
                    m.convener.name,
                    m.organiser_unit.name,
                    m.get_status_display(),
                    m.minutes_number,
                ]
                for m in qs
            ),
        )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    actor = actor_for(request.user)
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "page": page,
            "scopes": MeetingScope.choices,
            "statuses": MeetingStatus.choices,
            "can_schedule": actor.is_admin or actor.person is not None,
        },
    )


def _schedulable_groups(user: Any) -> Any:
    actor = actor_for(user)
    if actor.is_admin:
        return LeadingGroup.objects.all()
    return LeadingGroup.objects.filter(
        Q(pk__in=actor.overseen_group_ids) | Q(member_units=actor.unit_id)
    ).distinct()


def _convener_choices(user: Any, groups: Any) -> Any:
    actor = actor_for(user)
    ids: set[int] = set()
    for g in groups:
        ids.add(g.leader_id)
        ids.update(g.deputies.values_list("pk", flat=True))
        if g.office_director_id:
            ids.add(g.office_director_id)
    return (
        Person.objects.filter(Q(pk__in=ids) | Q(unit_id=actor.unit_id, is_active=True))
        .select_related("unit")
        .order_by("unit__code", "name")
    )


def _convener_notes(group: LeadingGroup | None, conveners: Any) -> dict[int, str]:
    """Each listed person's standing under M4 for a leading-group meeting of `group` held
    today: the same check meeting_schedule runs."""
    if group is None:
        return {}
    today = timezone.localdate()
    notes: dict[int, str] = {}
    for p in conveners:
        try:
            delegation = services.convener_check(
                group=group, scope=MeetingScope.GROUP, convener=p, day=today
            )
        except ApplicationError:
            notes[p.pk] = _("不可召集")
        else:
            notes[p.pk] = _("可召集（经委托授权）") if delegation is not None else _("可召集")
    return notes


def _meeting_form_parts(request: HttpRequest, data: Any = None) -> tuple[MeetingForm, Any]:
    user = request.user
    groups = _schedulable_groups(user)
    units = Unit.objects.filter(leading_groups__in=groups, is_active=True).distinct()
    actor = actor_for(user)
    # Default convener: the user, if they lead a group; otherwise the first group's leader
    # (the office organises, the leader convenes — M4, M5).
    first = groups.first()
    convener = first.leader_id if first is not None else None
    if actor.person is not None and actor.led_group_ids:
        convener = actor.person.pk
    initial: dict[str, Any] = {
        "participants": list(units.values_list("pk", flat=True)),
        "include_suggested": True,
        "convener": convener,
    }
    conveners = _convener_choices(user, groups)
    form = MeetingForm(
        data,
        groups=groups,
        conveners=conveners,
        units=units,
        initial=initial,
        convener_notes=_convener_notes(first, conveners),
    )
    choices = [
        (d.pk, f"{d.meeting.title} · {_('第%(n)s项') % {'n': d.seq}}")
        for d in linkable_decisions(user=user)[:200]
    ]
    agenda = AgendaFormSet(data, prefix="agenda", form_kwargs={"decision_choices": choices})
    return form, agenda


@login_required
def meeting_create_view(request: HttpRequest) -> HttpResponse:
    form, agenda = _meeting_form_parts(request, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and agenda.is_valid():
            d = form.cleaned_data
            try:
                items = []
                for row in agenda.cleaned_data:
                    if not row or not (row.get("title") or "").strip():
                        continue
                    link: Any = None
                    if row.get("link_decision"):
                        link = decision_get(user=request.user, pk=row["link_decision"])
                    elif row.get("link_case"):
                        link = link_resolve(
                            user=request.user, type_label="cases.case", object_id=row["link_case"]
                        )
                    elif row.get("link_ref"):
                        type_label, pk = parse_refs(row["link_ref"])[0]
                        link = link_resolve(user=request.user, type_label=type_label, object_id=pk)
                    items.append(
                        services.AgendaInput(
                            kind=row["kind"],
                            problem_kind=row.get("problem_kind") or "",
                            title=row["title"],
                            description=row.get("description") or "",
                            link=link,
                        )
                    )
                meeting = services.meeting_schedule(
                    actor=request.user,
                    leading_group=d["leading_group"],
                    scope=d["scope"],
                    title=d["title"],
                    starts_at=d["starts_at"],
                    place=d["place"],
                    convener=d["convener"],
                    participant_units=list(d["participants"]),
                    include_suggested=d["include_suggested"],
                    agenda=items,
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
                status = exc.status
            else:
                messages.success(request, _("会议已安排，已通知参会单位。"))
                return redirect("meetings:detail", meeting.pk)
        else:
            status = 400
    return render(
        request, "meetings/meeting_form.html", {"form": form, "agenda": agenda}, status=status
    )


def _meeting_page(
    request: HttpRequest, meeting: Meeting, *, decision_form: Any = None, status: int = 200
) -> HttpResponse:
    actor = actor_for(request.user)
    manage = can_manage_meeting(actor, meeting)
    participants = list(meeting.participants.select_related("unit"))
    owner_units = Unit.objects.filter(
        Q(pk__in=[p.unit_id for p in participants]) | Q(leading_groups=meeting.leading_group_id)
    ).distinct()
    if decision_form is None:
        decision_form = DecisionForm(units=owner_units)
    decisions = decision_list(user=request.user, meeting_id=meeting.pk).order_by("seq")
    return render(
        request,
        "meetings/meeting_detail.html",
        {
            "meeting": meeting,
            "agenda": meeting.agenda.select_related("link_type"),
            "participants": participants,
            "decisions": decisions,
            "history": meeting.history.select_related("actor"),
            "manage": manage,
            # The step buttons come from the workflow table and its policy (core.workflow).
            "steps": {t.action for t in actions_available(meeting, request.user)},
            "attendance_choices": [
                (a.value, a.label) for a in Attendance if a != Attendance.PENDING
            ],
            "can_attend": manage
            and meeting.status in (MeetingStatus.SCHEDULED, MeetingStatus.HELD)
            and timezone.localdate() >= meeting.local_day,
            "decision_form": decision_form,
            "addable_units": unit_policy.scope(request.user)
            .filter(is_active=True)
            .exclude(pk__in=[p.unit_id for p in participants])
            .order_by("code"),
        },
        status=status,
    )


@login_required
def meeting_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_page(request, meeting_get(user=request.user, pk=pk))


def _meeting_action(request: HttpRequest, pk: int, fn: Any, ok: str) -> HttpResponse:
    meeting = meeting_get(user=request.user, pk=pk)
    try:
        fn(meeting)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _meeting_page(request, meeting_get(user=request.user, pk=pk), status=exc.status)
    messages.success(request, ok)
    return redirect("meetings:detail", pk)


@login_required
@require_POST
def meeting_attendance_view(request: HttpRequest, pk: int) -> HttpResponse:
    entries = []
    for key, value in request.POST.items():
        if not key.startswith("att-") or not value or value == Attendance.PENDING:
            continue
        unit_id = key[4:]
        entries.append(
            services.AttendanceInput(
                unit_id=maybe_id(unit_id) or 0,
                attendance=str(value),
                attendee_name=request.POST.get(f"attendee-{unit_id}", ""),
                delegate_name=request.POST.get(f"delegate-{unit_id}", ""),
                absence_reason=request.POST.get(f"reason-{unit_id}", ""),
            )
        )
    return _meeting_action(
        request,
        pk,
        lambda m: services.meeting_attendance_record(
            actor=request.user, meeting=m, entries=entries
        ),
        _("出席情况已登记。"),
    )


@login_required
@require_POST
def meeting_hold_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_action(
        request,
        pk,
        lambda m: services.meeting_hold(actor=request.user, meeting=m),
        _("已确认会议召开。"),
    )


@login_required
@require_POST
def meeting_minutes_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_action(
        request,
        pk,
        lambda m: services.meeting_minutes_save(
            actor=request.user, meeting=m, minutes=request.POST.get("minutes", "")
        ),
        _("纪要已保存。"),
    )


@login_required
@require_POST
def meeting_issue_minutes_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_action(
        request,
        pk,
        lambda m: services.meeting_minutes_issue(actor=request.user, meeting=m),
        _("纪要已印发。"),
    )


@login_required
@require_POST
def meeting_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_action(
        request,
        pk,
        lambda m: services.meeting_cancel(
            actor=request.user, meeting=m, reason=request.POST.get("reason", "")
        ),
        _("会议已取消。"),
    )


@login_required
@require_POST
def meeting_participant_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    def add(m: Meeting) -> Any:
        unit = unit_policy.scope(request.user).filter(pk=_int(request.POST.get("unit"))).first()
        if unit is None:
            raise ApplicationError(_("请选择单位。"), code="unit_required")
        return services.meeting_participant_add(
            actor=request.user, meeting=m, unit=unit, note=request.POST.get("note", "")
        )

    return _meeting_action(request, pk, add, _("已增列参会单位。"))


@login_required
@require_POST
def decision_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_get(user=request.user, pk=pk)
    participants = meeting.participants.values_list("unit_id", flat=True)
    units = Unit.objects.filter(
        Q(pk__in=list(participants)) | Q(leading_groups=meeting.leading_group_id)
    ).distinct()
    form = DecisionForm(request.POST, units=units)
    if not form.is_valid():
        messages.error(request, _("请检查决定事项的填写。"))
        return _meeting_page(request, meeting, decision_form=form, status=400)
    d = form.cleaned_data
    try:
        links = [
            link_resolve(user=request.user, type_label="cases.case", object_id=i)
            for i in d.get("link_cases") or []
        ] + [
            link_resolve(user=request.user, type_label=t, object_id=i)
            for t, i in parse_refs(d.get("link_ref", ""))
        ]
        services.decision_create(
            actor=request.user,
            meeting=meeting,
            text=d["text"],
            owner_units=list(d["owners"]),
            due_date=d["due_date"],
            links=links,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _meeting_page(request, meeting, decision_form=form, status=exc.status)
    messages.success(request, _("决定事项已登记，已通知承办单位。"))
    return redirect("meetings:detail", pk)


@login_required
def minutes_docx_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_get(user=request.user, pk=pk)
    name = meeting.minutes_number or f"{_('会议纪要')}-{meeting.pk}"
    return docx_response(minutes_document(meeting), name)


# ---- decisions --------------------------------------------------------------


@login_required
def decision_tracker_view(request: HttpRequest) -> HttpResponse:
    overdue_param = request.GET.get("overdue", "")
    overdue = True if overdue_param == "1" else False if overdue_param == "0" else None
    qs = decision_list(
        user=request.user,
        owner_id=_int(request.GET.get("owner")),
        status=request.GET.get("status", ""),
        overdue=overdue,
        year=_year(request),
    )
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("会议决定事项"),
            [
                _("会议"),
                _("序号"),
                _("决定事项"),
                _("承办单位"),
                _("完成时限"),
                _("状态"),
                _("逾期"),
                _("办结时间"),
            ],
            (
                [
                    d.meeting.title,
                    d.seq,
                    d.text,
                    "、".join(o.unit.name for o in d.owners.all()),
                    d.due_date,
                    d.get_status_display(),
                    _("是") if d.is_overdue else "",
                    d.closed_at,
                ]
                for d in qs
            ),
            title=_("决定事项"),
        )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    owners = unit_policy.scope(request.user).filter(is_active=True).order_by("code")
    return render(
        request,
        "meetings/decision_list.html",
        {"page": page, "owners": owners, "statuses": DecisionStatus.choices},
    )


def _decision_page(request: HttpRequest, decision: Decision, status: int = 200) -> HttpResponse:
    actor = actor_for(request.user)
    manage = decision_policy.can_change(request.user, decision)
    owner = decision.owners.filter(unit_id=actor.unit_id).first() if actor.unit_id else None
    return render(
        request,
        "meetings/decision_detail.html",
        {
            "decision": decision,
            "meeting": decision.meeting,
            "owners": decision.owners.select_related("unit", "obligation"),
            "progress": decision.progress.select_related("unit", "person"),
            "links": decision.links.select_related("link_type"),
            "supervisions": decision_supervisions(decision),
            "history": decision.history.select_related("actor"),
            "manage": manage,
            "steps": {t.action for t in actions_available(decision, request.user)},
            "my_owner": owner,
            "can_report": owner is not None
            and owner.reported_done_at is None
            and decision.status == DecisionStatus.OPEN,
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
def decision_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision_page(request, decision_get(user=request.user, pk=pk))


def _decision_action(request: HttpRequest, pk: int, fn: Any, ok: str) -> HttpResponse:
    decision = decision_get(user=request.user, pk=pk)
    try:
        fn(decision)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _decision_page(request, decision_get(user=request.user, pk=pk), status=exc.status)
    messages.success(request, ok)
    return redirect("meetings:decision_detail", pk)


@login_required
@require_POST
def decision_progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision_action(
        request,
        pk,
        lambda d: services.decision_progress_report(
            actor=request.user,
            decision=d,
            text=request.POST.get("text", ""),
            completed=request.POST.get("completed") == "1",
        ),
        _("落实情况已报告。"),
    )


@login_required
@require_POST
def decision_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision_action(
        request,
        pk,
        lambda d: services.decision_close(
            actor=request.user, decision=d, note=request.POST.get("note", "")
        ),
        _("决定事项已核验办结。"),
    )


@login_required
@require_POST
def decision_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    from django.utils.dateparse import parse_date

    def reject(d: Decision) -> Any:
        raw = request.POST.get("due_date", "")
        try:
            due = parse_date(raw)
        except ValueError:
            due = None
        return services.decision_verify_reject(
            actor=request.user,
            decision=d,
            reason=request.POST.get("reason", ""),
            due_date=due,  # type: ignore[arg-type]
        )

    return _decision_action(request, pk, reject, _("已退回承办单位重新落实。"))


@login_required
@require_POST
def decision_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision_action(
        request,
        pk,
        lambda d: services.decision_withdraw(
            actor=request.user, decision=d, reason=request.POST.get("reason", "")
        ),
        _("决定事项已撤销。"),
    )


# ---- task reports (M6) --------------------------------------------------------


@login_required
def task_report_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    groups = (
        LeadingGroup.objects.all()
        if actor.is_admin
        else LeadingGroup.objects.filter(pk__in=actor.office_group_ids)
    )
    form = ScheduleForm(request.POST or None, groups=groups)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.task_report_schedule_create(
                    actor=request.user,
                    leading_group=d["leading_group"],
                    title=d["title"],
                    interval=d["interval"],
                    starts_on=d.get("starts_on"),
                    due_workdays=d.get("due_workdays"),
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
                status = exc.status
            else:
                messages.success(request, _("报送安排已设定，本期报送事项已生成。"))
                return redirect("meetings:task_reports")
        else:
            status = 400
    qs = task_report_list(
        user=request.user,
        unit_id=_int(request.GET.get("unit")),
        status=request.GET.get("status", ""),
        schedule_id=_int(request.GET.get("schedule")),
    )
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("任务完成情况报告"),
            [
                _("报送安排"),
                _("单位"),
                _("报告期起"),
                _("报告期止"),
                _("截止时间"),
                _("报送时间"),
                _("逾期"),
            ],
            (
                [
                    r.schedule.title,
                    r.unit.name,
                    r.period_start,
                    r.period_end,
                    r.obligation.due_at if r.obligation else "",
                    r.submitted_at,
                    _("是") if r.obligation and r.obligation.is_late else "",
                ]
                for r in qs
            ),
        )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "meetings/task_report_list.html",
        {
            "page": page,
            "form": form,
            "can_schedule": bool(groups.exists()),
            "schedules": task_report_schedule_list(user=request.user),
            "units": unit_policy.scope(request.user).filter(is_active=True).order_by("code"),
            "now": timezone.now(),
        },
        status=status,
    )


@login_required
def task_report_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    report = task_report_policy.get_visible(request.user, pk)
    status = 200
    if request.method == "POST":
        try:
            services.task_report_submit(
                actor=request.user, report=report, content=request.POST.get("content", "")
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("任务完成情况已报送。"))
            return redirect("meetings:task_report_detail", pk)
    actor = actor_for(request.user)
    return render(
        request,
        "meetings/task_report_detail.html",
        {
            "report": report,
            "can_submit": report.submitted_at is None and actor.unit_id == report.unit_id,
        },
        status=status,
    )
