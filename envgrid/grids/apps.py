from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def escalate_up_the_grid_tree(obligations: list[Any]) -> dict[int, Any]:
    """An overdue item of a unit goes to the owner of the parent grid of that unit's grid
    (for a unit owning several grids, the lowest-level one, then the first by code), so
    obligations escalate up the grid tree; None when the unit owns no grid or only a root
    grid. A sweep batch at a time, in one query: each unit's lowest grid (a subquery per
    unit), its parent and the parent's owner joined in; no boundary is read."""
    from django.db.models import OuterRef, Subquery

    from envgrid.org.models import Unit

    from .models import Grid

    lowest = (
        Grid.objects.filter(owner_unit_id=OuterRef("pk"), is_active=True)
        .order_by("-level", "code")
        .values("pk")[:1]
    )
    unit_ids = {ob.unit_id for ob in obligations}
    grids = (
        Grid.objects.filter(
            pk__in=Unit.objects.filter(pk__in=unit_ids).annotate(g=Subquery(lowest)).values("g"),
            parent__isnull=False,
        )
        .select_related("parent__owner_unit")
        .defer("boundary", "duties", "parent__boundary", "parent__duties")
        .order_by()
    )
    above = {g.owner_unit_id: g.parent.owner_unit for g in grids}  # type: ignore[union-attr]
    return {ob.pk: above.get(ob.unit_id) for ob in obligations}


class GridsConfig(AppConfig):
    name = "envgrid.grids"
    label = "grids"
    verbose_name = _("网格")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from envgrid.obligations.registry import register_escalation_resolver_many

        from .models import Grid
        from .signals import grid_deleted, grid_saved

        post_save.connect(grid_saved, sender=Grid, dispatch_uid="grids.grid_saved")
        post_delete.connect(grid_deleted, sender=Grid, dispatch_uid="grids.grid_deleted")
        register_escalation_resolver_many(escalate_up_the_grid_tree)
