"""A2: computed indicators equal hand counts on the records, and follow the records."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine

from envgrid.assessment.indicators import compute_metrics, metric_drilldown
from envgrid.assessment.scoring import score_from_value
from envgrid.obligations.services import obligation_cancel, obligation_complete

from .conftest import at, owe

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 2, 10, 0)


@pytest.fixture
def records(world):
    a, b, c = world.members
    # Unit A, feedback (T4): 3 on time, 1 done late, 1 never done; plus items that must
    # not count: a cancelled one, one falling due in 2026, one of another kind.
    owe(a, "transfer.feedback", start=at(2025, 3, 3, 9), done=at(2025, 3, 4, 9))
    owe(a, "transfer.feedback", start=at(2025, 6, 2, 9), done=at(2025, 6, 3, 9))
    owe(a, "transfer.feedback", start=at(2025, 9, 1, 9), done=at(2025, 9, 2, 9))
    owe(a, "transfer.feedback", start=at(2025, 4, 1, 9), done=at(2025, 5, 20, 9))
    owe(a, "transfer.feedback", start=at(2025, 11, 3, 9))
    cancelled = owe(a, "transfer.feedback", start=at(2025, 7, 1, 9))
    with time_machine.travel(at(2025, 7, 2, 9), tick=False):
        obligation_cancel(obligation=cancelled, actor=None, reason="移送撤回")
    owe(a, "transfer.feedback", start=at(2025, 12, 30, 9), done=at(2026, 1, 2, 9))
    owe(a, "report.due", start=at(2025, 5, 6, 9), done=at(2025, 5, 7, 9))
    # Unit B: 2 feedbacks on time; reports: 1 on time, 1 late.
    owe(b, "transfer.feedback", start=at(2025, 2, 10, 9), done=at(2025, 2, 11, 9))
    owe(b, "transfer.feedback", start=at(2025, 8, 4, 9), done=at(2025, 8, 5, 9))
    owe(b, "report.due", start=at(2025, 3, 3, 9), done=at(2025, 3, 4, 9))
    owe(b, "report.due", start=at(2025, 4, 7, 9), done=at(2025, 4, 30, 9))
    # Unit C owed nothing.
    return a, b, c


def test_A2_obligation_rates_equal_hand_counts(records):
    a, b, c = records
    with time_machine.travel(NOW, tick=False):
        values = compute_metrics(2025, [a.pk, b.pk, c.pk], ["transfer.feedback", "report.due"])
    fb = values["transfer.feedback"]
    assert (fb[a.pk].numerator, fb[a.pk].denominator) == (3, 5)
    assert fb[a.pk].value == Decimal("0.6000")
    assert (fb[b.pk].numerator, fb[b.pk].denominator, fb[b.pk].value) == (2, 2, Decimal("1"))
    assert fb[c.pk].value is None and fb[c.pk].denominator == 0
    rep = values["report.due"]
    assert (rep[a.pk].numerator, rep[a.pk].denominator) == (1, 1)
    assert (rep[b.pk].numerator, rep[b.pk].denominator, rep[b.pk].value) == (1, 2, Decimal("0.5"))


def test_A2_all_obligation_metrics_cost_one_query(records):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a, b, c = records
    codes = ["transfer.feedback", "report.due", "transfer.on_time", "meeting.decision"]
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as ctx:
        values = compute_metrics(2025, [a.pk, b.pk, c.pk], codes)
    reads = [q["sql"] for q in ctx.captured_queries if "obligations_obligation" in q["sql"]]
    assert len(reads) == 1
    assert values["transfer.feedback"][a.pk].denominator == 5
    assert values["report.due"][b.pk].denominator == 2


def test_A2_late_transfer_lowers_its_units_rate(records):
    a, b, _c = records
    with time_machine.travel(NOW, tick=False):
        before = compute_metrics(2025, [b.pk], ["transfer.feedback"])["transfer.feedback"][b.pk]
    late = owe(b, "transfer.feedback", start=at(2025, 10, 9, 9))
    with time_machine.travel(at(2025, 12, 1, 9), tick=False):
        obligation_complete(obligation=late, at=at(2025, 12, 1, 9))
    with time_machine.travel(NOW, tick=False):
        after = compute_metrics(2025, [a.pk, b.pk], ["transfer.feedback"])["transfer.feedback"]
    assert before.value == Decimal("1")
    assert (after[b.pk].numerator, after[b.pk].denominator) == (2, 3)
    assert after[b.pk].value == Decimal("0.6667")
    # The other unit's rate did not move.
    assert after[a.pk].value == Decimal("0.6000")


def test_A2_not_yet_due_items_do_not_count_until_their_time_passes(world):
    a = world.members[0]
    owe(a, "report.due", start=at(2025, 12, 22, 9))  # due 29 Dec 2025 end of day
    with time_machine.travel(at(2025, 12, 24, 9), tick=False):
        early = compute_metrics(2025, [a.pk], ["report.due"])["report.due"][a.pk]
    with time_machine.travel(at(2025, 12, 30, 9), tick=False):
        later = compute_metrics(2025, [a.pk], ["report.due"])["report.due"][a.pk]
    assert early.denominator == 0 and early.value is None
    # Past due, not yet swept to "overdue": it already counts as late.
    assert (later.numerator, later.denominator) == (0, 1)


def test_A2_drilldown_lists_the_records_behind_the_value(records):
    a = records[0]
    with time_machine.travel(NOW, tick=False):
        drill = metric_drilldown("transfer.feedback", 2025, a.pk)
    assert drill is not None
    assert drill.total == 5
    verdicts = [row[-1] for row in drill.rows]
    assert verdicts.count("按时") == 3 and verdicts.count("逾期") == 2


def test_A2_score_is_linear_in_the_rate(small_plan, records):
    a, b, c = records
    fb = small_plan.indicators.get(code="T")
    rep = small_plan.indicators.get(code="R")
    with time_machine.travel(NOW, tick=False):
        values = compute_metrics(2025, [a.pk, b.pk, c.pk], ["transfer.feedback", "report.due"])
    assert score_from_value(fb, values["transfer.feedback"][a.pk]) == Decimal("24.00")
    assert score_from_value(fb, values["transfer.feedback"][b.pk]) == Decimal("40.00")
    # Nothing owed: full marks by default, none where the plan says so.
    assert score_from_value(fb, values["transfer.feedback"][c.pk]) == Decimal("40.00")
    assert score_from_value(rep, values["report.due"][c.pk]) == Decimal("0.00")
    assert score_from_value(rep, values["report.due"][b.pk]) == Decimal("15.00")


def test_A2_registry_takes_other_sources_and_survives_a_broken_one(world, small_plan):
    """Metrics of other apps plug in through the registry; one that fails gives no value
    and its indicator falls back to review (the self-score is proposed), never a 500."""
    from envgrid.assessment import indicators
    from envgrid.assessment.indicators import Metric, MetricValue
    from envgrid.assessment.scoring import ScoreLine

    a = world.members[0]

    def fixed(year, unit_ids, *, now=None):
        return {
            uid: MetricValue(value=Decimal("0.25"), numerator=1, denominator=4) for uid in unit_ids
        }

    def broken(year, unit_ids, *, now=None):
        raise RuntimeError("source app mid-migration")

    indicators.register_metric(Metric("test.fixed", "固定", "", fixed))
    indicators.register_metric(Metric("test.broken", "故障", "", broken))
    try:
        values = compute_metrics(2025, [a.pk], ["test.fixed", "test.broken", "test.absent"])
    finally:
        indicators._registry.pop("test.fixed")
        indicators._registry.pop("test.broken")
    assert values["test.fixed"][a.pk].value == Decimal("0.25")
    assert values["test.broken"] == {} and "test.absent" not in values
    t = small_plan.indicators.get(code="T")
    line = ScoreLine(
        indicator=t,
        metric=values["test.broken"].get(a.pk),
        computed_score=score_from_value(t, values["test.broken"].get(a.pk)),
        self_score=Decimal("33"),
        office_score=None,
    )
    assert line.computed_score is None and line.proposed == Decimal("33")
