"""Reads of supervised entities, scoped by the caller first (STYLE rule 3)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.core.params import maybe_id
from envgrid.grids.models import Grid
from envgrid.grids.selectors import subtree

from .models import SupervisedEntity
from .policies import entity_policy


def entity_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet:
    """Visible entities; filters: q (name, code, address), grid (id: its whole subtree),
    category, status, industry."""
    qs = entity_policy.scope(user, SupervisedEntity.objects.select_related("grid"))
    f = filters or {}
    q = str(f.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__icontains=q) | Q(address__icontains=q))
    grid_id = str(f.get("grid") or "").strip()
    if grid_id:
        gid = maybe_id(grid_id)
        grid = Grid.objects.filter(pk=gid).first() if gid is not None else None
        qs = qs.filter(grid__in=subtree(grid).values("pk")) if grid else qs.none()
    for key in ("category", "status"):
        if f.get(key):
            qs = qs.filter(**{key: f[key]})
    if f.get("industry"):
        qs = qs.filter(industry__icontains=str(f["industry"]).strip())
    if str(f.get("outside") or "") in ("1", "true"):
        qs = qs.filter(grid__isnull=True)
    return qs.order_by("name", "pk")


def entities_of_grid(user: Any, grid: Any, limit: int = 20) -> tuple[int, list[SupervisedEntity]]:
    """For the grid page (registered with grids.hooks): how many entities the user sees in
    the grid's subtree, and the first `limit` of them."""
    qs = entity_list(user=user, filters={"grid": str(grid.pk)})
    return qs.count(), list(qs[:limit])


def entity_get(*, user: Any, pk: Any) -> SupervisedEntity:
    return entity_policy.get_visible(user, pk, SupervisedEntity.objects.select_related("grid"))
