"""The numbers of the meeting rules, as data with defaults (STYLE rule 5).

Override any of them in settings: ENVGRID_MEETINGS = {"SUPERVISION_RESPONSE_WORKDAYS": 3}.
"""

from __future__ import annotations

from django.conf import settings

DEFAULTS: dict[str, int] = {
    # Working days an owner has to answer a supervision notice about an overdue decision (M5).
    "SUPERVISION_RESPONSE_WORKDAYS": 5,
    # Default for a new task-report schedule: working days after the period ends (M6).
    "TASK_REPORT_DUE_WORKDAYS": 5,
}


def rule(name: str) -> int:
    overrides = getattr(settings, "ENVGRID_MEETINGS", {}) or {}
    return int(overrides.get(name, DEFAULTS[name]))
