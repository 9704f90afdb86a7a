"""The numbers of the case rules, declared in the rule registry (envgrid.core.rules;
docs/rules-config.md). An administrator may override them in the database; settings
still may too (ENVGRID_CASE_NUMBER_FORMAT, ENVGRID_TRANSFER_NUMBER_FORMAT,
ENVGRID_CRIME_FLAG_REVIEW_WORKDAYS). Transfer deadlines per route stay in their own table
(cases.TransferRule): they are data per route and type, edited in the admin.
"""

from __future__ import annotations

from envgrid.core import rules
from envgrid.core.rules import Rule, number_format_validator

rules.register(
    Rule(
        key="cases.case_number_format",
        default="{code}-{year}-{seq:05d}",
        type=rules.STR,
        spec="T1",
        setting="ENVGRID_CASE_NUMBER_FORMAT",
        validator=number_format_validator,
        description_zh="案件编号格式（{code} 为单位代码）",
        description_en="Case number format ({code} is the unit's code)",
    ),
    Rule(
        key="cases.transfer_number_format",
        default="{prefix}移〔{year}〕{seq}号",
        type=rules.STR,
        spec="T2",
        setting="ENVGRID_TRANSFER_NUMBER_FORMAT",
        validator=number_format_validator,
        description_zh="移送函文号格式",
        description_en="Document number format of transfers",
    ),
    Rule(
        key="cases.crime_flag_review_workdays",
        default=5,
        type=rules.INT,
        min=1,
        max=30,
        unit="workdays",
        spec="T2",
        setting="ENVGRID_CRIME_FLAG_REVIEW_WORKDAYS",
        description_zh="办公室答复撤销“涉嫌犯罪”标记申请的期限",
        description_en="Working days the office has to decide a request to clear a "
        "'suspected crime' flag",
    ),
)
