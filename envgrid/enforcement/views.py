"""Staff UI of joint enforcement: parse the form, call one service, render or redirect.
An action the user may not see answers 404 everywhere, photos included."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from envgrid.core.documents import docx_response
from envgrid.core.errors import ApplicationError, NotFoundError
from envgrid.core.exports import XLSX_MIME, xlsx_response
from envgrid.core.params import maybe_id, query_year
from envgrid.core.workflow import actions_available
from envgrid.org.models import Person
from envgrid.org.policies import unit_policy
from envgrid.org.selectors import actor_for

from . import selectors, services
from .documents import category_details, plan_docx, summary_xlsx
from .forms import (
    ActionEditForm,
    ActionForm,
    CompleteForm,
    FindingForm,
    InspectionForm,
    persons_of,
    reachable_grids,
)
from .models import (
    ActionCategory,
    ActionParticipant,
    ActionStatus,
    Assignment,
    ConsultationForm,
    EnforcementAction,
    Finding,
    Inspection,
    InspectionPhoto,
)
from .policies import action_policy


def _visible(request: HttpRequest, pk: Any) -> EnforcementAction:
    try:
        return selectors.action_get(user=request.user, pk=pk)
    except NotFoundError:
        raise Http404(_("未找到，或无权查看。")) from None


def _child(request: HttpRequest, model: Any, pk: Any) -> Any:
    obj = model.objects.filter(pk=pk).select_related("action").first()
    if obj is None or not action_policy.can_view(request.user, obj.action):
        raise Http404(_("未找到，或无权查看。"))
    return obj


def _do(request: HttpRequest, action: EnforcementAction, fn: Callable[[], Any], ok: str) -> Any:
    """Run one service; a refused rule becomes an error message on the action page."""
    try:
        fn()
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, ok)
    return redirect(action.get_absolute_url())


def _filters(request: HttpRequest) -> dict[str, Any]:
    return {
        "status": request.GET.get("status") or None,
        "category": request.GET.get("category") or None,
        "mode": request.GET.get("mode") or None,
        "year": query_year(request.GET),
        "q": (request.GET.get("q") or "").strip() or None,
    }


@login_required
def action_list(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    actions = selectors.action_list(user=request.user, **filters)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("联合执法行动"),
            [
                _("方案文号"),
                _("行动名称"),
                _("类别"),
                _("组织方式"),
                _("组织单位"),
                _("开始日期"),
                _("结束日期"),
                _("状态"),
                _("参与单位数"),
                _("检查次数"),
            ],
            (
                [
                    a.number,
                    a.title,
                    a.get_category_display(),
                    a.get_mode_display(),
                    a.organiser_unit.name,
                    a.start_date,
                    a.end_date,
                    a.get_status_display(),
                    a.n_participants,
                    a.n_inspections,
                ]
                for a in actions
            ),
        )
    page = Paginator(actions, 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "enforcement/list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": ActionStatus.choices,
            "categories": ActionCategory.choices,
            "query": query.urlencode(),
            "pending": selectors.my_pending_assignments(user=request.user),
            "can_create": actor_for(request.user).unit_id is not None,
        },
    )


@login_required
def action_create(request: HttpRequest) -> HttpResponse:
    form = ActionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        keys = set(d["key_entities"])
        targets = [services.TargetSpec(entity=e, is_key=e in keys) for e in d["target_entities"]]
        targets += [services.TargetSpec(grid=g) for g in d["target_grids"]]
        details = {k: d[k] for k in services.PLAN_FIELDS if k in d and k not in _CORE}
        try:
            action = services.action_create(
                actor=request.user,
                title=d["title"],
                category=d["category"],
                mode=d["mode"],
                organiser_grid=d["organiser_grid"],
                leading_group=d["leading_group"],
                objectives=d["objectives"],
                start_date=d["start_date"],
                end_date=d["end_date"],
                schedule=d["schedule"],
                requirements=d["requirements"],
                targets=targets,
                participants=[services.ParticipantSpec(unit=u) for u in d["partner_units"]],
                **details,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("行动方案已起草，请明确职责分工、确定联络人和执法人员。"))
            return redirect(action.get_absolute_url())
    return render(
        request,
        "enforcement/action_form.html",
        {"form": form, "title": _("起草联合执法行动方案"), "creating": True},
    )


_CORE = {"title", "objectives", "start_date", "end_date", "schedule", "requirements"}


@login_required
def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible(request, pk)
    form = ActionEditForm(request.POST or None, instance=action)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.Meta.fields}
        fresh = EnforcementAction.objects.get(pk=action.pk)
        try:
            services.action_update(actor=request.user, action=fresh, **data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("方案已保存。"))
            return redirect(action.get_absolute_url())
    return render(
        request,
        "enforcement/action_form.html",
        {"form": form, "title": _("修改行动方案"), "action": action},
    )


def _visible_case_ids(user: Any, action: EnforcementAction) -> set[int]:
    from envgrid.cases.policies import case_policy

    linked = Finding.objects.filter(inspection__action=action, case__isnull=False)
    return set(
        case_policy.scope(user).filter(pk__in=linked.values("case_id")).values_list("pk", flat=True)
    )


@login_required
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible(request, pk)
    user = request.user
    actor = actor_for(user)
    participants = list(
        action.participants.select_related("unit", "liaison", "grid").prefetch_related(
            "officers__person"
        )
    )
    for p in participants:
        p.can_staff = action.is_open and action_policy.can_staff_participant(user, p)  # type: ignore[attr-defined]
        p.candidates = persons_of(p.unit_id) if p.can_staff else []  # type: ignore[attr-defined]
    assignments = list(
        action.assignments.select_related("unit", "grid", "escalated_to", "ack_obligation")
    )
    for a in assignments:
        a.mine = action_policy.can_act_on_assignment(user, a) and action.is_running  # type: ignore[attr-defined]
    inspections = action.inspections.select_related("entity").prefetch_related(
        "officers__person", "photos", "findings"
    )
    is_organiser = action_policy.is_organiser(user, action)
    # The step buttons come from the workflow table and its policy (core.workflow), not
    # from status checks repeated here.
    steps = {t.action for t in actions_available(action, user)}
    context = {
        "action": action,
        "details": category_details(action),
        "participants": participants,
        "targets": action.targets.select_related("entity", "grid__owner_unit", "supervision"),
        "assignments": assignments,
        "inspections": inspections,
        "history": action.status_changes.select_related("actor"),
        "consultations": action.consultations.select_related("recorded_by").prefetch_related(
            "units"
        ),
        "consultation_gaps": services.consultation_gaps(action),
        "consultation_forms": ConsultationForm.choices,
        "can_consult": action.is_open and action_policy.can_inspect(user, action),
        "is_organiser": is_organiser,
        "steps": steps,
        "can_approve": "approve" in steps,
        "can_inspect": action.is_running and action_policy.can_inspect(user, action),
        "can_case": is_organiser or action_policy.can_approve(user, action),
        "is_draft": action.status == ActionStatus.DRAFT,
        "can_cancel": "cancel" in steps,
        "complete_form": CompleteForm(),
        "units": unit_policy.scope(user).exclude(pk__in=[p.unit_id for p in participants])
        if is_organiser and action.status == ActionStatus.DRAFT
        else [],
        "entities": [],
        "grids": reachable_grids(user) if is_organiser and action.status == "draft" else [],
        "my_unit_id": actor.unit_id,
        "now": timezone.now(),
        # A finding's case is linked only for a viewer who may open it (issue 20: a police
        # user saw a link that led to a 404); others see its number.
        "visible_case_ids": _visible_case_ids(user, action),
    }
    context["steps_visible"] = action.is_open and (
        is_organiser or context["can_approve"] or context["can_inspect"] or context["can_cancel"]
    )
    if is_organiser and action.status == ActionStatus.DRAFT:
        from envgrid.entities.models import SupervisedEntity

        context["entities"] = SupervisedEntity.objects.filter(grid__in=reachable_grids(user))
    return render(request, "enforcement/detail.html", context)


@login_required
@require_POST
def action_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    action = _visible(request, pk)
    note = request.POST.get("note", "")
    if step == "approve":
        return _do(
            request,
            action,
            lambda: services.action_approve(actor=request.user, action=action, note=note),
            _("方案已批准。"),
        )
    if step == "deploy":
        return _do(
            request,
            action,
            lambda: services.action_deploy(actor=request.user, action=action, note=note),
            _("行动已部署，任务已下达下级网格。"),
        )
    if step == "start":
        return _do(
            request,
            action,
            lambda: services.action_start(actor=request.user, action=action, note=note),
            _("行动已开始实施。"),
        )
    if step == "complete":
        return _do(
            request,
            action,
            lambda: services.action_complete(
                actor=request.user, action=action, summary=request.POST.get("summary", "")
            ),
            _("行动已完成。"),
        )
    if step == "cancel":
        return _do(
            request,
            action,
            lambda: services.action_cancel(
                actor=request.user, action=action, reason=request.POST.get("reason", "")
            ),
            _("行动已撤销。"),
        )
    raise Http404


def _person_in(request: HttpRequest, unit_id: int | None = None) -> Person:
    pid = maybe_id(request.POST.get("person"))
    qs = Person.objects.filter(is_active=True)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    person = qs.filter(pk=pid).first() if pid is not None else None
    if person is None:
        raise ApplicationError(_("请选择人员。"), code="required", fields={"person": [_("必填")]})
    return person


@login_required
@require_POST
def participant_step(request: HttpRequest, pid: int, step: str) -> HttpResponse:
    participant = _child(request, ActionParticipant, pid)
    action = participant.action

    def run() -> Any:
        if step == "duties":
            return services.participant_set_duties(
                actor=request.user, participant=participant, duties=request.POST.get("duties", "")
            )
        if step == "remove":
            return services.participant_remove(actor=request.user, participant=participant)
        person = _person_in(request, participant.unit_id)
        if step == "liaison":
            if participant.liaison_id and request.POST.get("replace"):
                return services.liaison_replace(
                    actor=request.user,
                    participant=participant,
                    person=person,
                    reason=request.POST.get("reason", ""),
                )
            return services.liaison_assign(
                actor=request.user, participant=participant, person=person
            )
        if step == "officer":
            return services.officer_assign(actor=request.user, action=action, person=person)
        raise Http404

    return _do(request, action, run, _("已保存。"))


def _consultation_from_post(request: HttpRequest, action: EnforcementAction) -> Any:
    """E5: the consultation form on the action page; the rules are the service's."""
    raw = (request.POST.get("held_on") or "").strip()
    try:
        held_on = dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ApplicationError(
            _("会商日期格式应为 YYYY-MM-DD。"), code="invalid", fields={"held_on": [raw]}
        ) from None
    ids = {i for i in (maybe_id(x) for x in request.POST.getlist("units")) if i is not None}
    units = [p.unit for p in action.participants.select_related("unit") if p.unit_id in ids]
    return services.consultation_record(
        actor=request.user,
        action=action,
        held_on=held_on,
        form=request.POST.get("form", ""),
        units=units,
        conclusions=request.POST.get("conclusions", ""),
    )


@login_required
@require_POST
def plan_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    action = _visible(request, pk)

    def run() -> Any:
        if step == "add-participant":
            uid = maybe_id(request.POST.get("unit"))
            unit = unit_policy.scope(request.user).filter(pk=uid).first() if uid else None
            if unit is None:
                raise ApplicationError(_("请选择单位。"), code="required")
            return services.participant_add(
                actor=request.user, action=action, unit=unit, duties=request.POST.get("duties", "")
            )
        if step == "add-target":
            from envgrid.entities.models import SupervisedEntity

            grids = reachable_grids(request.user)
            eid, gid = maybe_id(request.POST.get("entity")), maybe_id(request.POST.get("grid"))
            spec = services.TargetSpec(is_key=bool(request.POST.get("is_key")))
            if eid is not None:
                spec.entity = SupervisedEntity.objects.filter(pk=eid, grid__in=grids).first()
            elif gid is not None:
                spec.grid = grids.filter(pk=gid).first()
            if spec.entity is None and spec.grid is None:
                raise ApplicationError(_("请选择监管对象或区域。"), code="required")
            return services.target_add(actor=request.user, action=action, spec=spec)
        if step == "remove-target":
            tid = maybe_id(request.POST.get("target"))
            target = action.targets.filter(pk=tid).first() if tid else None
            if target is None:
                raise Http404
            return services.target_remove(actor=request.user, target=target)
        if step == "consult":
            return _consultation_from_post(request, action)
        if step == "remove-officer":
            oid = maybe_id(request.POST.get("officer"))
            officer = action.officers.filter(pk=oid).first() if oid else None
            if officer is None:
                raise Http404
            return services.officer_remove(actor=request.user, officer=officer)
        raise Http404

    return _do(request, action, run, _("已保存。"))


@login_required
@require_POST
def assignment_step(request: HttpRequest, aid: int, step: str) -> HttpResponse:
    assignment = _child(request, Assignment, aid)
    if step == "acknowledge":
        return _do(
            request,
            assignment.action,
            lambda: services.assignment_acknowledge(
                actor=request.user, assignment=assignment, note=request.POST.get("note", "")
            ),
            _("任务已签收。"),
        )
    if step == "complete":
        return _do(
            request,
            assignment.action,
            lambda: services.assignment_complete(
                actor=request.user, assignment=assignment, report=request.POST.get("report", "")
            ),
            _("已报告完成情况。"),
        )
    raise Http404


@login_required
def inspection_create(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible(request, pk)
    form = InspectionForm(request.POST or None, request.FILES or None, action=action)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        findings = []
        if d["finding_title"]:
            findings.append(
                services.FindingSpec(
                    title=d["finding_title"],
                    description=d["finding_description"],
                    responsible_person=d["finding_responsible"],
                    suspected_crime=d["finding_suspected_crime"],
                    is_key=d["finding_is_key"],
                )
            )
        try:
            services.inspection_create(
                actor=request.user,
                action=action,
                entity=d["entity"],
                inspected_at=d["inspected_at"],
                officers=list(d["officers"]),
                summary=d["summary"],
                place=d["place"],
                photos=request.FILES.getlist("photos"),
                findings=findings,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("现场检查已记录。"))
            return redirect(action.get_absolute_url() + "#inspections")
    return render(
        request,
        "enforcement/inspection_form.html",
        {"form": form, "action": action, "now": timezone.localtime()},
    )


@login_required
@require_POST
def inspection_step(request: HttpRequest, iid: int, step: str) -> HttpResponse:
    inspection = _child(request, Inspection, iid)
    action = inspection.action
    if step == "photos":
        return _do(
            request,
            action,
            lambda: services.photo_add(
                actor=request.user, inspection=inspection, photos=request.FILES.getlist("photos")
            ),
            _("照片已上传。"),
        )
    if step == "finding":
        form = FindingForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写问题和违法事实。"))
            return redirect(action.get_absolute_url())
        return _do(
            request,
            action,
            lambda: services.finding_create(
                actor=request.user,
                inspection=inspection,
                spec=services.FindingSpec(**form.cleaned_data),
            ),
            _("已记录发现问题。"),
        )
    raise Http404


@login_required
@require_POST
def finding_step(request: HttpRequest, fid: int, step: str) -> HttpResponse:
    finding = _child(request, Finding, fid)
    if step == "case":
        return _do(
            request,
            finding.action,
            lambda: services.finding_to_case(actor=request.user, finding=finding),
            _("已转为案件。"),
        )
    if step == "supervise":
        return _do(
            request,
            finding.action,
            lambda: services.finding_supervise(
                actor=request.user, finding=finding, reason=request.POST.get("reason", "")
            ),
            _("已下达督办通知。"),
        )
    raise Http404


@login_required
def photo(request: HttpRequest, photo_id: int) -> FileResponse:
    """Evidence is served only here, after checking the caller may see its action."""
    row = InspectionPhoto.objects.filter(pk=photo_id).select_related("inspection__action").first()
    if row is None or not action_policy.can_view(request.user, row.inspection.action):
        raise Http404(_("未找到，或无权查看。"))
    try:
        handle = row.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("文件不存在。")) from None
    response = FileResponse(handle, content_type=row.content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(row.original_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def plan_document(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible(request, pk)
    return docx_response(plan_docx(action), f"{action.number or action.title}-行动方案")


@login_required
def summary_document(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible(request, pk)
    response = HttpResponse(summary_xlsx(action), content_type=XLSX_MIME)
    name = quote(f"{action.title}-行动汇总.xlsx")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response
