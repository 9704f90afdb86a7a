"""Geometry helpers for grid boundaries: parse and check GeoJSON, areas in square metres,
containment with a tolerance (G1)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

# A child may stick out of its parent by this much (digitising noise), and siblings may
# overlap by this area, before the tree is refused (G1).
CONTAINMENT_TOLERANCE_M = 1.0
OVERLAP_TOLERANCE_M2 = 1.0

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQ = 111_320.0


@dataclass(frozen=True)
class GeometryProblem:
    code: str
    message: str


def parse_boundary(geojson: Any) -> tuple[BaseGeometry | None, GeometryProblem | None]:
    """A shapely geometry from a GeoJSON geometry, or the reason it cannot be a boundary."""
    if not isinstance(geojson, dict) or "type" not in geojson:
        return None, GeometryProblem("geometry_missing", "缺少几何图形（geometry）")
    if geojson.get("type") not in ("Polygon", "MultiPolygon"):
        return None, GeometryProblem(
            "geometry_type",
            f"几何类型须为 Polygon 或 MultiPolygon，实际为 {geojson.get('type')}",
        )
    try:
        geom = shape(geojson)
    except Exception as exc:  # malformed coordinate arrays of every kind
        return None, GeometryProblem("geometry_malformed", f"坐标格式错误：{exc}")
    if geom.is_empty:
        return None, GeometryProblem("geometry_empty", "几何图形为空")
    coords = shapely.get_coordinates(geom)
    if not len(coords) or not bool(
        ((coords[:, 0] >= -180) & (coords[:, 0] <= 180) & (abs(coords[:, 1]) <= 90)).all()
    ):
        return None, GeometryProblem(
            "coordinates_out_of_range", "坐标超出经纬度范围（经度 ±180，纬度 ±90）"
        )
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        code = "self_intersection" if "Self-intersection" in reason else "geometry_invalid"
        label = "边界自相交" if code == "self_intersection" else "几何图形无效"
        return None, GeometryProblem(code, f"{label}：{reason}")
    if geom.area <= 0:
        return None, GeometryProblem("geometry_empty", "几何图形面积为零")
    return geom, None


def to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """GeoJSON dict with lists (not tuples), as a JSONField gives it back."""

    def lists(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [lists(v) for v in value]
        return value

    data = mapping(geom)
    return {"type": data["type"], "coordinates": lists(data["coordinates"])}


def m2_per_deg2(lat: float) -> float:
    return _M_PER_DEG_LAT * _M_PER_DEG_LON_EQ * math.cos(math.radians(lat))


def area_m2(geom: BaseGeometry) -> float:
    """Area in square metres (local equirectangular scale: fine at grid sizes)."""
    if geom.is_empty:
        return 0.0
    return float(geom.area * m2_per_deg2(geom.centroid.y))


def tolerance_deg(lat: float, metres: float = CONTAINMENT_TOLERANCE_M) -> float:
    """Degrees that are at least `metres` in both directions at this latitude."""
    return metres / (_M_PER_DEG_LON_EQ * max(0.01, math.cos(math.radians(lat))))


def outside_area_m2(child: BaseGeometry, parent: BaseGeometry) -> float:
    """Area of `child` not covered by `parent` grown by the containment tolerance."""
    grown = parent.buffer(tolerance_deg(parent.centroid.y), quad_segs=2)
    if grown.covers(child):
        return 0.0
    return area_m2(child.difference(grown))


def overlap_area_m2(a: BaseGeometry, b: BaseGeometry) -> float:
    if not a.intersects(b):
        return 0.0
    return area_m2(a.intersection(b))


def bbox(geom: BaseGeometry) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = geom.bounds
    return float(minx), float(miny), float(maxx), float(maxy)
