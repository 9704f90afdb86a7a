"""Who may see and change grids (SPEC "who sees what"): a unit sees the subtree of the
grids it owns; the office and the leaders of a leading group see the grids of that group
(and of its member units); administrators see everything."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.org.policies import ActorScopedPolicy
from envgrid.org.selectors import Actor, actor_for

from .models import Grid


def _subtree_q(roots: list[tuple[int, str]]) -> Q:
    """Q matching the subtrees of (id, path) roots; a root whose path is not set falls back
    to itself only, so a stale path can never widen a scope."""
    paths = sorted({p for pk, p in roots if p.endswith(f"/{pk}/")}, key=len)
    minimal: list[str] = []
    for p in paths:
        if not any(p.startswith(m) for m in minimal):
            minimal.append(p)
    q = Q(pk__in=[pk for pk, p in roots if not p.endswith(f"/{pk}/")])
    for p in minimal:
        q |= Q(path__startswith=p)
    return q


def _oversight_roots(actor: Any) -> list[tuple[int, str]]:
    if not actor.overseen_group_ids:
        return []
    return list(
        Grid.objects.filter(
            Q(leading_group_id__in=actor.overseen_group_ids)
            | Q(owner_unit_id__in=actor.overseen_unit_ids())
        ).values_list("pk", "path")
    )


class GridPolicy(ActorScopedPolicy):
    model = Grid

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        roots = _oversight_roots(actor)
        if actor.unit_id:
            roots += list(
                Grid.objects.filter(owner_unit_id=actor.unit_id).values_list("pk", "path")
            )
        if not roots:
            return qs.none()
        return qs.filter(_subtree_q(roots))

    def oversees(self, user: Any, grid: Grid) -> bool:
        """The office of the grid's leading group (or an administrator)."""
        actor = actor_for(user)
        if actor.is_admin:
            return True
        if not actor.is_office:
            return False
        roots = _oversight_roots(actor)
        return bool(roots) and Grid.objects.filter(_subtree_q(roots), pk=grid.pk).exists()

    def can_change(self, user: Any, obj: Any) -> bool:
        """Boundaries, the tree and imports: the office that oversees the grid."""
        return self.oversees(user, obj)

    def can_change_roster(self, user: Any, grid: Grid) -> bool:
        """Roster and duties: the office, or the owner unit of this grid or of an ancestor
        (a sub-district names the people of its communities)."""
        if self.oversees(user, grid):
            return True
        actor = actor_for(user)
        if not actor.unit_id:
            return False
        ids = grid.path_ids() if grid.path.endswith(f"/{grid.pk}/") else [grid.pk]
        return Grid.objects.filter(pk__in=ids, owner_unit_id=actor.unit_id).exists()

    def can_import(self, user: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or actor.is_office


grid_policy = GridPolicy()
