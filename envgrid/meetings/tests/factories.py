"""Builders for meeting tests: a scheduled, held meeting and its decisions, through the
real services (so every row the tests look at was written the way users write it)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Model

from envgrid.core.models import AuditEvent
from envgrid.meetings import services
from envgrid.meetings.models import Attendance

SH = ZoneInfo("Asia/Shanghai")


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


def agenda(n: int = 1, **kw: Any) -> list[services.AgendaInput]:
    return [
        services.AgendaInput(
            kind=kw.get("kind", "coordination"),
            problem_kind=kw.get("problem_kind", "difficult"),
            title=kw.get("title", f"议题{i}"),
            link=kw.get("link"),
        )
        for i in range(1, n + 1)
    ]


def schedule(world: Any, *, actor: Any = None, starts_at: dt.datetime | None = None, **kw: Any):
    kw.setdefault("title", "第一次联席会议")
    kw.setdefault("place", "区政府三楼会议室")
    kw.setdefault("agenda", agenda())
    kw.setdefault("convener", world.leader)
    return services.meeting_schedule(
        actor=actor or world.office_staff.user,
        leading_group=world.group,
        starts_at=starts_at or at(2026, 3, 10, 9, 0),
        **kw,
    )


def hold(world: Any, meeting: Any, *, actor: Any = None):
    actor = actor or world.office_staff.user
    services.meeting_attendance_record(
        actor=actor,
        meeting=meeting,
        entries=[
            services.AttendanceInput(unit_id=p.unit_id, attendance=Attendance.PRESENT)
            for p in meeting.participants.all()
        ],
    )
    return services.meeting_hold(actor=actor, meeting=meeting)


def decide(
    world: Any,
    meeting: Any,
    *,
    owners: list[Any] | None = None,
    due: dt.date | None = None,
    actor: Any = None,
    text: str = "限期完成辖区内散乱污企业整治",
):
    return services.decision_create(
        actor=actor or world.office_staff.user,
        meeting=meeting,
        text=text,
        owner_units=owners if owners is not None else [world.members[0]],
        due_date=due or dt.date(2026, 3, 20),
    )


def counts(*models: type[Model]) -> dict[str, int]:
    """Row counts of the given models plus the audit log: "writes nothing" means these
    are unchanged."""
    out = {m._meta.label: m._default_manager.count() for m in models}
    out["audit"] = AuditEvent.objects.count()
    return out
