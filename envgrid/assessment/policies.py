"""Who may see and do what in the assessment.

The office (and the leader and deputies, read-only) sees every unit of its leading group;
a member unit sees its own evaluation, and the ranking only once the result is final;
anyone else gets 404. Only the office runs the assessment; only the unit's own staff
self-evaluate and object."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.core.policies import ChildPolicy, own_or_overseen
from envgrid.org.policies import ActorScopedPolicy
from envgrid.org.selectors import Actor, actor_for

from .models import (
    Assessment,
    AssessmentPlan,
    AssessmentStatus,
    EvidenceFile,
    Objection,
    UnitEvaluation,
)


def is_office_of(user: Any, leading_group_id: int) -> bool:
    actor = actor_for(user)
    return actor.is_admin or leading_group_id in actor.office_group_ids


def is_overseer_of(user: Any, leading_group_id: int) -> bool:
    actor = actor_for(user)
    return actor.is_admin or leading_group_id in actor.overseen_group_ids


class AssessmentPolicy(ActorScopedPolicy):
    model = Assessment

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        own = UnitEvaluation.objects.filter(unit_id=self.person_of(actor).unit_id).values(
            "assessment_id"
        )
        return qs.filter(Q(leading_group_id__in=actor.overseen_group_ids) | Q(pk__in=own))

    def can_change(self, user: Any, obj: Any) -> bool:
        return is_office_of(user, obj.leading_group_id)

    def can_see_ranking(self, user: Any, obj: Assessment) -> bool:
        if is_overseer_of(user, obj.leading_group_id):
            return True
        return obj.status == AssessmentStatus.FINALISED and self.can_view(user, obj)


class EvaluationPolicy(ActorScopedPolicy):
    model = UnitEvaluation

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        return qs.filter(own_or_overseen(actor, group="assessment__leading_group_id"))

    def can_change(self, user: Any, obj: Any) -> bool:
        """The office reviews (adjusts, finalises)."""
        return is_office_of(user, obj.assessment.leading_group_id)

    def can_self_evaluate(self, user: Any, obj: UnitEvaluation) -> bool:
        actor = actor_for(user)
        return actor.person is not None and actor.unit_id == obj.unit_id

    def can_see_result(self, user: Any, obj: UnitEvaluation) -> bool:
        """Office scores stay with the office until the result is final."""
        return (
            is_overseer_of(user, obj.assessment.leading_group_id)
            or obj.assessment.status == AssessmentStatus.FINALISED
        )


class PlanPolicy(ActorScopedPolicy):
    model = AssessmentPlan

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        # A unit sees the plan it is assessed under, so it knows the indicators.
        used = Assessment.objects.filter(evaluations__unit_id=self.person_of(actor).unit_id).values(
            "plan_id"
        )
        return qs.filter(Q(leading_group_id__in=actor.overseen_group_ids) | Q(pk__in=used))

    def can_change(self, user: Any, obj: Any) -> bool:
        return is_office_of(user, obj.leading_group_id)


evaluation_policy = EvaluationPolicy()


class EvidencePolicy(ChildPolicy):
    model = EvidenceFile
    parent_field = "evaluation"
    parent_policy = evaluation_policy


class ObjectionPolicy(ChildPolicy):
    model = Objection
    parent_field = "evaluation"
    parent_policy = evaluation_policy

    def can_change(self, user: Any, obj: Any) -> bool:
        return is_office_of(user, obj.evaluation.assessment.leading_group_id)


assessment_policy = AssessmentPolicy()
plan_policy = PlanPolicy()
evidence_policy = EvidencePolicy()
objection_policy = ObjectionPolicy()
