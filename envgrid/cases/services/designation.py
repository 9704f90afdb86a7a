"""Writes of a designation (SPEC T5): the designator's decision and what it carries to the designated unit's case."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.errors import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from envgrid.obligations.services import (
    obligation_cancel,
    obligations_for,
)
from envgrid.org.models import Unit

from ..models import (
    Case,
    CaseOutcome,
    DisputeStatus,
    JurisdictionDispute,
    Transfer,
    TransferStatus,
    TransferStep,
    TransferType,
)
from ..policies import dispute_policy
from ..workflow import (
    case_transition,
    dispute_transition,
)
from ._common import FINAL_CASE, _cancel, _notify_unit, _required, obligation_kind, overdue_refresh
from .cases import _flag_obligation_open, _has_live_transfer


def _designation_carry_crime_flag(
    *, primary: Case, others: list[Case], actor: Any, at: dt.datetime
) -> None:
    """T2/T5: a suspected crime on any party's case of the matter stays a suspected crime
    on the designated unit's case — the designation must not drop the flag with the cases
    it closes. The designated unit owes the transfer decision, from the designation."""
    carried = [c for c in others if c.suspected_crime]
    if not (primary.suspected_crime or carried):
        return
    if not primary.suspected_crime:
        before = snapshot(primary)
        primary.suspected_crime = True
        primary.save(update_fields=["suspected_crime", "updated_at"])
        audit_record(
            actor=actor,
            action="case.crime_flag_carry",
            obj=primary,
            before=before,
            after=snapshot(primary) | {"from_cases": [c.pk for c in carried]},
        )
    if _has_live_transfer(primary, TransferType.CRIMINAL) or primary.criminal_decision:
        return
    # A duty the previous owner held moves to the designated unit, with a new start.
    make = obligation_kind(TransferStep.MAKE, TransferType.CRIMINAL)
    for ob in obligations_for(primary, make).exclude(unit_id=primary.owner_unit_id):
        obligation_cancel(obligation=ob, actor=actor, reason=_("已指定管辖"))
    _flag_obligation_open(case=primary, flag="suspected_crime", actor=actor, at=at)


@transaction.atomic
def dispute_designate(
    *, actor: Any, dispute: JurisdictionDispute, unit: Unit, reason: str
) -> JurisdictionDispute:
    """The owner unit of the common parent grid designates (T5). Final: a designated
    dispute cannot be designated again. The case moves to the designated unit; the other
    parties' cases on the matter are closed as designated elsewhere."""
    if not dispute_policy.can_view(actor, dispute):
        raise NotFoundError(_("管辖争议未找到。"))
    if not dispute_policy.can_designate(actor, dispute):
        raise PermissionDeniedError(_("只有共同的上一级网格单位可以指定管辖。"))
    _required(reason, "reason", _("请写明指定理由。"), "reason_required")
    dispute = JurisdictionDispute.objects.select_for_update().get(pk=dispute.pk)
    if dispute.status != DisputeStatus.OPEN:
        raise ConflictError(_("已指定管辖，指定决定为最终决定。"), code="dispute_designated")
    allowed = set(dispute.parties.values_list("pk", flat=True)) | {dispute.designating_unit_id}
    if unit.pk not in allowed:
        raise ApplicationError(
            _("只能指定争议单位之一（或本单位）管辖。"),
            code="designee_invalid",
            fields={"unit": [_("不是争议单位")]},
        )
    cases = list(
        Case.objects.select_for_update()
        .filter(pk__in=dispute.cases.values("pk"))
        .exclude(status__in=FINAL_CASE)
        .order_by("discovered_at", "id")
    )
    if Transfer.objects.filter(
        case__in=cases, transfer_type=TransferType.JURISDICTION, status=TransferStatus.SENT
    ).exists():
        raise ConflictError(_("移送管辖待对方受理或退回，暂不能指定。"), code="transfer_pending")
    now = timezone.now()
    dispute_transition(
        dispute=dispute,
        action="designate",
        actor=actor,
        fields={
            "designated_unit": unit,
            "designated_at": now,
            "designated_by": actor if getattr(actor, "is_authenticated", False) else None,
            "designation_reason": reason,
        },
    )
    primary = next((c for c in cases if c.owner_unit_id == unit.pk), None)
    if primary is None and cases:
        primary = min(cases, key=lambda c: (c.first_known_at, c.pk))
    for c in cases:
        _cancel(
            c,
            actor,
            _("已指定管辖"),
            prefix=obligation_kind(TransferStep.MAKE, TransferType.JURISDICTION),
        )
        if c is primary:
            if c.owner_unit_id != unit.pk:
                b = snapshot(c)
                c.owner_unit = unit
                c.handler = None
                c.save()
                audit_record(
                    actor=actor,
                    action="case.move",
                    obj=c,
                    before=b,
                    after=snapshot(c) | {"dispute": dispute.pk},
                )
        else:
            case_transition(
                case=c,
                action="designated_away",
                actor=actor,
                note=reason,
                fields={
                    "outcome": CaseOutcome.DESIGNATED_ELSEWHERE,
                    "closed_at": now,
                    "close_note": _("经指定由 %(u)s 管辖（案件 %(n)s）")
                    % {"u": unit.name, "n": primary.number if primary else ""},
                },
            )
            _cancel(c, actor, _("已指定管辖"))
    if primary is not None:
        _designation_carry_crime_flag(
            primary=primary, others=[c for c in cases if c is not primary], actor=actor, at=now
        )
    for party in dispute.parties.all():
        _notify_unit(
            party.pk,
            _("管辖争议已指定：由 %(u)s 管辖") % {"u": unit.name},
            reason,
            dispute.get_absolute_url(),
        )
    overdue_refresh(case_ids=[c.pk for c in cases])
    return dispute
