"""The overview page (工作总览) and its drill-down: figures by metric, month, unit and
grid, a map shaded by open and overdue items, and .xlsx exports of both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.exports import xlsx_response
from envgrid.core.params import maybe_id, maybe_int, query_int
from envgrid.grids.models import Grid
from envgrid.org.selectors import unit_list

from .charts import month_bars, shade
from .dashboard import (
    DashboardScope,
    Overview,
    Period,
    dashboard_scope,
    default_period,
    distinct_rows,
    metric_rows,
    overview,
    scope_grids,
)
from .exports import workbook_response
from .metrics import Metric, metric_get

STATES = ("open", "overdue")


# --------------------------------------------------------------------------- parameters


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def parse_period(params: Any) -> Period:
    """?year=2026, or ?from=…&to=… (ISO dates); default the current year."""
    y = query_int(params, "year", lo=2000, hi=2100)
    if y is not None:
        return Period(dt.date(y, 1, 1), dt.date(y, 12, 31))
    start, end = _date(params.get("from")), _date(params.get("to"))
    if start and end and start <= end:
        return Period(start, end)
    return default_period()


def parse_month(raw: str | None) -> dt.date | None:
    try:
        year, month = (raw or "").split("-")
        return dt.date(int(year), int(month), 1)
    except ValueError:
        return None


def base_params(scope: DashboardScope, period: Period) -> dict[str, str]:
    params = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    if scope.kind == "group" and scope.group is not None:
        params["group"] = str(scope.group.pk)
    return params


def drill_url(metric: Metric, params: dict[str, str], **extra: Any) -> str:
    query = {**params, **{k: str(v) for k, v in extra.items() if v is not None}}
    return reverse("reporting:drill", args=[metric.key]) + "?" + urlencode(query)


# --------------------------------------------------------------------------- overview


def _month_href(metric: Metric, params: dict[str, str]) -> Callable[[dt.date], str]:
    return lambda month: drill_url(metric, params, month=f"{month:%Y-%m}")


def _tiles(ov: Overview, params: dict[str, str]) -> list[dict[str, Any]]:
    tiles = []
    for m in ov.metrics:
        t = ov.totals[m.key]
        tiles.append(
            {
                "metric": m,
                "total": t["total"],
                "open": t["open"],
                "overdue": t["overdue"],
                "url": drill_url(m, params),
                "open_url": drill_url(m, params, state="open"),
                "overdue_url": drill_url(m, params, state="overdue"),
                "chart": month_bars(
                    ov.months,
                    ov.by_month[m.key],
                    href=_month_href(m, params),
                    title=_("%(label)s按月趋势") % {"label": m.label},
                ),
                "list_url": _safe_reverse(m.list_url),
                "month_cells": [
                    {
                        "n": ov.by_month[m.key].get(month, 0),
                        "url": drill_url(m, params, month=f"{month:%Y-%m}"),
                    }
                    for month in ov.months
                ],
            }
        )
    return tiles


def _safe_reverse(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _unit_rows(ov: Overview, params: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for u in ov.units:
        cells = []
        for m in ov.metrics:
            n = ov.by_unit[m.key].get(u["id"], 0)
            cells.append({"n": n, "url": drill_url(m, params, unit=u["id"])})
        if any(c["n"] for c in cells) or ov.scope.kind != "all":
            rows.append({"unit": u, "cells": cells})
    return rows


def _grid_rows(ov: Overview, params: dict[str, str]) -> tuple[list[Metric], list[dict[str, Any]]]:
    grid_metrics = [m for m in ov.metrics if m.grid_field]
    peak = max([g["overdue"] for g in ov.grids] + [0])
    peak_open = max([g["open"] for g in ov.grids] + [0])
    rows = []
    for g in ov.grids:
        cells = [
            {"n": g["figures"][m.key]["n"], "url": drill_url(m, params, grid=g["id"])}
            for m in grid_metrics
        ]
        rows.append(
            {
                "grid": g,
                "cells": cells,
                "open": g["open"],
                "overdue": g["overdue"],
                "color": shade(g["overdue"], peak)
                if g["overdue"]
                else shade(g["open"], peak_open, hue="amber"),
            }
        )
    return grid_metrics, rows


def _map_features(ov: Overview, params: dict[str, str]) -> dict[str, Any]:
    """GeoJSON of the level's grids, each with its figures and drill-down links."""
    boundaries = dict(
        Grid.objects.filter(pk__in=[g["id"] for g in ov.grids]).values_list("id", "boundary")
    )
    _metrics, rows = _grid_rows(ov, params)
    features = []
    for row in rows:
        g = row["grid"]
        lines = []
        for m in ov.metrics:
            if not m.grid_field:
                continue
            f = g["figures"][m.key]
            lines.append(
                {
                    "label": str(m.label),
                    "n": f["n"],
                    "open": f["open"],
                    "overdue": f["overdue"],
                    "url": drill_url(m, params, grid=g["id"]),
                    "overdue_url": drill_url(m, params, grid=g["id"], state="overdue"),
                }
            )
        features.append(
            {
                "type": "Feature",
                "geometry": boundaries.get(g["id"]),
                "properties": {
                    "name": g["name"],
                    "code": g["code"],
                    "owner": g["owner"],
                    "open": g["open"],
                    "overdue": g["overdue"],
                    "color": row["color"],
                    "lines": lines,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _export(ov: Overview) -> HttpResponse:
    months = ov.months
    grid_metrics = [m for m in ov.metrics if m.grid_field]
    sheets: list[Any] = [
        (
            _("总览"),
            [_("指标"), _("合计"), _("办理中"), _("逾期")],
            [
                [
                    str(m.label),
                    ov.totals[m.key]["total"],
                    ov.totals[m.key]["open"],
                    ov.totals[m.key]["overdue"],
                ]
                for m in ov.metrics
            ],
        ),
        (
            _("按月"),
            [_("月份"), *[str(m.label) for m in ov.metrics]],
            [
                [f"{mo:%Y-%m}", *[ov.by_month[m.key].get(mo, 0) for m in ov.metrics]]
                for mo in months
            ],
        ),
        (
            _("按单位"),
            [_("单位代码"), _("单位"), *[str(m.label) for m in ov.metrics]],
            [
                [u["code"], u["name"], *[ov.by_unit[m.key].get(u["id"], 0) for m in ov.metrics]]
                for u in ov.units
            ],
        ),
        (
            _("按网格"),
            [
                _("网格编码"),
                _("网格"),
                _("网格主体"),
                *[str(m.label) for m in grid_metrics],
                _("办理中合计"),
                _("逾期合计"),
            ],
            [
                [
                    g["code"],
                    g["name"],
                    g["owner"],
                    *[g["figures"][m.key]["n"] for m in grid_metrics],
                    g["open"],
                    g["overdue"],
                ]
                for g in ov.grids
            ],
        ),
    ]
    return workbook_response(_("工作总览"), sheets)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    scope = dashboard_scope(request.user, request.GET.get("group"))
    period = parse_period(request.GET)
    level = request.GET.get("level", "")
    ov = overview(scope, period=period, level=maybe_int(level, lo=0, hi=99))
    if request.GET.get("format") == "xlsx":
        return _export(ov)
    params = base_params(scope, period)
    grid_metrics, grid_rows = _grid_rows(ov, params)
    this_year = timezone.localdate().year
    return render(
        request,
        "reporting/dashboard.html",
        {
            "ov": ov,
            "scope": scope,
            "period": period,
            "tiles": _tiles(ov, params),
            "unit_rows": _unit_rows(ov, params),
            "grid_metrics": grid_metrics,
            "grid_rows": grid_rows,
            "map_data": _map_features(ov, params) if ov.grids else None,
            "years": range(this_year - 3, this_year + 1),
            "params": params,
            "tile_url": settings.ENVGRID_TILE_URL,
            "tab": "dashboard",
        },
    )


# --------------------------------------------------------------------------- drill-down


def _object_url(obj: Any) -> str:
    try:
        return obj.get_absolute_url()
    except (AttributeError, NoReverseMatch):
        return ""


@login_required
def drill(request: HttpRequest, key: str) -> HttpResponse:
    """The rows behind a figure: same metric, scope and filters as the figure itself."""
    metric = metric_get(key)
    if metric is None:
        raise Http404
    scope = dashboard_scope(request.user, request.GET.get("group"))
    period = parse_period(request.GET)
    unit_id = maybe_id(request.GET.get("unit"))
    month = parse_month(request.GET.get("month"))
    grid = None
    if (grid_id := maybe_id(request.GET.get("grid"))) is not None:
        grid = scope_grids(scope).filter(pk=grid_id).first()
        if grid is None:
            raise Http404
    state = request.GET.get("state") if request.GET.get("state") in STATES else None
    rows = distinct_rows(
        metric_rows(
            metric, scope, period=period, unit_id=unit_id, month=month, grid=grid, state=state
        )
    ).order_by(f"-{metric.date_field}", "-pk")
    columns = list(metric.columns) or []
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            str(metric.label),
            [str(c.label) for c in columns] or [_("名称")],
            ([c.value(obj) for c in columns] or [str(obj)] for obj in rows),
            title=str(metric.label),
        )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    table = [
        {"url": _object_url(obj), "values": [c.value(obj) for c in columns] or [str(obj)]}
        for obj in page.object_list
    ]
    return render(
        request,
        "reporting/drill.html",
        {
            "metric": metric,
            "scope": scope,
            "period": period,
            "page": page,
            "table": table,
            "columns": [c.label for c in columns] or [_("名称")],
            "unit": unit_list(user=request.user).filter(pk=unit_id).first() if unit_id else None,
            "month": month,
            "grid": grid,
            "state": state,
            "back": reverse("reporting:dashboard") + "?" + urlencode(base_params(scope, period)),
            "tab": "dashboard",
        },
    )
