"""Who may see and act on joint enforcement actions.

A unit sees the actions it organises or joins; the office (and the leader and deputies)
sees every action of its leading group; anyone else gets 404 (SPEC "who sees what").
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.core.errors import PermissionDeniedError
from envgrid.core.policies import ChildPolicy
from envgrid.org.models import PersonRole
from envgrid.org.policies import ActorScopedPolicy
from envgrid.org.selectors import Actor, actor_for

from .models import (
    ActionOfficer,
    ActionParticipant,
    ActionTarget,
    Assignment,
    Consultation,
    EnforcementAction,
    Finding,
    Inspection,
)


class ActionPolicy(ActorScopedPolicy):
    model = EnforcementAction

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        unit_id = self.person_of(actor).unit_id
        joined = ActionParticipant.objects.filter(unit_id=unit_id).values("action_id")
        cond = Q(organiser_unit_id=unit_id) | Q(pk__in=joined)
        if actor.overseen_group_ids:
            cond |= Q(leading_group_id__in=actor.overseen_group_ids)
        return qs.filter(cond)

    # -- capabilities -------------------------------------------------------------

    def is_organiser(self, user: Any, action: EnforcementAction) -> bool:
        actor = actor_for(user)
        return actor.is_admin or (
            actor.unit_id is not None and actor.unit_id == action.organiser_unit_id
        )

    def can_approve(self, user: Any, action: EnforcementAction) -> bool:
        """E3: the organiser's leadership, or the leading group's office (or its leaders)."""
        actor = actor_for(user)
        if actor.is_admin:
            return True
        if actor.person is None:
            return False
        if actor.person.role == PersonRole.LEADER and actor.unit_id == action.organiser_unit_id:
            return True
        return action.leading_group_id is not None and (
            action.leading_group_id in actor.overseen_group_ids
        )

    def can_change(self, user: Any, obj: Any) -> bool:
        return self.is_organiser(user, obj)

    def can_staff_participant(self, user: Any, participant: ActionParticipant) -> bool:
        """Officers and the liaison are named by the unit itself or by the organiser."""
        actor = actor_for(user)
        return (
            actor.is_admin
            or actor.unit_id == participant.unit_id
            or actor.unit_id == participant.action.organiser_unit_id
        )

    def can_inspect(self, user: Any, action: EnforcementAction) -> bool:
        actor = actor_for(user)
        if actor.is_admin:
            return True
        if actor.unit_id is None:
            return False
        return (
            actor.unit_id == action.organiser_unit_id
            or action.participants.filter(unit_id=actor.unit_id).exists()
        )

    def can_act_on_assignment(self, user: Any, assignment: Assignment) -> bool:
        actor = actor_for(user)
        return actor.is_admin or actor.unit_id == assignment.unit_id

    def can_case_finding(self, user: Any, finding: Finding) -> bool:
        """The organiser turns findings into cases and supervises key ones (E3)."""
        return self.is_organiser(user, finding.action) or self.can_approve(user, finding.action)

    def require(self, allowed: bool, message: str) -> None:
        if not allowed:
            raise PermissionDeniedError(message)

    def get_visible_action(self, user: Any, pk: Any) -> EnforcementAction:
        return self.get_visible(user, pk)


action_policy = ActionPolicy()


class _ActionChildPolicy(ChildPolicy):
    """Seen with its action."""

    parent_field = "action"
    parent_policy = action_policy


class AssignmentPolicy(_ActionChildPolicy):
    model = Assignment


class InspectionPolicy(_ActionChildPolicy):
    model = Inspection


class FindingPolicy(_ActionChildPolicy):
    model = Finding


class ParticipantPolicy(_ActionChildPolicy):
    model = ActionParticipant


class TargetPolicy(_ActionChildPolicy):
    model = ActionTarget


class OfficerPolicy(_ActionChildPolicy):
    model = ActionOfficer


class ConsultationPolicy(_ActionChildPolicy):
    model = Consultation


participant_policy = ParticipantPolicy()
target_policy = TargetPolicy()
officer_policy = OfficerPolicy()
assignment_policy = AssignmentPolicy()
inspection_policy = InspectionPolicy()
finding_policy = FindingPolicy()
consultation_policy = ConsultationPolicy()
