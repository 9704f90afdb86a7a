"""Who sees and acts on consequence findings and accountability proposals (T6).

The office and the leaders of a leading group (and of the groups above it) see what the
group recorded; a unit sees the findings about its own late items and the proposals
that name it; an administrator sees everything. The office records findings and makes
proposals; the leader or a deputy of the proposal's group decides; the office sends a
referral on. Anyone else gets 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.org.policies import ActorScopedPolicy
from envgrid.org.selectors import Actor, actor_for

from .models import AccountabilityProposal, ConsequenceFinding


class FindingPolicy(ActorScopedPolicy):
    model = ConsequenceFinding

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        visible = Q(unit_id=actor.unit_id)
        if actor.overseen_group_ids:
            visible |= Q(leading_group_id__in=sorted(actor.overseen_group_ids))
        return qs.filter(visible)

    def can_record(self, user: Any, unit_id: int) -> bool:
        """The office overseeing the owing unit (never the unit about itself)."""
        actor = actor_for(user)
        if actor.is_admin:
            return True
        return actor.is_office and unit_id != actor.unit_id and unit_id in actor.overseen_unit_ids()

    def can_change(self, user: Any, obj: Any) -> bool:
        return self.can_record(user, obj.unit_id)


class ProposalPolicy(ActorScopedPolicy):
    model = AccountabilityProposal

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        named = AccountabilityProposal.units.through.objects.filter(
            unit_id=self.person_of(actor).unit_id
        ).values("accountabilityproposal_id")
        visible = Q(pk__in=named)
        if actor.overseen_group_ids:
            visible |= Q(leading_group_id__in=sorted(actor.overseen_group_ids))
        return qs.filter(visible)

    def is_office(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or obj.leading_group_id in actor.office_group_ids

    def can_decide(self, user: Any, obj: Any) -> bool:
        """The leading group decides: its leader or a deputy (or those of a group above)."""
        actor = actor_for(user)
        return actor.is_admin or obj.leading_group_id in actor.led_group_ids

    def can_change(self, user: Any, obj: Any) -> bool:
        return self.is_office(user, obj) or self.can_decide(user, obj)


finding_policy = FindingPolicy()
proposal_policy = ProposalPolicy()
