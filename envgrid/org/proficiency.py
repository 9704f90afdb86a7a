"""Proficiency of enforcement officers (业务熟练, SPEC E5): the minimum, as data.

An officer counts as proficient on a day when the passed training and assessment records
of the WINDOW_DAYS before it add up to MIN_HOURS, and (when ASSESSMENT_REQUIRED) one of
them is a passed assessment. The numbers are rules (org/rules.py, envgrid.core.rules);
MIN_HOURS 0 with ASSESSMENT_REQUIRED False turns the check off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from envgrid.core import rules

from .models import Person, TrainingKind, TrainingRecord, TrainingResult
from .rules import PROFICIENCY_KEYS


def get(name: str) -> Any:
    """The rule under its historical name (ENVGRID_PROFICIENCY key; org/rules.py)."""
    return rules.get(PROFICIENCY_KEYS[name])


def is_enabled() -> bool:
    return Decimal(str(get("MIN_HOURS"))) > 0 or bool(get("ASSESSMENT_REQUIRED"))


@dataclass(frozen=True)
class ProficiencyGap:
    """What an officer lacks on `day`: hours short of the minimum and/or an assessment."""

    person: Person
    day: dt.date
    since: dt.date
    hours: Decimal
    min_hours: Decimal
    assessment_missing: bool

    @property
    def hours_short(self) -> Decimal:
        return max(self.min_hours - self.hours, Decimal(0))

    def describe(self) -> str:
        parts = []
        if self.hours_short > 0:
            parts.append(
                _(
                    "%(since)s至%(day)s合格培训考核%(h)s学时，低于最低要求%(min)s学时（差%(short)s学时）"
                )
                % {
                    "since": self.since.isoformat(),
                    "day": self.day.isoformat(),
                    "h": _fmt(self.hours),
                    "min": _fmt(self.min_hours),
                    "short": _fmt(self.hours_short),
                }
            )
        if self.assessment_missing:
            parts.append(
                _("%(since)s至%(day)s没有合格的业务考核记录")
                % {"since": self.since.isoformat(), "day": self.day.isoformat()}
            )
        return "；".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "day": self.day.isoformat(),
            "hours": _fmt(self.hours),
            "min_hours": _fmt(self.min_hours),
            "hours_short": _fmt(self.hours_short),
            "assessment_missing": self.assessment_missing,
        }


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def window(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day whose records count for `day` (both included)."""
    return day - dt.timedelta(days=int(get("WINDOW_DAYS")) - 1), day


def proficiency_gap(person: Person, day: dt.date) -> ProficiencyGap | None:
    """None when `person` meets the minimum on `day`, else what is missing."""
    if not is_enabled():
        return None
    since, last = window(day)
    records = TrainingRecord.objects.filter(
        person=person,
        result=TrainingResult.PASSED,
        voided_at__isnull=True,
        held_on__gte=since,
        held_on__lte=last,
    )
    hours = records.aggregate(h=Sum("hours"))["h"] or Decimal(0)
    min_hours = Decimal(str(get("MIN_HOURS")))
    assessment_missing = (
        bool(get("ASSESSMENT_REQUIRED"))
        and not records.filter(kind=TrainingKind.ASSESSMENT).exists()
    )
    if hours >= min_hours and not assessment_missing:
        return None
    return ProficiencyGap(
        person=person,
        day=day,
        since=since,
        hours=hours,
        min_hours=min_hours,
        assessment_missing=assessment_missing,
    )


def enforcement_officers(qs: Any, day: dt.date) -> Any:
    """Active persons holding a certificate valid on `day`: the ones E5 applies to."""
    return qs.filter(
        is_active=True,
        cert_valid_from__lte=day,
        cert_valid_to__gte=day,
    ).exclude(cert_number="")


def gaps_for(persons: Any, day: dt.date) -> dict[int, ProficiencyGap]:
    """Proficiency gaps of many persons at once (two aggregate queries, not one per
    person): {person id: gap} for those below the minimum on `day`."""
    if not is_enabled():
        return {}
    from django.db.models import Count, Q

    since, last = window(day)
    counted = Q(
        training_records__result=TrainingResult.PASSED,
        training_records__voided_at__isnull=True,
        training_records__held_on__gte=since,
        training_records__held_on__lte=last,
    )
    rows = persons.annotate(
        _hours=Sum("training_records__hours", filter=counted),
        _assessments=Count(
            "training_records",
            filter=counted & Q(training_records__kind=TrainingKind.ASSESSMENT),
        ),
    )
    min_hours = Decimal(str(get("MIN_HOURS")))
    need_assessment = bool(get("ASSESSMENT_REQUIRED"))
    gaps: dict[int, ProficiencyGap] = {}
    for person in rows:
        hours = person._hours or Decimal(0)
        missing = need_assessment and not person._assessments
        if hours < min_hours or missing:
            gaps[person.pk] = ProficiencyGap(
                person=person,
                day=day,
                since=since,
                hours=hours,
                min_hours=min_hours,
                assessment_missing=missing,
            )
    return gaps
