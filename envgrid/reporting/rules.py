"""The numbers of the reporting rules, as data with defaults (STYLE rule 5).

Override any of them in settings: ENVGRID_REPORTING = {"ADJUSTMENT_REPORT_WORKDAYS": 3}.
"""

from __future__ import annotations

from django.conf import settings

DEFAULTS: dict[str, int] = {
    # I4/G5: a major grid adjustment is reported upward (the report *sent*) within this
    # many working days of the adjustment. "Promptly" (及时) in the district's text; five
    # working days is the district's own default, an administrator may change it.
    "ADJUSTMENT_REPORT_WORKDAYS": 5,
}


def rule(name: str) -> int:
    overrides = getattr(settings, "ENVGRID_REPORTING", {}) or {}
    return int(overrides.get(name, DEFAULTS[name]))
