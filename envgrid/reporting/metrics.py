"""The overview's metric registry: each area contributes its figures as a Metric.

A Metric says which rows it counts (a queryset factory already scoped by the user's
own permissions), which date puts a row in a month, which unit fields tie a row to a
unit (the first is the "by unit" column), and which grid relation places it on the
map. The dashboard (reporting.dashboard) computes every figure from these definitions
with aggregate queries only. Definitions for the other apps' models live in
reporting.metric_defs and are registered in ReportingConfig.ready(), each guarded so
the overview works with whatever apps exist.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.db.models import Q, QuerySet
from django.utils.functional import Promise

log = logging.getLogger(__name__)

QuerysetFactory = Callable[[Any, dt.datetime], QuerySet]
QFactory = Callable[[dt.datetime], Q]


@dataclass(frozen=True)
class Column:
    """One column of the drill-down list: a label and a function of the row."""

    label: str | Promise
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class Metric:
    key: str
    label: str | Promise
    queryset: QuerysetFactory  # (user, now) -> rows the user may see
    date_field: str  # a DateTimeField or DateField path: month of the row
    unit_fields: tuple[str, ...]  # FK paths to org.Unit; the first is the "by unit" breakdown
    grid_field: str | None = None  # path to a grids.Grid relation (map and by-grid rollup)
    open_q: QFactory | None = None  # rows still being worked on
    overdue_q: QFactory | None = None  # rows past a deadline
    columns: Sequence[Column] = field(default_factory=tuple)
    order: int = 100
    # The app's own list page, when it exists (a link beside the generic drill-down).
    list_url: str | None = None
    help: str | Promise = ""
    # Set by register_metric: the model counted (its table must exist to be shown).
    model: type[models.Model] | None = None


_registry: dict[str, Metric] = {}


def _path_ok(model: type[models.Model], path: str) -> bool:
    """True when `path` (a__b__c) resolves through the model's fields."""
    current: Any = model
    for part in path.split("__"):
        try:
            f = current._meta.get_field(part)
        except (FieldDoesNotExist, AttributeError):
            return False
        if f.is_relation and f.related_model is not None:
            current = f.related_model
        else:
            current = None
    return True


def register_metric(metric: Metric, model: type[models.Model] | None = None) -> Metric | None:
    """Add a metric. With `model`, every field path is checked first; a definition that
    no longer matches its model is skipped (logged) instead of breaking the overview."""
    if model is not None:
        paths = [metric.date_field, *metric.unit_fields]
        if metric.grid_field:
            paths.append(metric.grid_field)
        bad = [p for p in paths if not _path_ok(model, p)]
        if bad:
            log.warning("dashboard metric %s skipped: unknown fields %s", metric.key, bad)
            return None
    if model is not None and metric.model is None:
        metric = replace(metric, model=model)
    _registry[metric.key] = metric
    return metric


def unregister_metric(key: str) -> None:
    _registry.pop(key, None)


def metrics() -> list[Metric]:
    """Registered metrics whose tables exist (an app whose migrations have not run yet is
    left out rather than failing the whole overview)."""
    tables = set(connection.introspection.table_names())
    ready = [m for m in _registry.values() if m.model is None or m.model._meta.db_table in tables]
    return sorted(ready, key=lambda m: (m.order, m.key))


def metric_get(key: str) -> Metric | None:
    return next((m for m in metrics() if m.key == key), None)
