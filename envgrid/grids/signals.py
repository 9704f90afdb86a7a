"""Derived grid fields and the index version, kept right even for writes that bypass the
services (tests and other apps may create grids directly). Not business rules: the path,
the bounding box and the cache token are pure functions of the stored row."""

from __future__ import annotations

from typing import Any

from django.db.models import Value
from django.db.models.functions import Concat, Substr

from .index import bump_version
from .models import Grid


def derived_path(grid: Grid) -> str:
    if grid.parent_id is None:
        return f"/{grid.pk}/"
    parent_path = Grid.objects.filter(pk=grid.parent_id).values_list("path", flat=True).first()
    if not parent_path or not parent_path.endswith(f"/{grid.parent_id}/"):
        parent_path = f"/{grid.parent_id}/"
    return f"{parent_path}{grid.pk}/"


def derived_bbox(boundary: Any) -> tuple[float, float, float, float] | None:
    try:
        from shapely.geometry import shape

        minx, miny, maxx, maxy = shape(boundary).bounds
        return float(minx), float(miny), float(maxx), float(maxy)
    except Exception:  # an unparsable boundary keeps its stored box; services refuse it
        return None


def grid_saved(sender: Any, instance: Grid, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    updates: dict[str, Any] = {}
    path = derived_path(instance)
    old_path = instance.path
    if path != old_path:
        updates["path"] = path
    box = derived_bbox(instance.boundary)
    if box is not None and box != (
        instance.min_lon,
        instance.min_lat,
        instance.max_lon,
        instance.max_lat,
    ):
        updates.update(min_lon=box[0], min_lat=box[1], max_lon=box[2], max_lat=box[3])
    if updates:
        Grid.objects.filter(pk=instance.pk).update(**updates)
        for key, value in updates.items():
            setattr(instance, key, value)
    if "path" in updates and old_path.endswith(f"/{instance.pk}/"):
        # Moved in the tree: descendants keep their tail, change their prefix.
        Grid.objects.filter(path__startswith=old_path).exclude(pk=instance.pk).update(
            path=Concat(Value(path), Substr("path", len(old_path) + 1))
        )
    bump_version()


def grid_deleted(sender: Any, instance: Grid, **kwargs: Any) -> None:
    bump_version()
