"""The numbers of disclosure's rules — timely disclosure (I4) and the public side's abuse
limits — declared in the rule registry (envgrid.core.rules; docs/rules-config.md).
Settings still override them under their historical names (ENVGRID_DISCLOSURE_TIMELINESS,
ENVGRID_PETITION_*, ENVGRID_OPEN311_JURISDICTION); the timeliness numbers may also be
changed by an administrator in the database, the abuse limits may not (security).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

from envgrid.core import rules
from envgrid.core.rules import Rule

# The six public items (PublicationKind values) and their default refresh periods.
REFRESH_DAYS_DEFAULT: dict[str, int] = {
    "plan": 365,
    "division": 90,
    "duties": 90,
    "emissions": 90,
    "petition": 90,
    "hazard": 90,
}

TIMELINESS_KEYS: dict[str, str] = {
    "ADJUSTMENT_PUBLISH_WORKDAYS": "disclosure.adjustment_publish_workdays",
    "REFRESH_DAYS": "disclosure.refresh_days",
}


def _known_items(value: dict[str, Any]) -> None:
    unknown = sorted(set(value) - set(REFRESH_DAYS_DEFAULT))
    if unknown:
        raise ValidationError(
            f"disclosure.refresh_days: unknown public item(s) {', '.join(unknown)}; "
            f"known: {', '.join(REFRESH_DAYS_DEFAULT)}",
            code="rule_range",
        )


def _rate(value: str) -> None:
    m = re.fullmatch(r"([0-9]+)/([0-9]+)", value)
    if not (m and int(m.group(1)) > 0 and int(m.group(2)) > 0):
        raise ValidationError(
            f"disclosure.petition_rate: {value!r} is not '<count>/<seconds>' (e.g. '5/3600')",
            code="rule_format",
        )


rules.register(
    Rule(
        key="disclosure.adjustment_publish_workdays",
        default=20,
        type=rules.INT,
        min=1,
        max=60,
        unit="workdays",
        spec="I4",
        setting="ENVGRID_DISCLOSURE_TIMELINESS.ADJUSTMENT_PUBLISH_WORKDAYS",
        description_zh="网格重大调整的公开期限（政府信息公开条例第二十六条：20个工作日）",
        description_en="Working days within which a major grid adjustment is published "
        "(Regulation on Open Government Information, art. 26: 20)",
    ),
    Rule(
        key="disclosure.refresh_days",
        default=REFRESH_DAYS_DEFAULT,
        type=rules.DICT,
        min=1,
        max=3660,
        unit="days",
        spec="I4",
        setting="ENVGRID_DISCLOSURE_TIMELINESS.REFRESH_DAYS",
        validator=_known_items,
        description_zh="六项公开内容各自的最长更新间隔（各公开单位可另设）",
        description_en="Longest interval between refreshes of each of the six public items "
        "(an office may set its own)",
    ),
    Rule(
        key="disclosure.petition_rate",
        default="5/3600",
        type=rules.STR,
        setting="ENVGRID_PETITION_RATE",
        admin_override=False,
        validator=_rate,
        description_zh="每个地址的公众提交频率上限（次数/秒数）",
        description_en="Public submissions allowed per address (count/seconds)",
    ),
    Rule(
        key="disclosure.petition_max_text",
        default=2000,
        type=rules.INT,
        min=1,
        max=100000,
        unit="characters",
        setting="ENVGRID_PETITION_MAX_TEXT",
        admin_override=False,
        description_zh="公众提交描述的最大字数",
        description_en="Longest description of a public submission",
    ),
    Rule(
        key="disclosure.petition_max_photos",
        default=3,
        type=rules.INT,
        min=0,
        max=20,
        unit="photos",
        setting="ENVGRID_PETITION_MAX_PHOTOS",
        admin_override=False,
        description_zh="公众提交可附照片数",
        description_en="Photos a public submission may carry",
    ),
    Rule(
        key="disclosure.petition_max_photo_bytes",
        default=5 * 1024 * 1024,
        type=rules.INT,
        min=1,
        unit="bytes",
        setting="ENVGRID_PETITION_MAX_PHOTO_BYTES",
        admin_override=False,
        description_zh="公众提交每张照片的最大字节数",
        description_en="Largest photo of a public submission",
    ),
    Rule(
        key="disclosure.open311_jurisdiction",
        default="envgrid.gov.cn",
        type=rules.STR,
        setting="ENVGRID_OPEN311_JURISDICTION",
        admin_override=False,
        description_zh="Open311 接口的 jurisdiction_id",
        description_en="jurisdiction_id of the Open311 interface",
    ),
)
