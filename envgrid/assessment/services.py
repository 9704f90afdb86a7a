"""Writes for the annual assessment (SPEC A1–A3). Every write is audited; every refused rule
raises ApplicationError with a stable code.

Plans: created as drafts (from the seed's default indicators or copied from another plan),
frozen once an assessment adopts them; a change is a new version.
Assessment: opened per leading group and year; each member unit gets an evaluation and an
obligation "assessment.self_evaluation"; the office starts the review, adjusts scores only
with a written reason, and finalises (totals, ranks, grades, a result number); a unit may
object within the plan's window of working days; the office decides and it is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.calendar import WorkCalendar
from envgrid.core.deadlines import DeadlineRule, RuleKind, end_of_day, local_date
from envgrid.core.documents import document_number_next
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.core.notifications import notify
from envgrid.obligations.services import (
    obligation_complete_for,
    obligation_open,
    users_of_unit,
)

from . import workflow
from .bulk import bulk_set
from .defaults import DEFAULT_INDICATORS, PATROL_FUNDED_BY, PATROL_INDICATOR
from .evidence import check_upload
from .indicators import metric_get
from .models import (
    Assessment,
    AssessmentPlan,
    AssessmentStatus,
    EvaluationStatus,
    EvidenceFile,
    IndicatorScore,
    IndicatorSource,
    Objection,
    ObjectionStatus,
    PlanIndicator,
    PlanStatus,
    ScoreAdjustment,
    UnitEvaluation,
)
from .policies import (
    assessment_policy,
    evaluation_policy,
    is_office_of,
    objection_policy,
    plan_policy,
)
from .scoring import competition_ranks, grade_for, percent_of, q2

SELF_EVALUATION_KIND = "assessment.self_evaluation"
OBJECTION_KIND = "assessment.objection"

PLAN_FIELDS = (
    "name",
    "note",
    "self_eval_workdays",
    "objection_workdays",
    "objection_decision_workdays",
    "grade_excellent",
    "grade_good",
    "grade_pass",
)
INDICATOR_FIELDS = (
    "code",
    "category",
    "name",
    "scoring_rule",
    "weight",
    "source",
    "metric",
    "full_at",
    "zero_at",
    "when_empty",
    "requires_evidence",
    "order",
)


def _validate(instance: Any, exclude: Sequence[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        raise ApplicationError("; ".join(exc.messages), code="invalid", fields=fields) from exc


def _require_office(user: Any, leading_group_id: int) -> None:
    if not is_office_of(user, leading_group_id):
        raise PermissionDeniedError(_("只有领导小组办公室可以组织考核。"), code="office_only")


def _decimal(value: Any, field: str) -> Decimal:
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ApplicationError(
            _("请填写数字。"), code="invalid", fields={field: [_("须为数字")]}
        ) from None
    if not result.is_finite():
        raise ApplicationError(_("请填写数字。"), code="invalid", fields={field: [_("须为数字")]})
    return result


def _score_in_range(value: Any, indicator: PlanIndicator, field: str = "score") -> Decimal:
    score = _decimal(value, field)
    if score < 0 or score > indicator.weight:
        raise ApplicationError(
            _("“%(name)s”的得分须在 0 至 %(max)s 之间。")
            % {"name": indicator.name, "max": indicator.weight},
            code="score_out_of_range",
            fields={field: [_("超出分值范围")]},
        )
    return q2(score)


def _moment(at: dt.datetime | None) -> dt.datetime:
    """When the act happened: now, or a past moment when an office records an assessment
    carried out before it used the system (backfilling); never the future."""
    now = timezone.now()
    if at is None:
        return now
    if at > now:
        raise ApplicationError(_("办理时间不能晚于当前时间。"), code="at_in_future")
    return at


def _lock_plan(plan: AssessmentPlan) -> AssessmentPlan:
    return AssessmentPlan.objects.select_for_update().get(pk=plan.pk)


def _require_draft(plan: AssessmentPlan) -> None:
    """A plan in use is never edited (A2): the office makes a new version instead."""
    if plan.status != PlanStatus.DRAFT:
        raise ConflictError(
            _("考核方案已投入使用，不能修改；请另建新版本。"),
            code="plan_in_use",
            fields={"plan": plan.pk},
        )


# --- plans --------------------------------------------------------------------------------


def default_indicator_rows() -> list[dict[str, Any]]:
    """The seed's indicators; where patrols exist their coverage joins, its points taken
    from the summary indicator so the plan still totals 100."""
    rows = [dict(r) for r in DEFAULT_INDICATORS]
    if metric_get(PATROL_INDICATOR["metric"]) is not None:
        patrol = dict(PATROL_INDICATOR)
        for row in rows:
            if row["code"] == PATROL_FUNDED_BY:
                row["weight"] -= patrol["weight"]
        rows.append(patrol)
    return rows


def _indicator_rows_of(plan: AssessmentPlan) -> list[dict[str, Any]]:
    return [{f: getattr(i, f) for f in INDICATOR_FIELDS} for i in plan.indicators.all()]


def _create_indicators(plan: AssessmentPlan, rows: Iterable[dict[str, Any]]) -> None:
    for order, row in enumerate(rows, start=1):
        data = {**row}
        data.setdefault("order", order * 10)
        data["name"] = str(data["name"])
        data["scoring_rule"] = str(data.get("scoring_rule", ""))
        indicator = PlanIndicator(plan=plan, **data)
        _validate(indicator)
        indicator.save()


@transaction.atomic
def plan_create(
    *,
    actor: Any,
    leading_group: Any,
    year: int,
    name: str = "",
    copy_from: AssessmentPlan | None = None,
    with_defaults: bool = True,
    **rules: Any,
) -> AssessmentPlan:
    """A new draft plan for a year: the next version of that year, its indicators copied
    from `copy_from` or taken from the seed's default set."""
    _require_office(actor, leading_group.pk)
    if copy_from is not None and not plan_policy.can_view(actor, copy_from):
        raise ApplicationError(_("来源方案未找到。"), code="not_found", status=404)
    unknown = set(rules) - set(PLAN_FIELDS)
    if unknown:
        raise ApplicationError(
            _("未知字段：%(f)s") % {"f": ", ".join(sorted(unknown))}, code="invalid"
        )
    last = AssessmentPlan.objects.filter(leading_group=leading_group, year=year).aggregate(
        m=Max("version")
    )["m"]
    base_rules = {f: getattr(copy_from, f) for f in PLAN_FIELDS} if copy_from else {}
    base_rules.pop("name", None)
    plan = AssessmentPlan(
        leading_group=leading_group,
        year=year,
        version=(last or 0) + 1,
        name=name.strip() or _("%(year)s年度网格化环境监管考核方案") % {"year": year},
        based_on=copy_from,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **{**base_rules, **{k: v for k, v in rules.items() if k != "name"}},
    )
    _validate(plan)
    plan.save()
    if copy_from is not None:
        _create_indicators(plan, _indicator_rows_of(copy_from))
    elif with_defaults:
        _create_indicators(plan, default_indicator_rows())
    audit_record(
        actor=actor,
        action="assessment.plan.create",
        obj=plan,
        after={**snapshot(plan), "indicators": _indicator_rows_of(plan)},
    )
    return plan


@transaction.atomic
def plan_update(*, actor: Any, plan: AssessmentPlan, **data: Any) -> AssessmentPlan:
    plan_policy.require_change(actor, plan)
    plan = _lock_plan(plan)
    _require_draft(plan)
    unknown = set(data) - set(PLAN_FIELDS)
    if unknown:
        raise ApplicationError(
            _("未知字段：%(f)s") % {"f": ", ".join(sorted(unknown))}, code="invalid"
        )
    before = snapshot(plan)
    for key, value in data.items():
        setattr(plan, key, value)
    _validate(plan)
    plan.save()
    audit_record(
        actor=actor, action="assessment.plan.update", obj=plan, before=before, after=snapshot(plan)
    )
    return plan


@transaction.atomic
def plan_new_version(*, actor: Any, plan: AssessmentPlan) -> AssessmentPlan:
    """The way to change a plan in use: a draft copy with the next version number."""
    plan_policy.require_change(actor, plan)
    return plan_create(
        actor=actor,
        leading_group=plan.leading_group,
        year=plan.year,
        name=plan.name,
        copy_from=plan,
    )


def _check_metric(data: dict[str, Any]) -> None:
    if data.get("source") == IndicatorSource.COMPUTED:
        if not data.get("metric"):
            raise ApplicationError(
                _("系统计算的指标须选择计算口径。"),
                code="metric_required",
                fields={"metric": [_("必填")]},
            )
        if metric_get(data["metric"]) is None:
            raise ApplicationError(
                _("计算口径“%(m)s”不存在或其数据来源未启用。") % {"m": data["metric"]},
                code="metric_unknown",
                fields={"metric": [_("未知口径")]},
            )
    elif data.get("source") == IndicatorSource.REVIEW:
        data["metric"] = ""


@transaction.atomic
def indicator_create(*, actor: Any, plan: AssessmentPlan, **data: Any) -> PlanIndicator:
    plan_policy.require_change(actor, plan)
    plan = _lock_plan(plan)
    _require_draft(plan)
    data = {k: v for k, v in data.items() if k in INDICATOR_FIELDS}
    _check_metric(data)
    if "order" not in data:
        data["order"] = (plan.indicators.aggregate(m=Max("order"))["m"] or 0) + 10
    indicator = PlanIndicator(plan=plan, **data)
    _validate(indicator)
    indicator.save()
    audit_record(
        actor=actor, action="assessment.indicator.create", obj=indicator, after=snapshot(indicator)
    )
    return indicator


@transaction.atomic
def indicator_update(*, actor: Any, indicator: PlanIndicator, **data: Any) -> PlanIndicator:
    plan_policy.require_change(actor, indicator.plan)
    _require_draft(_lock_plan(indicator.plan))
    indicator = PlanIndicator.objects.select_for_update().get(pk=indicator.pk)
    before = snapshot(indicator)
    merged = {f: getattr(indicator, f) for f in INDICATOR_FIELDS}
    merged.update({k: v for k, v in data.items() if k in INDICATOR_FIELDS})
    _check_metric(merged)
    for key, value in merged.items():
        setattr(indicator, key, value)
    _validate(indicator)
    indicator.save()
    audit_record(
        actor=actor,
        action="assessment.indicator.update",
        obj=indicator,
        before=before,
        after=snapshot(indicator),
    )
    return indicator


@transaction.atomic
def indicator_delete(*, actor: Any, indicator: PlanIndicator) -> None:
    """Only from a draft, which nothing depends on yet."""
    plan_policy.require_change(actor, indicator.plan)
    _require_draft(_lock_plan(indicator.plan))
    before = snapshot(indicator)
    audit_record(actor=actor, action="assessment.indicator.delete", obj=indicator, before=before)
    indicator.delete()


# --- opening ------------------------------------------------------------------------------


def default_unit_ids(leading_group: Any) -> list[int]:
    """The member units; the office runs the assessment and does not assess itself."""
    return list(
        leading_group.member_units.filter(is_active=True)
        .exclude(pk=leading_group.office_unit_id)
        .order_by("code")
        .values_list("pk", flat=True)
    )


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
    from .selectors import evaluation_lines

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


def objection_deadline_for(finalised_at: dt.datetime, workdays: int) -> dt.datetime:
    return end_of_day(WorkCalendar().add_workdays(local_date(finalised_at), workdays))


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
    from .selectors import scoreboard

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


# --- objections ---------------------------------------------------------------------------


@transaction.atomic
def objection_file(
    *, actor: Any, evaluation: UnitEvaluation, reason: str, at: dt.datetime | None = None
) -> Objection:
    """A unit objects to its result, within the plan's window of working days."""
    _require_self(actor, evaluation)
    evaluation = _lock_evaluation(evaluation)
    assessment = evaluation.assessment
    if not assessment.is_finalised:
        raise ConflictError(_("考核结果尚未定档。"), code="not_finalised")
    if not (reason or "").strip():
        raise ApplicationError(
            _("请写明异议理由。"), code="reason_required", fields={"reason": [_("必填")]}
        )
    now = _moment(at)
    if not assessment.objection_open(now):
        raise ApplicationError(
            _("异议期已于 %(deadline)s 截止，不再受理异议。")
            % {"deadline": f"{timezone.localtime(assessment.objection_deadline):%Y-%m-%d %H:%M}"}
            if assessment.objection_deadline
            else _("异议期已截止。"),
            code="objection_window_closed",
            status=409,
        )
    if evaluation.objections.filter(status=ObjectionStatus.PENDING).exists():
        raise ConflictError(_("已有待答复的异议。"), code="objection_pending")
    objection = Objection.objects.create(
        evaluation=evaluation,
        reason=reason.strip(),
        filed_by=actor if getattr(actor, "is_authenticated", False) else None,
        filed_at=now,
        total_before=evaluation.total,
    )
    office = assessment.leading_group.office_unit
    obligation_open(
        unit=office,
        kind=OBJECTION_KIND,
        title=_("答复%(unit)s对%(year)s年度考核结果的异议")
        % {"unit": evaluation.unit.name, "year": assessment.year},
        rule=DeadlineRule(RuleKind.WORKDAYS, assessment.plan.objection_decision_workdays),
        start_at=objection.filed_at,
        start_event=_("单位提出异议"),
        subject=objection,
        link=evaluation.get_absolute_url(),
        actor=actor,
    )
    audit_record(
        actor=actor, action="assessment.objection.file", obj=objection, after=snapshot(objection)
    )
    notify(
        users=users_of_unit(office.pk),
        subject=_("%(unit)s 对%(year)s年度考核结果提出异议")
        % {"unit": evaluation.unit.name, "year": assessment.year},
        body=objection.reason[:500],
        link=evaluation.get_absolute_url(),
    )
    return objection


@transaction.atomic
def objection_decide(
    *,
    actor: Any,
    objection: Objection,
    upheld: bool,
    decision: str,
    adjustments: Sequence[tuple[PlanIndicator, Any]] = (),
    at: dt.datetime | None = None,
) -> Objection:
    """The office's recorded decision. An upheld objection may change scores (each an
    adjustment citing the objection); totals, ranks and grades are then recomputed."""
    if not objection_policy.can_view(actor, objection):
        raise ApplicationError(_("异议未找到。"), code="not_found", status=404)
    if not objection_policy.can_change(actor, objection):
        raise PermissionDeniedError(_("只有领导小组办公室可以答复异议。"), code="office_only")
    text = (decision or "").strip()
    if not text:
        raise ApplicationError(
            _("请写明答复意见。"), code="decision_required", fields={"decision": [_("必填")]}
        )
    now = _moment(at)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.status != ObjectionStatus.PENDING:
        raise ConflictError(_("该异议已答复。"), code="objection_decided")
    if adjustments and not upheld:
        raise ApplicationError(_("维持原结果时不能调整评分。"), code="adjustment_not_allowed")
    evaluation = _lock_evaluation(objection.evaluation)
    assessment = Assessment.objects.select_for_update().get(pk=evaluation.assessment_id)
    for indicator, score in adjustments:
        try:
            row = (
                IndicatorScore.objects.select_for_update()
                .select_related("indicator", "evaluation")
                .get(evaluation=evaluation, indicator=indicator)
            )
        except IndicatorScore.DoesNotExist:
            raise ApplicationError(_("指标不属于本考核方案。"), code="indicator_unknown") from None
        value = _score_in_range(score, row.indicator)
        _apply_adjustment(
            actor=actor,
            row=row,
            score=value,
            reason=text,
            before=row.final_score,
            objection=objection,
        )
    if adjustments:
        _finalise_totals(assessment, actor, audit=True)
        evaluation.refresh_from_db()
    objection.decision = text
    objection.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    objection.decided_at = now
    objection.total_after = evaluation.total
    objection.save(update_fields=["decision", "decided_by", "decided_at", "total_after"])
    workflow.transition(
        objection,
        ObjectionStatus.UPHELD if upheld else ObjectionStatus.REJECTED,
        actor=actor,
        note=text,
        extra={"decision": text, "total_after": str(evaluation.total)},
        at=now,
    )
    obligation_complete_for(subject=objection, kind=OBJECTION_KIND, actor=actor, at=now)
    notify(
        users=users_of_unit(evaluation.unit_id),
        subject=_("考核异议已答复：%(status)s") % {"status": objection.get_status_display()},
        body=text[:500],
        link=evaluation.get_absolute_url(),
    )
    return objection


@transaction.atomic
def objection_deadlines_recompute(*, years: Iterable[int], actor: Any = None) -> int:
    """An administrator entered or corrected the calendar of `years`: the objection deadline
    of every finalised assessment counted across one of them is recomputed (issue 15, part
    5), audited, and the assessed units told of a changed date. A new deadline in a year the
    calendar does not know is left as it was and logged (no calendar-day fallback)."""
    import logging

    from django.db.models import Q

    from envgrid.core.calendar import UnknownCalendarYear
    from envgrid.obligations.services import users_of_units

    log = logging.getLogger(__name__)
    tz = timezone.get_current_timezone()
    window = Q()
    for year in sorted(set(years)):
        window |= Q(
            finalised_at__lt=dt.datetime(year + 1, 1, 1, tzinfo=tz),
            objection_deadline__gte=dt.datetime(year, 1, 1, tzinfo=tz),
        )
    if not window:
        return 0
    moved = 0
    found = (
        Assessment.objects.select_for_update(of=("self",))
        .filter(window, status=AssessmentStatus.FINALISED)
        .select_related("plan")
    )
    for assessment in found:
        if assessment.finalised_at is None:  # the window filter already requires it
            continue
        try:
            new = objection_deadline_for(
                assessment.finalised_at, assessment.plan.objection_workdays
            )
        except UnknownCalendarYear as exc:
            log.warning("assessment %s objection deadline not recomputed: %s", assessment.pk, exc)
            continue
        if new == assessment.objection_deadline:
            continue
        before = snapshot(assessment)
        old = assessment.objection_deadline
        assessment.objection_deadline = new
        assessment.save(update_fields=["objection_deadline"])
        audit_record(
            actor=actor,
            action="assessment.objection_recompute",
            obj=assessment,
            before=before,
            after={**snapshot(assessment), "calendar_years": sorted(set(years))},
        )
        moved += 1
        unit_ids = set(assessment.evaluations.values_list("unit_id", flat=True))
        fmt = "%Y-%m-%d %H:%M"
        notify(
            users=[u for users in users_of_units(unit_ids).values() for u in users],
            subject=_("期限调整：%(title)s") % {"title": str(assessment)},
            body=_("工作日历已由管理员录入或更正，异议截止时间由 %(old)s 调整为 %(new)s。")
            % {
                "old": f"{timezone.localtime(old):{fmt}}" if old else "—",
                "new": f"{timezone.localtime(new):{fmt}}",
            },
            link=assessment.get_absolute_url(),
        )
    return moved
