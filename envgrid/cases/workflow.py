"""Status tables of cases and transfers, and the one function per workflow that moves a
status, appends a history row and writes an audit event (STYLE rule 4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.errors import ApplicationError, ConflictError

from .models import (
    Case,
    CaseStatus,
    CaseStatusChange,
    Transfer,
    TransferStatus,
    TransferStatusChange,
)

# Target meaning "the status the case had before it entered the current one" (a returned
# or withdrawn jurisdiction transfer gives the case back as it was).
PREVIOUS = "__previous__"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    label: str | Promise


def _t(sources: set[str], target: str, label: str | Promise) -> Transition:
    return Transition(frozenset(sources), target, label)


S = CaseStatus
CASE_TRANSITIONS: dict[str, Transition] = {
    "register": _t({""}, S.REGISTERED, gettext_lazy("登记")),
    "receive": _t({""}, S.INVESTIGATING, gettext_lazy("受理移送案件")),
    "open": _t({S.REGISTERED}, S.INVESTIGATING, gettext_lazy("立案调查")),
    "transfer_out": _t({S.REGISTERED, S.INVESTIGATING}, S.TRANSFERRED, gettext_lazy("移送管辖")),
    "transfer_back": _t({S.TRANSFERRED}, PREVIOUS, gettext_lazy("移送被退回或撤回")),
    "transfer_accepted": _t({S.TRANSFERRED}, S.CLOSED, gettext_lazy("接收单位已受理，移送结案")),
    "complete": _t({S.INVESTIGATING}, S.HANDLED, gettext_lazy("查处完成")),
    "close": _t({S.REGISTERED, S.INVESTIGATING, S.HANDLED}, S.CLOSED, gettext_lazy("结案")),
    "designated_away": _t(
        {S.REGISTERED, S.INVESTIGATING, S.TRANSFERRED, S.HANDLED},
        S.CLOSED,
        gettext_lazy("指定其他单位管辖，本案终结"),
    ),
    "withdraw": _t({S.REGISTERED, S.INVESTIGATING, S.HANDLED}, S.WITHDRAWN, gettext_lazy("撤销")),
}

T = TransferStatus
TRANSFER_TRANSITIONS: dict[str, Transition] = {
    "send": _t({""}, T.SENT, gettext_lazy("移送")),
    "accept": _t({T.SENT}, T.ACCEPTED, gettext_lazy("受理")),
    "return": _t({T.SENT}, T.RETURNED, gettext_lazy("退回")),
    "withdraw": _t({T.SENT}, T.WITHDRAWN, gettext_lazy("撤回")),
    "complete": _t({T.ACCEPTED}, T.HANDLED, gettext_lazy("查处完成")),
    "feedback": _t({T.HANDLED}, T.FED_BACK, gettext_lazy("反馈查处结果")),
}


def case_actions_available(case: Case) -> set[str]:
    return {a for a, t in CASE_TRANSITIONS.items() if case.status in t.sources}


def transfer_actions_available(transfer: Transfer) -> set[str]:
    return {a for a, t in TRANSFER_TRANSITIONS.items() if transfer.status in t.sources}


def _refuse(current: str, action: str, label: Any) -> ConflictError:
    return ConflictError(
        _("当前状态下不能执行“%(action)s”。") % {"action": label},
        code="invalid_transition",
        fields={"status": [current], "action": [action]},
    )


def _previous_status(case: Case) -> str:
    entered = (
        CaseStatusChange.objects.filter(case=case, to_status=case.status)
        .order_by("-at", "-id")
        .first()
    )
    if entered is None or not entered.from_status:
        return CaseStatus.REGISTERED
    return entered.from_status


@transaction.atomic
def case_transition(
    *, case: Case, action: str, actor: Any, note: str = "", fields: dict[str, Any] | None = None
) -> Case:
    """Move `case` by `action` from the table; `fields` are set in the same save.
    The caller holds the row lock (select_for_update) when the move depends on it."""
    try:
        transition = CASE_TRANSITIONS[action]
    except KeyError:
        raise ApplicationError(_("未知操作。"), code="unknown_action") from None
    current = case.status if case.pk else ""
    if current not in transition.sources:
        raise _refuse(current, action, transition.label)
    target = _previous_status(case) if transition.target == PREVIOUS else transition.target
    before = snapshot(case) if case.pk else None
    for key, value in (fields or {}).items():
        setattr(case, key, value)
    case.status = target
    case.save()
    CaseStatusChange.objects.create(
        case=case,
        from_status=current,
        to_status=target,
        action=action,
        at=timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note,
    )
    audit_record(
        actor=actor, action=f"case.{action}", obj=case, before=before, after=snapshot(case)
    )
    return case


@transaction.atomic
def transfer_transition(
    *,
    transfer: Transfer,
    action: str,
    actor: Any,
    note: str = "",
    fields: dict[str, Any] | None = None,
) -> Transfer:
    try:
        transition = TRANSFER_TRANSITIONS[action]
    except KeyError:
        raise ApplicationError(_("未知操作。"), code="unknown_action") from None
    current = transfer.status if transfer.pk else ""
    if current not in transition.sources:
        raise _refuse(current, action, transition.label)
    before = snapshot(transfer) if transfer.pk else None
    for key, value in (fields or {}).items():
        setattr(transfer, key, value)
    transfer.status = transition.target
    transfer.save()
    TransferStatusChange.objects.create(
        transfer=transfer,
        from_status=current,
        to_status=transition.target,
        action=action,
        at=timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note,
    )
    audit_record(
        actor=actor,
        action=f"transfer.{action}",
        obj=transfer,
        before=before,
        after=snapshot(transfer),
    )
    return transfer
