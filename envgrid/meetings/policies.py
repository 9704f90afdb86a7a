"""Who may see and manage meetings, decisions and task reports.

A unit sees the meetings it takes part in (as participant, organiser, or owner of one
of their decisions) and the decisions it owns; the office — and the leader and deputies —
see everything in their leading group (SPEC "Who sees what"). Managing a meeting and
its decisions (attendance, minutes, verification, closure) belongs to its organiser:
the office for a leading-group meeting, the convening unit for one among member units
(M5, M7).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from envgrid.core.policies import own_or_overseen
from envgrid.org.policies import ActorScopedPolicy
from envgrid.org.selectors import Actor, actor_for

from .models import (
    Decision,
    DecisionOwner,
    Meeting,
    MeetingScope,
    Participant,
    TaskReport,
    TaskReportSchedule,
)


def can_manage_meeting(actor: Actor, meeting: Meeting) -> bool:
    if actor.is_admin:
        return True
    if actor.person is None:
        return False
    if meeting.scope == MeetingScope.GROUP:
        return meeting.leading_group_id in actor.overseen_group_ids
    return actor.unit_id == meeting.organiser_unit_id


class MeetingPolicy(ActorScopedPolicy):
    model = Meeting

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        unit_id = self.person_of(actor).unit_id
        return qs.filter(
            Q(leading_group_id__in=actor.overseen_group_ids)
            | Q(organiser_unit_id=unit_id)
            | Exists(Participant.objects.filter(meeting=OuterRef("pk"), unit_id=unit_id))
            | Exists(
                DecisionOwner.objects.filter(decision__meeting=OuterRef("pk"), unit_id=unit_id)
            )
        )

    def can_change(self, user: Any, obj: Any) -> bool:
        return can_manage_meeting(actor_for(user), obj)


class DecisionPolicy(ActorScopedPolicy):
    model = Decision

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        return qs.filter(
            Q(meeting__leading_group_id__in=actor.overseen_group_ids)
            | Q(meeting__organiser_unit_id=actor.unit_id)
            | Exists(
                DecisionOwner.objects.filter(
                    decision=OuterRef("pk"), unit_id=self.person_of(actor).unit_id
                )
            )
        )

    def can_change(self, user: Any, obj: Any) -> bool:
        return can_manage_meeting(actor_for(user), obj.meeting)

    def is_owner(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.unit_id is not None and obj.owners.filter(unit_id=actor.unit_id).exists()


class TaskReportSchedulePolicy(ActorScopedPolicy):
    model = TaskReportSchedule

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        return qs.filter(
            Q(leading_group_id__in=actor.overseen_group_ids) | Q(reports__unit_id=actor.unit_id)
        ).distinct()

    def can_change(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or obj.leading_group_id in actor.office_group_ids


class TaskReportPolicy(ActorScopedPolicy):
    model = TaskReport

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        return qs.filter(own_or_overseen(actor, group="schedule__leading_group_id"))

    def can_change(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or obj.unit_id == actor.unit_id


meeting_policy = MeetingPolicy()
decision_policy = DecisionPolicy()
task_report_schedule_policy = TaskReportSchedulePolicy()
task_report_policy = TaskReportPolicy()
