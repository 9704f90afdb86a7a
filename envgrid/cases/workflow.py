"""Status tables of cases and transfers, declared for the core workflow kernel
(`envgrid.core.workflow`), and the per-workflow entry points the services call: thin
wrappers that lock, check, write the history row and the audit event there (STYLE rule 4).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from envgrid.core import workflow as kernel
from envgrid.core.workflow import NEW, PREVIOUS, Transition, Workflow, register, step

from .models import (
    Case,
    CaseStatus,
    CaseStatusChange,
    ClearanceStatus,
    CrimeFlagClearance,
    CrimeFlagClearanceEvent,
    DisputeStatus,
    JurisdictionDispute,
    Transfer,
    TransferStatus,
    TransferStatusChange,
)

S = CaseStatus
_CASE_STEPS = (
    step("register", {NEW}, S.REGISTERED, gettext_lazy("登记")),
    step("receive", {NEW}, S.INVESTIGATING, gettext_lazy("受理移送案件")),
    step("open", {S.REGISTERED}, S.INVESTIGATING, gettext_lazy("立案调查"), who="owner"),
    step("transfer_out", {S.REGISTERED, S.INVESTIGATING}, S.TRANSFERRED, gettext_lazy("移送管辖")),
    step("transfer_back", {S.TRANSFERRED}, PREVIOUS, gettext_lazy("移送被退回或撤回")),
    step("transfer_accepted", {S.TRANSFERRED}, S.CLOSED, gettext_lazy("接收单位已受理，移送结案")),
    step("complete", {S.INVESTIGATING}, S.HANDLED, gettext_lazy("查处完成"), who="owner"),
    step(
        "close",
        {S.REGISTERED, S.INVESTIGATING, S.HANDLED},
        S.CLOSED,
        gettext_lazy("结案"),
        who="owner",
    ),
    step(
        "designated_away",
        {S.REGISTERED, S.INVESTIGATING, S.TRANSFERRED, S.HANDLED},
        S.CLOSED,
        gettext_lazy("指定其他单位管辖，本案终结"),
    ),
    step(
        "withdraw",
        {S.REGISTERED, S.INVESTIGATING, S.HANDLED},
        S.WITHDRAWN,
        gettext_lazy("撤销"),
        who="owner",
    ),
)
CASE_TRANSITIONS: dict[str, Transition] = {t.action: t for t in _CASE_STEPS}

T = TransferStatus
_TRANSFER_STEPS = (
    step("send", {NEW}, T.SENT, gettext_lazy("移送"), who="sender"),
    step("accept", {T.SENT}, T.ACCEPTED, gettext_lazy("受理"), who="receiver"),
    step("return", {T.SENT}, T.RETURNED, gettext_lazy("退回"), who="receiver"),
    step("withdraw", {T.SENT}, T.WITHDRAWN, gettext_lazy("撤回"), who="sender"),
    step("complete", {T.ACCEPTED}, T.HANDLED, gettext_lazy("查处完成"), who="receiver"),
    step("feedback", {T.HANDLED}, T.FED_BACK, gettext_lazy("反馈查处结果"), who="receiver"),
)
TRANSFER_TRANSITIONS: dict[str, Transition] = {t.action: t for t in _TRANSFER_STEPS}


def _previous_status(case: Case) -> str:
    entered = (
        CaseStatusChange.objects.filter(case=case, to_status=case.status)
        .order_by("-at", "-id")
        .first()
    )
    if entered is None or not entered.from_status:
        return CaseStatus.REGISTERED
    return entered.from_status


def _may_transfer(transfer: Transfer, actor: Any, t: Transition) -> bool:
    from .policies import transfer_policy

    if t.who == "receiver":
        return bool(transfer_policy.can_receive(actor, transfer))
    return bool(transfer_policy.can_send(actor, transfer))


def _may_case(case: Case, actor: Any, t: Transition) -> bool:
    from .policies import case_policy

    return bool(case_policy.can_change(actor, case))


CASE_WORKFLOW = register(
    Workflow(
        model=Case,
        transitions=_CASE_STEPS,
        audit_prefix="case",
        history=CaseStatusChange,
        history_subject="case",
        previous=_previous_status,
        may=_may_case,
    )
)
TRANSFER_WORKFLOW = register(
    Workflow(
        model=Transfer,
        transitions=_TRANSFER_STEPS,
        audit_prefix="transfer",
        history=TransferStatusChange,
        history_subject="transfer",
        may=_may_transfer,
    )
)

# A jurisdiction dispute (T5) is decided once: the designation is final.
DISPUTE_WORKFLOW = register(
    Workflow(
        model=JurisdictionDispute,
        transitions=(
            step(
                "designate",
                {DisputeStatus.OPEN},
                DisputeStatus.DESIGNATED,
                gettext_lazy("指定管辖"),
            ),
        ),
        audit_prefix="dispute",
    )
)


# T2: a request to clear the "suspected crime" flag. The owning unit files it; the office
# (or a leader) overseeing the unit — never the unit itself — approves or refuses it once.
C = ClearanceStatus
_CLEARANCE_STEPS = (
    step(
        "request",
        {NEW},
        C.PENDING,
        gettext_lazy("提交取消标记申请"),
        audit_action="crime_flag_clearance.request",
    ),
    step(
        "approve",
        {C.PENDING},
        C.APPROVED,
        gettext_lazy("批准取消标记"),
        audit_action="crime_flag_clearance.decide",
        who="office",
        stamp="decided_at",
    ),
    step(
        "reject",
        {C.PENDING},
        C.REJECTED,
        gettext_lazy("不予批准"),
        audit_action="crime_flag_clearance.decide",
        who="office",
        note_required=True,
        stamp="decided_at",
    ),
)


def _may_clear(clearance: CrimeFlagClearance, actor: Any, t: Transition) -> bool:
    from .services import can_decide_crime_flag_clearance

    return bool(can_decide_crime_flag_clearance(actor, clearance.case))


CLEARANCE_WORKFLOW = register(
    Workflow(
        model=CrimeFlagClearance,
        transitions=_CLEARANCE_STEPS,
        audit_prefix="crime_flag_clearance",
        history=CrimeFlagClearanceEvent,
        history_subject="clearance",
        may=_may_clear,
    )
)


def clearance_actions_available(clearance: CrimeFlagClearance, actor: Any) -> set[str]:
    """The buttons `actor` has on a clearance request now (page and API)."""
    return {t.action for t in kernel.actions_available(clearance, actor)}


def clearance_refusal(clearance: CrimeFlagClearance, action: str) -> Exception | None:
    """The kernel's refusal (409 `transition_not_allowed`) of `action` from the request's
    stored status, or None: checked before the decision touches the case."""
    current = CLEARANCE_WORKFLOW.status_of(clearance)
    if CLEARANCE_WORKFLOW.find(current, action=action, to=None) is not None:
        return None
    return kernel.refuse(CLEARANCE_WORKFLOW, current, action=action, to=None)


def case_actions_available(case: Case, actor: Any = None) -> set[str]:
    return {t.action for t in kernel.actions_available(case, actor)}


def transfer_actions_available(transfer: Transfer, actor: Any = None) -> set[str]:
    return {t.action for t in kernel.actions_available(transfer, actor)}


def case_transition(
    *, case: Case, action: str, actor: Any, note: str = "", fields: dict[str, Any] | None = None
) -> Case:
    """Move `case` by `action` from the table; `fields` are set in the same save."""
    return kernel.transition(case, action=action, actor=actor, note=note, fields=fields)


def transfer_transition(
    *,
    transfer: Transfer,
    action: str,
    actor: Any,
    note: str = "",
    fields: dict[str, Any] | None = None,
) -> Transfer:
    return kernel.transition(transfer, action=action, actor=actor, note=note, fields=fields)


def dispute_transition(
    *,
    dispute: JurisdictionDispute,
    action: str,
    actor: Any,
    note: str = "",
    fields: dict[str, Any] | None = None,
) -> JurisdictionDispute:
    return kernel.transition(dispute, action=action, actor=actor, note=note, fields=fields)
