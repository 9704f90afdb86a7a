"""Shared by the cases service modules: number formats, the route tables, obligation helpers (open, complete, cancel), locks and the overdue flags."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core import rules
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.errors import (
    ApplicationError,
    ConflictError,
)
from envgrid.core.notifications import notify
from envgrid.core.params import check_plausible_time
from envgrid.obligations.models import Obligation
from envgrid.obligations.services import (
    LIVE,
    obligation_cancel,
    obligation_complete_for,
    obligation_open,
    obligations_for,
    users_of_unit,
)
from envgrid.org.models import Person, Unit, UnitKind
from envgrid.org.selectors import actor_for

from ..coords import normalize
from ..models import (
    Case,
    CaseOutcome,
    CaseStatus,
    Transfer,
    TransferRule,
    TransferStatus,
    TransferType,
)
from ..policies import case_policy

# ---- rules as data -----------------------------------------------------------------

CASE_NUMBER_FORMAT = "{code}-{year}-{seq:05d}"
TRANSFER_NUMBER_FORMAT = "{prefix}移〔{year}〕{seq}号"


def case_number_format() -> str:
    return str(rules.get("cases.case_number_format"))


def transfer_number_format() -> str:
    return str(rules.get("cases.transfer_number_format"))


# T2: the office decides a request to clear a "suspected crime" flag within this many
# working days (an obligation of the office, so a request does not sit unanswered).
CRIME_FLAG_REVIEW_WORKDAYS = 5
CRIME_FLAG_REVIEW_KIND = "case.crime_flag_review"


def crime_flag_review_rule() -> DeadlineRule:
    days = int(rules.get("cases.crime_flag_review_workdays"))
    return DeadlineRule(RuleKind.WORKDAYS, days)


# T2 routes: which kinds of unit receive each transfer type (None: any unit).
ROUTE_RECEIVER_KINDS: dict[str, set[str] | None] = {
    TransferType.JURISDICTION: None,
    TransferType.DETENTION: {UnitKind.POLICE},
    TransferType.DISCIPLINE: {UnitKind.DISCIPLINE},
    # 移送司法机关: the public security organ opens criminal cases, courts and
    # procuratorates are judicial organs too.
    TransferType.CRIMINAL: {UnitKind.JUDICIAL, UnitKind.POLICE, UnitKind.PROCURATORATE},
    TransferType.GOVERNMENT_PROPOSAL: {UnitKind.GOVERNMENT},
}
# The case flag a route stands on (T2): no criminal transfer of a case not flagged as such.
ROUTE_FLAG: dict[str, str] = {
    TransferType.CRIMINAL: "suspected_crime",
    TransferType.DETENTION: "detention_needed",
    TransferType.DISCIPLINE: "discipline_breach",
}
# Flags that oblige the owner to transfer by a route, and the obligation's step.
FLAG_ROUTES: dict[str, str] = {
    "suspected_crime": TransferType.CRIMINAL,
    "detention_needed": TransferType.DETENTION,
    "discipline_breach": TransferType.DISCIPLINE,
}
# Outcomes the system sets itself; nobody closes a case with them by hand.
SYSTEM_OUTCOMES = {CaseOutcome.TRANSFERRED, CaseOutcome.DESIGNATED_ELSEWHERE}
FINAL_CASE = {CaseStatus.CLOSED, CaseStatus.WITHDRAWN}
LIVE_TRANSFER = {
    TransferStatus.SENT,
    TransferStatus.ACCEPTED,
    TransferStatus.HANDLED,
    TransferStatus.FED_BACK,
}
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def obligation_kind(step: str, transfer_type: str) -> str:
    """Obligation kinds: transfer.<step>.<type>, e.g. transfer.feedback.jurisdiction.
    The overdue register (T6) groups them: make/handover = transfers made,
    decide/handle = transfers handled, feedback = feedback."""
    return f"transfer.{step}.{transfer_type}"


def transfer_rule(transfer_type: str, step: str) -> TransferRule | None:
    return TransferRule.objects.filter(
        transfer_type=transfer_type, step=step, is_active=True
    ).first()


def _open(
    *,
    step: str,
    transfer_type: str,
    unit: Unit,
    subject: Case | Transfer,
    title: str,
    start_at: dt.datetime,
    person: Person | None,
    actor: Any,
) -> Obligation | None:
    rule = transfer_rule(transfer_type, step)
    if rule is None:
        return None
    return obligation_open(
        unit=unit,
        kind=obligation_kind(step, transfer_type),
        title=title,
        rule=rule.rule,
        start_at=start_at,
        start_event=rule.start_event,
        subject=subject,
        person=person,
        link=subject.get_absolute_url(),
        actor=actor,
    )


def _complete(subject: Case | Transfer, step: str, transfer_type: str, actor: Any) -> None:
    obligation_complete_for(subject=subject, kind=obligation_kind(step, transfer_type), actor=actor)


def _cancel(subject: Case | Transfer, actor: Any, reason: str, prefix: str = "transfer.") -> None:
    for ob in obligations_for(subject).filter(kind__startswith=prefix):
        obligation_cancel(obligation=ob, actor=actor, reason=reason)


# ---- small helpers ---------------------------------------------------------------------


def _person(user: Any) -> Person | None:
    return actor_for(user).person if user is not None else None


def _required(value: Any, field: str, message: str, code: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ApplicationError(message, code=code, fields={field: [_("必填")]})


def _not_future(value: dt.datetime | None, field: str) -> None:
    check_plausible_time(value, field)
    if value is not None and value > timezone.now() + FUTURE_TOLERANCE:
        raise ApplicationError(
            _("时间不能晚于当前时间。"), code="time_in_future", fields={field: [_("晚于当前时间")]}
        )


def _lock_case(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _lock_transfer(transfer: Transfer) -> Transfer:
    return Transfer.objects.select_for_update().get(pk=transfer.pk)


def _notify_unit(unit_id: int | None, subject: str, body: str, link: str) -> None:
    if unit_id is None:
        return
    notify(users=users_of_unit(unit_id), subject=subject, body=body, link=link)


def _point(lon: Any, lat: Any, crs: str | None) -> tuple[float | None, float | None, str]:
    if lon in (None, "") and lat in (None, ""):
        return None, None, ""
    if lon in (None, "") or lat in (None, ""):
        raise ApplicationError(
            _("经度和纬度须同时填写。"), code="point_incomplete", fields={"lon": [_("不完整")]}
        )
    try:
        lon_f, lat_f = float(lon), float(lat)
    except (TypeError, ValueError):
        raise ApplicationError(
            _("经纬度须为数字。"), code="point_invalid", fields={"lon": [_("无效")]}
        ) from None
    if not (-180 <= lon_f <= 180 and -90 <= lat_f <= 90):
        raise ApplicationError(
            _("经纬度超出范围。"), code="point_invalid", fields={"lon": [_("超出范围")]}
        )
    return lon_f, lat_f, normalize(crs)


def overdue_refresh(*, case_ids: Iterable[int] = (), transfer_ids: Iterable[int] = ()) -> None:
    """Recompute the denormalised `overdue` flags (list filters at scale) from the live
    obligations of the cases and transfers given, and of the cases the transfers touch."""
    now = timezone.now()
    transfer_ids = set(transfer_ids)
    case_ids = set(case_ids)
    ct_case = ContentType.objects.get_for_model(Case)
    ct_transfer = ContentType.objects.get_for_model(Transfer)
    late = Obligation.objects.filter(kind__startswith="transfer.", status__in=LIVE, due_at__lt=now)
    if transfer_ids:
        for t in Transfer.objects.filter(pk__in=transfer_ids).select_related("received_case"):
            case_ids.add(t.case_id)
            rc = getattr(t, "received_case", None)
            if rc is not None:
                case_ids.add(rc.pk)
        late_t = set(
            late.filter(
                subject_type=ct_transfer, subject_id__in=[str(i) for i in transfer_ids]
            ).values_list("subject_id", flat=True)
        )
        for tid in transfer_ids:
            Transfer.objects.filter(pk=tid).exclude(overdue=str(tid) in late_t).update(
                overdue=str(tid) in late_t
            )
    for cid in case_ids:
        tids = [
            str(x)
            for x in Transfer.objects.filter(Q(case_id=cid) | Q(received_case__pk=cid)).values_list(
                "pk", flat=True
            )
        ]
        is_late = late.filter(
            Q(subject_type=ct_case, subject_id=str(cid))
            | Q(subject_type=ct_transfer, subject_id__in=tids)
        ).exists()
        Case.objects.filter(pk=cid).exclude(overdue=is_late).update(overdue=is_late)


def mark_overdue(obligations: list[Obligation]) -> None:
    """Overdue handler for the sweep (registered in AppConfig.ready): flag the subjects."""
    ct_case = ContentType.objects.get_for_model(Case)
    ct_transfer = ContentType.objects.get_for_model(Transfer)
    case_ids = [int(o.subject_id) for o in obligations if o.subject_type_id == ct_case.pk]
    transfer_ids = [int(o.subject_id) for o in obligations if o.subject_type_id == ct_transfer.pk]
    overdue_refresh(case_ids=case_ids, transfer_ids=transfer_ids)


def _require_case_change(actor: Any, case: Case) -> None:
    case_policy.require_change(actor, case, _("只有案件办理单位可以办理此事项。"))


def _require_not_final(case: Case) -> None:
    if case.status in FINAL_CASE:
        raise ConflictError(_("案件已结案或已撤销，不能再修改。"), code="case_final")
