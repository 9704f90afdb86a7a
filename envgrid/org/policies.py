"""Who may see and change units, persons, leading groups and delegations."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.core.policies import Policy

from .models import Delegation, LeadingGroup, Person, Unit
from .selectors import actor_for


class UnitPolicy(Policy):
    model = Unit

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        qs = Unit.objects.all() if qs is None else qs
        actor = actor_for(user)
        if actor.is_admin:
            return qs
        if actor.person is None:
            return qs.none()
        # A unit sees its own record and the directory of the groups it belongs to
        # (it must be able to name a receiver for a transfer); overseers see their groups.
        group_ids = (
            set(
                LeadingGroup.objects.filter(member_units=actor.unit_id).values_list("id", flat=True)
            )
            | actor.overseen_group_ids
        )
        return qs.filter(
            Q(pk=actor.unit_id)
            | Q(leading_groups__in=group_ids)
            | Q(pk__in=LeadingGroup.objects.filter(pk__in=group_ids).values("office_unit"))
        ).distinct()

    def can_change(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or (actor.is_office and obj.pk in actor.overseen_unit_ids())


class PersonPolicy(Policy):
    model = Person

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        qs = Person.objects.all() if qs is None else qs
        actor = actor_for(user)
        if actor.is_admin:
            return qs
        if actor.person is None:
            return qs.none()
        return qs.filter(unit_id__in=actor.visible_unit_ids())

    def can_change(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or (actor.is_office and obj.unit_id in actor.overseen_unit_ids())


class LeadingGroupPolicy(Policy):
    model = LeadingGroup

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        qs = LeadingGroup.objects.all() if qs is None else qs
        actor = actor_for(user)
        if actor.is_admin:
            return qs
        if actor.person is None:
            return qs.none()
        return qs.filter(
            Q(pk__in=actor.overseen_group_ids) | Q(member_units=actor.unit_id)
        ).distinct()

    def can_change(self, user: Any, obj: Any) -> bool:
        return actor_for(user).is_admin


class DelegationPolicy(Policy):
    model = Delegation

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        qs = Delegation.objects.all() if qs is None else qs
        actor = actor_for(user)
        if actor.is_admin:
            return qs
        return qs.filter(leading_group_id__in=actor.overseen_group_ids)

    def can_change(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or obj.leading_group_id in actor.led_group_ids


unit_policy = UnitPolicy()
person_policy = PersonPolicy()
leading_group_policy = LeadingGroupPolicy()
delegation_policy = DelegationPolicy()
