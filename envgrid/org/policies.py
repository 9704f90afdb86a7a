"""Who may see and change units, persons, leading groups and delegations."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.core.policies import Policy

from .models import Delegation, LeadingGroup, Person, TrainingRecord, Unit
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


class TrainingRecordPolicy(Policy):
    """Training and assessment records (E5) are seen with the person; they are kept by the
    office (for the units it oversees), the officer's own unit, or an administrator."""

    model = TrainingRecord

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        qs = TrainingRecord.objects.all() if qs is None else qs
        return qs.filter(person__in=person_policy.scope(user))

    def can_record_for(self, user: Any, person: Person) -> bool:
        actor = actor_for(user)
        return (
            actor.is_admin
            or (actor.unit_id is not None and actor.unit_id == person.unit_id)
            or (actor.is_office and person.unit_id in actor.overseen_unit_ids())
        )

    def can_change(self, user: Any, obj: Any) -> bool:
        return self.can_record_for(user, obj.person)


unit_policy = UnitPolicy()
person_policy = PersonPolicy()
leading_group_policy = LeadingGroupPolicy()
delegation_policy = DelegationPolicy()
training_record_policy = TrainingRecordPolicy()
