"""Document-number formats of accountability (文号), declared in the rule registry
(envgrid.core.rules; docs/rules-config.md). An administrator may override them in the
database; settings still may too: ENVGRID_ACCOUNTABILITY = {"PROPOSAL_NUMBER_FORMAT": "..."}.
`{prefix}` is the leading group's document prefix, `{year}` and `{seq}` the counter.
"""

from __future__ import annotations

from envgrid.core import rules
from envgrid.core.rules import Rule, number_format_validator

KEYS: dict[str, str] = {
    "FINDING_NUMBER_FORMAT": "accountability.finding_number_format",
    "PROPOSAL_NUMBER_FORMAT": "accountability.proposal_number_format",
    "DECISION_NUMBER_FORMAT": "accountability.decision_number_format",
}

rules.register(
    Rule(
        key="accountability.finding_number_format",
        default="{prefix}责认〔{year}〕{seq}号",
        type=rules.STR,
        spec="T6",
        setting="ENVGRID_ACCOUNTABILITY.FINDING_NUMBER_FORMAT",
        validator=number_format_validator,
        description_zh="责任认定书文号格式",
        description_en="Document number format of consequence findings",
    ),
    Rule(
        key="accountability.proposal_number_format",
        default="{prefix}问责建〔{year}〕{seq}号",
        type=rules.STR,
        spec="T6",
        setting="ENVGRID_ACCOUNTABILITY.PROPOSAL_NUMBER_FORMAT",
        validator=number_format_validator,
        description_zh="问责建议文号格式",
        description_en="Document number format of accountability proposals",
    ),
    Rule(
        key="accountability.decision_number_format",
        default="{prefix}问责决〔{year}〕{seq}号",
        type=rules.STR,
        spec="T6",
        setting="ENVGRID_ACCOUNTABILITY.DECISION_NUMBER_FORMAT",
        validator=number_format_validator,
        description_zh="问责决定文号格式",
        description_en="Document number format of accountability decisions",
    ),
)


def rule(name: str) -> str:
    """The rule under its historical name (ENVGRID_ACCOUNTABILITY key)."""
    return str(rules.get(KEYS[name]))
