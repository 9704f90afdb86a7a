"""Reads of the grid tree, including point → grid resolution (G3).

`grid_resolve(lon, lat)` is the interface every workflow uses; its implementation
(the in-process spatial index) lives in envgrid.grids.index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shapely.geometry import Point, shape

from .models import Grid


@dataclass(frozen=True)
class ResolveResult:
    """The lowest grid containing the point and its ancestors (root first).
    `grid is None` means the point is outside every grid."""

    grid: Grid | None
    chain: list[Grid] = field(default_factory=list)

    @property
    def outside(self) -> bool:
        return self.grid is None


def grid_resolve(lon: float, lat: float) -> ResolveResult:
    """Naive reference implementation (replaced by the spatial index)."""
    pt = Point(lon, lat)
    best: Grid | None = None
    for g in Grid.objects.filter(
        is_active=True, min_lon__lte=lon, max_lon__gte=lon, min_lat__lte=lat, max_lat__gte=lat
    ):
        if shape(g.boundary).covers(pt) and (best is None or g.level > best.level):
            best = g
    if best is None:
        return ResolveResult(None, [])
    ids = [int(x) for x in best.path.strip("/").split("/") if x]
    by_id = Grid.objects.in_bulk(ids)
    return ResolveResult(best, [by_id[i] for i in ids if i in by_id])


def lowest_common_ancestor(a: Grid, b: Grid) -> Grid | None:
    pa = [x for x in a.path.strip("/").split("/") if x]
    pb = [x for x in b.path.strip("/").split("/") if x]
    common = None
    for x, y in zip(pa, pb, strict=False):
        if x != y:
            break
        common = x
    return Grid.objects.get(pk=int(common)) if common else None
