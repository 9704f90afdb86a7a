"""Staff pages: publication management (disclosure:manage), the petition inbox of the
responsible unit and the office, the hazards register and the emissions import."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from envgrid.core.errors import ApplicationError
from envgrid.core.exports import xlsx_bytes, xlsx_response
from envgrid.core.params import maybe_id
from envgrid.core.workflow import actions_available
from envgrid.obligations.services import obligations_for
from envgrid.org.models import Person, Unit
from envgrid.org.selectors import actor_for

from . import petitions as petition_services
from . import services
from .forms import EmissionImportForm, HazardForm, PlanForm
from .hooks import adjustments_sync
from .importers import TEMPLATE_HEADERS
from .models import (
    EmissionRecord,
    Hazard,
    HazardLevel,
    HazardStatus,
    PetitionCategory,
    PetitionPhoto,
    PetitionStatus,
    PublicationKind,
    PublicationStatus,
)
from .policies import (
    emission_batch_policy,
    hazard_policy,
    petition_policy,
    publication_policy,
    visible_units,
)
from .selectors import (
    batch_list,
    hazard_list,
    hazard_published_state,
    petition_list,
    publication_list,
)


def _own_unit(request: HttpRequest) -> Unit:
    actor = actor_for(request.user)
    if actor.person is None:
        raise ApplicationError(_("当前账号未关联单位人员。"), code="no_person", status=403)
    return actor.person.unit


# --------------------------------------------------------------------------- publications


@login_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    g = request.GET
    qs = publication_list(user=request.user, kind=g.get("kind", ""), status=g.get("status", ""))
    if g.get("format") == "xlsx":
        return xlsx_response(
            "信息公开",
            [
                "标题",
                "类别",
                "公开单位",
                "状态",
                "创建时间",
                "审核时间",
                "发布时间",
                "撤回时间",
                "撤回原因",
            ],
            (
                [
                    p.title,
                    p.get_kind_display(),
                    p.unit.name,
                    p.get_status_display(),
                    p.created_at,
                    p.reviewed_at,
                    p.published_at,
                    p.withdrawn_at,
                    p.withdraw_reason,
                ]
                for p in qs
            ),
        )
    page = Paginator(qs, 50).get_page(g.get("page"))
    actor = actor_for(request.user)
    return render(
        request,
        "disclosure/staff/manage.html",
        {
            "page": page,
            "kinds": PublicationKind.choices,
            "statuses": PublicationStatus.choices,
            "f": {"kind": g.get("kind", ""), "status": g.get("status", "")},
            "can_draft": actor.is_admin or actor.person is not None,
            "plan_form": PlanForm(),
        },
    )


def _draft_redirect(pub: Any) -> HttpResponse:
    return redirect("disclosure:publication_detail", pk=pub.pk)


@login_required
@require_POST
def draft_create(request: HttpRequest, what: str) -> HttpResponse:
    unit = _own_unit(request)
    if what == "plan":
        form = PlanForm(request.POST, request.FILES)
        if not form.is_valid():
            raise ApplicationError(
                _("请填写标题。"), code="invalid", fields={k: v for k, v in form.errors.items()}
            )
        pub = services.publication_create(
            actor=request.user,
            kind=PublicationKind.PLAN,
            title=form.cleaned_data["title"],
            summary=form.cleaned_data["summary"],
            unit=unit,
            document=form.cleaned_data.get("document"),
        )
    elif what == "division":
        pub = services.publication_draft_division(actor=request.user, unit=unit)
    elif what == "duties":
        pub = services.publication_draft_duties(actor=request.user, unit=unit)
    elif what == "adjustments":
        n = adjustments_sync()
        messages.success(request, _("已为 %(n)s 项重大调整生成公开草稿。") % {"n": n})
        return redirect("disclosure:manage")
    else:
        raise ApplicationError(_("未知的草稿类型。"), code="invalid", status=404)
    messages.success(request, _("已生成草稿。"))
    return _draft_redirect(pub)


@login_required
@require_http_methods(["GET", "POST"])
def publication_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pub = publication_policy.get_visible(request.user, pk)
    error = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "update":
                services.publication_update(
                    actor=request.user,
                    publication=pub,
                    title=request.POST.get("title", ""),
                    summary=request.POST.get("summary", ""),
                )
            elif action == "review":
                services.publication_review(
                    actor=request.user, publication=pub, note=request.POST.get("note", "")
                )
            elif action == "send_back":
                services.publication_send_back(
                    actor=request.user, publication=pub, reason=request.POST.get("reason", "")
                )
            elif action == "publish":
                services.publication_publish(actor=request.user, publication=pub)
            elif action == "withdraw":
                services.publication_withdraw(
                    actor=request.user, publication=pub, reason=request.POST.get("reason", "")
                )
            else:
                raise ApplicationError(_("未知操作。"), code="invalid_action")
        except ApplicationError as exc:
            error, status = exc.message, exc.status
            pub.refresh_from_db()
        else:
            messages.success(request, _("已保存。"))
            return redirect("disclosure:publication_detail", pk=pub.pk)
    return render(
        request,
        "disclosure/staff/publication.html",
        {
            "pub": pub,
            "events": pub.events.select_related("actor"),
            "can_change": publication_policy.can_change(request.user, pub),
            "can_review": publication_policy.can_review(request.user, pub),
            # The step buttons come from the workflow table and its policy (core.workflow).
            "steps": _steps(pub, request.user),
            "error": error,
        },
        status=status,
    )


@login_required
@require_GET
def publication_document_staff(request: HttpRequest, pk: int) -> FileResponse:
    pub = publication_policy.get_visible(request.user, pk)
    if not pub.document:
        raise ApplicationError(_("没有文件。"), code="not_found", status=404)
    return FileResponse(pub.document.open("rb"), as_attachment=True, filename=pub.document_name)


# --------------------------------------------------------------------------- petitions


@login_required
@require_GET
def petition_inbox(request: HttpRequest) -> HttpResponse:
    g = request.GET
    qs = petition_list(
        user=request.user,
        status=g.get("status", ""),
        category=g.get("category", ""),
        mine=g.get("mine") == "1",
        q=g.get("q", "").strip()[:50],
    )
    if g.get("format") == "xlsx":
        return xlsx_response(
            "信访件",
            [
                "查询码",
                "类别",
                "网格",
                "承办单位",
                "状态",
                "登记时间",
                "受理时间",
                "办结时间",
                "来源",
            ],
            (
                [
                    p.tracking_code,
                    p.get_category_display(),
                    p.grid.name if p.grid else "",
                    p.unit.name,
                    p.get_status_display(),
                    p.received_at,
                    p.accepted_at,
                    p.closed_at,
                    p.get_source_display(),
                ]
                for p in qs
            ),
        )
    page = Paginator(qs, 50).get_page(g.get("page"))
    dues = {}
    from django.contrib.contenttypes.models import ContentType

    from envgrid.obligations.models import Obligation

    from .models import Petition

    ct = ContentType.objects.get_for_model(Petition)
    for ob in Obligation.objects.filter(
        subject_type=ct,
        subject_id__in=[str(p.pk) for p in page.object_list],
        status__in=["open", "overdue"],
    ):
        dues[int(ob.subject_id)] = ob
    rows = [(p, dues.get(p.pk)) for p in page.object_list]
    return render(
        request,
        "disclosure/staff/petitions.html",
        {
            "page": page,
            "rows": rows,
            "statuses": PetitionStatus.choices,
            "categories": PetitionCategory.choices,
            "f": {k: g.get(k, "") for k in ("status", "category", "mine", "q")},
            "now": timezone.now(),
        },
    )


PETITION_ACTIONS = {
    "accept",
    "decline",
    "progress",
    "reply",
    "extend",
    "object",
    "reroute",
    "case",
    "disclose",
}


@login_required
@require_http_methods(["GET", "POST"])
def petition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = petition_policy.get_visible(request.user, pk)
    error = None
    status = 200
    if request.method == "POST":
        a = request.POST.get("action", "")
        post = request.POST
        try:
            if a == "accept":
                petition_services.petition_acknowledge(actor=request.user, petition=p, accept=True)
            elif a == "decline":
                petition_services.petition_acknowledge(
                    actor=request.user, petition=p, accept=False, reason=post.get("reason", "")
                )
            elif a == "spam":
                petition_services.petition_mark_spam(
                    actor=request.user, petition=p, reason=post.get("reason", "")
                )
            elif a == "progress":
                petition_services.petition_progress(
                    actor=request.user,
                    petition=p,
                    note=post.get("note", ""),
                    public_note=post.get("public_note", ""),
                )
            elif a == "reply":
                petition_services.petition_reply(
                    actor=request.user, petition=p, reply=post.get("reply", "")
                )
            elif a == "extend":
                approver = Person.objects.filter(pk=_int(post.get("approver"))).first()
                petition_services.petition_extend(
                    actor=request.user,
                    petition=p,
                    days=_int(post.get("days")),
                    reason=post.get("reason", ""),
                    approver=approver,
                )
            elif a == "object":
                petition_services.petition_object(
                    actor=request.user, petition=p, reason=post.get("reason", "")
                )
            elif a == "reroute":
                unit = Unit.objects.filter(pk=_int(post.get("unit")), is_active=True).first()
                petition_services.petition_reroute(
                    actor=request.user, petition=p, unit=unit, note=post.get("note", "")
                )
            elif a == "case":
                petition_services.petition_to_case(actor=request.user, petition=p)
            elif a == "review_note":
                event = p.events.filter(pk=_int(post.get("event"))).first()
                if event is None:
                    raise ApplicationError(_("未找到该说明。"), code="not_found", status=404)
                petition_services.petition_note_review(
                    actor=request.user,
                    event=event,
                    approve=post.get("approve") != "0",
                    public_note=post.get("public_note"),
                )
            elif a == "disclose":
                petition_policy.require(request.user, p, "handle")
                pub = services.publication_draft_petition(
                    actor=request.user, petition=p, summary=post.get("summary", "")
                )
                messages.success(request, _("已生成公开草稿，待办公室审核发布。"))
                return redirect("disclosure:publication_detail", pk=pub.pk)
            else:
                raise ApplicationError(_("未知操作。"), code="invalid_action")
        except ApplicationError as exc:
            error, status = exc.message, exc.status
            p.refresh_from_db()
        else:
            messages.success(request, _("已办理。"))
            return redirect("disclosure:petition_detail", pk=p.pk)
    obligations = obligations_for(p, live_only=False).order_by("started_at")
    return render(
        request,
        "disclosure/staff/petition.html",
        {
            "p": p,
            "events": p.events.select_related("actor", "unit"),
            "photos": p.photos.all(),
            "obligations": obligations,
            "duplicates": p.duplicates.all(),
            "pending_notes": petition_services.notes_pending_review(p),
            "can_handle": petition_policy.can_handle(request.user, p),
            "can_route": petition_policy.can_route(request.user, p),
            # The step buttons come from the workflow table and its policy (core.workflow).
            "steps": _steps(p, request.user),
            "approvers": Person.objects.filter(unit_id=p.unit_id, is_active=True),
            "units": Unit.objects.filter(is_active=True).order_by("code"),
            **_objection_due(p),
            "error": error,
            "now": timezone.now(),
        },
        status=status,
    )


def _objection_due(p: Any) -> dict[str, Any]:
    """The objection deadline for the page; a year the calendar does not know is said on
    the page (the refusal naming the year), not a 500 and not a guessed date."""
    from envgrid.core.calendar import UnknownCalendarYear

    try:
        due = petition_services.objection_deadline_detail(p)
    except UnknownCalendarYear as exc:
        return {
            "objection_due": None,
            "objection_due_detail": None,
            "objection_refused": exc.message,
        }
    return {"objection_due": due.at, "objection_due_detail": due, "objection_refused": ""}


def _steps(obj: Any, user: Any) -> set[str]:
    """The steps `user` may take on `obj` now; cascades (no `who`) are no one's button."""
    return {t.action for t in actions_available(obj, user) if t.who}


def _int(value: Any) -> int:
    return maybe_id(value) or 0


@login_required
@require_GET
def petition_photo(request: HttpRequest, pk: int) -> FileResponse:
    photo = PetitionPhoto.objects.filter(pk=pk).select_related("petition").first()
    if photo is None or not petition_policy.can_view(request.user, photo.petition):
        raise ApplicationError(_("未找到。"), code="not_found", status=404)
    resp = FileResponse(photo.file.open("rb"), content_type=photo.mime)
    resp["Cache-Control"] = "private, no-store"
    return resp


# --------------------------------------------------------------------------- hazards


def _hazard_units(request: HttpRequest) -> Any:
    actor = actor_for(request.user)
    if actor.is_admin:
        return Unit.objects.filter(is_active=True)
    return Unit.objects.filter(pk__in=visible_units(request.user), is_active=True)


@login_required
@require_http_methods(["GET", "POST"])
def hazards(request: HttpRequest) -> HttpResponse:
    g = request.GET
    qs = hazard_list(user=request.user, status=g.get("status", ""), level=g.get("level", ""))
    if g.get("format") == "xlsx":
        return xlsx_response(
            "环境安全隐患",
            [
                "地点",
                "经度",
                "纬度",
                "网格",
                "类型",
                "等级",
                "防控措施",
                "状态",
                "责任单位",
                "发现日期",
                "整改期限",
            ],
            (
                [
                    h.place,
                    h.lon,
                    h.lat,
                    h.grid.name if h.grid else "",
                    h.get_kind_display(),
                    h.get_level_display(),
                    h.measures,
                    h.get_status_display(),
                    h.responsible_unit.name,
                    h.found_on,
                    h.rectify_due,
                ]
                for h in qs
            ),
        )
    form = HazardForm(units=_hazard_units(request), initial={"found_on": timezone.localdate()})
    status = 200
    error = None
    if request.method == "POST":
        form = HazardForm(request.POST, units=_hazard_units(request))
        if form.is_valid():
            try:
                h = services.hazard_create(actor=request.user, data=form.cleaned_data)
            except ApplicationError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(request, _("已登记隐患。"))
                return redirect("disclosure:hazard_detail", pk=h.pk)
        else:
            status, error = 400, _("请检查标出的项目。")
    items = list(qs)
    published = hazard_published_state(items)
    return render(
        request,
        "disclosure/staff/hazards.html",
        {
            "rows": [(h, published.get(h.pk)) for h in items],
            "form": form,
            "error": error,
            "statuses": HazardStatus.choices,
            "levels": HazardLevel.choices,
            "f": {k: g.get(k, "") for k in ("status", "level")},
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def hazard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    h: Hazard = hazard_policy.get_visible(request.user, pk)
    status = 200
    error = None
    initial = {f: getattr(h, f) for f in HazardForm.base_fields}
    form = HazardForm(initial=initial, units=_hazard_units(request))
    if request.method == "POST":
        if request.POST.get("action") == "publish":
            try:
                hazard_policy.require_change(request.user, h)
                pub = services.publication_draft_hazard(actor=request.user, hazard=h)
            except ApplicationError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(request, _("已生成公开草稿，待办公室审核发布。"))
                return redirect("disclosure:publication_detail", pk=pub.pk)
        else:
            form = HazardForm(request.POST, units=_hazard_units(request))
            if form.is_valid():
                try:
                    services.hazard_update(actor=request.user, hazard=h, data=form.cleaned_data)
                except ApplicationError as exc:
                    error, status = exc.message, exc.status
                else:
                    messages.success(request, _("已保存。"))
                    return redirect("disclosure:hazard_detail", pk=h.pk)
            else:
                status, error = 400, _("请检查标出的项目。")
    return render(
        request,
        "disclosure/staff/hazard.html",
        {
            "h": h,
            "form": form,
            "error": error,
            "published": hazard_published_state([h]).get(h.pk),
            "can_change": hazard_policy.can_change(request.user, h),
        },
        status=status,
    )


# --------------------------------------------------------------------------- emissions


@login_required
@require_http_methods(["GET", "POST"])
def emissions(request: HttpRequest) -> HttpResponse:
    g = request.GET
    if g.get("format") == "xlsx":
        batch_ids = list(batch_list(user=request.user).values_list("pk", flat=True))
        records = EmissionRecord.objects.filter(batch_id__in=batch_ids).select_related("batch")
        return xlsx_response(
            "排放数据",
            [
                "批次",
                "监管对象",
                "污染物",
                "指标类型",
                "数值",
                "计量单位",
                "限值",
                "超标",
                "期间起",
                "期间止",
                "排放口",
            ],
            (
                [
                    r.batch.title,
                    r.entity_name,
                    r.pollutant,
                    r.get_measure_display(),
                    float(r.value),
                    r.unit_label,
                    float(r.limit) if r.limit is not None else "",
                    "是" if r.exceeded else "否",
                    r.period_start,
                    r.period_end,
                    r.outlet,
                ]
                for r in records
            ),
        )
    if g.get("format") == "template":
        return xlsx_response("排放数据导入模板", TEMPLATE_HEADERS, [])
    form = EmissionImportForm()
    row_errors: list[dict] = []
    error = None
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "draft":
            batch = emission_batch_policy.get_visible(request.user, _int(request.POST.get("batch")))
            try:
                pub = services.publication_draft_emissions(actor=request.user, batch=batch)
            except ApplicationError as exc:
                error, status = exc.message, exc.status
            else:
                return redirect("disclosure:publication_detail", pk=pub.pk)
        else:
            form = EmissionImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    if upload.size > 10 * 1024 * 1024:
                        raise ApplicationError(_("文件超过 10 MB。"), code="too_large", status=413)
                    batch = services.emission_import(
                        actor=request.user,
                        unit=_own_unit(request),
                        title=form.cleaned_data["title"],
                        file_name=upload.name,
                        content=upload.read(),
                    )
                except ApplicationError as exc:
                    error, status = exc.message, exc.status
                    row_errors = exc.fields.get("rows", [])
                else:
                    messages.success(
                        request,
                        _("已导入 %(n)s 条记录，其中超标 %(x)s 条。")
                        % {"n": batch.row_count, "x": batch.exceedance_count},
                    )
                    return redirect("disclosure:emissions_manage")
            else:
                status, error = 400, _("请填写批次名称并选择文件。")
    return render(
        request,
        "disclosure/staff/emissions.html",
        {
            "batches": batch_list(user=request.user),
            "form": form,
            "error": error,
            "row_errors": row_errors,
        },
        status=status,
    )


def xlsx_template_bytes() -> bytes:
    return xlsx_bytes(TEMPLATE_HEADERS, [])
