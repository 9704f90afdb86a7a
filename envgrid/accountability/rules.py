"""Document-number formats of accountability (文号), as data with defaults.

Override in settings: ENVGRID_ACCOUNTABILITY = {"PROPOSAL_NUMBER_FORMAT": "..."}.
`{prefix}` is the leading group's document prefix, `{year}` and `{seq}` the counter.
"""

from __future__ import annotations

from django.conf import settings

DEFAULTS: dict[str, str] = {
    "FINDING_NUMBER_FORMAT": "{prefix}责认〔{year}〕{seq}号",
    "PROPOSAL_NUMBER_FORMAT": "{prefix}问责建〔{year}〕{seq}号",
    "DECISION_NUMBER_FORMAT": "{prefix}问责决〔{year}〕{seq}号",
}


def rule(name: str) -> str:
    overrides = getattr(settings, "ENVGRID_ACCOUNTABILITY", {}) or {}
    return str(overrides.get(name, DEFAULTS[name]))
