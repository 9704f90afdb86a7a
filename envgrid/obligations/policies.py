"""Who may see obligations: the owing unit, the unit it escalated to, and the overseers."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.org.policies import ActorScopedPolicy
from envgrid.org.selectors import Actor, actor_for

from .models import Obligation, Supervision


class ObligationPolicy(ActorScopedPolicy):
    model = Obligation

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        units = actor.visible_unit_ids()
        return qs.filter(Q(unit_id__in=units) | Q(escalated_to_id=actor.unit_id))

    def can_change(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return (
            actor.is_admin
            or obj.unit_id == actor.unit_id
            or obj.unit_id in actor.overseen_unit_ids()
        )

    def can_approve(self, user: Any, obj: Any) -> bool:
        """Pauses and extensions are approved by the office (or a leader) overseeing the
        owing unit — never by the owing unit itself — or by an administrator."""
        actor = actor_for(user)
        if actor.is_admin:
            return True
        if obj.unit_id not in actor.overseen_unit_ids():
            return False
        return actor.is_leader or (actor.is_office and obj.unit_id != actor.unit_id)


obligation_policy = ObligationPolicy()


class SupervisionPolicy(ActorScopedPolicy):
    """Supervision notices (督办, D6): seen by the issuing and the addressed unit and by the
    office and leaders overseeing either; issued by hand by the office or a leader."""

    model = Supervision

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        units = actor.visible_unit_ids()
        return qs.filter(Q(target_id__in=units) | Q(issuer_id__in=units))

    def can_issue(self, user: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or ((actor.is_office or actor.is_leader) and bool(actor.unit_id))

    def can_reply(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or obj.target_id == actor.unit_id


supervision_policy = SupervisionPolicy()
