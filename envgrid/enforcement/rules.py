"""The numbers of the joint-enforcement rules, as data with defaults (STYLE rule 5).

Declared in the rule registry (envgrid.core.rules, docs/rules-config.md): an administrator
may override them in the database, settings still may (ENVGRID_ENFORCEMENT = {...}); an action keeps the
acknowledgement rule it was created with, so changing the default never moves a
deadline already given.
"""

from __future__ import annotations

from typing import Any

from envgrid.core import rules
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.rules import Rule, number_format_validator

# The historical names (ENVGRID_ENFORCEMENT keys, used by `get`) → registry keys.
KEYS: dict[str, str] = {
    "ACK_RULE": "enforcement.ack_rule",
    "JOINT_MIN_UNITS": "enforcement.joint_min_units",
    "JOINT_MIN_GRIDS": "enforcement.joint_min_grids",
    "INSPECTION_MIN_OFFICERS": "enforcement.inspection_min_officers",
    "APPROVAL_MIN_CERTIFIED_OFFICERS": "enforcement.min_certified_officers",
    "CONSULTATION_REQUIRED": "enforcement.consultation_required",
    "CONSULTATION_MIN_UNITS": "enforcement.consultation_min_units",
    "PHOTO_MIME_TYPES": "enforcement.photo_mime_types",
    "PLAN_NUMBER_FORMAT": "enforcement.plan_number_format",
    "SUPERVISION_RESPONSE_RULE": "enforcement.supervision_response_rule",
}


def _setting(name: str) -> str:
    return f"ENVGRID_ENFORCEMENT.{name}"


rules.register(
    Rule(
        key="enforcement.ack_rule",
        default=(RuleKind.WORKDAYS.value, 2),
        type=rules.DEADLINE,
        min=1,
        max=30,
        spec="E4",
        setting=_setting("ACK_RULE"),
        description_zh="下级网格签收交办任务的期限（自部署起）",
        description_en="Time a lower grid has to acknowledge an assignment after deployment",
    ),
    Rule(
        key="enforcement.joint_min_units",
        default=2,
        type=rules.INT,
        min=1,
        max=20,
        unit="units",
        spec="E1",
        setting=_setting("JOINT_MIN_UNITS"),
        description_zh="联合执法至少涉及的单位数",
        description_en="Least number of units that makes an action joint",
    ),
    Rule(
        key="enforcement.joint_min_grids",
        default=2,
        type=rules.INT,
        min=1,
        max=50,
        unit="grids",
        spec="E1",
        setting=_setting("JOINT_MIN_GRIDS"),
        description_zh="联合执法至少涉及的网格数",
        description_en="Least number of grids that makes an action joint",
    ),
    Rule(
        key="enforcement.inspection_min_officers",
        default=2,
        type=rules.INT,
        min=1,
        max=10,
        unit="officers",
        spec="E5",
        setting=_setting("INSPECTION_MIN_OFFICERS"),
        description_zh="一次检查至少的持证执法人员数",
        description_en="Least number of certified officers on an inspection",
    ),
    Rule(
        key="enforcement.min_certified_officers",
        default=2,
        type=rules.INT,
        min=0,
        max=20,
        unit="officers",
        spec="E5",
        setting=_setting("APPROVAL_MIN_CERTIFIED_OFFICERS"),
        description_zh="方案批准所需的、行动期间证件全程有效的执法人员数（0 为不检查）",
        description_en="Officers with a certificate valid on every day of the action needed "
        "to approve a plan (0 turns the check off)",
    ),
    Rule(
        key="enforcement.consultation_required",
        default=True,
        type=rules.BOOL,
        spec="E5",
        setting=_setting("CONSULTATION_REQUIRED"),
        description_zh="跨部门行动批准前须有会商记录",
        description_en="A cross-department action needs a recorded consultation before approval",
    ),
    Rule(
        key="enforcement.consultation_min_units",
        default=2,
        type=rules.INT,
        min=2,
        max=20,
        unit="units",
        spec="E5",
        setting=_setting("CONSULTATION_MIN_UNITS"),
        description_zh="需要会商的跨部门行动至少涉及的单位数",
        description_en="Units from which an action counts as cross-department (consultation)",
    ),
    Rule(
        key="enforcement.photo_mime_types",
        default=("image/jpeg", "image/png"),
        type=rules.STR_LIST,
        setting=_setting("PHOTO_MIME_TYPES"),
        admin_override=False,
        description_zh="执法取证照片接受的文件类型（按内容识别）",
        description_en="Content types accepted for evidence photos (detected from content)",
    ),
    Rule(
        key="enforcement.plan_number_format",
        default="{prefix}联执〔{year}〕{seq}号",
        type=rules.STR,
        setting=_setting("PLAN_NUMBER_FORMAT"),
        validator=number_format_validator,
        description_zh="执法方案文号格式",
        description_en="Document number format of enforcement plans",
    ),
    Rule(
        key="enforcement.supervision_response_rule",
        default=(RuleKind.WORKDAYS.value, 5),
        type=rules.DEADLINE,
        min=1,
        max=60,
        spec="E4",
        setting=_setting("SUPERVISION_RESPONSE_RULE"),
        description_zh="重点目标、重点案件督办的答复期限",
        description_en="Response time of supervision of key targets and key cases",
    ),
)


def get(name: str) -> Any:
    """The rule under its historical name (ENVGRID_ENFORCEMENT key)."""
    return rules.get(KEYS[name])


def ack_rule_default() -> DeadlineRule:
    kind, amount = get("ACK_RULE")
    return DeadlineRule(str(kind), int(amount))


def ack_rule_kind() -> str:
    return ack_rule_default().kind


def ack_rule_amount() -> int:
    return ack_rule_default().amount


def supervision_response_rule() -> DeadlineRule:
    kind, amount = get("SUPERVISION_RESPONSE_RULE")
    return DeadlineRule(str(kind), int(amount))
