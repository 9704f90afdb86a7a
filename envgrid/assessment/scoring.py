"""Scoring rules as pure functions: value → points, the proposed and effective score of an
indicator, grades by the plan's thresholds, and competition ranking (1, 2, 2, 4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .indicators import MetricValue
from .models import AssessmentPlan, Grade, IndicatorSource, PlanIndicator, WhenEmpty

POINTS = Decimal("0.01")


def q2(value: Decimal) -> Decimal:
    return value.quantize(POINTS, ROUND_HALF_UP)


def score_from_value(indicator: PlanIndicator, mv: MetricValue | None) -> Decimal | None:
    """Points for a computed indicator: full at or above `full_at`, none at or below
    `zero_at`, linear between. Nothing owed scores by `when_empty`. No metric (its source
    app is absent) gives None: the office scores it instead."""
    if indicator.source != IndicatorSource.COMPUTED or mv is None:
        return None
    weight = Decimal(indicator.weight)
    if mv.value is None:
        return weight if indicator.when_empty == WhenEmpty.FULL else Decimal("0.00")
    full_at, zero_at = Decimal(indicator.full_at), Decimal(indicator.zero_at)
    if mv.value >= full_at:
        return q2(weight)
    if mv.value <= zero_at:
        return Decimal("0.00")
    return q2(weight * (mv.value - zero_at) / (full_at - zero_at))


@dataclass
class ScoreLine:
    """One indicator of one unit as the review sees it."""

    indicator: PlanIndicator
    metric: MetricValue | None
    computed_score: Decimal | None
    self_score: Decimal | None
    office_score: Decimal | None
    adjust_reason: str = ""
    self_note: str = ""
    score_id: int | None = None
    final_score: Decimal | None = None  # frozen at finalisation

    @property
    def proposed(self) -> Decimal | None:
        """What stands unless the office adjusts: the computed score, or for indicators
        scored in review (and computed ones whose source is absent) the self-score."""
        if self.computed_score is not None:
            return self.computed_score
        return self.self_score

    @property
    def effective(self) -> Decimal | None:
        if self.final_score is not None:
            return self.final_score
        return self.office_score if self.office_score is not None else self.proposed

    @property
    def adjusted(self) -> bool:
        return self.office_score is not None


def grade_for(percent: Decimal, plan: AssessmentPlan) -> str:
    if percent >= plan.grade_excellent:
        return Grade.EXCELLENT
    if percent >= plan.grade_good:
        return Grade.GOOD
    if percent >= plan.grade_pass:
        return Grade.PASS
    return Grade.FAIL


def percent_of(total: Decimal, max_total: Decimal) -> Decimal:
    if max_total <= 0:
        return Decimal("0.00")
    return q2(total * 100 / max_total)


def competition_ranks(totals: Sequence[tuple[Any, Decimal]]) -> dict[Any, int]:
    """Rank by total, highest first; equal totals share a rank and the next rank skips."""
    ordered = sorted(totals, key=lambda t: t[1], reverse=True)
    ranks: dict[Any, int] = {}
    previous: Decimal | None = None
    current = 0
    for position, (key, total) in enumerate(ordered, start=1):
        if previous is None or total != previous:
            current = position
            previous = total
        ranks[key] = current
    return ranks
