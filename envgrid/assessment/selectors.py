"""Reads for the assessment, scoped by the caller first; the live scoreboard (computed
indicators for every unit in one pass) and the frozen result after finalisation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from envgrid.core.errors import (
    NotFoundError,
)

from .indicators import Drilldown, MetricValue, compute_metrics, metric_drilldown
from .models import (
    Assessment,
    AssessmentPlan,
    IndicatorScore,
    PlanIndicator,
    UnitEvaluation,
)
from .policies import (
    assessment_policy,
    evaluation_policy,
    evidence_policy,
    objection_policy,
    plan_policy,
)
from .scoring import ScoreLine, competition_ranks, grade_for, percent_of, score_from_value


def assessment_list(*, user: Any) -> QuerySet:
    return assessment_policy.scope(user).select_related("leading_group", "plan")


def assessment_get(*, user: Any, pk: Any) -> Assessment:
    return assessment_policy.get_visible(user, pk, assessment_list(user=user))


def plan_list(*, user: Any) -> QuerySet:
    return plan_policy.scope(user).select_related("leading_group")


def plan_get(*, user: Any, pk: Any) -> AssessmentPlan:
    return plan_policy.get_visible(user, pk, plan_list(user=user))


def evaluation_list(*, user: Any, assessment: Assessment | None = None) -> QuerySet:
    qs = evaluation_policy.scope(user).select_related("unit", "assessment")
    if assessment is not None:
        qs = qs.filter(assessment=assessment)
    return qs


def evaluation_get(*, user: Any, pk: Any) -> UnitEvaluation:
    return evaluation_policy.get_visible(
        user,
        pk,
        evaluation_list(user=user).select_related(
            "assessment__plan", "assessment__leading_group", "unit"
        ),
    )


def evidence_list(*, user: Any) -> QuerySet:
    return evidence_policy.scope(user).select_related("evaluation", "indicator")


def objection_list(*, user: Any) -> QuerySet:
    return objection_policy.scope(user).select_related("evaluation__unit", "evaluation__assessment")


def plan_indicators(plan: AssessmentPlan) -> list[PlanIndicator]:
    """Establishment before operation (the order of A2), then the plan's own order."""
    return list(plan.indicators.order_by("category", "order", "id"))


@dataclass
class BoardRow:
    """One unit's line on the scoreboard (live before finalisation, frozen after)."""

    evaluation: UnitEvaluation
    lines: list[ScoreLine]
    total: Decimal
    max_total: Decimal
    missing: int
    percent: Decimal = Decimal("0")
    rank: int | None = None
    grade: str = ""
    by_category: dict[str, Decimal] = field(default_factory=dict)

    @property
    def unit(self) -> Any:
        return self.evaluation.unit

    def get_grade_display(self) -> str:
        from .models import Grade

        return str(Grade(self.grade).label) if self.grade else ""


def _frozen_metric(s: IndicatorScore) -> MetricValue | None:
    if s.numerator is None and s.computed_value is None and s.computed_score is None:
        return None
    return MetricValue(
        value=s.computed_value, numerator=s.numerator or 0, denominator=s.denominator or 0
    )


def _lines_for(
    evaluation: UnitEvaluation,
    indicators: list[PlanIndicator],
    scores: dict[tuple[int, int], IndicatorScore],
    values: dict[str, dict[int, MetricValue]] | None,
) -> list[ScoreLine]:
    lines = []
    for ind in indicators:
        s = scores.get((evaluation.pk, ind.pk))
        if values is None and s is not None:  # frozen at finalisation
            mv = _frozen_metric(s) if ind.is_computed else None
            computed = s.computed_score
        else:
            mv = (
                values.get(ind.metric, {}).get(evaluation.unit_id)
                if values is not None and ind.is_computed
                else None
            )
            computed = score_from_value(ind, mv)
        lines.append(
            ScoreLine(
                indicator=ind,
                metric=mv,
                computed_score=computed,
                self_score=s.self_score if s else None,
                office_score=s.office_score if s else None,
                adjust_reason=s.adjust_reason if s else "",
                self_note=s.self_note if s else "",
                score_id=s.pk if s else None,
                final_score=s.final_score if s and values is None else None,
            )
        )
    return lines


def scoreboard(
    assessment: Assessment,
    *,
    evaluations: list[UnitEvaluation] | None = None,
    now: dt.datetime | None = None,
    live: bool | None = None,
) -> list[BoardRow]:
    """Every evaluation's lines and totals. Before finalisation the computed indicators are
    evaluated now, for all units together (one obligation query for all of them); after
    it, the frozen figures are read back. Ranks and grades are provisional until final."""
    plan = assessment.plan
    indicators = plan_indicators(plan)
    if evaluations is None:
        evaluations = list(assessment.evaluations.select_related("unit").order_by("unit__code"))
    if live is None:
        live = not assessment.is_finalised
    ev_ids = [e.pk for e in evaluations]
    scores = {
        (s.evaluation_id, s.indicator_id): s
        for s in IndicatorScore.objects.filter(evaluation_id__in=ev_ids)
    }
    values = None
    if live:
        codes = [i.metric for i in indicators if i.is_computed]
        values = compute_metrics(
            assessment.year, [e.unit_id for e in evaluations], codes, now=now or timezone.now()
        )
    max_total = sum((Decimal(i.weight) for i in indicators), Decimal("0"))
    rows: list[BoardRow] = []
    for ev in evaluations:
        lines = _lines_for(ev, indicators, scores, values)
        if not live:
            total = ev.total if ev.total is not None else Decimal("0")
        else:
            total = sum((ln.effective or Decimal("0") for ln in lines), Decimal("0"))
        by_category: dict[str, Decimal] = {}
        for ln in lines:
            by_category[ln.indicator.category] = by_category.get(
                ln.indicator.category, Decimal("0")
            ) + (ln.effective or Decimal("0"))
        rows.append(
            BoardRow(
                evaluation=ev,
                lines=lines,
                total=total,
                max_total=max_total,
                missing=sum(1 for ln in lines if ln.effective is None),
                by_category=by_category,
            )
        )
    if live:
        ranks = competition_ranks([(r.evaluation.pk, r.total) for r in rows])
        for r in rows:
            r.percent = percent_of(r.total, max_total)
            r.rank = ranks.get(r.evaluation.pk)
            r.grade = grade_for(r.percent, plan)
    else:
        for r in rows:
            r.percent = r.evaluation.percent or Decimal("0")
            r.rank = r.evaluation.rank
            r.grade = r.evaluation.grade
    rows.sort(key=lambda r: (r.rank or 10**6, r.evaluation.unit.code))
    return rows


def evaluation_lines(evaluation: UnitEvaluation, *, now: dt.datetime | None = None) -> BoardRow:
    """One unit's lines (its computed values measured for it alone before finalisation)."""
    rows = scoreboard(evaluation.assessment, evaluations=[evaluation], now=now)
    row = rows[0]
    if not evaluation.assessment.is_finalised:
        row.rank = None  # a rank among one unit means nothing
    return row


def ranking(*, user: Any, assessment: Assessment) -> list[BoardRow]:
    if not assessment_policy.can_see_ranking(user, assessment):
        raise NotFoundError("排名未找到")
    return scoreboard(assessment)


def indicator_drilldown(
    *, user: Any, evaluation: UnitEvaluation, indicator_id: Any, limit: int = 500
) -> tuple[PlanIndicator, Drilldown | None]:
    """The records behind one computed value. The caller already sees the evaluation, and
    a unit sees only its own, so the rows are the unit's own records."""
    try:
        indicator = evaluation.assessment.plan.indicators.get(pk=int(indicator_id))
    except (PlanIndicator.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFoundError("指标未找到") from None
    if not indicator.is_computed:
        return indicator, None
    now = evaluation.assessment.finalised_at or timezone.now()
    return indicator, metric_drilldown(
        indicator.metric, evaluation.assessment.year, evaluation.unit_id, now=now, limit=limit
    )


# --- opening ------------------------------------------------------------------------------


def default_unit_ids(leading_group: Any) -> list[int]:
    """The member units; the office runs the assessment and does not assess itself."""
    return list(
        leading_group.member_units.filter(is_active=True)
        .exclude(pk=leading_group.office_unit_id)
        .order_by("code")
        .values_list("pk", flat=True)
    )
