"""Synthetic grid boundaries: random Voronoi cells clipped to a parent, which gives
irregular, non-overlapping, exactly nested cells (used by the demo, tests and benchmarks).
Nothing here is real except what the caller passes in as the outline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

DATA_DIR = Path(__file__).resolve().parent / "data"


def zhanqian_outline() -> BaseGeometry:
    """The real outline of 站前区 (see data/README.md for source and licence)."""
    with open(DATA_DIR / "zhanqian.geojson", encoding="utf-8") as fh:
        fc = json.load(fh)
    return shape(fc["features"][0]["geometry"])


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and p.area > 0]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def random_points_inside(
    geom: BaseGeometry, n: int, rng: np.random.Generator, margin: float = 0.0
) -> np.ndarray:
    """n uniform random points inside `geom` (at least `margin` degrees from its edge)."""
    target = geom.buffer(-margin) if margin > 0 else geom
    if target.is_empty:
        target = geom
    minx, miny, maxx, maxy = target.bounds
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        xs = rng.uniform(minx, maxx, max(64, 4 * (n - have)))
        ys = rng.uniform(miny, maxy, len(xs))
        inside = shapely.contains_xy(target, xs, ys)
        pts = np.column_stack([xs[inside], ys[inside]])
        out.append(pts)
        have += len(pts)
    return np.concatenate(out)[:n]


def voronoi_split(parent: BaseGeometry, n: int, rng: np.random.Generator) -> list[BaseGeometry]:
    """Split `parent` into about n irregular cells (fewer if a seed's cell falls outside a
    concave parent). Cells share edges exactly, so siblings never overlap."""
    if n <= 1:
        return [parent]
    seeds = random_points_inside(parent, n, rng)
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=parent.envelope.buffer(0.01))
    out = []
    for cell in shapely.get_parts(cells):
        piece = _polygonal(cell.intersection(parent))
        if piece is not None:
            out.append(piece)
    # Order west→east, then south→north, so codes read like a map.
    out.sort(key=lambda g: (round(g.centroid.x, 3), g.centroid.y))
    return out


def geojson(geom: BaseGeometry) -> dict[str, Any]:
    from .geo import to_geojson

    return to_geojson(geom)
