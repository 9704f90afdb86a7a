"""Who may see and change units, persons, leading groups and delegations."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.core.policies import ChildPolicy, ScopedPolicy

from .models import Delegation, LeadingGroup, Person, TrainingRecord, Unit
from .selectors import Actor, actor_for


class ActorScopedPolicy(ScopedPolicy):
    """core's scope prelude (administrator: all; no person: nothing) with the
    organisation's Actor; a subclass writes `visible(actor, qs)` for the rest."""

    def actor(self, user: Any) -> Actor:
        return actor_for(user)

    @staticmethod
    def person_of(actor: Actor) -> Person:
        """The actor's person: inside `visible` there always is one (the prelude has
        answered for logins without a person)."""
        assert actor.person is not None
        return actor.person


class UnitPolicy(ActorScopedPolicy):
    model = Unit

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
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


class PersonPolicy(ActorScopedPolicy):
    model = Person

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        return qs.filter(unit_id__in=actor.visible_unit_ids())

    def can_change(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or (actor.is_office and obj.unit_id in actor.overseen_unit_ids())


class LeadingGroupPolicy(ActorScopedPolicy):
    model = LeadingGroup

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        return qs.filter(
            Q(pk__in=actor.overseen_group_ids) | Q(member_units=actor.unit_id)
        ).distinct()

    def can_change(self, user: Any, obj: Any) -> bool:
        return actor_for(user).is_admin


class DelegationPolicy(ActorScopedPolicy):
    # The prelude's "no person: nothing" changes nothing here: a login without a person
    # oversees no group, so the filter below was already empty for it.
    model = Delegation

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        return qs.filter(leading_group_id__in=actor.overseen_group_ids)

    def can_change(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or obj.leading_group_id in actor.led_group_ids


person_policy = PersonPolicy()


class TrainingRecordPolicy(ChildPolicy):
    """Training and assessment records (E5) are seen with the person; they are kept by the
    office (for the units it oversees), the officer's own unit, or an administrator."""

    model = TrainingRecord
    parent_field = "person"
    parent_policy = person_policy

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
leading_group_policy = LeadingGroupPolicy()
delegation_policy = DelegationPolicy()
training_record_policy = TrainingRecordPolicy()
