"""The numbers of the reporting rules, declared in the rule registry (envgrid.core.rules;
docs/rules-config.md). An administrator may override them in the database; settings
still may too: ENVGRID_REPORTING = {"ADJUSTMENT_REPORT_WORKDAYS": 3}.
"""

from __future__ import annotations

from envgrid.core import rules
from envgrid.core.rules import Rule

KEYS: dict[str, str] = {
    "ADJUSTMENT_REPORT_WORKDAYS": "reporting.adjustment_report_workdays",
}

rules.register(
    Rule(
        # I4/G5: a major grid adjustment is reported upward (the report *sent*) within
        # this many working days. "Promptly" (及时) in the district's text; five working
        # days is the district's own default, an administrator may change it.
        key="reporting.adjustment_report_workdays",
        default=5,
        type=rules.INT,
        min=1,
        max=30,
        unit="workdays",
        spec="G5",
        setting="ENVGRID_REPORTING.ADJUSTMENT_REPORT_WORKDAYS",
        description_zh="网格重大调整向上级报送的期限",
        description_en="Working days within which a major grid adjustment is reported upward",
    ),
)


def rule(name: str) -> int:
    """The rule under its historical name (ENVGRID_REPORTING key)."""
    return int(rules.get(KEYS[name]))
