"""Metrics that read other apps' own records (none of those apps imports assessment).
Each metric answers for all units in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .indicators import Drilldown, Metric, MetricValue, rate, register_metric, year_bounds

log = logging.getLogger(__name__)


def _guarded(app: str, register: Callable[[], None]) -> None:
    """Register one app's metrics. Every app is part of the system: a metric that cannot be
    registered is a bug to see at start-up, not a metric to drop silently."""
    register()


def _local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


# --- meetings: attendance (M6: absence counts in assessment) ------------------------------


def _register_meetings() -> None:
    from envgrid.meetings.models import ATTENDED, Attendance, MeetingStatus, Participant

    held = [MeetingStatus.HELD, MeetingStatus.MINUTED]

    def _participations(year: int) -> Any:
        start, end = year_bounds(year)
        return Participant.objects.filter(
            meeting__status__in=held, meeting__starts_at__gte=start, meeting__starts_at__lt=end
        )

    def compute(
        year: int, unit_ids: Sequence[int], *, now: dt.datetime | None = None
    ) -> dict[int, MetricValue]:
        rows = (
            _participations(year)
            .filter(unit_id__in=list(unit_ids))
            .values("unit_id")
            .annotate(
                attended=Count("id", filter=Q(attendance__in=list(ATTENDED))),
                absent=Count("id", filter=Q(attendance=Attendance.ABSENT)),
                unrecorded=Count("id", filter=Q(attendance=Attendance.PENDING)),
            )
            .order_by()
        )
        found = {r["unit_id"]: r for r in rows}
        result = {}
        for uid in unit_ids:
            r = found.get(uid, {"attended": 0, "absent": 0, "unrecorded": 0})
            note = (
                _("另有 %(n)s 次会议出席情况未登记，不计入") % {"n": r["unrecorded"]}
                if r["unrecorded"]
                else ""
            )
            result[uid] = MetricValue(
                value=rate(r["attended"], r["attended"] + r["absent"]),
                numerator=r["attended"],
                denominator=r["attended"] + r["absent"],
                note=note,
            )
        return result

    def drilldown(
        year: int, unit_id: int, *, now: dt.datetime | None = None, limit: int = 500
    ) -> Drilldown:
        qs = (
            _participations(year)
            .filter(unit_id=unit_id)
            .select_related("meeting")
            .order_by("-meeting__starts_at")
        )
        rows = []
        for p in qs[:limit]:
            m = p.meeting
            rows.append(
                [
                    (m.title, m.get_absolute_url()),
                    _local(m.starts_at),
                    str(p.get_attendance_display()),
                    p.attendee_name or p.delegate_name,
                    p.absence_reason,
                ]
            )
        return Drilldown(
            headers=[
                gettext_lazy("会议"),
                gettext_lazy("时间"),
                gettext_lazy("出席情况"),
                gettext_lazy("出席人"),
                gettext_lazy("缺席原因"),
            ],
            rows=rows,
            total=qs.count(),
            description=_("当年已召开的联席会议；出席率 = 出席（含委派代表）÷（出席 + 缺席）。"),
        )

    register_metric(
        Metric(
            code="meeting.attendance",
            label=gettext_lazy("联席会议出席率"),
            description=gettext_lazy(
                "当年已召开的联席会议中，本单位出席（含委派代表）的比例（M6）。"
            ),
            compute=compute,
            drilldown=drilldown,
        )
    )


# --- grids: roles filled (G2: 主要行政领导负责制, 责任到人) --------------------------------------


def _register_grids() -> None:
    from envgrid.grids.models import DEFAULT_MIN_STAFF, Grid, GridAssignment, GridRole, StaffingRule

    def _as_of(year: int, now: dt.datetime) -> dt.datetime:
        # The roster at the end of the year, or now while the year is still running.
        return min(now, year_bounds(year)[1])

    def _required(grid: Any, staffing: dict[int, int]) -> dict[str, int]:
        staff = (
            grid.min_staff
            if grid.min_staff is not None
            else staffing.get(grid.level, DEFAULT_MIN_STAFF)
        )
        return {
            GridRole.LEADER: 1,
            GridRole.HEAD: 1,
            GridRole.STAFF: max(int(staff), 0),
            GridRole.SUPERVISOR: 1,
        }

    def _roster(unit_ids: Sequence[int], as_of: dt.datetime) -> tuple[list[Any], dict]:
        grids = list(
            Grid.objects.filter(owner_unit_id__in=list(unit_ids), is_active=True).only(
                "id", "owner_unit_id", "level", "min_staff", "name", "code"
            )
        )
        # Assignments of those grids by a join, not an IN list of every grid id (tens of
        # thousands at province scale).
        counts = (
            GridAssignment.objects.filter(
                grid__owner_unit_id__in=list(unit_ids), grid__is_active=True, started_at__lte=as_of
            )
            .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=as_of))
            .values("grid_id", "role")
            .annotate(n=Count("person_id", distinct=True))
            .order_by()
        )
        held = {(r["grid_id"], r["role"]): r["n"] for r in counts}
        return grids, held

    def compute(
        year: int, unit_ids: Sequence[int], *, now: dt.datetime | None = None
    ) -> dict[int, MetricValue]:
        as_of = _as_of(year, now or timezone.now())
        staffing = dict(StaffingRule.objects.values_list("level", "min_staff"))
        grids, held = _roster(unit_ids, as_of)
        totals: dict[int, list[int]] = {uid: [0, 0] for uid in unit_ids}
        for g in grids:
            for role, need in _required(g, staffing).items():
                totals[g.owner_unit_id][0] += min(held.get((g.pk, role), 0), need)
                totals[g.owner_unit_id][1] += need
        return {
            uid: MetricValue(value=rate(filled, need), numerator=filled, denominator=need)
            for uid, (filled, need) in totals.items()
        }

    def drilldown(
        year: int, unit_id: int, *, now: dt.datetime | None = None, limit: int = 500
    ) -> Drilldown:
        as_of = _as_of(year, now or timezone.now())
        staffing = dict(StaffingRule.objects.values_list("level", "min_staff"))
        grids, held = _roster([unit_id], as_of)
        rows = []
        for g in grids[:limit]:
            for role, need in _required(g, staffing).items():
                have = held.get((g.pk, role), 0)
                rows.append(
                    [
                        (str(g), g.get_absolute_url()),
                        str(GridRole(role).label),
                        need,
                        have,
                        _("配齐") if have >= need else _("空缺 %(n)s") % {"n": need - have},
                    ]
                )
        return Drilldown(
            headers=[
                gettext_lazy("网格"),
                gettext_lazy("岗位"),
                gettext_lazy("应配"),
                gettext_lazy("实配"),
                gettext_lazy("情况"),
            ],
            rows=rows,
            total=len(rows),
            description=_(
                "本单位负责的网格在 %(at)s 的人员配备；配齐率 = 已配岗位数 ÷ 应配岗位数。"
            )
            % {"at": _local(as_of)},
        )

    register_metric(
        Metric(
            code="grids.roles_filled",
            label=gettext_lazy("网格岗位配齐率"),
            description=gettext_lazy(
                "本单位负责的网格中，主要行政领导、网格长、网格员、监管员等岗位配齐的比例（G2）。"
            ),
            compute=compute,
            drilldown=drilldown,
        )
    )


# --- patrols: coverage --------------------------------------------------------------------


def _register_patrols() -> None:
    """Patrol coverage as the patrols app defines it: for the entities in a unit's grids,
    the check windows of the patrol plan that had a check inside the grid, over the year
    (up to now while it runs)."""
    from envgrid.grids.models import Grid
    from envgrid.patrols.selectors import coverage, unit_patrol_coverage

    def _span(year: int, now: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
        start, end = year_bounds(year)
        return start, min(end, now or timezone.now())

    def compute(
        year: int, unit_ids: Sequence[int], *, now: dt.datetime | None = None
    ) -> dict[int, MetricValue]:
        start, end = _span(year, now)
        if end <= start:
            return {uid: MetricValue(value=None) for uid in unit_ids}
        found = unit_patrol_coverage(start=start, end=end, unit_ids=list(unit_ids))
        result = {}
        for uid in unit_ids:
            c = found.get(uid)
            done, due = (c.checked, c.due) if c is not None else (0, 0)
            result[uid] = MetricValue(value=rate(done, due), numerator=done, denominator=due)
        return result

    def drilldown(
        year: int, unit_id: int, *, now: dt.datetime | None = None, limit: int = 500
    ) -> Drilldown:
        start, end = _span(year, now)
        grids = Grid.objects.filter(owner_unit_id=unit_id, is_active=True)
        rows: list[list[Any]] = []
        for gc in coverage(grids, start, end) if end > start else []:
            for e in gc.entities:
                rows.append(
                    [
                        (str(gc.grid), gc.grid.get_absolute_url()),
                        e.entity.name,
                        e.every_days,
                        e.windows_due,
                        e.windows_done,
                        _("达标") if e.met else _("未达标"),
                    ]
                )
        return Drilldown(
            headers=[
                gettext_lazy("网格"),
                gettext_lazy("监管对象"),
                gettext_lazy("巡查周期（天）"),
                gettext_lazy("应巡查次数"),
                gettext_lazy("已巡查次数"),
                gettext_lazy("情况"),
            ],
            rows=rows[:limit],
            total=len(rows),
            description=_("按巡查计划，本单位网格内监管对象每个巡查周期内至少在网格内检查一次。"),
        )

    register_metric(
        Metric(
            code="patrol.coverage",
            label=gettext_lazy("网格巡查覆盖率"),
            description=gettext_lazy("本单位网格内监管对象按巡查计划完成巡查的比例（网格巡查）。"),
            compute=compute,
            drilldown=drilldown,
        )
    )


# --- accountability: late items without serious consequences (T6) ------------------------


def _register_accountability() -> None:
    """T6 feeds the assessment: of a unit's items that went late (the overdue register,
    by due date in the year), the share that the office did not find to have caused
    serious consequences. A unit with no late item owes nothing here (value None)."""
    from envgrid.accountability.models import ConsequenceFinding, ConsequenceLevel
    from envgrid.obligations.models import Obligation

    def _late(year: int, now: dt.datetime | None) -> Any:
        start, end = year_bounds(year)
        return Obligation.objects.filter(
            Q(status="overdue") | Q(completed_late=True),
            due_at__gte=start,
            due_at__lt=min(end, now or timezone.now()),
        )

    def compute(
        year: int, unit_ids: Sequence[int], *, now: dt.datetime | None = None
    ) -> dict[int, MetricValue]:
        serious = ConsequenceFinding.objects.filter(
            obligation_id=OuterRef("pk"), level=ConsequenceLevel.SERIOUS
        )
        rows = (
            _late(year, now)
            .filter(unit_id__in=list(unit_ids))
            .annotate(serious=Exists(serious))
            .values("unit_id")
            .annotate(late=Count("id"), serious_n=Count("id", filter=Q(serious=True)))
            .order_by()
        )
        found = {r["unit_id"]: r for r in rows}
        result = {}
        for uid in unit_ids:
            r = found.get(uid, {"late": 0, "serious_n": 0})
            clean = r["late"] - r["serious_n"]
            result[uid] = MetricValue(
                value=rate(clean, r["late"]), numerator=clean, denominator=r["late"]
            )
        return result

    def drilldown(
        year: int, unit_id: int, *, now: dt.datetime | None = None, limit: int = 500
    ) -> Drilldown:
        qs = _late(year, now).filter(unit_id=unit_id).order_by("-due_at")
        items = list(qs[:limit])
        findings = {
            f.obligation_id: f
            for f in ConsequenceFinding.objects.filter(obligation_id__in=[o.pk for o in items])
        }
        rows: list[list[Any]] = []
        for o in items:
            f = findings.get(o.pk)
            rows.append(
                [
                    (o.title, f"/obligations/{o.pk}/"),
                    _local(o.due_at),
                    _local(o.completed_at),
                    (f.get_level_display(), f.get_absolute_url()) if f else _("未认定"),
                ]
            )
        return Drilldown(
            headers=[
                gettext_lazy("逾期事项"),
                gettext_lazy("截止时间"),
                gettext_lazy("完成时间"),
                gettext_lazy("后果认定"),
            ],
            rows=rows,
            total=qs.count(),
            description=_(
                "逾期登记中本单位的事项；未造成严重后果率 = 未认定为严重后果的 ÷ 逾期事项。"
            ),
        )

    register_metric(
        Metric(
            code="accountability.no_serious",
            label=gettext_lazy("逾期未造成严重后果率"),
            description=gettext_lazy(
                "本单位逾期事项中，未被认定为造成严重后果的比例（T6 追究责任）。"
            ),
            compute=compute,
            drilldown=drilldown,
        )
    )


def register_sources() -> None:
    _guarded("envgrid.accountability", _register_accountability)
    _guarded("envgrid.meetings", _register_meetings)
    _guarded("envgrid.grids", _register_grids)
    _guarded("envgrid.patrols", _register_patrols)
