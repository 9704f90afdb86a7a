"""Who sees a patrol: the grid staff who made it, the owner unit of its grid (and of the
grids above it), the office of the grid's leading group; administrators. Others get 404.
Only the staff who made it (or an administrator) changes it.

A grid's patrol plan is seen by whoever sees the grid and set by the office overseeing
it or the owner unit of the grid or of a grid above it — but not by grid staff, whose
work the plan measures."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.grids.policies import grid_policy
from envgrid.org.models import PersonRole
from envgrid.org.policies import ActorScopedPolicy
from envgrid.org.selectors import Actor, actor_for

from .models import Patrol


class PatrolPolicy(ActorScopedPolicy):
    model = Patrol

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        grids = grid_policy.scope(actor.user).values("pk")
        return qs.filter(Q(staff_id=self.person_of(actor).pk) | Q(grid_id__in=grids))

    def can_change(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or (actor.person is not None and obj.staff_id == actor.person.pk)


def can_set_plan(user: Any, grid: Any) -> bool:
    actor = actor_for(user)
    if actor.is_admin or grid_policy.oversees(user, grid):
        return True
    if actor.person is None or actor.person.role == PersonRole.GRID:
        return False
    return grid_policy.can_change_roster(user, grid)


patrol_policy = PatrolPolicy()
