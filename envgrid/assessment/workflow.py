"""Status tables of the assessment, the unit evaluations and the objections, and the ONE
function that moves any of them: it checks the table, writes an append-only history row
and an audit event (STYLE rule 4)."""

from __future__ import annotations

from typing import Any

from django.db import models

from envgrid.core import workflow as kernel
from envgrid.core.workflow import Transition, Workflow, register, step

from .models import (
    Assessment,
    AssessmentEvent,
    AssessmentPlan,
    AssessmentStatus,
    EvaluationStatus,
    Objection,
    ObjectionStatus,
    PlanStatus,
    UnitEvaluation,
)

# (from, to) → audit action.
ASSESSMENT_TRANSITIONS: dict[tuple[str, str], str] = {
    (AssessmentStatus.SELF_EVALUATION, AssessmentStatus.REVIEWING): "assessment.review_start",
    (AssessmentStatus.REVIEWING, AssessmentStatus.FINALISED): "assessment.finalise",
}
EVALUATION_TRANSITIONS: dict[tuple[str, str], str] = {
    (EvaluationStatus.DRAFT, EvaluationStatus.SUBMITTED): "assessment.evaluation.submit",
    (EvaluationStatus.DRAFT, EvaluationStatus.FINALISED): "assessment.evaluation.finalise",
    (EvaluationStatus.SUBMITTED, EvaluationStatus.FINALISED): "assessment.evaluation.finalise",
}
OBJECTION_TRANSITIONS: dict[tuple[str, str], str] = {
    (ObjectionStatus.PENDING, ObjectionStatus.UPHELD): "assessment.objection.uphold",
    (ObjectionStatus.PENDING, ObjectionStatus.REJECTED): "assessment.objection.reject",
}
# A plan is drafted, used by one assessment, and retired when a newer version replaces it.
PLAN_TRANSITIONS: dict[tuple[str, str], str] = {
    (PlanStatus.DRAFT, PlanStatus.IN_USE): "assessment.plan.in_use",
    (PlanStatus.IN_USE, PlanStatus.RETIRED): "assessment.plan.retire",
}
TABLES: dict[type[models.Model], dict[tuple[str, str], str]] = {
    Assessment: ASSESSMENT_TRANSITIONS,
    UnitEvaluation: EVALUATION_TRANSITIONS,
    Objection: OBJECTION_TRANSITIONS,
    AssessmentPlan: PLAN_TRANSITIONS,
}


# The office takes the assessment's and the objections' steps (its pages ask
# `actions_available` for their buttons; the kernel checks it again). An evaluation's steps
# are the unit's submission and the batch finalisation, a plan's its adoption: those stay
# the services' to check (kernel.SYSTEM).
OFFICE_STEPS: set[type[models.Model]] = {Assessment, Objection}


def _steps(table: dict[tuple[str, str], str], who: str = "") -> tuple[Transition, ...]:
    """One kernel step per (from, to) row, named (in history and audit) by its action."""
    return tuple(
        step(action, {frm}, to, audit_action=action, who=who) for (frm, to), action in table.items()
    )


def _may_office(obj: Any, actor: Any, t: Transition) -> bool:
    from .policies import assessment_policy, objection_policy

    if isinstance(obj, Assessment):
        return bool(assessment_policy.can_change(actor, obj))
    return bool(objection_policy.can_change(actor, obj))


def _ids(obj: Any, actor: Any) -> dict[str, Any]:
    if isinstance(obj, Assessment):
        return {"assessment_id": obj.pk, "evaluation_id": None, "objection_id": None}
    if isinstance(obj, UnitEvaluation):
        return {"assessment_id": obj.assessment_id, "evaluation_id": obj.pk, "objection_id": None}
    return {
        "assessment_id": obj.evaluation.assessment_id,
        "evaluation_id": obj.evaluation_id,
        "objection_id": obj.pk,
    }


for _model, _table in TABLES.items():
    register(
        Workflow(
            model=_model,
            transitions=_steps(_table, "office" if _model in OFFICE_STEPS else ""),
            audit_prefix=_model._meta.model_name or "",
            # A plan belongs to no assessment yet: its moves are audited only.
            history=None if _model is AssessmentPlan else AssessmentEvent,
            history_subject="",  # _ids names the rows it belongs to
            history_extra=_ids,
            audit_fields=["status"],
            may=_may_office if _model in OFFICE_STEPS else None,
        )
    )


def can_transition(obj: models.Model, to_status: str) -> bool:
    return (getattr(obj, "status"), to_status) in TABLES[type(obj)]  # noqa: B009


def transition(
    obj: Assessment | UnitEvaluation | Objection | AssessmentPlan,
    to_status: str,
    *,
    actor: Any,
    note: str = "",
    extra: dict[str, Any] | None = None,
    at: Any = None,
) -> None:
    """Move `obj` to `to_status` (the caller holds the row lock and saves other fields first)."""
    kernel.transition(obj, to=to_status, actor=actor, note=note, at=at, audit_extra=extra)


def transition_many(
    objs: list[UnitEvaluation],
    to_status: str,
    *,
    actor: Any,
    at: Any = None,
    extras: dict[int, dict[str, Any]] | None = None,
) -> None:
    """`transition` for many evaluations at once (finalising a large group). One audit
    event for the batch, filed under the assessment the evaluations belong to (ids are in
    before/after); each evaluation also has its own history row."""
    if not objs:
        return
    kernel.transition_many(
        objs,
        to=to_status,
        actor=actor,
        at=at,
        extras=extras,
        audit_object_type=Assessment._meta.label_lower,
        audit_object_id=str(objs[0].assessment_id),
    )
