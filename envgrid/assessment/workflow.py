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


def transition_many(
    objs: list[UnitEvaluation],
    to_status: str,
    *,
    actor: Any,
    at: Any = None,
    extras: dict[int, dict[str, Any]] | None = None,
) -> None:
    """`transition` for many evaluations at once (finalising a large group): the same table
    check for each, one UPDATE per source status guarded by that status, history rows in
    one insert, and one audit event per evaluation."""
    if not objs:
        return
    moment = at or timezone.now()
    by_from: dict[str, list[UnitEvaluation]] = {}
    for obj in objs:
        if (obj.status, to_status) not in EVALUATION_TRANSITIONS:
            raise ConflictError(
                _("当前状态“%(status)s”下不能进行此操作。") % {"status": obj.get_status_display()},
                code="transition_not_allowed",
                fields={"status": obj.status, "id": obj.pk},
            )
        by_from.setdefault(obj.status, []).append(obj)
    for from_status, group in by_from.items():
        changed = UnitEvaluation.objects.filter(
            pk__in=[o.pk for o in group], status=from_status
        ).update(status=to_status)
        if changed != len(group):  # someone moved one meanwhile: refuse the whole batch
            raise ConflictError(_("数据已被他人修改，请刷新后重试。"), code="concurrent_change")
    user = actor if getattr(actor, "is_authenticated", False) else None
    events = []
    for obj in objs:
        events.append(
            AssessmentEvent(
                assessment_id=obj.assessment_id,
                evaluation_id=obj.pk,
                action=EVALUATION_TRANSITIONS[(obj.status, to_status)],
                from_status=obj.status,
                to_status=to_status,
                actor=user,
                at=moment,
            )
        )
    AssessmentEvent.objects.bulk_create(events)
    # One audit event for the batch, listing every evaluation with its before/after (the
    # overdue sweep records its batches the same way); each evaluation also has its own
    # history row above.
    audit_record(
        actor=actor,
        action=f"{EVALUATION_TRANSITIONS[(objs[0].status, to_status)]}.batch",
        # Filed under the assessment the evaluations belong to (ids are in before/after).
        object_type=Assessment._meta.label_lower,
        object_id=str(objs[0].assessment_id),
        object_repr=f"{len(objs)} unit evaluations → {to_status}",
        before={str(o.pk): {"status": o.status} for o in objs},
        after={str(o.pk): {"status": to_status, **((extras or {}).get(o.pk, {}))} for o in objs},
    )
    for obj in objs:
        obj.status = to_status
