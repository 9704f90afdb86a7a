"""Extension point for "publish" (公开): reporting hands a report over; the disclosure app
decides what becomes public. Register in AppConfig.ready():

    from envgrid.reporting.registry import register_publish_handler
    register_publish_handler(my_fn)   # my_fn(report, actor) -> str | None

Each handler runs inside the publishing transaction (so a failing handler undoes the
step); the first non-empty string returned is kept on the report as `disclosure_ref`
(e.g. the id or URL of the disclosure draft). With no handler registered the report is
simply marked published, and disclosure may read `selectors.reports_published()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PublishHandler = Callable[[Any, Any], "str | None"]

_publish_handlers: list[PublishHandler] = []


def register_publish_handler(fn: PublishHandler) -> PublishHandler:
    if fn not in _publish_handlers:
        _publish_handlers.append(fn)
    return fn


def publish_handlers() -> list[PublishHandler]:
    return list(_publish_handlers)
