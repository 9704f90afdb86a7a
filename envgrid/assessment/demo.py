"""Synthetic demo, assessment part (order 100): a finished 2025 assessment (self-evaluations,
reasoned adjustments, ranking, one objection upheld and one not) and an open 2026 one, with
a newer draft version of its plan. Built on what the earlier steps left in ctx; when they
are absent it degrades to whatever leading group and people exist, or does nothing.

All content is synthetic (合成数据). The 2025 round is recorded with its historical dates
through the services' `at` argument, as an office backfilling last year would.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from envgrid.core.demo import DemoContext, demo_step

TZ_HOUR = 9
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"% synthetic demo evidence - not a real document\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _at(year: int, month: int, day: int, hour: int = TZ_HOUR, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


def _half(value: Decimal) -> Decimal:
    return (value * 2).quantize(Decimal("1"), ROUND_HALF_UP) / 2


def _group(ctx: DemoContext) -> Any:
    from envgrid.org.models import LeadingGroup

    return ctx.objects.get("leading_group") or LeadingGroup.objects.order_by("pk").first()


def _office_user(ctx: DemoContext, group: Any) -> Any:
    from envgrid.org.models import Person, PersonRole

    for key in ("director", "office"):
        person = ctx.persons.get(key)
        if person is not None and person.user_id:
            return person.user
    person = Person.objects.filter(
        unit=group.office_unit, role=PersonRole.OFFICE, user__isnull=False
    ).first()
    return person.user if person else None


def _unit_user(ctx: DemoContext, unit: Any) -> Any:
    from envgrid.org.models import Person

    key = unit.short_name or unit.name
    person = ctx.persons.get(f"{key}.staff")
    if person is not None and person.user_id:
        return person.user
    person = (
        Person.objects.filter(unit=unit, user__isnull=False, is_active=True).order_by("pk").first()
    )
    return person.user if person else None


def _self_scores(ctx: DemoContext, evaluation: Any, at: dt.datetime, *, careful: bool) -> dict:
    """A unit's self-scores: the computed score where there is one (units see it), a
    generous self-assessment on the indicators scored in review."""
    from .selectors import evaluation_lines

    scores = {}
    for ln in evaluation_lines(evaluation, now=at).lines:
        weight = ln.indicator.weight
        if ln.computed_score is not None:
            value = ln.computed_score
        else:
            share = Decimal(ctx.rng.randint(75 if careful else 55, 100)) / 100
            value = _half(weight * share)
        scores[ln.indicator.pk] = {
            "score": min(value, weight),
            "note": "（演示）已按评分细则自查。",
        }
    return scores


def _evidence(evaluation: Any, user: Any, at: dt.datetime) -> None:
    from .services import evidence_add

    for indicator in evaluation.assessment.plan.indicators.filter(requires_evidence=True):
        upload = ContentFile(DEMO_PDF, name=f"{indicator.code}-演示材料.pdf")
        evidence_add(
            actor=user,
            evaluation=evaluation,
            upload=upload,
            indicator=indicator,
            description="合成演示材料",
        )


SUMMARY = (
    "（合成演示数据）{unit}{year}年度网格化环境监管工作总结：\n"
    "一、体系建立情况：制定并印发本单位网格化环境监管体系建设方案，明确主要行政领导为第一责任人，"
    "职责分解到{n}名具体责任人。\n"
    "二、体系运行情况：落实联席会议、联合执法、移送、信息报告和公开等配套工作制度，"
    "按时报送工作总结等材料。\n"
    "三、自评：按考核方案逐项自评，自评得分见下表。"
)


@demo_step(100)
def assessment(ctx: DemoContext) -> None:
    from envgrid.org.models import Unit

    from . import services
    from .models import UnitEvaluation

    group = _group(ctx)
    office = _office_user(ctx, group) if group is not None else None
    if group is None or office is None:
        ctx.log("assessment: no leading group with office staff; skipped")
        return
    now = timezone.now()
    if now < _at(2026, 2, 12):
        ctx.log("assessment: the 2025 round needs a clock past February 2026; skipped")
        return

    # --- 2025: finished -------------------------------------------------------------------
    plan25 = services.plan_create(
        actor=office,
        leading_group=group,
        year=2025,
        name="2025年度网格化环境监管考核方案",
        note="（合成演示数据）依据《网格化环境监管体系配套工作制度（试行）》五、考核制度编制。",
    )
    a25 = services.assessment_open(actor=office, plan=plan25, at=_at(2026, 1, 5))
    evaluations = list(
        UnitEvaluation.objects.filter(assessment=a25).select_related("unit").order_by("unit__code")
    )
    silent = evaluations[-1]  # one unit never submits: its obligation stays overdue
    for i, ev in enumerate(evaluations):
        user = _unit_user(ctx, ev.unit)
        if user is None or ev.pk == silent.pk:
            continue
        # Most submit within the 15 working days (due 26 Jan); a few are late.
        late = i % 6 == 5
        when = _at(2026, 1, 27 + (i % 3), 15) if late else _at(2026, 1, 8 + (i % 12), 10)
        services.evaluation_self_evaluate(
            actor=user,
            evaluation=ev,
            summary=SUMMARY.format(unit=ev.unit.name, year=2025, n=3 + i % 5),
            scores=_self_scores(ctx, ev, when, careful=not late),
        )
        _evidence(ev, user, when)
        services.evaluation_submit(actor=user, evaluation=ev, at=when)

    services.assessment_review_start(actor=office, assessment=a25, at=_at(2026, 1, 29))
    review_indicators = list(a25.plan.indicators.filter(source="review"))
    for n, ind in enumerate(review_indicators):
        services.score_adjust(
            actor=office,
            evaluation=silent,
            indicator=ind,
            score=_half(ind.weight * Decimal("0.5")) if n % 2 == 0 else Decimal("0"),
            reason="（演示）未提交自评及佐证材料，按办公室日常检查记录评分。",
            at=_at(2026, 1, 30, 10),
        )
    reasons = [
        "（演示）建设方案为征求意见稿，尚未正式印发，按细则得一半。",
        "（演示）职责文件未明确到具体责任人，扣2分。",
        "（演示）配套制度缺信息公开制度一项，扣2分。",
    ]
    adjusted = [e for e in evaluations if e.pk != silent.pk][2:5]
    for ev, ind, reason in zip(adjusted, review_indicators, reasons, strict=False):
        services.score_adjust(
            actor=office,
            evaluation=ev,
            indicator=ind,
            score=max(Decimal("0"), ind.weight - (ind.weight / 2 if "一半" in reason else 2)),
            reason=reason,
            at=_at(2026, 1, 30, 11),
        )
    services.assessment_finalise(actor=office, assessment=a25, at=_at(2026, 2, 2, 10))

    # Objections within the 5-working-day window: one upheld with a score change, one not.
    ranked = list(UnitEvaluation.objects.filter(assessment=a25).order_by("-rank", "unit__code"))
    objecting = [e for e in ranked if e.pk != silent.pk and _unit_user(ctx, e.unit)][:2]
    for k, ev in enumerate(objecting):
        user = _unit_user(ctx, ev.unit)
        objection = services.objection_file(
            actor=user,
            evaluation=ev,
            reason="（演示）我单位建设方案已于2025年印发，请复核相关指标得分。"
            if k == 0
            else "（演示）认为信息报送指标计算有误，请复核。",
            at=_at(2026, 2, 4, 14 + k),
        )
        if k == 0 and review_indicators:
            ind = review_indicators[0]
            services.objection_decide(
                actor=office,
                objection=objection,
                upheld=True,
                decision="（演示）经核，该单位建设方案已正式印发，该项改按满分计。",
                adjustments=[(ind, ind.weight)],
                at=_at(2026, 2, 9, 10),
            )
        else:
            services.objection_decide(
                actor=office,
                objection=objection,
                upheld=False,
                decision="（演示）经核，信息报送按报送计划逐期计算，计算无误，维持原结果。",
                at=_at(2026, 2, 10, 10),
            )
    a25.refresh_from_db()
    ctx.objects["assessment_2025"] = a25

    # --- 2026: open ----------------------------------------------------------------------
    plan26 = services.plan_create(
        actor=office,
        leading_group=group,
        year=2026,
        name="2026年度网格化环境监管考核方案",
        copy_from=plan25,
    )
    a26 = services.assessment_open(actor=office, plan=plan26)
    open_evs = list(
        UnitEvaluation.objects.filter(assessment=a26).select_related("unit").order_by("unit__code")
    )
    for i, ev in enumerate(open_evs[:8]):
        user = _unit_user(ctx, ev.unit)
        if user is None:
            continue
        services.evaluation_self_evaluate(
            actor=user,
            evaluation=ev,
            summary=SUMMARY.format(unit=ev.unit.name, year=2026, n=2 + i % 4),
            scores=_self_scores(ctx, ev, now, careful=True),
        )
        if i < 5:
            _evidence(ev, user, now)
            services.evaluation_submit(actor=user, evaluation=ev)
    draft = services.plan_new_version(actor=office, plan=plan26)
    services.plan_update(
        actor=office,
        plan=draft,
        note="（演示）拟调整：提高信息报送指标分值，征求成员单位意见中（草稿，尚未启用）。",
    )
    ctx.objects["assessment_2026"] = a26
    ctx.objects["assessment_plan_draft"] = draft
    units = Unit.objects.filter(pk__in=[e.unit_id for e in evaluations]).count()
    ctx.log(f"assessment: 2025 finalised ({units} units, {a25.document_number}); 2026 open")
