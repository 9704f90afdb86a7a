"""Reads for information reporting, each scoped by the caller first (STYLE rule 3).

`report_compliance` is the interface assessment reads (A2: 按时限、按要求报送工作总结等材料):
per unit and year, how many reports were due, submitted on time, late, missing, pending."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import BooleanField, Case, CharField, Count, Q, QuerySet, Value, When
from django.utils import timezone

from envgrid.obligations.models import ObligationStatus
from envgrid.org.models import Unit
from envgrid.org.selectors import unit_list

from .models import SENT_STATUSES, Report, ReportDue, ReportSchedule
from .policies import due_policy, report_policy, schedule_policy

# Outcomes of a due report, from its obligation (the one source of truth for the deadline,
# including extensions).
ON_TIME = "on_time"
LATE = "late"
MISSING = "missing"
PENDING = "pending"
WAIVED = "waived"
OUTCOMES = (ON_TIME, LATE, MISSING, PENDING, WAIVED)


def outcome_q(outcome: str, *, now: dt.datetime | None = None, prefix: str = "") -> Q:
    """The filter selecting due reports with `outcome` (prefix: path to the ReportDue)."""
    now = now or timezone.now()
    p = prefix
    if outcome == ON_TIME:
        return Q(**{f"{p}obligation__status": ObligationStatus.DONE}) & Q(
            **{f"{p}obligation__completed_late": False}
        )
    if outcome == LATE:
        return Q(**{f"{p}obligation__status": ObligationStatus.DONE}) & Q(
            **{f"{p}obligation__completed_late": True}
        )
    if outcome == MISSING:
        # Past due and not submitted: the sweep may not have marked it yet.
        return Q(**{f"{p}obligation__status": ObligationStatus.OVERDUE}) | Q(
            **{f"{p}obligation__status": ObligationStatus.OPEN, f"{p}obligation__due_at__lt": now}
        )
    if outcome == PENDING:
        return Q(
            **{f"{p}obligation__status": ObligationStatus.OPEN, f"{p}obligation__due_at__gte": now}
        )
    if outcome == WAIVED:
        return Q(**{f"{p}obligation__status": ObligationStatus.CANCELLED})
    raise ValueError(outcome)


def outcome_annotation(now: dt.datetime | None = None) -> Case:
    return Case(
        *[When(outcome_q(o, now=now), then=Value(o)) for o in OUTCOMES],
        default=Value(PENDING),
        output_field=CharField(),
    )


# --------------------------------------------------------------------------- reports


def report_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet:
    qs = report_policy.scope(user).select_related("unit", "leading_group", "grid", "due")
    f = filters or {}
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("report_type"):
        qs = qs.filter(report_type=f["report_type"])
    if f.get("unit"):
        qs = qs.filter(unit_id=f["unit"])
    if f.get("year"):
        qs = qs.filter(created_at__year=f["year"])
    if f.get("q"):
        qs = qs.filter(Q(title__icontains=f["q"]) | Q(number__icontains=f["q"]))
    if f.get("inbox"):
        # Reports waiting for the office: submitted, no feedback yet.
        qs = qs.filter(status="submitted")
    return qs.order_by("-created_at", "-id")


def report_get(*, user: Any, pk: Any) -> Report:
    return report_policy.get_visible(user, pk)


def reports_published(*, since: dt.datetime | None = None) -> QuerySet:
    """Reports the office handed to disclosure (publish step); disclosure decides what is
    public. Unscoped on purpose: disclosure is the caller, not a user."""
    qs = Report.objects.filter(published_at__isnull=False).select_related("unit", "grid")
    if since is not None:
        qs = qs.filter(published_at__gte=since)
    return qs.order_by("published_at")


# --------------------------------------------------------------------------- schedules, dues


def schedule_list(*, user: Any) -> QuerySet:
    return (
        schedule_policy.scope(user)
        .select_related("leading_group")
        .prefetch_related("units")
        .annotate(n_dues=Count("dues"))
        .order_by("leading_group__name", "valid_from", "name")
    )


def due_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet:
    now = timezone.now()
    qs = (
        due_policy.scope(user)
        .select_related("schedule", "unit", "obligation", "report")
        .annotate(outcome=outcome_annotation(now))
    )
    f = filters or {}
    if f.get("unit"):
        qs = qs.filter(unit_id=f["unit"])
    if f.get("schedule"):
        qs = qs.filter(schedule_id=f["schedule"])
    if f.get("period"):
        qs = qs.filter(period_key=f["period"])
    if f.get("year"):
        qs = qs.filter(period_start__year=f["year"])
    if f.get("outcome") in OUTCOMES:
        qs = qs.filter(outcome_q(f["outcome"], now=now))
    if f.get("report_type"):
        qs = qs.filter(schedule__report_type=f["report_type"])
    return qs.order_by("due_at", "unit__code")


def open_dues_for(*, unit: Unit, report_type: str | None = None) -> QuerySet:
    """What a unit still owes (for the report form's "answers which due" choice)."""
    qs = ReportDue.objects.filter(
        unit=unit, report__isnull=True, obligation__status__in=["open", "overdue"]
    ).select_related("schedule")
    if report_type:
        qs = qs.filter(schedule__report_type=report_type)
    return qs.order_by("due_at")


def report_compliance(
    *,
    year: int,
    user: Any = None,
    unit_ids: Any = None,
    now: dt.datetime | None = None,
) -> QuerySet:
    """Per unit, for periods starting in `year`: due (not waived), on_time, late, missing,
    pending, waived — one aggregate query. With `user`, scoped to what they may see;
    without, all units (for assessment's server-side computation)."""
    now = now or timezone.now()
    qs = due_policy.scope(user) if user is not None else ReportDue.objects.all()
    qs = qs.filter(period_start__year=year)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=list(unit_ids))
    return (
        qs.values("unit_id", "unit__name", "unit__code")
        .annotate(
            due=Count("pk", filter=~outcome_q(WAIVED, now=now)),
            on_time=Count("pk", filter=outcome_q(ON_TIME, now=now)),
            late=Count("pk", filter=outcome_q(LATE, now=now)),
            missing=Count("pk", filter=outcome_q(MISSING, now=now)),
            pending=Count("pk", filter=outcome_q(PENDING, now=now)),
            waived=Count("pk", filter=outcome_q(WAIVED, now=now)),
        )
        .order_by("unit__code")
    )


def report_compliance_for_unit(*, unit: Any, year: int) -> dict[str, int]:
    row = report_compliance(year=year, unit_ids=[unit.pk]).first()
    keys = ("due", "on_time", "late", "missing", "pending", "waived")
    return {k: (row or {}).get(k, 0) for k in keys}


def report_dues_behind(*, unit: Any, year: int, outcome: str | None = None) -> QuerySet:
    """The records behind a compliance figure (assessment shows them with the score)."""
    qs = ReportDue.objects.filter(unit=unit, period_start__year=year).select_related(
        "schedule", "obligation", "report"
    )
    if outcome:
        qs = qs.filter(outcome_q(outcome))
    return qs.order_by("due_at")


# --------------------------------------------------------------------------- officers (I2)


def officer_list(*, user: Any, gaps_only: bool = False) -> QuerySet:
    """Units in the caller's view with their information officer; a unit without one, or
    whose officer has left (inactive), is a gap."""
    qs = (
        unit_list(user=user)
        .filter(is_active=True)
        .select_related("information_officer")
        .annotate(
            officer_gap=Case(
                When(
                    Q(information_officer__isnull=True) | Q(information_officer__is_active=False),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("code")
    )
    if gaps_only:
        qs = qs.filter(officer_gap=True)
    return qs


def sent_reports(qs: QuerySet) -> QuerySet:
    return qs.filter(status__in=SENT_STATUSES)


def schedules_visible(*, user: Any) -> QuerySet:
    return schedule_policy.scope(user, ReportSchedule.objects.filter(is_active=True))
