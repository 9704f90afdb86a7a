"""Staff pages for grids: the tree beside a map, a grid's page (roster, duties, entities,
history), roster gaps, GeoJSON import/export, major adjustments."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from envgrid.core.errors import ApplicationError
from envgrid.core.exports import xlsx_response
from envgrid.core.params import maybe_id, maybe_int
from envgrid.org.models import Unit

from . import services
from .api import person_for_roster
from .coords import CRS_CHOICES
from .hooks import grid_entities
from .models import GridAssignment, GridRole
from .policies import grid_policy
from .selectors import (
    RESOLUTION_RULE,
    grid_export_geojson,
    grid_gaps,
    grid_get,
    grid_history,
    grid_list,
    grid_tree,
    major_adjustment_list,
    required_staff,
    roster,
    subtree,
)


def _flag(request: HttpRequest, name: str) -> bool:
    return request.POST.get(name) in ("1", "on", "true")


@login_required
def grid_map(request: HttpRequest) -> HttpResponse:
    grids = list(grid_list(user=request.user).filter(is_active=True).order_by("level", "code"))
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("网格清单"),
            [_("网格编码"), _("网格名称"), _("层级"), _("上级网格"), _("网格主体单位")],
            (
                [g.code, g.name, g.level, g.parent.code if g.parent else "", g.owner_unit.name]
                for g in grids
            ),
        )
    return render(
        request,
        "grids/map.html",
        {
            "tree": grid_tree(grids),
            "count": len(grids),
            "tile_url": settings.ENVGRID_TILE_URL,
            "tile_attribution": settings.ENVGRID_TILE_ATTRIBUTION,
            "crs_choices": CRS_CHOICES,
            "rule": RESOLUTION_RULE,
            "can_import": grid_policy.can_import(request.user),
        },
    )


@login_required
def grid_geojson(request: HttpRequest) -> JsonResponse:
    """The visible grids as GeoJSON for the map (properties for styling and popups)."""
    grids = grid_list(user=request.user).filter(is_active=True).order_by("level", "code")
    fc = grid_export_geojson(grids)
    ids = {g.code: g.pk for g in grids}
    for feature in fc["features"]:
        props = feature["properties"]
        props["id"] = ids[props["code"]]
        props["url"] = f"/grids/{props['id']}/"
    return JsonResponse(fc)


@login_required
def grid_export(request: HttpRequest) -> HttpResponse:
    grids = grid_list(user=request.user).filter(is_active=True)
    body = json.dumps(grid_export_geojson(grids), ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/geo+json; charset=utf-8")
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="grids-{stamp}.geojson"'
    return response


@login_required
def grid_detail(request: HttpRequest, pk: int) -> HttpResponse:
    grid = grid_get(user=request.user, pk=pk)
    current = list(roster(grid))
    by_role: dict[str, list[GridAssignment]] = {r.value: [] for r in GridRole}
    for a in current:
        by_role[a.role].append(a)
    min_staff = required_staff(grid)
    roles = [
        {
            "value": r.value,
            "label": r.label,
            "items": by_role[r.value],
            "gap": (not by_role[r.value] and r != GridRole.STAFF)
            or (r == GridRole.STAFF and len(by_role[r.value]) < min_staff),
        }
        for r in GridRole
    ]
    entity_count, entities = grid_entities(request.user, grid)
    history = Paginator(grid_history(grid), 30).get_page(request.GET.get("page"))
    can_roster = grid_policy.can_change_roster(request.user, grid)
    people: Any = []
    if can_roster:
        from envgrid.org.models import Person

        unit_ids = set(subtree(grid).values_list("owner_unit_id", flat=True)) | set(
            grid_list(user=request.user)
            .filter(pk__in=grid.path_ids())
            .values_list("owner_unit_id", flat=True)
        )
        people = (
            Person.objects.filter(unit_id__in=unit_ids, is_active=True)
            .select_related("unit")
            .order_by("unit__code", "name")
        )
    return render(
        request,
        "grids/detail.html",
        {
            "grid": grid,
            "chain": grid_list(user=request.user)
            .filter(pk__in=grid.ancestors_ids())
            .order_by("level"),
            "children": grid_list(user=request.user)
            .filter(parent=grid, is_active=True)
            .order_by("code"),
            "roles": roles,
            "role_choices": GridRole.choices,
            "min_staff": min_staff,
            "staff_count": len(by_role[GridRole.STAFF.value]),
            "entities": entities,
            "entity_count": entity_count,
            "history": history,
            "page": history,
            "can_roster": can_roster,
            "can_change": grid_policy.can_change(request.user, grid),
            "people": people,
            "units": Unit.objects.filter(is_active=True).order_by("code")
            if grid_policy.can_change(request.user, grid)
            else [],
            "boundary_json": json.dumps(
                {"type": "Feature", "properties": {"name": grid.name}, "geometry": grid.boundary}
            ),
            "tile_url": settings.ENVGRID_TILE_URL,
            "tile_attribution": settings.ENVGRID_TILE_ATTRIBUTION,
        },
    )


def _back(pk: int) -> HttpResponse:
    return redirect("grids:detail", pk=pk)


def _run(request: HttpRequest, fn: Any, ok: str) -> None:
    try:
        fn()
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, ok)


@login_required
@require_POST
def grid_assign(request: HttpRequest, pk: int) -> HttpResponse:
    grid = grid_get(user=request.user, pk=pk)

    def go() -> None:
        person = person_for_roster(request.user, grid, request.POST.get("person"))
        services.grid_assign(
            actor=request.user,
            grid=grid,
            role=request.POST.get("role", ""),
            person=person,
            duties=request.POST.get("duties", ""),
            major=_flag(request, "major"),
            summary=request.POST.get("summary", ""),
        )

    _run(request, go, _("已保存人员调整。"))
    return _back(pk)


@login_required
@require_POST
def assignment_end(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = (
        GridAssignment.objects.filter(pk=pk, grid__in=grid_list(user=request.user))
        .select_related("grid")
        .first()
    )
    if assignment is None:
        from envgrid.core.errors import NotFoundError

        raise NotFoundError(_("未找到，或无权查看。"))
    _run(
        request,
        lambda: services.grid_unassign(
            actor=request.user,
            assignment=assignment,
            reason=request.POST.get("reason", ""),
            major=_flag(request, "major"),
            summary=request.POST.get("summary", ""),
        ),
        _("已登记离任。"),
    )
    return _back(assignment.grid_id)


@login_required
@require_POST
def grid_edit(request: HttpRequest, pk: int) -> HttpResponse:
    grid = grid_get(user=request.user, pk=pk)
    data: dict[str, Any] = {}
    if "duties" in request.POST:
        data["duties"] = request.POST["duties"]
    if request.POST.get("min_staff", None) is not None:
        raw = request.POST["min_staff"].strip()
        data["min_staff"] = maybe_int(raw, lo=0, hi=32767)
    if "name" in request.POST:
        data["name"] = request.POST["name"]
    if request.POST.get("owner_unit"):
        data["owner_unit"] = Unit.objects.filter(
            pk=maybe_id(request.POST["owner_unit"]) or 0
        ).first()
    _run(
        request,
        lambda: services.grid_update(
            actor=request.user,
            grid=grid,
            major=_flag(request, "major"),
            summary=request.POST.get("summary", ""),
            **data,
        ),
        _("已保存。"),
    )
    return _back(pk)


@login_required
@require_POST
def grid_boundary(request: HttpRequest, pk: int) -> HttpResponse:
    grid = grid_get(user=request.user, pk=pk)
    upload = request.FILES.get("file")
    text = (
        upload.read().decode("utf-8-sig", "replace") if upload else request.POST.get("geometry", "")
    )

    def go() -> None:
        try:
            value = json.loads(text)
        except ValueError:
            raise ApplicationError(_("不是有效的 GeoJSON。"), code="invalid_json") from None
        if isinstance(value, dict) and value.get("type") == "Feature":
            value = value.get("geometry")
        elif isinstance(value, dict) and value.get("type") == "FeatureCollection":
            feats = value.get("features") or []
            value = feats[0].get("geometry") if len(feats) == 1 else None
        services.grid_set_boundary(
            actor=request.user,
            grid=grid,
            boundary=value,
            major=_flag(request, "major"),
            summary=request.POST.get("summary", ""),
        )

    _run(request, go, _("边界已调整，监管对象已重新归属。"))
    return _back(pk)


@login_required
def grid_gaps_view(request: HttpRequest) -> HttpResponse:
    gaps = grid_gaps(user=request.user)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("网格责任空缺"),
            [_("网格编码"), _("网格名称"), _("层级"), _("网格主体单位"), _("空缺情况")],
            (
                [
                    g.grid.code,
                    g.grid.name,
                    g.grid.level,
                    g.grid.owner_unit.name,
                    "；".join(g.describe()),
                ]
                for g in gaps
            ),
        )
    return render(request, "grids/gaps.html", {"gaps": gaps})


# G3: the systems a grid file may be in (CGCS2000 is stored as WGS84: same to < 1 m).
IMPORT_CRS_CHOICES = [
    ("", _lazy("按文件声明（未声明即 WGS84）")),
    ("wgs84", "WGS84"),
    ("cgcs2000", "CGCS2000"),
    ("gcj02", _lazy("GCJ-02（高德、腾讯地图）")),
    ("bd09", _lazy("BD-09（百度地图）")),
]


@login_required
def grid_import(request: HttpRequest) -> HttpResponse:
    errors: list[dict[str, Any]] = []
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ApplicationError(_("请选择 GeoJSON 文件。"), code="invalid")
            if _flag(request, "background"):
                from .jobs import grid_import_job_start

                job = grid_import_job_start(
                    actor=request.user,
                    data=upload.read(),
                    major=_flag(request, "major"),
                    summary=request.POST.get("summary", ""),
                    crs=request.POST.get("crs") or None,
                )
                return redirect("core:job", pk=job.pk)
            result = services.grid_import_geojson(
                actor=request.user,
                data=upload.read(),
                major=_flag(request, "major"),
                summary=request.POST.get("summary", ""),
                crs=request.POST.get("crs") or None,
            )
        except services.GridImportError as exc:
            errors = exc.errors
            messages.error(request, exc.message)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("导入完成：新增 %(c)d 个，更新 %(u)d 个，未变 %(n)d 个。")
                % {"c": len(result.created), "u": len(result.updated), "n": len(result.unchanged)},
            )
    return render(
        request,
        "grids/import.html",
        {
            "errors": errors,
            "result": result,
            "can_import": grid_policy.can_import(request.user),
            "crs_choices": IMPORT_CRS_CHOICES,
        },
    )


@login_required
def adjustments(request: HttpRequest) -> HttpResponse:
    qs = major_adjustment_list(user=request.user)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("重大调整"),
            [
                _("时间"),
                _("网格"),
                _("类型"),
                _("调整说明"),
                _("操作人"),
                _("上报时间"),
                _("公开时间"),
            ],
            (
                [
                    a.made_at,
                    a.grid.name,
                    a.get_kind_display(),
                    a.summary,
                    a.made_by.username if a.made_by else "",
                    a.reported_at,
                    a.disclosed_at,
                ]
                for a in qs
            ),
        )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "grids/adjustments.html", {"page": page})
