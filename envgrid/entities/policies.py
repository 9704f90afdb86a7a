"""Who may see and change supervised entities: whoever sees the entity's grid (a unit
sees the entities in its grids' subtree); entities outside every grid only the office and
administrators."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.grids.models import Grid
from envgrid.grids.policies import grid_policy
from envgrid.org.policies import ActorScopedPolicy
from envgrid.org.selectors import Actor, actor_for

from .models import SupervisedEntity


class EntityPolicy(ActorScopedPolicy):
    model = SupervisedEntity

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        q = Q(grid__in=grid_policy.scope(actor.user, Grid.objects.all()).values("pk"))
        if actor.is_office:
            q |= Q(grid__isnull=True)
        return qs.filter(q)

    def can_change(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        if actor.is_admin or actor.is_office:
            return True
        if obj.grid_id is None:
            return False
        return grid_policy.can_change_roster(user, obj.grid)

    def can_create(self, user: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or actor.is_office or bool(actor.unit_id)


entity_policy = EntityPolicy()
