"""Shared by the assessment service modules: obligation kinds, the editable fields of a plan and an indicator, and small checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.calendar import WorkCalendar
from envgrid.core.deadlines import end_of_day, local_date
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError

from ..models import (
    AssessmentPlan,
    PlanIndicator,
    PlanStatus,
)
from ..policies import (
    is_office_of,
)
from ..scoring import q2

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


def objection_deadline_for(finalised_at: dt.datetime, workdays: int) -> dt.datetime:
    return end_of_day(WorkCalendar().add_workdays(local_date(finalised_at), workdays))
