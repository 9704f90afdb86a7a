"""Staff pages for supervised entities: filtered list with .xlsx export, detail with its
grid chain and history, create/edit with a stated coordinate system, .xlsx import with a
polled progress page."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from envgrid.core.errors import ApplicationError
from envgrid.core.exports import XLSX_MIME, xlsx_response
from envgrid.grids.coords import CRS_CHOICES
from envgrid.grids.models import GridHistory
from envgrid.grids.selectors import grid_list

from . import services
from .models import EntityCategory, EntityImportJob, EntityStatus
from .policies import entity_policy
from .selectors import entity_get, entity_list

FILTER_KEYS = ("q", "grid", "category", "status", "industry", "outside")


@login_required
def entity_list_view(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k, "") for k in FILTER_KEYS}
    qs = entity_list(user=request.user, filters=filters)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("监管对象"),
            [
                _("名称"),
                _("统一社会信用代码"),
                _("地址"),
                _("经度"),
                _("纬度"),
                _("类别"),
                _("行业"),
                _("状态"),
                _("网格编码"),
                _("所属网格"),
            ],
            (
                [
                    e.name,
                    e.uscc,
                    e.address,
                    round(e.lon, 7),
                    round(e.lat, 7),
                    e.get_category_display(),
                    e.industry,
                    e.get_status_display(),
                    e.grid.code if e.grid else "",
                    e.grid.name if e.grid else _("网格外"),
                ]
                for e in qs.iterator()
            ),
        )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    grids = grid_list(user=request.user).filter(is_active=True).order_by("level", "code")
    return render(
        request,
        "entities/list.html",
        {
            "page": page,
            "filters": filters,
            "grids": grids,
            "categories": EntityCategory.choices,
            "statuses": EntityStatus.choices,
            "can_create": entity_policy.can_create(request.user),
        },
    )


@login_required
def entity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entity = entity_get(user=request.user, pk=pk)
    chain: list[Any] = []
    if entity.grid_id:
        ids = entity.grid.path_ids() if entity.grid else []
        by_id = {g.pk: g for g in grid_list(user=request.user).filter(pk__in=ids)}
        chain = [by_id[i] for i in ids if i in by_id]
    history = (
        GridHistory.objects.filter(entity_id=entity.pk)
        .select_related("grid")
        .order_by("-at", "-id")
    )
    return render(
        request,
        "entities/detail.html",
        {
            "entity": entity,
            "chain": chain,
            "history": history,
            "can_change": entity_policy.can_change(request.user, entity),
            "point_json": json.dumps(
                {
                    "type": "Feature",
                    "properties": {"name": entity.name},
                    "geometry": {"type": "Point", "coordinates": [entity.lon, entity.lat]},
                }
            ),
            "grid_json": json.dumps(
                {"type": "Feature", "properties": {}, "geometry": entity.grid.boundary}
                if entity.grid
                else None
            ),
            "tile_url": settings.ENVGRID_TILE_URL,
            "tile_attribution": settings.ENVGRID_TILE_ATTRIBUTION,
        },
    )


def _form_context(
    data: dict[str, Any], errors: dict[str, Any], entity: Any = None
) -> dict[str, Any]:
    return {
        "data": data,
        "errors": errors,
        "entity": entity,
        "categories": EntityCategory.choices,
        "statuses": EntityStatus.choices,
        "crs_choices": CRS_CHOICES,
    }


_FORM_FIELDS = ("name", "uscc", "address", "lon", "lat", "crs", "category", "industry", "status")


@login_required
def entity_create_view(request: HttpRequest) -> HttpResponse:
    data: dict[str, Any] = {"crs": "wgs84"}
    errors: dict[str, Any] = {}
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in _FORM_FIELDS}
        try:
            entity = services.entity_create(actor=request.user, **data)
        except ApplicationError as exc:
            errors = exc.fields
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("已登记，所属网格：%s") % (entity.grid.name if entity.grid else "—")
            )
            return redirect("entities:detail", pk=entity.pk)
    return render(request, "entities/form.html", _form_context(data, errors))


@login_required
def entity_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    entity = entity_get(user=request.user, pk=pk)
    data: dict[str, Any] = {
        "name": entity.name,
        "uscc": entity.uscc,
        "address": entity.address,
        "lon": entity.input_lon if entity.input_lon is not None else entity.lon,
        "lat": entity.input_lat if entity.input_lat is not None else entity.lat,
        "crs": entity.input_crs,
        "category": entity.category,
        "industry": entity.industry,
        "status": entity.status,
    }
    errors: dict[str, Any] = {}
    if request.method == "POST":
        posted = {k: request.POST.get(k, "") for k in _FORM_FIELDS}
        changes = {k: v for k, v in posted.items() if str(v) != str(data.get(k, ""))}
        if {"lon", "lat", "crs"} & set(changes):
            changes.update(lon=posted["lon"], lat=posted["lat"], crs=posted["crs"])
        try:
            services.entity_update(actor=request.user, entity=entity, **changes)
        except ApplicationError as exc:
            errors = exc.fields
            data = posted
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已保存。"))
            return redirect("entities:detail", pk=entity.pk)
    return render(request, "entities/form.html", _form_context(data, errors, entity))


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ApplicationError(_("请选择 .xlsx 文件。"), code="invalid")
            job = services.import_job_create(
                actor=request.user,
                filename=upload.name or "upload.xlsx",
                content=upload.read(),
                default_crs=request.POST.get("crs", "wgs84"),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            services.import_job_start(job)
            return redirect("entities:import_job", pk=job.pk)
    jobs = EntityImportJob.objects.defer("content").filter(created_by_id=request.user.pk)[:10]
    return render(
        request,
        "entities/import.html",
        {
            "jobs": jobs,
            "crs_choices": CRS_CHOICES,
            "can_create": entity_policy.can_create(request.user),
        },
    )


def _job_for(request: HttpRequest, pk: int) -> EntityImportJob:
    qs = EntityImportJob.objects.defer("content")
    if not request.user.is_superuser:
        qs = qs.filter(created_by_id=request.user.pk)
    return get_object_or_404(qs, pk=pk)


@login_required
def import_job_view(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "entities/import_job.html", {"job": _job_for(request, pk)})


@login_required
def import_job_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405)
    job = _job_for(request, pk)
    try:
        services.import_job_retry(actor=request.user, job=job)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已重新排队。"))
    return redirect("entities:import_job", pk=job.pk)


@login_required
def import_job_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405)
    job = _job_for(request, pk)
    try:
        services.import_job_cancel(actor=request.user, job=job)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已取消。"))
    return redirect("entities:import_job", pk=job.pk)


@login_required
def import_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = _job_for(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "total": job.total_rows,
            "processed": job.processed_rows,
            "written": job.written_rows,
            "attempts": job.attempts,
            "percent": job.percent,
            "finished": job.finished,
            "created": job.created_count,
            "message": job.message,
            "errors": job.errors[:500],
            "error_count": len(job.errors),
        }
    )


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(services.import_template_bytes(), content_type=XLSX_MIME)
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E7%9B%91%E7%AE%A1%E5%AF%B9%E8%B1%A1%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response
