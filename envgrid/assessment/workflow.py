"""Status tables of the assessment, the unit evaluations and the objections, and the ONE
function that moves any of them: it checks the table, writes an append-only history row
and an audit event (STYLE rule 4)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record
from envgrid.core.errors import ConflictError

from .models import (
    Assessment,
    AssessmentEvent,
    AssessmentStatus,
    EvaluationStatus,
    Objection,
    ObjectionStatus,
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
TABLES: dict[type[models.Model], dict[tuple[str, str], str]] = {
    Assessment: ASSESSMENT_TRANSITIONS,
    UnitEvaluation: EVALUATION_TRANSITIONS,
    Objection: OBJECTION_TRANSITIONS,
}


def can_transition(obj: models.Model, to_status: str) -> bool:
    return (getattr(obj, "status"), to_status) in TABLES[type(obj)]  # noqa: B009


def transition(
    obj: Assessment | UnitEvaluation | Objection,
    to_status: str,
    *,
    actor: Any,
    note: str = "",
    extra: dict[str, Any] | None = None,
    at: Any = None,
) -> None:
    """Move `obj` to `to_status` (the caller holds the row lock and saves other fields first)."""
    table = TABLES[type(obj)]
    from_status = obj.status
    action = table.get((from_status, to_status))
    if action is None:
        raise ConflictError(
            _("当前状态“%(status)s”下不能进行此操作。") % {"status": obj.get_status_display()},
            code="transition_not_allowed",
            fields={"status": from_status},
        )
    obj.status = to_status
    obj.save(update_fields=["status"])
    if isinstance(obj, Assessment):
        assessment_id, evaluation_id, objection_id = obj.pk, None, None
    elif isinstance(obj, UnitEvaluation):
        assessment_id, evaluation_id, objection_id = obj.assessment_id, obj.pk, None
    else:
        assessment_id = obj.evaluation.assessment_id
        evaluation_id, objection_id = obj.evaluation_id, obj.pk
    user = actor if getattr(actor, "is_authenticated", False) else None
    AssessmentEvent.objects.create(
        assessment_id=assessment_id,
        evaluation_id=evaluation_id,
        objection_id=objection_id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=user,
        at=at or timezone.now(),
        note=note,
    )
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        before={"status": from_status},
        after={"status": to_status, **(extra or {})},
    )
