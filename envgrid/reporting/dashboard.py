"""The leaders' and office's overview: every figure is an aggregate query over a
registered Metric (reporting.metrics), restricted to the viewer's scope, and every
figure has a drill-down (`metric_rows` with the same arguments gives the rows behind it).

Scope: the office and the leaders see a leading group they oversee (with the groups
under it); a unit sees its own figures; an administrator sees everything or one group.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from envgrid.core.params import maybe_id
from envgrid.grids.models import Grid
from envgrid.org.models import LeadingGroup, Unit
from envgrid.org.selectors import actor_for

from .metrics import Metric, metrics

MAX_MONTHS = 24


# --------------------------------------------------------------------------- scope


@dataclass
class DashboardScope:
    user: Any
    kind: str  # "group" | "unit" | "all" | "none"
    group: LeadingGroup | None = None
    groups: list[LeadingGroup] = field(default_factory=list)  # choices offered to the viewer
    unit_ids: frozenset[int] | None = None  # None: no unit restriction (administrator, all)
    unit: Unit | None = None

    @property
    def label(self) -> str:
        if self.kind == "group" and self.group is not None:
            return self.group.name
        if self.kind == "unit" and self.unit is not None:
            return self.unit.name
        if self.kind == "all":
            return "全部"
        return "—"


def _descendants(group_ids: set[int]) -> set[int]:
    found, frontier = set(group_ids), set(group_ids)
    while frontier:
        frontier = (
            set(LeadingGroup.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
            - found
        )
        found |= frontier
    return found


def group_unit_ids(group: LeadingGroup) -> frozenset[int]:
    """Units of a leading group and of the groups under it: members and offices."""
    groups = LeadingGroup.objects.filter(pk__in=_descendants({group.pk}))
    ids = set(groups.values_list("member_units", flat=True)) | set(
        groups.values_list("office_unit", flat=True)
    )
    ids.discard(None)
    return frozenset(ids)


def dashboard_scope(user: Any, group_id: Any = None) -> DashboardScope:
    actor = actor_for(user)
    chosen = maybe_id(group_id)
    if actor.is_admin:
        groups = list(LeadingGroup.objects.order_by("id"))
        group = next((g for g in groups if g.pk == chosen), None)
        if group is None:
            return DashboardScope(user=user, kind="all", groups=groups)
        return DashboardScope(
            user=user, kind="group", group=group, groups=groups, unit_ids=group_unit_ids(group)
        )
    if actor.overseen_group_ids:
        groups = list(LeadingGroup.objects.filter(pk__in=actor.overseen_group_ids).order_by("id"))
        group = next((g for g in groups if g.pk == chosen), None)
        if group is None:
            # The top-most group the viewer oversees (its parent is not overseen).
            tops = [g for g in groups if g.parent_id not in actor.overseen_group_ids]
            group = (tops or groups)[0]
        return DashboardScope(
            user=user, kind="group", group=group, groups=groups, unit_ids=group_unit_ids(group)
        )
    if actor.person is not None:
        unit = actor.person.unit
        return DashboardScope(user=user, kind="unit", unit=unit, unit_ids=frozenset({unit.pk}))
    return DashboardScope(user=user, kind="none", unit_ids=frozenset())


def scope_grids(scope: DashboardScope) -> QuerySet:
    """Grids on the viewer's map: the grids of the group (by leading group or owner unit),
    or the unit's own grids, each with its subtree."""
    grids = Grid.objects.filter(is_active=True)
    if scope.unit_ids is None:
        return grids
    roots_q = Q(owner_unit_id__in=scope.unit_ids)
    if scope.group is not None:
        roots_q |= Q(leading_group_id__in=_descendants({scope.group.pk}))
    paths = sorted(grids.filter(roots_q).values_list("path", flat=True))
    tops: list[str] = []
    for p in paths:  # keep only subtree roots: a path under a kept one adds nothing
        if not any(p.startswith(t) for t in tops):
            tops.append(p)
    if not tops:
        return grids.none()
    q = Q()
    for t in tops:
        q |= Q(path__startswith=t)
    return grids.filter(q)


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    def months(self) -> list[dt.date]:
        out: list[dt.date] = []
        m = self.start.replace(day=1)
        while m <= self.end and len(out) < MAX_MONTHS:
            out.append(m)
            m = (m + dt.timedelta(days=32)).replace(day=1)
        return out


def default_period(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(today.replace(month=1, day=1), today.replace(month=12, day=31))


def month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


# --------------------------------------------------------------------------- rows behind a figure


def _is_datetime(metric: Metric, qs: QuerySet) -> bool:
    model: Any = qs.model
    parts = metric.date_field.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model
    return isinstance(model._meta.get_field(parts[-1]), DateTimeField)


def _date_range_q(metric: Metric, qs: QuerySet, start: dt.date, end: dt.date) -> Q:
    """Rows whose date falls in [start, end], by local calendar day."""
    if _is_datetime(metric, qs):
        tz = timezone.get_current_timezone()
        lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
        hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return Q(**{f"{metric.date_field}__gte": lo, f"{metric.date_field}__lt": hi})
    return Q(**{f"{metric.date_field}__gte": start, f"{metric.date_field}__lte": end})


def scoped_rows(metric: Metric, scope: DashboardScope, now: dt.datetime) -> QuerySet:
    """What the metric counts for this viewer: the app's own visibility first, then the
    dashboard scope (a row counts for a unit when any of its unit fields is that unit)."""
    qs = metric.queryset(scope.user, now)
    if scope.unit_ids is not None:
        q = Q()
        for f in metric.unit_fields:
            q |= Q(**{f"{f}__in": scope.unit_ids})
        qs = qs.filter(q)
    return qs


def metric_rows(
    metric: Metric,
    scope: DashboardScope,
    *,
    period: Period,
    now: dt.datetime | None = None,
    unit_id: int | None = None,
    month: dt.date | None = None,
    grid: Grid | None = None,
    state: str | None = None,
) -> QuerySet:
    """The rows behind one figure (drill-down). Figures are distinct counts of these."""
    now = now or timezone.now()
    qs = scoped_rows(metric, scope, now)
    qs = qs.filter(_date_range_q(metric, qs, period.start, period.end))
    if unit_id is not None:
        qs = qs.filter(**{metric.unit_fields[0]: unit_id})
    if month is not None:
        qs = qs.filter(_date_range_q(metric, qs, month, month_end(month)))
    if grid is not None and metric.grid_field:
        qs = qs.filter(**{f"{metric.grid_field}__path__startswith": grid.path})
    if state == "open" and metric.open_q is not None:
        qs = qs.filter(metric.open_q(now))
    elif state == "overdue" and metric.overdue_q is not None:
        qs = qs.filter(metric.overdue_q(now))
    # Not .distinct(): joins through to-many unit fields may repeat a row, so every figure
    # counts DISTINCT pk, and the drill-down lists `distinct_rows(...)`.
    return qs


def distinct_rows(qs: QuerySet) -> QuerySet:
    """Each row once, whatever joins the filters made (for listing the rows)."""
    return qs.model._default_manager.filter(pk__in=qs.values("pk"))


# --------------------------------------------------------------------------- figures


def _count(expr: str = "pk") -> Func:
    return Func(F(expr), function="COUNT", template="COUNT(DISTINCT %(expressions)s)")


def metric_totals(
    metric: Metric, scope: DashboardScope, *, period: Period, now: dt.datetime
) -> dict[str, int | None]:
    """total / open / overdue in the period, one aggregate query."""
    qs = metric_rows(metric, scope, period=period, now=now).order_by()
    aggs: dict[str, Any] = {"total": Count("pk", distinct=True)}
    if metric.open_q is not None:
        aggs["open"] = Count("pk", distinct=True, filter=metric.open_q(now))
    if metric.overdue_q is not None:
        aggs["overdue"] = Count("pk", distinct=True, filter=metric.overdue_q(now))
    out: dict[str, int | None] = {"open": None, "overdue": None}
    out.update(qs.aggregate(**aggs))
    return out


def metric_by_month(
    metric: Metric, scope: DashboardScope, *, period: Period, now: dt.datetime
) -> dict[dt.date, int]:
    qs = metric_rows(metric, scope, period=period, now=now).order_by()
    rows = (
        qs.annotate(m=TruncMonth(metric.date_field))
        .values("m")
        .annotate(n=Count("pk", distinct=True))
    )
    out: dict[dt.date, int] = {}
    for row in rows:
        m = row["m"]
        if m is None:
            continue
        if isinstance(m, dt.datetime):
            m = timezone.localtime(m).date() if timezone.is_aware(m) else m.date()
        out[m.replace(day=1)] = out.get(m.replace(day=1), 0) + row["n"]
    return out


def metric_by_unit(
    metric: Metric, scope: DashboardScope, *, period: Period, now: dt.datetime
) -> dict[int, int]:
    field_name = metric.unit_fields[0]
    qs = metric_rows(metric, scope, period=period, now=now).order_by()
    rows = qs.values(field_name).annotate(n=Count("pk", distinct=True))
    return {row[field_name]: row["n"] for row in rows if row[field_name] is not None}


def grid_figures(
    scope: DashboardScope,
    *,
    period: Period,
    now: dt.datetime,
    level: int | None,
    selected: list[Metric] | None = None,
) -> list[dict[str, Any]]:
    """Per grid of `level` in the viewer's map: for each metric the rows in its subtree
    (total, open, overdue). One query: a correlated COUNT subquery per figure."""
    grids = scope_grids(scope)
    if level is not None:
        grids = grids.filter(level=level)
    annotations: dict[str, Any] = {}
    with_grid = [m for m in (selected or metrics()) if m.grid_field]
    for m in with_grid:
        base = metric_rows(m, scope, period=period, now=now).order_by()
        # Correlated on the outer grid's path: the rows anywhere in its subtree.
        inner = {f"{m.grid_field}__path__startswith": OuterRef("path")}
        variants = {"n": base}
        if m.open_q is not None:
            variants["open"] = base.filter(m.open_q(now))
        if m.overdue_q is not None:
            variants["overdue"] = base.filter(m.overdue_q(now))
        for suffix, qs in variants.items():
            annotations[f"{suffix}__{m.key}"] = Subquery(
                qs.filter(**inner).annotate(_c=_count()).values("_c")[:1],
                output_field=IntegerField(),
            )
    rows = (
        grids.order_by("path")
        .annotate(**annotations)
        .values("id", "code", "name", "level", "path", "owner_unit__name", *annotations.keys())
    )
    out = []
    for row in rows:
        figures: dict[str, dict[str, int | None]] = {}
        for m in with_grid:
            figures[m.key] = {
                "n": row.get(f"n__{m.key}") or 0,
                "open": row.get(f"open__{m.key}") if m.open_q is not None else None,
                "overdue": row.get(f"overdue__{m.key}") if m.overdue_q is not None else None,
            }
            for k in ("open", "overdue"):
                if figures[m.key][k] is not None:
                    figures[m.key][k] = figures[m.key][k] or 0
        out.append(
            {
                "id": row["id"],
                "code": row["code"],
                "name": row["name"],
                "level": row["level"],
                "owner": row["owner_unit__name"],
                "figures": figures,
                "open": sum((f["open"] or 0) for f in figures.values()),
                "overdue": sum((f["overdue"] or 0) for f in figures.values()),
            }
        )
    return out


def grid_levels(scope: DashboardScope) -> list[int]:
    return sorted(set(scope_grids(scope).values_list("level", flat=True)))


def default_level(levels: list[int]) -> int | None:
    if not levels:
        return None
    return levels[1] if len(levels) > 1 else levels[0]


@dataclass
class Overview:
    scope: DashboardScope
    period: Period
    now: dt.datetime
    metrics: list[Metric]
    totals: dict[str, dict[str, int | None]]
    months: list[dt.date]
    by_month: dict[str, dict[dt.date, int]]
    units: list[dict[str, Any]]
    by_unit: dict[str, dict[int, int]]
    levels: list[int]
    level: int | None
    grids: list[dict[str, Any]]


def overview(
    scope: DashboardScope,
    *,
    period: Period | None = None,
    now: dt.datetime | None = None,
    level: int | None = None,
) -> Overview:
    now = now or timezone.now()
    period = period or default_period()
    ms = metrics()
    totals = {m.key: metric_totals(m, scope, period=period, now=now) for m in ms}
    by_month = {m.key: metric_by_month(m, scope, period=period, now=now) for m in ms}
    by_unit = {m.key: metric_by_unit(m, scope, period=period, now=now) for m in ms}
    unit_ids: set[int] = set(scope.unit_ids) if scope.unit_ids is not None else set()
    for counts in by_unit.values():
        unit_ids |= set(counts)
    units: list[dict[str, Any]] = [
        dict(row)
        for row in Unit.objects.filter(pk__in=unit_ids)
        .order_by("code")
        .values("id", "code", "name", "short_name")
    ]
    levels = grid_levels(scope)
    if level not in levels:
        level = default_level(levels)
    grids = grid_figures(scope, period=period, now=now, level=level) if level is not None else []
    return Overview(
        scope=scope,
        period=period,
        now=now,
        metrics=ms,
        totals=totals,
        months=period.months(),
        by_month=by_month,
        units=units,
        by_unit=by_unit,
        levels=levels,
        level=level,
        grids=grids,
    )
