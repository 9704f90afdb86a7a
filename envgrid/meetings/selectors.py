"""Reads for meetings, decisions and task reports — every list scoped by the caller
first — plus the per-unit, per-year figures the assessment app reads (M6)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.deadlines import end_of_day
from envgrid.core.errors import (
    ApplicationError,
)
from envgrid.core.policies import Policy
from envgrid.core.policy_registry import policy_for
from envgrid.obligations.models import Obligation, ObligationStatus
from envgrid.org.models import Unit
from envgrid.org.selectors import actor_for

from .models import (
    ATTENDED,
    Attendance,
    Decision,
    DecisionOwner,
    DecisionStatus,
    Meeting,
    MeetingStatus,
    Participant,
    TaskReport,
    TaskReportSchedule,
)
from .policies import (
    decision_policy,
    meeting_policy,
    task_report_policy,
    task_report_schedule_policy,
)

LIVE = (ObligationStatus.OPEN, ObligationStatus.OVERDUE)
DECISION_KIND = "meeting.decision"
TASK_REPORT_KIND = "meeting.task_report"


# ---- meetings ---------------------------------------------------------------


def meeting_list(
    *,
    user: Any,
    year: int | None = None,
    scope: str = "",
    status: str = "",
    unit_id: int | None = None,
) -> QuerySet:
    qs = meeting_policy.scope(user).select_related(
        "leading_group", "convener", "organiser_unit", "delegation"
    )
    if year:
        qs = qs.filter(starts_at__gte=_year_start(year), starts_at__lt=_year_start(year + 1))
    if scope:
        qs = qs.filter(scope=scope)
    if status:
        qs = qs.filter(status=status)
    if unit_id:
        qs = qs.filter(participants__unit_id=unit_id)
    return qs.order_by("-starts_at", "-id")


def meeting_get(*, user: Any, pk: Any) -> Meeting:
    return meeting_policy.get_visible(user, pk)


# ---- decisions --------------------------------------------------------------


def _overdue_owner_q(now: dt.datetime) -> Exists:
    return Exists(
        DecisionOwner.objects.filter(
            decision=OuterRef("pk"),
            reported_done_at__isnull=True,
            obligation__status__in=LIVE,
            obligation__due_at__lt=now,
        )
    )


def decisions_annotated(qs: QuerySet, now: dt.datetime | None = None) -> QuerySet:
    """`is_overdue`: still being implemented and some owner has not reported by its due time."""
    now = now or timezone.now()
    return qs.annotate(
        owner_overdue=_overdue_owner_q(now),
    ).annotate(
        is_overdue=models.ExpressionWrapper(
            Q(owner_overdue=True) & Q(status=DecisionStatus.OPEN),
            output_field=models.BooleanField(),
        )
    )


def decision_list(
    *,
    user: Any,
    owner_id: int | None = None,
    status: str = "",
    overdue: bool | None = None,
    meeting_id: int | None = None,
    year: int | None = None,
    now: dt.datetime | None = None,
) -> QuerySet:
    qs = decisions_annotated(decision_policy.scope(user), now).select_related(
        "meeting", "meeting__organiser_unit", "meeting__leading_group"
    )
    if owner_id:
        qs = qs.filter(owners__unit_id=owner_id)
    if status:
        qs = qs.filter(status=status)
    if overdue is True:
        qs = qs.filter(is_overdue=True)
    elif overdue is False:
        qs = qs.filter(is_overdue=False)
    if meeting_id:
        qs = qs.filter(meeting_id=meeting_id)
    if year:
        qs = qs.filter(due_date__year=year)
    return qs.prefetch_related("owners__unit", "owners__obligation").order_by("due_date", "id")


def decision_get(*, user: Any, pk: Any) -> Decision:
    return decision_policy.get_visible(user, pk, decisions_annotated(Decision.objects.all()))


def decision_supervisions(decision: Decision) -> QuerySet:
    from envgrid.obligations.models import Supervision

    return (
        Supervision.objects.filter(
            subject_type=ContentType.objects.get_for_model(Decision), subject_id=str(decision.pk)
        )
        .select_related("target", "issuer", "response_obligation")
        .order_by("issued_at", "id")
    )


# ---- task reports -----------------------------------------------------------


def task_report_list(
    *,
    user: Any,
    unit_id: int | None = None,
    status: str = "",
    schedule_id: int | None = None,
    now: dt.datetime | None = None,
) -> QuerySet:
    now = now or timezone.now()
    qs = task_report_policy.scope(user).select_related(
        "schedule", "unit", "obligation", "submitted_by"
    )
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if schedule_id:
        qs = qs.filter(schedule_id=schedule_id)
    if status == "submitted":
        qs = qs.filter(submitted_at__isnull=False)
    elif status == "pending":
        qs = qs.filter(submitted_at__isnull=True)
    elif status == "overdue":
        qs = qs.filter(submitted_at__isnull=True, obligation__due_at__lt=now)
    return qs.order_by("-period_start", "unit__code", "id")


def task_report_schedule_list(*, user: Any) -> QuerySet:
    return task_report_schedule_policy.scope(user).select_related("leading_group")


# ---- generic links (agenda items, decisions → cases, actions …) ---------------


def _policy_for(model: type[models.Model]) -> Policy | None:
    """The app's policy object for `model` (STYLE: one per model, in <app>/policies.py),
    from core's registry: meetings never loads another app's module itself."""
    return policy_for(model)


def link_visible(user: Any, obj: models.Model) -> bool:
    """Whether `user` may see `obj`, asked of the owning app's policy; objects without a
    policy are linkable only by overseers (office, leaders) and administrators."""
    policy = _policy_for(type(obj))
    if policy is not None:
        return policy.can_view(user, obj)
    actor = actor_for(user)
    return actor.is_admin or bool(actor.overseen_group_ids)


def type_label(obj: models.Model) -> str:
    return obj._meta.label_lower


def link_resolve(*, user: Any, type_label: str, object_id: Any) -> models.Model:
    """Turn {"type": "cases.case", "id": 12} into the object, if it exists and the caller
    may see it; otherwise a 400 that does not say which of the two it was."""
    error = ApplicationError(
        _("关联对象不存在或无权查看：%(t)s #%(i)s") % {"t": type_label, "i": object_id},
        code="link_invalid",
        fields={"link": [_("关联对象无效")]},
    )
    try:
        app_label, model_name = str(type_label).lower().split(".", 1)
        ct = ContentType.objects.get_by_natural_key(app_label, model_name)
    except (ValueError, ContentType.DoesNotExist):
        raise error from None
    model = ct.model_class()
    if model is None or not apps.get_app_config(app_label).name.startswith("envgrid."):
        raise error
    try:
        obj = model._default_manager.filter(pk=object_id).first()
    except (ValueError, TypeError):
        obj = None
    if obj is None or not link_visible(user, obj):
        raise error
    return obj


def linkable_decisions(*, user: Any) -> QuerySet:
    """Earlier decisions still being implemented: the usual thing a 督办 agenda item is about."""
    return (
        decision_policy.scope(user)
        .filter(status__in=[DecisionStatus.OPEN, DecisionStatus.REPORTED])
        .select_related("meeting")
        .order_by("-meeting__starts_at", "seq")
    )


# ---- assessment figures (M6) -------------------------------------------------


def _year_start(year: int) -> dt.datetime:
    return dt.datetime(year, 1, 1, tzinfo=timezone.get_current_timezone())


@dataclass
class UnitYearMeetingStats:
    """What the assessment app scores for one unit and one year, with the records behind
    each figure (ids), so every score can show its evidence (SPEC A)."""

    unit_id: int
    year: int
    meetings_invited: int = 0
    meetings_attended: int = 0
    meetings_absent: int = 0
    meetings_unrecorded: int = 0
    decisions_owned: int = 0
    decisions_closed_on_time: int = 0
    decisions_closed_late: int = 0
    decisions_open_overdue: int = 0
    task_reports_due: int = 0
    task_reports_on_time: int = 0
    task_reports_late: int = 0
    task_reports_missing: int = 0
    records: dict[str, list[int]] = field(default_factory=dict)


def unit_attendance(*, unit: Any, year: int, leading_group: Any = None) -> QuerySet:
    """Participations of `unit` in meetings held in `year` (cancelled and not yet held
    meetings do not count)."""
    qs = Participant.objects.filter(
        unit=unit,
        meeting__status__in=[MeetingStatus.HELD, MeetingStatus.MINUTED],
        meeting__starts_at__gte=_year_start(year),
        meeting__starts_at__lt=_year_start(year + 1),
    ).select_related("meeting")
    if leading_group is not None:
        qs = qs.filter(meeting__leading_group=leading_group)
    return qs.order_by("meeting__starts_at")


def unit_decisions(*, unit: Any, year: int, leading_group: Any = None) -> QuerySet:
    """Decisions `unit` owns that fell due in `year` (withdrawn ones do not count)."""
    qs = (
        DecisionOwner.objects.filter(unit=unit, decision__due_date__year=year)
        .exclude(decision__status=DecisionStatus.WITHDRAWN)
        .select_related("decision", "decision__meeting")
    )
    if leading_group is not None:
        qs = qs.filter(decision__meeting__leading_group=leading_group)
    return qs.order_by("decision__due_date", "decision_id")


def unit_task_reports(*, unit: Any, year: int, now: dt.datetime | None = None) -> QuerySet:
    """Task reports of `unit` that fell due in `year`, up to now."""
    now = now or timezone.now()
    return (
        TaskReport.objects.filter(
            unit=unit,
            obligation__due_at__gte=_year_start(year),
            obligation__due_at__lt=_year_start(year + 1),
            obligation__due_at__lte=now,
        )
        .select_related("obligation", "schedule")
        .order_by("period_start")
    )


def unit_year_stats(
    *, unit: Any, year: int, leading_group: Any = None, now: dt.datetime | None = None
) -> UnitYearMeetingStats:
    now = now or timezone.now()
    stats = UnitYearMeetingStats(unit_id=unit.pk, year=year)
    rec: dict[str, list[int]] = {
        k: []
        for k in (
            "meetings_invited",
            "meetings_attended",
            "meetings_absent",
            "meetings_unrecorded",
            "decisions_owned",
            "decisions_closed_on_time",
            "decisions_closed_late",
            "decisions_open_overdue",
            "task_reports_due",
            "task_reports_on_time",
            "task_reports_late",
            "task_reports_missing",
        )
    }
    for p in unit_attendance(unit=unit, year=year, leading_group=leading_group):
        rec["meetings_invited"].append(p.meeting_id)
        if p.attendance in ATTENDED:
            rec["meetings_attended"].append(p.meeting_id)
        elif p.attendance == Attendance.ABSENT:
            rec["meetings_absent"].append(p.meeting_id)
        else:
            rec["meetings_unrecorded"].append(p.meeting_id)

    owners = list(unit_decisions(unit=unit, year=year, leading_group=leading_group))
    ct = ContentType.objects.get_for_model(Decision)
    obligations: dict[str, list[Obligation]] = {}
    for ob in Obligation.objects.filter(
        kind=DECISION_KIND,
        unit=unit,
        subject_type=ct,
        subject_id__in=[str(o.decision_id) for o in owners],
    ):
        obligations.setdefault(ob.subject_id, []).append(ob)
    for owner in owners:
        d = owner.decision
        rec["decisions_owned"].append(d.pk)
        obs = obligations.get(str(d.pk), [])
        late = any(
            o.completed_late
            or o.status == ObligationStatus.OVERDUE
            or (o.status == ObligationStatus.OPEN and o.due_at < now)
            for o in obs
        )
        if d.status == DecisionStatus.CLOSED:
            rec["decisions_closed_late" if late else "decisions_closed_on_time"].append(d.pk)
        elif late and owner.reported_done_at is None:
            rec["decisions_open_overdue"].append(d.pk)

    for r in unit_task_reports(unit=unit, year=year, now=now):
        rec["task_reports_due"].append(r.pk)
        if r.submitted_at is None:
            rec["task_reports_missing"].append(r.pk)
        elif r.obligation is not None and r.obligation.completed_late:
            rec["task_reports_late"].append(r.pk)
        else:
            rec["task_reports_on_time"].append(r.pk)

    for key, ids in rec.items():
        setattr(stats, key, len(ids))
    stats.records = rec
    return stats


def year_end(year: int) -> dt.datetime:
    return end_of_day(dt.date(year, 12, 31))


def decision_owner_units(decision: Decision) -> list[Unit]:
    """Built-in suggester: a decision on the agenda brings its owner units (M3)."""
    return [o.unit for o in decision.owners.select_related("unit")]


def schedule_units(schedule: TaskReportSchedule) -> list[Unit]:
    chosen = list(schedule.units.filter(is_active=True))
    if chosen:
        return chosen
    group = schedule.leading_group
    return list(group.member_units.filter(is_active=True).exclude(pk=group.office_unit_id))
