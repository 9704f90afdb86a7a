from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def escalate_up_the_grid_tree(obligation: Any) -> Any:
    """An overdue item of a unit goes to the owner of the parent grid of that unit's grid
    (for a unit owning several grids, the lowest-level one), so obligations escalate up
    the grid tree; None when the unit owns no grid or only a root grid."""
    from .models import Grid

    # One query (the parent and its owner joined in): the sweep calls this for every item.
    grid = (
        Grid.objects.select_related("parent__owner_unit")
        .filter(owner_unit_id=obligation.unit_id, is_active=True)
        .order_by("-level", "code")
        .first()
    )
    if grid is None or grid.parent is None:
        return None
    return grid.parent.owner_unit


class GridsConfig(AppConfig):
    name = "envgrid.grids"
    label = "grids"
    verbose_name = _("网格")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from envgrid.obligations.registry import register_escalation_resolver

        from .models import Grid
        from .signals import grid_deleted, grid_saved

        post_save.connect(grid_saved, sender=Grid, dispatch_uid="grids.grid_saved")
        post_delete.connect(grid_deleted, sender=Grid, dispatch_uid="grids.grid_deleted")
        register_escalation_resolver(escalate_up_the_grid_tree)
