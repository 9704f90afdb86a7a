"""Writes of a unit's evaluation: self-evaluation, submission and evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.core.notifications import notify
from envgrid.obligations.services import (
    obligation_complete_for,
    users_of_unit,
)

from .. import workflow
from ..evidence import check_upload
from ..models import (
    Assessment,
    EvaluationStatus,
    EvidenceFile,
    IndicatorScore,
    PlanIndicator,
    UnitEvaluation,
)
from ..policies import (
    evaluation_policy,
)
from ._common import SELF_EVALUATION_KIND, _moment, _score_in_range

# --- self-evaluation (A3) -----------------------------------------------------------------


def _require_self(actor: Any, evaluation: UnitEvaluation) -> None:
    if not evaluation_policy.can_view(actor, evaluation):
        raise ApplicationError(_("单位考核未找到。"), code="not_found", status=404)
    if not evaluation_policy.can_self_evaluate(actor, evaluation):
        raise PermissionDeniedError(_("只有被考核单位本单位人员可以填报自评。"), code="unit_only")


def _lock_evaluation(evaluation: UnitEvaluation) -> UnitEvaluation:
    """Lock the assessment row, then the evaluation, always in that order: every write on
    an evaluation then serialises with finalisation (which locks the assessment first), so
    nothing slips in between the review's totals and the frozen result."""
    list(
        Assessment.objects.select_for_update()
        .filter(pk=evaluation.assessment_id)
        .values_list("pk", flat=True)
    )
    return (
        UnitEvaluation.objects.select_for_update(of=("self",))
        .select_related("assessment__plan", "assessment__leading_group", "unit")
        .get(pk=evaluation.pk)
    )


@transaction.atomic
def evaluation_self_evaluate(
    *,
    actor: Any,
    evaluation: UnitEvaluation,
    summary: str | None = None,
    scores: dict[int, dict[str, Any]] | None = None,
) -> UnitEvaluation:
    """Save the unit's work summary and self-scores (indicator id → {score, note}); a draft
    until submitted."""
    _require_self(actor, evaluation)
    evaluation = _lock_evaluation(evaluation)
    if evaluation.status != EvaluationStatus.DRAFT:
        raise ConflictError(_("自评已提交，不能再修改。"), code="self_evaluation_submitted")
    if evaluation.assessment.is_finalised:
        raise ConflictError(_("考核已定档。"), code="assessment_finalised")
    before = snapshot(evaluation)
    rows = {
        s.indicator_id: s
        for s in IndicatorScore.objects.select_for_update()
        .filter(evaluation=evaluation)
        .select_related("indicator")
    }
    changed: dict[str, Any] = {}
    for raw_id, entry in (scores or {}).items():
        try:
            row = rows[int(raw_id)]
        except (KeyError, ValueError, TypeError):
            raise ApplicationError(
                _("指标不属于本考核方案。"), code="indicator_unknown", fields={"scores": [raw_id]}
            ) from None
        value = entry.get("score")
        new_score = (
            None
            if value in (None, "")
            else _score_in_range(value, row.indicator, f"score_{row.indicator_id}")
        )
        note = str(entry.get("note", row.self_note) or "")
        if new_score != row.self_score or note != row.self_note:
            changed[row.indicator.code] = {
                "before": str(row.self_score) if row.self_score is not None else None,
                "after": str(new_score) if new_score is not None else None,
            }
            row.self_score = new_score
            row.self_note = note
            row.save(update_fields=["self_score", "self_note"])
    if summary is not None:
        evaluation.summary = summary
    evaluation.self_total = sum(
        (r.self_score for r in rows.values() if r.self_score is not None), Decimal("0")
    )
    evaluation.save(update_fields=["summary", "self_total", "updated_at"])
    audit_record(
        actor=actor,
        action="assessment.evaluation.self_evaluate",
        obj=evaluation,
        before=before,
        after={**snapshot(evaluation), "scores": changed},
    )
    return evaluation


@transaction.atomic
def evaluation_submit(
    *, actor: Any, evaluation: UnitEvaluation, at: dt.datetime | None = None
) -> UnitEvaluation:
    """Submit the self-evaluation: the summary is written, every indicator self-scored and
    evidence given where the plan asks for it. Discharges the obligation (late or not)."""
    _require_self(actor, evaluation)
    evaluation = _lock_evaluation(evaluation)
    if evaluation.assessment.is_finalised:
        raise ConflictError(_("考核已定档。"), code="assessment_finalised")
    if not evaluation.summary.strip():
        raise ApplicationError(
            _("请先填写年度工作总结。"), code="summary_required", fields={"summary": [_("必填")]}
        )
    rows = list(evaluation.scores.select_related("indicator"))
    unscored = [r.indicator.code for r in rows if r.self_score is None]
    if unscored:
        raise ApplicationError(
            _("以下指标尚未自评：%(codes)s") % {"codes": "、".join(unscored)},
            code="self_scores_missing",
            fields={"scores": unscored},
        )
    with_evidence = set(
        evaluation.evidence.filter(indicator__isnull=False).values_list("indicator_id", flat=True)
    )
    no_evidence = [
        r.indicator.code
        for r in rows
        if r.indicator.requires_evidence and r.indicator_id not in with_evidence
    ]
    if no_evidence:
        raise ApplicationError(
            _("以下指标须上传佐证材料：%(codes)s") % {"codes": "、".join(no_evidence)},
            code="evidence_missing",
            fields={"evidence": no_evidence},
        )
    now = _moment(at)
    evaluation.submitted_at = now
    evaluation.submitted_by = actor if getattr(actor, "is_authenticated", False) else None
    evaluation.self_total = sum((r.self_score or Decimal("0") for r in rows), Decimal("0"))
    evaluation.save(update_fields=["submitted_at", "submitted_by", "self_total", "updated_at"])
    workflow.transition(
        evaluation,
        EvaluationStatus.SUBMITTED,
        actor=actor,
        extra={"self_total": str(evaluation.self_total)},
        at=now,
    )
    obligation_complete_for(subject=evaluation, kind=SELF_EVALUATION_KIND, actor=actor, at=now)
    notify(
        users=users_of_unit(evaluation.assessment.leading_group.office_unit_id),
        subject=_("%(unit)s 已提交%(year)s年度考核自评")
        % {"unit": evaluation.unit.name, "year": evaluation.assessment.year},
        link=evaluation.get_absolute_url(),
    )
    return evaluation


@transaction.atomic
def evidence_add(
    *,
    actor: Any,
    evaluation: UnitEvaluation,
    upload: Any,
    indicator: PlanIndicator | None = None,
    description: str = "",
) -> EvidenceFile:
    """A content-checked evidence file for an indicator, stored under MEDIA_ROOT."""
    _require_self(actor, evaluation)
    evaluation = _lock_evaluation(evaluation)
    if evaluation.assessment.is_finalised:
        raise ConflictError(_("考核已定档，不能再上传材料。"), code="assessment_finalised")
    if evaluation.status != EvaluationStatus.DRAFT:
        raise ConflictError(_("自评已提交，不能再上传材料。"), code="self_evaluation_submitted")
    if indicator is not None and indicator.plan_id != evaluation.assessment.plan_id:
        raise ApplicationError(
            _("指标不属于本考核方案。"), code="indicator_unknown", fields={"indicator": [_("无效")]}
        )
    checked = check_upload(upload)
    evidence = EvidenceFile(
        evaluation=evaluation,
        indicator=indicator,
        original_name=checked.name,
        mime=checked.mime,
        size=checked.size,
        sha256=checked.sha256,
        description=description[:300],
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    evidence.file.save(checked.name, upload, save=False)
    try:
        evidence.save()
    except Exception:
        evidence.file.delete(save=False)  # no orphan file when the row is not written
        raise
    audit_record(
        actor=actor, action="assessment.evidence.add", obj=evidence, after=snapshot(evidence)
    )
    return evidence
