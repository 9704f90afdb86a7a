"""Test builders for grids (usable by every app's tests): a small square tree and a
realistic Voronoi tree, both imported through the real service."""

from __future__ import annotations

from typing import Any

import numpy as np

from envgrid.org.models import Unit, UnitKind

from .models import Grid
from .services import grid_import_geojson
from .synthetic import voronoi_split, zhanqian_outline

# Square tree: R = [122.20, 122.24] x [40.66, 40.68]; A = west half, B = east half;
# A1/B1 the southern halves of A/B, A2/B2 the northern ones.
X0, X1, XM = 122.20, 122.24, 122.22
Y0, Y1, YM = 40.66, 40.68, 40.67


def square(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


def feature(
    code: str, level: int, parent: str | None, owner: Unit, geometry: dict, name: str = ""
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {
            "code": code,
            "name": name or f"网格{code}",
            "level": level,
            "parent": parent,
            "owner": owner.code,
        },
        "geometry": geometry,
    }


def _unit(code: str, name: str, kind: str = UnitKind.COMMUNITY) -> Unit:
    unit, _created = Unit.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
    return unit


def square_tree_features(units: dict[str, Unit]) -> list[dict[str, Any]]:
    return [
        feature("R", 2, None, units["R"], square(X0, Y0, X1, Y1), "测试区"),
        feature("A", 3, "R", units["A"], square(X0, Y0, XM, Y1), "甲街道"),
        feature("B", 3, "R", units["B"], square(XM, Y0, X1, Y1), "乙街道"),
        feature("A1", 4, "A", units["A1"], square(X0, Y0, XM, YM), "甲一社区"),
        feature("A2", 4, "A", units["A2"], square(X0, YM, XM, Y1), "甲二社区"),
        feature("B1", 4, "B", units["B1"], square(XM, Y0, X1, YM), "乙一社区"),
        feature("B2", 4, "B", units["B2"], square(XM, YM, X1, Y1), "乙二社区"),
    ]


def default_units(world: Any = None) -> dict[str, Unit]:
    units = {
        "R": world.government if world else _unit("T-GOV", "测试区政府", UnitKind.GOVERNMENT),
        "A": world.members[0] if world else _unit("T-A", "甲街道办", UnitKind.SUBDISTRICT),
        "B": world.members[1] if world else _unit("T-B", "乙街道办", UnitKind.SUBDISTRICT),
    }
    for code in ("A1", "A2", "B1", "B2"):
        units[code] = _unit(f"T-{code}", f"{code}社区居委会")
    return units


def build_square_tree(actor: Any, world: Any = None) -> dict[str, Grid]:
    """Import the square tree; returns Grid by code. `actor` must be an administrator."""
    units = default_units(world)
    grid_import_geojson(
        actor=actor,
        data={"type": "FeatureCollection", "features": square_tree_features(units)},
        leading_group=getattr(world, "group", None),
    )
    return {g.code: g for g in Grid.objects.filter(code__in=units)}


def voronoi_features(
    owner: Unit, *, n3: int = 6, n4: int = 6, seed: int = 7
) -> list[dict[str, Any]]:
    """Real 站前区 outline, n3 level-3 cells, about n4 level-4 cells in each."""
    from .geo import to_geojson

    rng = np.random.default_rng(seed)
    outline = zhanqian_outline()
    feats = [feature("Z", 2, None, owner, to_geojson(outline), "站前区")]
    for i, cell in enumerate(voronoi_split(outline, n3, rng), 1):
        code3 = f"Z{i:02d}"
        feats.append(feature(code3, 3, "Z", owner, to_geojson(cell)))
        for j, sub in enumerate(voronoi_split(cell, n4, rng), 1):
            feats.append(feature(f"{code3}{j:02d}", 4, code3, owner, to_geojson(sub)))
    return feats
