"""Reads of joint enforcement, always scoped by the caller first (STYLE rule 3), and the
acknowledgement record that assessment reads (E4: silence counts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from envgrid.core.deadlines import end_of_day
from envgrid.org.models import Unit

from . import rules
from .models import (
    Assignment,
    AssignmentStatus,
    Consultation,
    EnforcementAction,
)
from .policies import action_policy, assignment_policy


def action_list(
    *,
    user: Any,
    status: str | None = None,
    category: str | None = None,
    mode: str | None = None,
    year: int | None = None,
    q: str | None = None,
    unit_id: int | None = None,
) -> QuerySet:
    qs = action_policy.scope(user).select_related("organiser_unit", "organiser_grid")
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if mode:
        qs = qs.filter(mode=mode)
    if year:
        qs = qs.filter(start_date__year=year)
    if unit_id:
        qs = qs.filter(Q(organiser_unit_id=unit_id) | Q(participants__unit_id=unit_id)).distinct()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(number__icontains=q))
    return qs.annotate(
        n_participants=Count("participants", distinct=True),
        n_inspections=Count("inspections", distinct=True),
    ).order_by("-start_date", "-id")


def action_get(*, user: Any, pk: Any) -> EnforcementAction:
    return action_policy.get_visible(user, pk)


def assignment_list(*, user: Any, unit_id: int | None = None) -> QuerySet:
    qs = assignment_policy.scope(user).select_related("action", "unit", "grid")
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    return qs.order_by("-issued_at", "id")


def my_pending_assignments(*, user: Any) -> QuerySet:
    from envgrid.org.selectors import actor_for

    actor = actor_for(user)
    if actor.unit_id is None:
        return Assignment.objects.none()
    return (
        Assignment.objects.filter(
            unit_id=actor.unit_id,
            status__in=[AssignmentStatus.PENDING, AssignmentStatus.ACKNOWLEDGED],
            action__status__in=["deployed", "in_progress"],
        )
        .select_related("action", "ack_obligation")
        .order_by("ack_due_at")
    )


@dataclass
class AckStats:
    """One unit's record for a year: assignments received, acknowledged on time, late
    (acknowledged after the deadline, or silent past it), still pending — with the ids
    of the records behind each number (SPEC A: each score with its records)."""

    unit_id: int
    year: int
    received: list[int] = field(default_factory=list)
    on_time: list[int] = field(default_factory=list)
    late: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "received": len(self.received),
            "on_time": len(self.on_time),
            "late": len(self.late),
            "pending": len(self.pending),
        }


def assignment_ack_stats(
    *, year: int, unit_ids: Iterable[int] | None = None, now: dt.datetime | None = None
) -> dict[int, AckStats]:
    """E4 data for assessment: per unit, for assignments issued in `year` (local time).
    An assignment cancelled with its action before its deadline does not count; one whose
    deadline passed in silence counts as late even if the action has since ended."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    first = dt.datetime(year, 1, 1, tzinfo=tz)
    last = end_of_day(dt.date(year, 12, 31))
    qs = Assignment.objects.filter(issued_at__gte=first, issued_at__lte=last)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=list(unit_ids))
    result: dict[int, AckStats] = {}
    rows = qs.values_list(
        "id",
        "unit_id",
        "ack_due_at",
        "acknowledged_at",
        "action__cancelled_at",
        "action__completed_at",
    ).order_by("id")
    for pk, unit_id, due, acked, cancelled_at, completed_at in rows:
        closed_at = cancelled_at or completed_at
        if acked is None and closed_at is not None and closed_at <= due:
            continue  # the action ended before anyone owed an answer
        stats = result.setdefault(unit_id, AckStats(unit_id=unit_id, year=year))
        stats.received.append(pk)
        if acked is not None:
            (stats.on_time if acked <= due else stats.late).append(pk)
        elif now > due or closed_at is not None:
            stats.late.append(pk)
        else:
            stats.pending.append(pk)
    return result


# -- consultation (E5: 积极沟通会商) ----------------------------------------------------


def is_cross_department(action: EnforcementAction) -> bool:
    """Participants from at least CONSULTATION_MIN_UNITS units make an action
    cross-department: it then needs a recorded consultation before approval."""
    units = set(action.participants.values_list("unit_id", flat=True))
    return len(units) >= int(rules.get("CONSULTATION_MIN_UNITS"))


def consultation_gaps(action: EnforcementAction) -> list[Unit]:
    """The participating units not present at any recorded consultation of `action`
    (empty when consultation is not required for it)."""
    if not rules.get("CONSULTATION_REQUIRED") or not is_cross_department(action):
        return []
    present = set(
        Consultation.units.through.objects.filter(consultation__action=action).values_list(
            "unit_id", flat=True
        )
    )
    return [
        p.unit
        for p in action.participants.select_related("unit").order_by("unit__code")
        if p.unit_id not in present
    ]


def escalation_target(ob: Any) -> Unit | None:
    """Escalation resolver: an unacknowledged assignment goes back to the organiser."""
    if not str(getattr(ob, "kind", "")).startswith("enforcement.assignment."):
        return None
    assignment = (
        Assignment.objects.filter(pk=ob.subject_id).select_related("action__organiser_unit").first()
    )
    return assignment.action.organiser_unit if assignment is not None else None
