"""The indicator registry: metric code → function(year, unit_ids) → {unit_id: MetricValue},
plus a drill-down to the records behind each value.

Most metrics are on-time rates over the one Obligation table (every workflow records what
a unit owes by a time there), selected by dotted kind prefixes. They are evaluated together
in ONE grouped query for all units and all obligation metrics, so the full assessment of a
large leading group costs one scan of the year's obligations. Metrics that need other
records (attendance, grid roles, patrol coverage) are registered by `sources.py`, guarded,
so the assessment works with whatever apps exist; no app imports assessment.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

RATE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class MetricValue:
    """A measured rate (0–1) with its counts; `value` is None when nothing was owed."""

    value: Decimal | None
    numerator: int = 0
    denominator: int = 0
    note: str = ""


@dataclass
class Drilldown:
    """The records behind a value, ready for a table: cells are text or (text, url)."""

    headers: list[Any]
    rows: list[list[Any]]
    total: int
    description: str = ""


ComputeFn = Callable[..., dict[int, MetricValue]]
DrilldownFn = Callable[..., Drilldown]


@dataclass(frozen=True)
class Metric:
    code: str
    label: Any
    description: Any
    compute: ComputeFn
    drilldown: DrilldownFn | None = None
    # Obligation kind prefixes: metrics that have them are evaluated in one batched query.
    kinds: tuple[str, ...] = field(default_factory=tuple)


_registry: dict[str, Metric] = {}


def register_metric(metric: Metric) -> Metric:
    _registry[metric.code] = metric
    return metric


def metric_get(code: str) -> Metric | None:
    return _registry.get(code)


def metrics() -> list[Metric]:
    return sorted(_registry.values(), key=lambda m: m.code)


def rate(numerator: int, denominator: int) -> Decimal | None:
    if denominator <= 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, ROUND_HALF_UP)


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The assessment year in local time: [1 Jan, next 1 Jan)."""
    tz = timezone.get_current_timezone()
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


# --- obligation on-time rates -------------------------------------------------------------


def _kind_q(prefixes: Iterable[str]) -> Q:
    """kind equals a prefix or continues it after a dot ("transfer" ⊃ "transfer.feedback")."""
    q = Q()
    for p in prefixes:
        q |= Q(kind=p) | Q(kind__startswith=p + ".")
    return q


def kind_matches(kind: str, prefixes: Iterable[str]) -> bool:
    return any(kind == p or kind.startswith(p + ".") for p in prefixes)


def _decided_obligations(year: int, now: dt.datetime) -> tuple[QuerySet, Q, Q]:
    """Obligations falling due in `year`, and the conditions for on time and late.

    An item counts in the year it fell due. It is decided once done, or once its due time
    has passed while it is still owed (overdue, or open and not paused, whether or not the
    sweep has marked it yet). Cancelled items and items not yet due are not counted."""
    from envgrid.obligations.models import Obligation, ObligationStatus

    start, end = year_bounds(year)
    qs = Obligation.objects.filter(due_at__gte=start, due_at__lt=end).exclude(
        status=ObligationStatus.CANCELLED
    )
    on_time = Q(status=ObligationStatus.DONE, completed_late=False)
    late = (
        Q(status=ObligationStatus.DONE, completed_late=True)
        | Q(status=ObligationStatus.OVERDUE)
        | Q(status=ObligationStatus.OPEN, due_at__lt=now, paused_since__isnull=True)
    )
    return qs, on_time, late


def obligation_counts(
    year: int,
    unit_ids: Sequence[int],
    prefixes: Iterable[str] | None,
    *,
    now: dt.datetime | None = None,
) -> dict[tuple[int, str], tuple[int, int]]:
    """{(unit_id, kind): (on_time, late)} for the year's decided obligations: one grouped
    aggregate query, whatever the number of units and kinds.

    With `prefixes=None` every kind is counted and the caller picks kinds in Python: when
    many metrics are evaluated together that is cheaper than a long OR of LIKEs per row
    (the groups are few: units × kinds)."""
    now = now or timezone.now()
    if not unit_ids or (prefixes is not None and not tuple(prefixes)):
        return {}
    qs, on_time, late = _decided_obligations(year, now)
    qs = qs.filter(unit_id__in=list(unit_ids))
    if prefixes is not None:
        qs = qs.filter(_kind_q(prefixes))
    rows = (
        qs.values("unit_id", "kind")
        .annotate(on_time=Count("id", filter=on_time), late=Count("id", filter=late))
        .order_by()
    )
    if connection.vendor != "postgresql":
        return {(r["unit_id"], r["kind"]): (r["on_time"], r["late"]) for r in rows}
    with transaction.atomic():
        # A single scan-and-aggregate: JIT compilation costs more than it saves here.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        return {(r["unit_id"], r["kind"]): (r["on_time"], r["late"]) for r in rows}


def _rates_from_counts(
    counts: dict[tuple[int, str], tuple[int, int]], unit_ids: Sequence[int], prefixes: Sequence[str]
) -> dict[int, MetricValue]:
    totals: dict[int, list[int]] = {uid: [0, 0] for uid in unit_ids}
    for (uid, kind), (ok, late) in counts.items():
        if uid in totals and kind_matches(kind, prefixes):
            totals[uid][0] += ok
            totals[uid][1] += late
    return {
        uid: MetricValue(value=rate(ok, ok + late), numerator=ok, denominator=ok + late)
        for uid, (ok, late) in totals.items()
    }


def obligation_drilldown(
    prefixes: Sequence[str],
    year: int,
    unit_id: int,
    *,
    now: dt.datetime | None = None,
    limit: int = 500,
) -> Drilldown:
    """The decided obligations behind an on-time rate, late ones first."""
    from envgrid.obligations.models import ObligationStatus

    now = now or timezone.now()
    qs, on_time, late = _decided_obligations(year, now)
    qs = qs.filter(unit_id=unit_id).filter(_kind_q(prefixes)).filter(on_time | late)
    total = qs.count()
    rows: list[list[Any]] = []
    for ob in qs.select_related("person").order_by("completed_late", "-due_at")[:limit]:
        is_on_time = ob.status == ObligationStatus.DONE and not ob.completed_late
        title: Any = (ob.title, ob.link) if ob.link else ob.title
        rows.append(
            [
                title,
                ob.kind,
                ob.person.name if ob.person else "",
                timezone.localtime(ob.due_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(ob.completed_at).strftime("%Y-%m-%d %H:%M")
                if ob.completed_at
                else "",
                str(ob.get_status_display()),
                str(_("按时")) if is_on_time else str(_("逾期")),
            ]
        )
    return Drilldown(
        headers=[
            _("事项"),
            _("类型"),
            _("责任人"),
            _("截止时间"),
            _("完成时间"),
            _("状态"),
            _("是否按时"),
        ],
        rows=rows,
        total=total,
        description=str(_("当年到期的应办事项（已撤销、尚未到期的不计）。")),
    )


def register_obligation_metric(
    code: str, label: Any, kinds: Sequence[str], description: Any = ""
) -> Metric:
    kinds = tuple(kinds)

    def compute(
        year: int, unit_ids: Sequence[int], *, now: dt.datetime | None = None
    ) -> dict[int, MetricValue]:
        return _rates_from_counts(
            obligation_counts(year, unit_ids, kinds, now=now), unit_ids, kinds
        )

    def drilldown(
        year: int, unit_id: int, *, now: dt.datetime | None = None, limit: int = 500
    ) -> Drilldown:
        return obligation_drilldown(kinds, year, unit_id, now=now, limit=limit)

    return register_metric(
        Metric(
            code=code,
            label=label,
            description=description,
            compute=compute,
            drilldown=drilldown,
            kinds=kinds,
        )
    )


# --- the engine ---------------------------------------------------------------------------


def compute_metrics(
    year: int, unit_ids: Sequence[int], codes: Iterable[str], *, now: dt.datetime | None = None
) -> dict[str, dict[int, MetricValue]]:
    """Every requested metric for every unit. Obligation metrics share one query; a metric
    that is not registered (its app is absent) or fails gives no values, never an error
    page: its indicator then falls back to the office's scoring."""
    now = now or timezone.now()
    unit_ids = list(unit_ids)
    wanted = [_registry[c] for c in dict.fromkeys(codes) if c in _registry]
    result: dict[str, dict[int, MetricValue]] = {}
    batched = [m for m in wanted if m.kinds]
    if batched:
        counts = obligation_counts(year, unit_ids, None, now=now)
        for m in batched:
            result[m.code] = _rates_from_counts(counts, unit_ids, m.kinds)
    for m in wanted:
        if m.kinds:
            continue
        try:
            result[m.code] = m.compute(year, unit_ids, now=now)
        except Exception:  # one broken source must not take the assessment down
            log.exception("assessment metric %s failed", m.code)
            result[m.code] = {}
    return result


def metric_drilldown(
    code: str, year: int, unit_id: int, *, now: dt.datetime | None = None, limit: int = 500
) -> Drilldown | None:
    metric = _registry.get(code)
    if metric is None or metric.drilldown is None:
        return None
    return metric.drilldown(year, unit_id, now=now, limit=limit)


# Obligation kinds written by the workflows (grep `kind=` in their services.py): cases
# "transfer.<step>.<type>" (cases.services.obligation_kind), meetings "meeting.decision" and
# "meeting.task_report", enforcement "enforcement.assignment.ack|report", reporting
# "report.due", disclosure "petition.*", obligations "supervision.respond". A prefix covers
# its dotted children. Units answer for what they owed in the year.
OBLIGATION_METRICS: list[tuple[str, Any, tuple[str, ...], Any]] = [
    (
        "transfer.on_time",
        _("案件按时移送率"),
        ("transfer.make", "transfer.handover", "transfer.decide", "transfer.handle"),
        _("移送、移交材料、受理或退回、查处各环节在时限内完成的比例（T1、T4、T6）。"),
    ),
    (
        "transfer.made",
        _("案件按时移出率"),
        ("transfer.make", "transfer.handover"),
        _("发现不属于本单位管辖的案件，在时限内移送、移交材料的比例（T1、T6）。"),
    ),
    (
        "transfer.handled",
        _("移入案件按时办理率"),
        ("transfer.decide", "transfer.handle"),
        _("接收的移送案件在时限内受理或退回、查处办结的比例（T4、T6）。"),
    ),
    (
        "transfer.feedback",
        _("移送案件按时反馈率"),
        ("transfer.feedback",),
        _("查处完成后15个工作日内向移送单位反馈结果的比例（T4）。"),
    ),
    (
        "meeting.decision",
        _("会议决定事项按期办结率"),
        ("meeting.decision",),
        _("本单位承办的联席会议决定事项按期办结的比例（M5）。"),
    ),
    (
        "meeting.task_report",
        _("环保任务按时汇报率"),
        ("meeting.task_report",),
        _("定期向领导小组办公室汇报环保任务完成情况按时的比例（M6）。"),
    ),
    (
        "enforcement.ack",
        _("联合执法任务按时确认率"),
        ("enforcement.assignment.ack",),
        _("联合执法任务分派后按时确认的比例（E4）。"),
    ),
    (
        "enforcement.report",
        _("联合执法任务按时报告率"),
        ("enforcement.assignment.report",),
        _("联合执法任务完成后按时报告的比例（E4）。"),
    ),
    (
        "report.due",
        _("信息按计划报送率"),
        ("report.due",),
        _("按报送计划按时报送信息的比例（I3）。"),
    ),
    (
        "petition.on_time",
        _("环境信访按时办理率"),
        ("petition.acknowledge", "petition.handle", "petition.reroute"),
        _("环境信访按时受理、转办、办结的比例（I4）。"),
    ),
    (
        "supervision.respond",
        _("督办事项按时回复率"),
        ("supervision.respond",),
        _("督办通知要求的回复，按时回复的比例。"),
    ),
    (
        "assessment.self_evaluation",
        _("考核自评按时提交率"),
        ("assessment.self_evaluation",),
        _("年度考核自评（纳入工作总结）按时提交的比例。"),
    ),
    (
        "all.on_time",
        _("全部应办事项按时办结率"),
        ("transfer", "meeting", "enforcement", "report", "supervision", "patrol", "petition"),
        _("各项工作制度下本单位所有应办事项按时办结的比例。"),
    ),
]


def register_builtin_metrics() -> None:
    for code, label, kinds, description in OBLIGATION_METRICS:
        register_obligation_metric(code, label, kinds, description)
