"""The numbers of the reminders before deadlines (催办, D6), declared in the rule registry
(envgrid.core.rules; docs/rules-config.md)."""

from __future__ import annotations

from envgrid.core import rules
from envgrid.core.rules import Rule

rules.register(
    Rule(
        key="obligations.reminder_workdays_before",
        default=2,
        type=rules.INT,
        min=0,
        max=20,
        unit="workdays",
        spec="D6",
        description_zh="到期前多少个工作日催办责任人和责任单位（0 为不提前催办）",
        description_en="Working days before a deadline on which the responsible person and "
        "unit are reminded (0: no advance reminder)",
    ),
    Rule(
        key="obligations.reminder_on_due_day",
        default=True,
        type=rules.BOOL,
        spec="D6",
        description_zh="截止当日再催办一次",
        description_en="Remind once more on the due day",
    ),
)
