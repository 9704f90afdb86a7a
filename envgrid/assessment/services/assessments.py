"""Writes of an annual assessment (SPEC A2): opening, adopting the plan, review, adjustments and finalising."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.documents import document_number_next
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.core.notifications import notify
from envgrid.obligations.services import (
    obligation_open,
    users_of_unit,
)

from .. import workflow
from ..bulk import bulk_set
from ..models import (
    Assessment,
    AssessmentPlan,
    AssessmentStatus,
    EvaluationStatus,
    EvidenceFile,
    IndicatorScore,
    Objection,
    PlanIndicator,
    PlanStatus,
    ScoreAdjustment,
    UnitEvaluation,
)
from ..policies import (
    assessment_policy,
    evaluation_policy,
    plan_policy,
)
from ..scoring import competition_ranks, grade_for, percent_of, q2
from ..selectors import default_unit_ids
from ._common import (
    SELF_EVALUATION_KIND,
    _lock_plan,
    _moment,
    _score_in_range,
    objection_deadline_for,
)
from .evaluations import _lock_evaluation


def _open_self_evaluation(
    evaluation: UnitEvaluation, plan: AssessmentPlan, actor: Any, start: dt.datetime
) -> None:
    obligation_open(
        unit=evaluation.unit,
        kind=SELF_EVALUATION_KIND,
        title=_("提交%(year)s年度考核自评（纳入年度工作总结）") % {"year": plan.year},
        rule=DeadlineRule(RuleKind.WORKDAYS, plan.self_eval_workdays),
        start_at=start,
        start_event=_("启动年度考核"),
        subject=evaluation,
        link=evaluation.get_absolute_url(),
        actor=actor,
    )


@transaction.atomic
def assessment_open(
    *,
    actor: Any,
    plan: AssessmentPlan,
    unit_ids: Sequence[int] | None = None,
    at: dt.datetime | None = None,
) -> Assessment:
    """Open the year's assessment under `plan`: the plan becomes in use (frozen), each unit
    gets an evaluation and owes its self-evaluation within the plan's working days."""
    plan_policy.require_change(actor, plan)
    plan = _lock_plan(plan)
    if plan.status != PlanStatus.DRAFT:
        raise ConflictError(_("该方案已被使用或已停用。"), code="plan_not_draft")
    indicators = list(plan.indicators.all())
    if not indicators:
        raise ApplicationError(_("考核方案没有任何指标。"), code="plan_empty")
    group = plan.leading_group
    if Assessment.objects.filter(leading_group=group, year=plan.year).exists():
        raise ConflictError(
            _("%(year)s年度考核已经启动。") % {"year": plan.year}, code="assessment_exists"
        )
    members = set(group.member_units.values_list("pk", flat=True))
    chosen = list(dict.fromkeys(unit_ids)) if unit_ids is not None else default_unit_ids(group)
    strangers = [u for u in chosen if u not in members]
    if strangers:
        raise ApplicationError(
            _("被考核单位须为本领导小组成员单位。"),
            code="unit_not_member",
            fields={"unit_ids": strangers},
        )
    if not chosen:
        raise ApplicationError(_("没有被考核单位。"), code="no_units")
    now = _moment(at)
    assessment = Assessment.objects.create(
        leading_group=group, year=plan.year, plan=plan, opened_at=now
    )
    evaluations = UnitEvaluation.objects.bulk_create(
        [UnitEvaluation(assessment=assessment, unit_id=uid) for uid in chosen]
    )
    IndicatorScore.objects.bulk_create(
        [IndicatorScore(evaluation=ev, indicator=ind) for ev in evaluations for ind in indicators]
    )
    for ev in UnitEvaluation.objects.filter(assessment=assessment).select_related("unit"):
        _open_self_evaluation(ev, plan, actor, now)
        notify(
            users=users_of_unit(ev.unit_id),
            subject=_("%(year)s年度网格化环境监管考核已启动，请提交自评") % {"year": plan.year},
            body=_("请在年度工作总结中进行自评并按时提交。"),
            link=ev.get_absolute_url(),
        )
    audit_record(
        actor=actor,
        action="assessment.open",
        obj=assessment,
        after={**snapshot(assessment), "unit_ids": chosen},
    )
    workflow.transition(plan, PlanStatus.IN_USE, actor=actor, extra={"assessment": assessment.pk})
    return assessment


@transaction.atomic
def assessment_adopt_plan(
    *, actor: Any, assessment: Assessment, plan: AssessmentPlan
) -> Assessment:
    """Switch an assessment to a newer draft version of its plan, while no unit has yet
    submitted: self-scores carry over by indicator code; the old version is retired."""
    assessment_policy.require_change(actor, assessment)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    plan = _lock_plan(plan)
    if assessment.status != AssessmentStatus.SELF_EVALUATION:
        raise ConflictError(_("考核已进入审核，不能更换方案。"), code="assessment_not_open")
    if plan.leading_group_id != assessment.leading_group_id or plan.year != assessment.year:
        raise ApplicationError(_("方案须为本领导小组同一年度的方案。"), code="plan_mismatch")
    if plan.status != PlanStatus.DRAFT:
        raise ConflictError(_("该方案已被使用或已停用。"), code="plan_not_draft")
    if assessment.evaluations.exclude(status=EvaluationStatus.DRAFT).exists():
        raise ConflictError(_("已有单位提交自评，不能更换方案。"), code="self_evaluation_submitted")
    new_indicators = {i.code: i for i in plan.indicators.all()}
    if not new_indicators:
        raise ApplicationError(_("考核方案没有任何指标。"), code="plan_empty")
    old_plan = assessment.plan
    scores = list(
        IndicatorScore.objects.filter(evaluation__assessment=assessment).select_related("indicator")
    )
    carried: dict[tuple[int, str], IndicatorScore] = {
        (s.evaluation_id, s.indicator.code): s for s in scores
    }
    # Draft self-scores are the unit's working notes, nothing a rule depends on yet.
    EvidenceFile.objects.filter(evaluation__assessment=assessment, indicator__isnull=False).exclude(
        indicator__code__in=list(new_indicators)
    ).update(indicator=None)
    for ev in assessment.evaluations.all():
        for code, ind in new_indicators.items():
            EvidenceFile.objects.filter(evaluation=ev, indicator__code=code).exclude(
                indicator=ind
            ).update(indicator=ind)
    IndicatorScore.objects.filter(evaluation__assessment=assessment).delete()
    IndicatorScore.objects.bulk_create(
        [
            IndicatorScore(
                evaluation_id=ev_id,
                indicator=ind,
                self_score=(
                    min(carried[(ev_id, code)].self_score, ind.weight)  # type: ignore[type-var]
                    if (ev_id, code) in carried and carried[(ev_id, code)].self_score is not None
                    else None
                ),
                self_note=carried[(ev_id, code)].self_note if (ev_id, code) in carried else "",
            )
            for ev_id in assessment.evaluations.values_list("pk", flat=True)
            for code, ind in new_indicators.items()
        ]
    )
    old_plan = _lock_plan(old_plan)
    workflow.transition(old_plan, PlanStatus.RETIRED, actor=actor, extra={"by": plan.pk})
    workflow.transition(plan, PlanStatus.IN_USE, actor=actor, extra={"assessment": assessment.pk})
    assessment.plan = plan
    assessment.save(update_fields=["plan", "updated_at"])
    audit_record(
        actor=actor,
        action="assessment.adopt_plan",
        obj=assessment,
        before={"plan": old_plan.pk},
        after={"plan": plan.pk},
    )
    return assessment


# --- review (A3) --------------------------------------------------------------------------


@transaction.atomic
def assessment_review_start(
    *, actor: Any, assessment: Assessment, at: dt.datetime | None = None
) -> Assessment:
    assessment_policy.require_change(actor, assessment)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    assessment.review_started_at = _moment(at)
    assessment.save(update_fields=["review_started_at", "updated_at"])
    pending = assessment.evaluations.filter(status=EvaluationStatus.DRAFT).count()
    workflow.transition(
        assessment,
        AssessmentStatus.REVIEWING,
        actor=actor,
        note=_("%(n)s 个单位尚未提交自评") % {"n": pending} if pending else "",
        at=assessment.review_started_at,
    )
    return assessment


def _apply_adjustment(
    *,
    actor: Any,
    row: IndicatorScore,
    score: Decimal,
    reason: str,
    before: Decimal | None,
    objection: Objection | None = None,
    at: dt.datetime | None = None,
) -> ScoreAdjustment:
    adjustment = ScoreAdjustment.objects.create(
        score=row,
        before=before,
        after=score,
        reason=reason,
        objection=objection,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=at or timezone.now(),
    )
    row.office_score = score
    row.adjust_reason = reason
    fields = ["office_score", "adjust_reason"]
    if row.final_score is not None or objection is not None:
        row.final_score = score
        fields.append("final_score")
    row.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="assessment.score.adjust",
        obj=row.evaluation,
        object_repr=f"{row.evaluation} · {row.indicator.code}",
        before={
            "indicator": row.indicator.code,
            "score": str(before) if before is not None else None,
        },
        after={
            "indicator": row.indicator.code,
            "score": str(score),
            "reason": reason,
            "objection": objection.pk if objection else None,
        },
    )
    return adjustment


def _require_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ApplicationError(
            _("调整评分须写明理由。"), code="reason_required", fields={"reason": [_("必填")]}
        )
    return text


@transaction.atomic
def score_adjust(
    *,
    actor: Any,
    evaluation: UnitEvaluation,
    indicator: PlanIndicator,
    score: Any,
    reason: str,
    at: dt.datetime | None = None,
) -> ScoreAdjustment:
    """The office sets a score different from the proposal (the computed score, or the
    self-score for indicators scored in review) — only with a written reason."""
    if not evaluation_policy.can_view(actor, evaluation):
        raise ApplicationError(_("单位考核未找到。"), code="not_found", status=404)
    if not evaluation_policy.can_change(actor, evaluation):
        raise PermissionDeniedError(_("只有领导小组办公室可以审核评分。"), code="office_only")
    text = _require_reason(reason)
    evaluation = _lock_evaluation(evaluation)
    if evaluation.assessment.status != AssessmentStatus.REVIEWING:
        raise ConflictError(
            _("只有在审核阶段才能调整评分（定档后请通过异议答复调整）。"),
            code="not_reviewing",
        )
    try:
        row = (
            IndicatorScore.objects.select_for_update()
            .select_related("indicator", "evaluation__unit", "evaluation__assessment")
            .get(evaluation=evaluation, indicator=indicator)
        )
    except IndicatorScore.DoesNotExist:
        raise ApplicationError(
            _("指标不属于本考核方案。"), code="indicator_unknown", fields={"indicator": [_("无效")]}
        ) from None
    value = _score_in_range(score, row.indicator)
    now = _moment(at)
    from ..selectors import evaluation_lines

    lines = evaluation_lines(evaluation, now=now).lines
    line = next(ln for ln in lines if ln.indicator.pk == indicator.pk)
    return _apply_adjustment(
        actor=actor, row=row, score=value, reason=text, before=line.effective, at=now
    )


def _finalise_totals(assessment: Assessment, actor: Any, audit: bool) -> list[UnitEvaluation]:
    """Totals from the frozen final scores, then ranks and grades across the assessment."""
    plan = assessment.plan
    max_total = sum((i.weight for i in plan.indicators.all()), Decimal("0"))
    evaluations = list(assessment.evaluations.select_related("unit"))
    sums: dict[int, Decimal] = dict.fromkeys((e.pk for e in evaluations), Decimal("0"))
    for ev_id, final in IndicatorScore.objects.filter(
        evaluation__assessment=assessment
    ).values_list("evaluation_id", "final_score"):
        sums[ev_id] += final or Decimal("0")
    ranks = competition_ranks([(e.pk, sums[e.pk]) for e in evaluations])
    changed = []
    for ev in evaluations:
        before = (ev.total, ev.rank, ev.grade)
        ev.total = q2(sums[ev.pk])
        ev.percent = percent_of(ev.total, max_total)
        ev.rank = ranks[ev.pk]
        ev.grade = grade_for(ev.percent, plan)
        if before != (ev.total, ev.rank, ev.grade):
            changed.append(ev)
            if audit and before[0] is not None:
                audit_record(
                    actor=actor,
                    action="assessment.evaluation.rerank",
                    obj=ev,
                    before={"total": str(before[0]), "rank": before[1], "grade": before[2]},
                    after={"total": str(ev.total), "rank": ev.rank, "grade": ev.grade},
                )
    bulk_set(
        UnitEvaluation,
        {
            ev.pk: {"total": ev.total, "percent": ev.percent, "rank": ev.rank, "grade": ev.grade}
            for ev in changed
        },
        ["total", "percent", "rank", "grade"],
    )
    return evaluations


def _notify_units(evaluations: Sequence[UnitEvaluation], subject_body: Any) -> None:
    """One notice per unit, with the unit's staff found in one query."""
    from django.contrib.auth import get_user_model

    from envgrid.org.models import Person

    pairs = list(
        Person.objects.filter(
            unit_id__in=[e.unit_id for e in evaluations],
            is_active=True,
            user__isnull=False,
            user__is_active=True,
        ).values_list("unit_id", "user_id")
    )
    users = get_user_model().objects.in_bulk([u for _, u in pairs])
    by_unit: dict[int, list[Any]] = {}
    for unit_id, user_id in pairs:
        by_unit.setdefault(unit_id, []).append(users[user_id])
    for ev in evaluations:
        if by_unit.get(ev.unit_id):
            subject, body = subject_body(ev)
            notify(
                users=by_unit[ev.unit_id], subject=subject, body=body, link=ev.get_absolute_url()
            )


@transaction.atomic
def assessment_finalise(
    *, actor: Any, assessment: Assessment, at: dt.datetime | None = None
) -> Assessment:
    """Freeze every score (computed values with their counts, the effective score), total,
    rank and grade every unit, number the result and open the objection window."""
    assessment_policy.require_change(actor, assessment)
    assessment = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("plan", "leading_group")
        .get(pk=assessment.pk)
    )
    if assessment.status != AssessmentStatus.REVIEWING:
        raise ConflictError(_("只有审核中的考核可以定档。"), code="not_reviewing")
    from ..selectors import scoreboard

    now = _moment(at)
    # Lock the rows we freeze, before reading them.
    list(
        IndicatorScore.objects.select_for_update()
        .filter(evaluation__assessment=assessment)
        .values_list("pk", flat=True)
    )
    board = scoreboard(assessment, now=now, live=True)
    missing = [
        f"{row.unit.name}：{ln.indicator.code}"
        for row in board
        for ln in row.lines
        if ln.effective is None
    ]
    if missing:
        raise ApplicationError(
            _("以下指标尚无得分（未自评的审核指标须由办公室评分并写明理由）：%(items)s")
            % {"items": "；".join(missing[:20])},
            code="scores_missing",
            fields={"scores": missing},
        )
    frozen: dict[int, dict[str, Any]] = {}
    for row in board:
        for ln in row.lines:
            if ln.score_id is None:  # every evaluation has a row per indicator (opened so)
                continue
            frozen[ln.score_id] = {
                "computed_value": ln.metric.value if ln.metric else None,
                "numerator": ln.metric.numerator if ln.metric else None,
                "denominator": ln.metric.denominator if ln.metric else None,
                "computed_score": ln.computed_score,
                "final_score": ln.effective,
            }
    bulk_set(
        IndicatorScore,
        frozen,
        ["computed_value", "numerator", "denominator", "computed_score", "final_score"],
    )
    assessment.finalised_at = now
    assessment.objection_deadline = objection_deadline_for(now, assessment.plan.objection_workdays)
    group = assessment.leading_group
    assessment.document_number = document_number_next(
        kind="assessment.result",
        issuer_key=str(group.pk),
        year=assessment.year,
        fmt="{prefix}考〔{year}〕{seq}号",
        prefix=group.doc_prefix or "",
    )
    assessment.save(
        update_fields=["finalised_at", "objection_deadline", "document_number", "updated_at"]
    )
    evaluations = _finalise_totals(assessment, actor, audit=False)
    workflow.transition_many(
        evaluations,
        EvaluationStatus.FINALISED,
        actor=actor,
        at=now,
        extras={
            ev.pk: {"total": str(ev.total), "rank": ev.rank, "grade": ev.grade}
            for ev in evaluations
        },
    )
    deadline = f"{timezone.localtime(assessment.objection_deadline):%Y-%m-%d %H:%M}"
    _notify_units(
        evaluations,
        lambda ev: (
            _("%(year)s年度考核结果已定档：%(grade)s")
            % {"year": assessment.year, "grade": ev.get_grade_display()},
            _("如有异议，请于 %(deadline)s 前提出。") % {"deadline": deadline},
        ),
    )
    workflow.transition(
        assessment,
        AssessmentStatus.FINALISED,
        actor=actor,
        extra={
            "document_number": assessment.document_number,
            "objection_deadline": assessment.objection_deadline.isoformat(),
        },
        at=now,
    )
    return assessment
