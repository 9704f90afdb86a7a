"""The numbers of the meeting rules, declared in the rule registry (envgrid.core.rules;
docs/rules-config.md). An administrator may override them in the database; settings
still may too: ENVGRID_MEETINGS = {"SUPERVISION_RESPONSE_WORKDAYS": 3}.
"""

from __future__ import annotations

from envgrid.core import rules
from envgrid.core.rules import Rule

KEYS: dict[str, str] = {
    "SUPERVISION_RESPONSE_WORKDAYS": "meetings.supervision_response_workdays",
    "TASK_REPORT_DUE_WORKDAYS": "meetings.task_report_due_workdays",
}

rules.register(
    Rule(
        key="meetings.supervision_response_workdays",
        default=5,
        type=rules.INT,
        min=1,
        max=60,
        unit="workdays",
        spec="M5",
        setting="ENVGRID_MEETINGS.SUPERVISION_RESPONSE_WORKDAYS",
        description_zh="责任单位答复逾期决定督办通知的期限",
        description_en="Working days an owner has to answer a supervision notice "
        "about an overdue decision",
    ),
    Rule(
        key="meetings.task_report_due_workdays",
        default=5,
        type=rules.INT,
        min=0,
        max=60,
        unit="workdays",
        spec="M6",
        setting="ENVGRID_MEETINGS.TASK_REPORT_DUE_WORKDAYS",
        description_zh="新建任务报告计划的默认报送期限（期末后）",
        description_en="Default due time of a new task-report schedule, after the period ends",
    ),
)


def rule(name: str) -> int:
    """The rule under its historical name (ENVGRID_MEETINGS key)."""
    return int(rules.get(KEYS[name]))
