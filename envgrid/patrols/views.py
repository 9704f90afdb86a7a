"""Field pages for patrols (they work on a phone): the list, one patrol with its checks,
photos and a small map of the track, and coverage by grid."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from envgrid.core.errors import ApplicationError, NotFoundError
from envgrid.core.exports import xlsx_response
from envgrid.core.params import maybe_id
from envgrid.core.workflow import actions_available
from envgrid.entities.models import EntityCategory, SupervisedEntity
from envgrid.grids.policies import grid_policy
from envgrid.org.models import Person
from envgrid.org.selectors import actor_for

from . import services
from .models import CheckResult, PatrolCheck, PatrolPhoto, PatrolStatus
from .policies import can_set_plan, patrol_policy
from .selectors import coverage_for_user, patrol_get, patrol_list, plan_rows, track_geojson


def _get(request: HttpRequest, pk: int) -> Any:
    try:
        return patrol_get(user=request.user, pk=pk)
    except NotFoundError:
        raise Http404 from None


def _run(request: HttpRequest, fn: Callable[[], Any], ok: str) -> Any:
    try:
        result = fn()
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, ok)
    return result


@login_required
def patrol_list_view(request: HttpRequest) -> HttpResponse:
    qs = patrol_list(user=request.user)
    status = request.GET.get("status", "")
    if status in PatrolStatus.values:
        qs = qs.filter(status=status)
    if request.GET.get("format") == "xlsx":
        rows = [
            (
                p.pk,
                p.staff.name,
                p.grid.name,
                p.get_status_display(),
                timezone.localtime(p.started_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(p.ended_at).strftime("%Y-%m-%d %H:%M") if p.ended_at else "",
                p.checks.count(),
                p.checks.filter(result=CheckResult.FINDING).count(),
                p.point_count,
                round(p.outside_seconds / 60),
            )
            for p in qs
        ]
        headers = [
            _("编号"),
            _("巡查人员"),
            _("责任网格"),
            _("状态"),
            _("开始时间"),
            _("结束时间"),
            _("检查数"),
            _("发现问题数"),
            _("轨迹点数"),
            _("网格外时长（分钟）"),
        ]
        return xlsx_response("patrols.xlsx", headers, rows, title=_("巡查记录"))
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    person = actor_for(request.user).person
    can_start = person is not None and bool(services.staff_grids(person))
    return render(
        request,
        "patrols/list.html",
        {
            "page": page,
            "status": status,
            "statuses": PatrolStatus.choices,
            "can_start": can_start,
        },
    )


@login_required
@require_POST
def patrol_start_view(request: HttpRequest) -> HttpResponse:
    patrol = _run(
        request, lambda: services.patrol_start(actor=request.user), _("巡查已开始（或已恢复）。")
    )
    return redirect("patrols:detail", pk=patrol.pk) if patrol else redirect("patrols:list")


@login_required
def patrol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patrol = _get(request, pk)
    can_change = patrol_policy.can_change(request.user, patrol)
    checks = list(patrol.checks.select_related("entity", "case").prefetch_related("photos").all())
    entities = (
        SupervisedEntity.objects.filter(grid__path__startswith=patrol.grid.path).order_by(
            "category", "name"
        )
        if can_change
        else []
    )
    return render(
        request,
        "patrols/detail.html",
        {
            "patrol": patrol,
            "checks": checks,
            "findings": sum(1 for c in checks if c.result == CheckResult.FINDING),
            "photos": patrol.photos.filter(check_item__isnull=True),
            "can_change": can_change,
            # The step buttons come from the workflow table and its policy (core.workflow).
            "steps": {t.action for t in actions_available(patrol, request.user) if t.who},
            "entities": entities,
            "results": CheckResult.choices,
            "track": json.dumps(track_geojson(patrol)),
            "outside_minutes": round(patrol.outside_seconds / 60),
        },
    )


@login_required
@require_POST
def patrol_action(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    patrol = _get(request, pk)
    user = request.user
    if what == "check":
        entity = SupervisedEntity.objects.filter(
            pk=maybe_id(request.POST.get("entity")) or 0
        ).first()
        if entity is None:
            messages.error(request, _("请选择监管对象。"))
        else:
            check = _run(
                request,
                lambda: services.check_record(
                    actor=user,
                    patrol=patrol,
                    entity=entity,
                    result=request.POST.get("result", ""),
                    notes=request.POST.get("notes", ""),
                ),
                _("检查已记录。"),
            )
            if check is not None and request.FILES.get("photo"):
                _run(
                    request,
                    lambda: services.photo_attach(
                        actor=user, patrol=patrol, upload=request.FILES["photo"], check=check
                    ),
                    _("照片已上传。"),
                )
    elif what == "track":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请上传轨迹文件。"))
        else:
            _run(
                request,
                lambda: services.track_add(
                    actor=user, patrol=patrol, data=upload.read(), name=upload.name or ""
                ),
                _("轨迹已合并。"),
            )
    elif what == "finish":
        _run(
            request,
            lambda: services.patrol_finish(
                actor=user, patrol=patrol, notes=request.POST.get("notes") or None
            ),
            _("巡查已结束。"),
        )
    elif what == "case":
        check = PatrolCheck.objects.filter(
            pk=maybe_id(request.POST.get("check")) or 0, patrol=patrol
        ).first()
        if check is None:
            raise Http404
        case = _run(
            request, lambda: services.check_to_case(actor=user, check=check), _("已登记为案件。")
        )
        if case is not None:
            return redirect(case.get_absolute_url())
    else:
        raise Http404
    return redirect("patrols:detail", pk=patrol.pk)


@login_required
def photo_view(request: HttpRequest, pk: int) -> FileResponse:
    photo = PatrolPhoto.objects.filter(pk=pk).first()
    if photo is None or not patrol_policy.can_view(request.user, photo.patrol):
        raise Http404
    response = FileResponse(default_storage.open(photo.path, "rb"), content_type=photo.mime)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def coverage_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        start_day = dt.date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start_day = today - dt.timedelta(days=28)
    try:
        end_day = dt.date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        end_day = today
    if end_day <= start_day:
        end_day = start_day + dt.timedelta(days=1)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(start_day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(end_day, dt.time.min, tzinfo=tz)
    rows = coverage_for_user(user=request.user, start=start, end=end)
    if request.GET.get("format") == "xlsx":
        data = [
            (
                gc.grid.code,
                gc.grid.name,
                e.entity.name,
                e.entity.get_category_display(),
                e.every_days,
                e.windows_due,
                e.windows_done,
                _("是") if e.met else _("否"),
                e.checks,
                e.findings,
                e.outside,
            )
            for gc in rows
            for e in gc.entities
        ]
        headers = [
            _("网格编码"),
            _("网格"),
            _("监管对象"),
            _("类别"),
            _("频次（天）"),
            _("应查次数"),
            _("已查次数"),
            _("计划是否完成"),
            _("检查数"),
            _("发现问题数"),
            _("网格外检查"),
        ]
        return xlsx_response("patrol-coverage.xlsx", headers, data, title=_("巡查覆盖"))
    return render(
        request,
        "patrols/coverage.html",
        {"rows": rows, "start": start_day, "end": end_day},
    )


@login_required
def plan_list_view(request: HttpRequest) -> HttpResponse:
    """The patrol plans of the grids the user sees (by default those with entities)."""
    qs = grid_policy.scope(request.user).select_related("owner_unit").order_by("code")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(code__startswith=q)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "patrols/plans.html",
        {
            "page": page,
            "rows": [
                (
                    r,
                    [
                        (label, r.every_days.get(c), c in r.own)
                        for c, label in EntityCategory.choices
                    ],
                )
                for r in plan_rows(user=request.user, grids=page.object_list)
            ],
            "categories": EntityCategory.choices,
            "q": q,
        },
    )


@login_required
def plan_edit_view(request: HttpRequest, grid_pk: int) -> HttpResponse:
    grid = grid_policy.scope(request.user).filter(pk=grid_pk).first()
    if grid is None:
        raise Http404
    if not can_set_plan(request.user, grid):
        raise PermissionDenied
    candidates = services.plan_staff_candidates(grid)
    [row] = plan_rows(user=request.user, grids=[grid])
    status = 200
    errors: dict[str, Any] = {}
    values = {cat: str(row.own.get(cat, "")) for cat, _label in EntityCategory.choices}
    chosen = {p.pk for p in row.staff}
    notes = row.plan.notes if row.plan else ""
    if request.method == "POST":
        values = {cat: request.POST.get(f"every_{cat}", "").strip() for cat in values}
        notes = request.POST.get("notes", "")
        ids = [i for v in request.POST.getlist("staff") if (i := maybe_id(v)) is not None]
        chosen = set(ids)
        try:
            services.plan_set(
                actor=request.user,
                grid=grid,
                staff=list(Person.objects.filter(pk__in=ids)),
                every_days=values,
                notes=notes,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            errors = exc.fields or {}
            status = exc.status
        else:
            messages.success(request, _("巡查计划已保存。"))
            return redirect("patrols:plans")
    return render(
        request,
        "patrols/plan_form.html",
        {
            "grid": grid,
            "row": row,
            "candidates": candidates,
            "chosen": chosen,
            "fields": [
                (cat, label, values.get(cat, ""), row.every_days.get(cat), errors.get(cat))
                for cat, label in EntityCategory.choices
            ],
            "staff_errors": errors.get("staff"),
            "notes": notes,
        },
        status=status,
    )
