"""Who may see and act on cases, transfers and disputes.

A unit sees the cases it owns or discovered, the transfers sent to, from or copied to it,
and the disputes it is party to or must decide (with their cases); the office sees all of
that for the units of its leading group; an administrator sees everything; anyone else
gets 404 (never 403, so ids cannot be probed)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.org.policies import ActorScopedPolicy
from envgrid.org.selectors import Actor, actor_for

from .models import Case, JurisdictionDispute, Transfer


def _unit_ids(actor: Actor) -> set[int]:
    """The units whose cases and transfers this actor sees: its own, plus the leading
    groups it oversees (office staff, leader, deputies)."""
    ids = actor.overseen_unit_ids() if actor.overseen_group_ids else set()
    if actor.unit_id:
        ids.add(actor.unit_id)
    return ids


def _in(field: str, ids: set[int]) -> Q:
    # A single id gives "= x", which the planner uses with the composite indexes.
    if len(ids) == 1:
        return Q(**{field: next(iter(ids))})
    return Q(**{f"{field}__in": sorted(ids)})


class CasePolicy(ActorScopedPolicy):
    model = Case

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        ids = _unit_ids(actor)
        if not ids:
            return qs.none()
        # The few cases of disputes this unit must decide, as literal ids: a subquery
        # inside the OR would stop PostgreSQL from OR-ing the two unit indexes.
        disputed = list(
            JurisdictionDispute.cases.through.objects.filter(
                _in("jurisdictiondispute__designating_unit_id", ids)
            ).values_list("case_id", flat=True)[:5000]
        )
        visible = _in("owner_unit_id", ids) | _in("discovered_by_unit_id", ids)
        if disputed:
            visible |= Q(pk__in=disputed)
        return qs.filter(visible)

    def can_change(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or (actor.unit_id is not None and obj.owner_unit_id == actor.unit_id)


class TransferPolicy(ActorScopedPolicy):
    model = Transfer

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        ids = _unit_ids(actor)
        if not ids:
            return qs.none()
        return qs.filter(
            _in("sender_unit_id", ids) | _in("receiver_unit_id", ids) | _in("copy_to_unit_id", ids)
        )

    def can_send(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or (actor.unit_id is not None and obj.sender_unit_id == actor.unit_id)

    def can_receive(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or (
            actor.unit_id is not None and obj.receiver_unit_id == actor.unit_id
        )

    def can_change(self, user: Any, obj: Any) -> bool:
        return self.can_send(user, obj) or self.can_receive(user, obj)


class DisputePolicy(ActorScopedPolicy):
    model = JurisdictionDispute

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        ids = _unit_ids(actor)
        if not ids:
            return qs.none()
        party = JurisdictionDispute.parties.through.objects.filter(_in("unit_id", ids)).values(
            "jurisdictiondispute_id"
        )
        return qs.filter(
            _in("designating_unit_id", ids) | _in("raised_by_unit_id", ids) | Q(pk__in=party)
        )

    def can_designate(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or (
            actor.unit_id is not None and obj.designating_unit_id == actor.unit_id
        )

    def can_change(self, user: Any, obj: Any) -> bool:
        return self.can_designate(user, obj)


case_policy = CasePolicy()
transfer_policy = TransferPolicy()
dispute_policy = DisputePolicy()
