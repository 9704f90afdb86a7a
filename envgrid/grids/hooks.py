"""Extension points for apps above grids (grids imports none of them).

- Boundary listeners: `register_boundary_listener(fn)`; fn(grid_ids, actor) runs inside the
  transaction that changed those grids' boundaries (entities re-derive their grid here).
- Major adjustment listeners: `register_major_adjustment_listener(fn)`; fn(adjustment)
  runs inside the transaction that created a MajorAdjustment (reporting and disclosure
  may create their upward report / disclosure draft here instead of polling).
- The grid page's supervised entities: `register_grid_entities(fn)`; fn(user, grid) returns
  (how many the user sees in the grid, the first rows to list). entities registers it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BoundaryListener = Callable[[list[int], Any], None]
MajorAdjustmentListener = Callable[[Any], None]

_boundary: list[BoundaryListener] = []
_major: list[MajorAdjustmentListener] = []
GridEntities = Callable[[Any, Any], tuple[int, list[Any]]]
_grid_entities: list[GridEntities] = []


def register_boundary_listener(fn: BoundaryListener) -> BoundaryListener:
    if fn not in _boundary:
        _boundary.append(fn)
    return fn


def register_major_adjustment_listener(fn: MajorAdjustmentListener) -> MajorAdjustmentListener:
    if fn not in _major:
        _major.append(fn)
    return fn


def boundaries_changed(grid_ids: Iterable[int], actor: Any) -> None:
    ids = sorted(set(grid_ids))
    if not ids:
        return
    for fn in list(_boundary):
        fn(ids, actor)


def major_adjustment_created(adjustment: Any) -> None:
    for fn in list(_major):
        fn(adjustment)


def register_grid_entities(fn: GridEntities) -> GridEntities:
    if fn not in _grid_entities:
        _grid_entities.append(fn)
    return fn


def grid_entities(user: Any, grid: Any) -> tuple[int, list[Any]]:
    """What the registered provider lists on the grid page; nothing when none is."""
    count = 0
    rows: list[Any] = []
    for fn in _grid_entities:
        n, more = fn(user, grid)
        count, rows = count + n, rows + more
    return count, rows
