"""The numbers of the joint-enforcement rules, as data with defaults (STYLE rule 5).

Each can be overridden in settings (ENVGRID_ENFORCEMENT = {...}); an action keeps the
acknowledgement rule it was created with, so changing the default never moves a
deadline already given.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from envgrid.core.deadlines import DeadlineRule, RuleKind

DEFAULTS: dict[str, Any] = {
    # E4: a lower grid acknowledges an assignment within 2 working days of deployment.
    "ACK_RULE": (RuleKind.WORKDAYS.value, 2),
    # E1: "joint" means at least this many units, or at least this many grids.
    "JOINT_MIN_UNITS": 2,
    "JOINT_MIN_GRIDS": 2,
    # Inspections are carried out by at least two certified officers.
    "INSPECTION_MIN_OFFICERS": 2,
    # E5: a plan is approved only with at least this many officers holding a certificate
    # valid on every day of the action (0 turns the check off).
    "APPROVAL_MIN_CERTIFIED_OFFICERS": 2,
    # E5 (积极沟通会商): a cross-department action (participants from at least
    # CONSULTATION_MIN_UNITS units) is approved only after a recorded consultation.
    "CONSULTATION_REQUIRED": True,
    "CONSULTATION_MIN_UNITS": 2,
    # Evidence photos: the content (not the name) must be one of these — the image types
    # case evidence accepts, so every photo can follow its finding into a case.
    "PHOTO_MIME_TYPES": ("image/jpeg", "image/png"),
    # Plan document numbers: 站环联执〔2026〕3号.
    "PLAN_NUMBER_FORMAT": "{prefix}联执〔{year}〕{seq}号",
    # Key targets and key cases are supervised with this response time.
    "SUPERVISION_RESPONSE_RULE": (RuleKind.WORKDAYS.value, 5),
}


def get(name: str) -> Any:
    overrides = getattr(settings, "ENVGRID_ENFORCEMENT", {}) or {}
    return overrides.get(name, DEFAULTS[name])


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
