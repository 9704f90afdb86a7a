"""Writes of an assessment plan and its indicators (SPEC A1): drafts, versions, indicator edits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.errors import ApplicationError

from ..defaults import DEFAULT_INDICATORS, PATROL_FUNDED_BY, PATROL_INDICATOR
from ..indicators import metric_get
from ..models import (
    AssessmentPlan,
    IndicatorSource,
    PlanIndicator,
)
from ..policies import (
    plan_policy,
)
from ._common import (
    INDICATOR_FIELDS,
    PLAN_FIELDS,
    _lock_plan,
    _require_draft,
    _require_office,
    _validate,
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
