"""Who may see and act on reports, schedules and due reports.

A unit sees its own reports at every step; the office (and the leaders) of a leading
group see what its units submitted to it, from submission on — drafts stay with the
author. Schedules are seen by the group's overseers and its member units (they must
know what they owe); only the office and administrators change them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.core.policies import own_or_overseen
from envgrid.org.models import LeadingGroup
from envgrid.org.policies import ActorScopedPolicy
from envgrid.org.selectors import Actor, actor_for

from .models import SENT_STATUSES, Report, ReportDue, ReportSchedule


def member_group_ids(unit_id: int | None) -> set[int]:
    if unit_id is None:
        return set()
    return set(LeadingGroup.objects.filter(member_units=unit_id).values_list("id", flat=True))


class ReportPolicy(ActorScopedPolicy):
    model = Report

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        return qs.filter(
            Q(unit_id=actor.unit_id)
            | Q(leading_group_id__in=actor.overseen_group_ids, status__in=SENT_STATUSES)
        )

    def is_author(self, user: Any, report: Report) -> bool:
        actor = actor_for(user)
        return actor.is_admin or (actor.person is not None and report.unit_id == actor.unit_id)

    def is_receiver(self, user: Any, report: Report) -> bool:
        """The office of the group the report went to (leaders read; the office acts)."""
        actor = actor_for(user)
        return actor.is_admin or (
            report.leading_group_id is not None
            and report.leading_group_id in actor.office_group_ids
        )

    def can_change(self, user: Any, obj: Any) -> bool:
        return self.is_author(user, obj)


class SchedulePolicy(ActorScopedPolicy):
    model = ReportSchedule

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        groups = actor.overseen_group_ids | member_group_ids(actor.unit_id)
        return qs.filter(leading_group_id__in=groups)

    def can_change(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or obj.leading_group_id in actor.office_group_ids

    def can_create_for(self, user: Any, group: LeadingGroup) -> bool:
        actor = actor_for(user)
        return actor.is_admin or group.pk in actor.office_group_ids


class DuePolicy(ActorScopedPolicy):
    model = ReportDue

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        return qs.filter(own_or_overseen(actor, group="schedule__leading_group_id"))


report_policy = ReportPolicy()
schedule_policy = SchedulePolicy()
due_policy = DuePolicy()
