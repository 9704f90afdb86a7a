"""Reads of the grid tree: point → grid resolution (G3), scoped lists, roster gaps (G2),
history (G5) and GeoJSON export (G1).

`grid_resolve(lon, lat)` is the interface every workflow uses; the in-process spatial
index behind it lives in envgrid.grids.index (its docstring states the boundary rule).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import QuerySet

from .coords import WGS84, to_wgs84
from .index import OUTSIDE, current_index
from .models import (
    DEFAULT_MIN_STAFF,
    Grid,
    GridAssignment,
    GridHistory,
    GridRole,
    MajorAdjustment,
    StaffingRule,
)
from .policies import grid_policy

RESOLUTION_RULE = (
    "A point belongs to the grid of the highest level whose closed boundary covers it; "
    "on a boundary shared by grids of that level the grid with the smallest code wins; "
    "a point no active grid covers is outside."
)


@dataclass(frozen=True)
class ResolveResult:
    """The lowest grid containing the point and its ancestors (root first, the grid last).
    `grid is None` means the point is outside every grid. The Grid instances are shared
    by the process-wide index: treat them as read-only."""

    grid: Grid | None
    chain: list[Grid] = field(default_factory=list)

    @property
    def outside(self) -> bool:
        return self.grid is None


def grid_resolve(lon: float, lat: float, *, crs: str = WGS84) -> ResolveResult:
    """The lowest grid containing (lon, lat), given in `crs` (WGS84 unless stated)."""
    if crs != WGS84:
        lon, lat = to_wgs84(lon, lat, crs)
    index, grids, chains = current_index()
    pos = index.resolve_pos(float(lon), float(lat))
    if pos == OUTSIDE:
        return ResolveResult(None, [])
    grid_id = int(index.ids[pos])
    return ResolveResult(grids[grid_id], list(chains[grid_id]))


def grid_resolve_many(lons: Any, lats: Any) -> np.ndarray:
    """Grid ids (int64) for arrays of WGS84 points; -1 where a point is outside. One
    version check for the whole batch."""
    index, _grids, _chains = current_index()
    pos = index.resolve_many_pos(lons, lats)
    return np.where(pos >= 0, index.ids[np.maximum(pos, 0)] if index.n else -1, -1)


def grid_resolve_points(points: Sequence[tuple[float, float]]) -> list[ResolveResult]:
    """ResolveResult for each (lon, lat) WGS84 point, in order."""
    if not points:
        return []
    arr = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    ids = grid_resolve_many(arr[:, 0], arr[:, 1])
    _index, grids, chains = current_index()
    return [
        ResolveResult(grids[int(i)], list(chains[int(i)])) if i >= 0 else ResolveResult(None, [])
        for i in ids.tolist()
    ]


def lowest_common_ancestor(a: Grid, b: Grid) -> Grid | None:
    pa = [x for x in a.path.strip("/").split("/") if x]
    pb = [x for x in b.path.strip("/").split("/") if x]
    common = None
    for x, y in zip(pa, pb, strict=False):
        if x != y:
            break
        common = x
    return Grid.objects.get(pk=int(common)) if common else None


# ------------------------------------------------------------------ lists and the tree
def grid_list(*, user: Any, qs: QuerySet | None = None) -> QuerySet:
    qs = Grid.objects.select_related("owner_unit", "parent") if qs is None else qs
    return grid_policy.scope(user, qs)


def grid_get(*, user: Any, pk: Any) -> Grid:
    return grid_policy.get_visible(user, pk, Grid.objects.select_related("owner_unit", "parent"))


def grid_tree(grids: Iterable[Grid]) -> list[dict[str, Any]]:
    """Nested [{grid, children: [...]}] of the given grids; a grid whose parent is not
    among them becomes a root (a unit sees its own subtree as a forest)."""
    items = sorted(grids, key=lambda g: (g.level, g.code))
    nodes: dict[int, dict[str, Any]] = {g.pk: {"grid": g, "children": []} for g in items}
    roots = []
    for g in items:
        node = nodes[g.pk]
        if g.parent_id in nodes:
            nodes[g.parent_id]["children"].append(node)
        else:
            roots.append(node)
    return roots


def subtree(grid: Grid, qs: QuerySet | None = None) -> QuerySet:
    qs = Grid.objects.all() if qs is None else qs
    return (
        qs.filter(path__startswith=grid.path)
        if grid.path.endswith(f"/{grid.pk}/")
        else qs.filter(pk=grid.pk)
    )


def grid_export_geojson(grids: Iterable[Grid]) -> dict[str, Any]:
    """FeatureCollection in the import format (G1), parents before children."""
    items = sorted(grids, key=lambda g: (g.level, g.code))
    codes = {g.pk: g.code for g in items}
    missing = {g.parent_id for g in items if g.parent_id and g.parent_id not in codes}
    if missing:
        codes.update(dict(Grid.objects.filter(pk__in=missing).values_list("pk", "code")))
    features = []
    for g in items:
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": g.code,
                    "name": g.name,
                    "level": g.level,
                    "parent": codes.get(g.parent_id) if g.parent_id else None,
                    "owner": g.owner_unit.code,
                    "owner_name": g.owner_unit.name,
                    "active": g.is_active,
                },
                "geometry": g.boundary,
            }
        )
    return {"type": "FeatureCollection", "features": features}


# ---------------------------------------------------------------------- roster (G2)
def required_staff(grid: Grid, rules: dict[int, int] | None = None) -> int:
    if grid.min_staff is not None:
        return grid.min_staff
    if rules is None:
        rules = dict(StaffingRule.objects.values_list("level", "min_staff"))
    return rules.get(grid.level, DEFAULT_MIN_STAFF)


def roster(grid: Grid) -> QuerySet:
    """Current assignments of a grid, role by role."""
    return (
        GridAssignment.objects.filter(grid=grid, ended_at__isnull=True)
        .select_related("person", "person__unit")
        .order_by("role", "started_at")
    )


REQUIRED_ROLES = (GridRole.LEADER, GridRole.HEAD, GridRole.SUPERVISOR)


@dataclass
class GridGap:
    grid: Grid
    missing_roles: list[str]
    staff_count: int
    min_staff: int
    duties_missing: bool

    @property
    def staff_short(self) -> bool:
        return self.staff_count < self.min_staff

    @property
    def has_gap(self) -> bool:
        return bool(self.missing_roles) or self.staff_short or self.duties_missing

    def describe(self) -> list[str]:
        labels = dict(GridRole.choices)
        out = [f"缺{labels[r]}" for r in self.missing_roles]
        if self.staff_short:
            out.append(f"网格员 {self.staff_count} 人，少于要求的 {self.min_staff} 人")
        if self.duties_missing:
            out.append("未写明网格职责")
        return out


def grid_gaps(*, user: Any, only_gaps: bool = True) -> list[GridGap]:
    """Every visible active grid with an empty role, too few staff or no written duties
    (G2: a gap is visible, not silent)."""
    grids = list(grid_list(user=user).filter(is_active=True).order_by("level", "code"))
    roles: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for gid, role in GridAssignment.objects.filter(
        grid__in=[g.pk for g in grids], ended_at__isnull=True, person__is_active=True
    ).values_list("grid_id", "role"):
        roles[gid][role] += 1
    rules = dict(StaffingRule.objects.values_list("level", "min_staff"))
    out = []
    for g in grids:
        have = roles.get(g.pk, {})
        gap = GridGap(
            grid=g,
            missing_roles=[r.value for r in REQUIRED_ROLES if not have.get(r.value)],
            staff_count=have.get(GridRole.STAFF.value, 0),
            min_staff=required_staff(g, rules),
            duties_missing=not g.duties.strip(),
        )
        if gap.has_gap or not only_gaps:
            out.append(gap)
    return out


# ---------------------------------------------------------------------- history (G5)
def grid_history(grid: Grid) -> QuerySet:
    return GridHistory.objects.filter(grid=grid).select_related("actor").order_by("-at", "-id")


def major_adjustments_pending(kind: str) -> QuerySet:
    """Major adjustments not yet reported upward (kind="report") or not yet disclosed
    (kind="disclosure"): what the reporting and disclosure apps pick up."""
    qs = MajorAdjustment.objects.select_related("grid", "made_by")
    if kind == "report":
        return qs.filter(reported_at__isnull=True).order_by("made_at")
    if kind == "disclosure":
        return qs.filter(disclosed_at__isnull=True).order_by("made_at")
    raise ValueError(kind)


def major_adjustment_list(*, user: Any) -> QuerySet:
    return MajorAdjustment.objects.select_related("grid", "made_by").filter(
        grid__in=grid_list(user=user)
    )
