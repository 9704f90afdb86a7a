"""Open data: GeoJSON for grids and hazards; CSV and JSON for emissions and petition
statistics. Everything here comes from published items or aggregate counts."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from envgrid.core.textsafe import safe_cell

from .selectors import petition_stats, public_division, public_emissions, public_hazards

EMISSION_FIELDS = [
    ("entity", "监管对象"),
    ("pollutant", "污染物"),
    ("measure", "指标类型"),
    ("value", "数值"),
    ("unit", "计量单位"),
    ("limit", "限值"),
    ("exceeded", "是否超标"),
    ("period_start", "期间起"),
    ("period_end", "期间止"),
    ("outlet", "排放口"),
    ("published_at", "发布时间"),
]


def _json(data: Any, filename: str = "") -> JsonResponse:
    resp = JsonResponse(data, safe=False, json_dumps_params={"ensure_ascii": False})
    resp["Access-Control-Allow-Origin"] = "*"
    if filename:
        resp["Content-Disposition"] = f'inline; filename="{filename}"'
    return resp


def _csv(filename: str, headers: list[str], rows: list[list[Any]]) -> HttpResponse:
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel opens UTF-8 CSV correctly with a BOM
    w = csv.writer(buf)
    # Formula-looking text is neutralised and control characters removed (issue 16).
    w.writerow([safe_cell(h) for h in headers])
    w.writerows([safe_cell(v) for v in row] for row in rows)
    resp = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp["Access-Control-Allow-Origin"] = "*"
    return resp


@require_GET
def grids_geojson(request: HttpRequest) -> HttpResponse:
    resp = _json(public_division(), "grids.geojson")
    resp["Content-Type"] = "application/geo+json"
    return resp


@require_GET
def hazards_geojson(request: HttpRequest) -> HttpResponse:
    features = []
    for h in public_hazards():
        props = {k: v for k, v in h.items() if k not in ("lon", "lat", "published_at")}
        props["published_at"] = timezone.localtime(h["published_at"]).isoformat(timespec="seconds")
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [h["lon"], h["lat"]]},
                "properties": props,
            }
        )
    resp = _json({"type": "FeatureCollection", "features": features}, "hazards.geojson")
    resp["Content-Type"] = "application/geo+json"
    return resp


def _emission_rows(request: HttpRequest) -> list[dict[str, Any]]:
    g = request.GET
    qs = public_emissions(
        entity=g.get("entity", "")[:100],
        pollutant=g.get("pollutant", "")[:100],
        exceeded=g.get("exceeded", ""),
    )
    return [
        {
            "entity": r.entity_name,
            "pollutant": r.pollutant,
            "measure": r.measure,
            "value": float(r.value),
            "unit": r.unit_label,
            "limit": float(r.limit) if r.limit is not None else None,
            "exceeded": r.exceeded,
            "period_start": r.period_start.isoformat(),
            "period_end": r.period_end.isoformat(),
            "outlet": r.outlet,
            "published_at": timezone.localtime(r.batch.publication.published_at).isoformat(
                timespec="seconds"
            ),
        }
        for r in qs
    ]


@require_GET
def emissions_json(request: HttpRequest) -> HttpResponse:
    return _json(_emission_rows(request))


@require_GET
def emissions_csv(request: HttpRequest) -> HttpResponse:
    rows = _emission_rows(request)
    return _csv(
        "emissions.csv",
        [k for k, _label in EMISSION_FIELDS],
        [[r[k] for k, _label in EMISSION_FIELDS] for r in rows],
    )


@require_GET
def petition_stats_json(request: HttpRequest) -> HttpResponse:
    return _json(petition_stats())


@require_GET
def petition_stats_csv(request: HttpRequest) -> HttpResponse:
    stats = petition_stats()
    cols = [
        "category",
        "category_label",
        "received",
        "unscreened",
        "accepted",
        "in_progress",
        "concluded",
        "declined",
    ]
    rows = [[c[k] for k in cols] for c in stats["categories"]]
    # Counted apart from the categories: a row each, so the file adds up to `submitted`.
    for key in ("linked_duplicates", "spam", "out_of_area"):
        rows.append([key, key, stats[key], "", "", "", "", ""])
    return _csv("petition-stats.csv", cols, rows)
