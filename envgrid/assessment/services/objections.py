"""Writes of an objection to a result (SPEC A3): filing, deciding, deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.core.notifications import notify
from envgrid.obligations.services import (
    obligation_complete_for,
    obligation_open,
    users_of_unit,
)

from .. import workflow
from ..models import (
    Assessment,
    AssessmentStatus,
    IndicatorScore,
    Objection,
    ObjectionStatus,
    PlanIndicator,
    UnitEvaluation,
)
from ..policies import (
    objection_policy,
)
from ._common import OBJECTION_KIND, _moment, _score_in_range, objection_deadline_for
from .assessments import _apply_adjustment, _finalise_totals
from .evaluations import _lock_evaluation, _require_self

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
