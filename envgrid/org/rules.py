"""The numbers of org's rules — proficiency of enforcement officers (业务熟练, SPEC E5) —
declared in the rule registry (envgrid.core.rules; docs/rules-config.md). An
administrator may override them in the database; settings still may too:
ENVGRID_PROFICIENCY = {"MIN_HOURS": 20}.
"""

from __future__ import annotations

from envgrid.core import rules
from envgrid.core.rules import Rule

PROFICIENCY_KEYS: dict[str, str] = {
    "MIN_HOURS": "org.proficiency_min_hours",
    "WINDOW_DAYS": "org.proficiency_window_days",
    "ASSESSMENT_REQUIRED": "org.proficiency_assessment_required",
}

rules.register(
    Rule(
        key="org.proficiency_min_hours",
        default=40.0,
        type=rules.FLOAT,
        min=0,
        max=1000,
        unit="hours",
        spec="E5",
        setting="ENVGRID_PROFICIENCY.MIN_HOURS",
        description_zh="窗口期内合格培训考核的最低学时（0 且不要求考核则不检查）",
        description_en="Hours of passed training and assessment needed in the window "
        "(0 with no assessment required turns the check off)",
    ),
    Rule(
        key="org.proficiency_window_days",
        default=365,
        type=rules.INT,
        min=1,
        max=3660,
        unit="days",
        spec="E5",
        setting="ENVGRID_PROFICIENCY.WINDOW_DAYS",
        description_zh="计算学时的窗口期",
        description_en="Window whose training records count",
    ),
    Rule(
        key="org.proficiency_assessment_required",
        default=True,
        type=rules.BOOL,
        spec="E5",
        setting="ENVGRID_PROFICIENCY.ASSESSMENT_REQUIRED",
        description_zh="窗口期内须有一次合格的业务考核",
        description_en="A passed assessment within the window is required as well",
    ),
)
