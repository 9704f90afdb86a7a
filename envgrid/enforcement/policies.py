"""Who may see and act on joint enforcement actions.

A unit sees the actions it organises or joins; the office (and the leader and deputies)
sees every action of its leading group; anyone else gets 404 (SPEC "who sees what").
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.core.errors import PermissionDeniedError
from envgrid.core.policies import Policy
from envgrid.org.models import PersonRole
from envgrid.org.selectors import actor_for

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


class ActionPolicy(Policy):
    model = EnforcementAction

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        qs = EnforcementAction.objects.all() if qs is None else qs
        actor = actor_for(user)
        if actor.is_admin:
            return qs
        if actor.person is None:
            return qs.none()
        unit_id = actor.person.unit_id
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


def _scoped_children(user: Any, qs: QuerySet) -> QuerySet:
    return qs.filter(action__in=action_policy.scope(user))


class AssignmentPolicy(Policy):
    model = Assignment

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        return _scoped_children(user, Assignment.objects.all() if qs is None else qs)


class InspectionPolicy(Policy):
    model = Inspection

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        return _scoped_children(user, Inspection.objects.all() if qs is None else qs)


class FindingPolicy(Policy):
    model = Finding

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        return _scoped_children(user, Finding.objects.all() if qs is None else qs)


class ParticipantPolicy(Policy):
    model = ActionParticipant

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        return _scoped_children(user, ActionParticipant.objects.all() if qs is None else qs)


class TargetPolicy(Policy):
    model = ActionTarget

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        return _scoped_children(user, ActionTarget.objects.all() if qs is None else qs)


class OfficerPolicy(Policy):
    model = ActionOfficer

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        return _scoped_children(user, ActionOfficer.objects.all() if qs is None else qs)


class ConsultationPolicy(Policy):
    model = Consultation

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        return _scoped_children(user, Consultation.objects.all() if qs is None else qs)


action_policy = ActionPolicy()
participant_policy = ParticipantPolicy()
target_policy = TargetPolicy()
officer_policy = OfficerPolicy()
assignment_policy = AssignmentPolicy()
inspection_policy = InspectionPolicy()
finding_policy = FindingPolicy()
consultation_policy = ConsultationPolicy()
