"""Writes of a jurisdiction dispute (SPEC T5): raising it."""

from __future__ import annotations

from collections.abc import Sequence
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
from envgrid.org.models import Unit
from envgrid.org.selectors import actor_for

from ..models import (
    Case,
    DisputeStatus,
    JurisdictionDispute,
    Transfer,
    TransferStatus,
    TransferStep,
    TransferType,
)
from ..policies import case_policy, transfer_policy
from ..selectors import dispute_designator
from ._common import (
    FINAL_CASE,
    _cancel,
    _lock_case,
    _notify_unit,
    _required,
    obligation_kind,
    overdue_refresh,
)


@transaction.atomic
def dispute_raise(
    *,
    actor: Any,
    case: Case,
    parties: Sequence[Unit],
    reason: str,
    transfer: Transfer | None = None,
) -> JurisdictionDispute:
    """Record a jurisdiction dispute (T5) and send it to the owner unit of the lowest common
    parent grid, with what the place and the recorded timestamps say. The disputed cases
    are this case and every case linked to it as the same matter."""
    from ..selectors import jurisdiction_first

    acting = actor_for(actor)
    if not case_policy.can_view(actor, case) and not (
        transfer is not None and transfer_policy.can_view(actor, transfer)
    ):
        raise NotFoundError(_("案件未找到。"))
    own_unit = acting.person.unit if acting.person else None
    party_set: dict[int, Unit] = {u.pk: u for u in parties}
    if own_unit is not None and not acting.is_admin:
        party_set.setdefault(own_unit.pk, own_unit)
        if own_unit.pk not in (case.owner_unit_id, getattr(transfer, "receiver_unit_id", None)):
            raise PermissionDeniedError(_("只有争议一方可以报请指定管辖。"), code="not_a_party")
    party_set.setdefault(case.owner_unit_id, case.owner_unit)
    if len(party_set) < 2:
        raise ApplicationError(
            _("管辖争议至少涉及两个单位。"),
            code="parties_required",
            fields={"parties": [_("至少两个单位")]},
        )
    _required(reason, "reason", _("请写明争议事由。"), "reason_required")
    if transfer is not None and transfer.case_id != case.pk:
        raise ApplicationError(_("移送记录与案件不符。"), code="transfer_mismatch")
    case = _lock_case(case)
    if case.status in FINAL_CASE:
        raise ConflictError(_("案件已结案或已撤销。"), code="case_final")
    cases = [case]
    if case.matter_key:
        cases += list(
            Case.objects.filter(matter_key=case.matter_key)
            .exclude(pk=case.pk)
            .exclude(status__in=FINAL_CASE)
            .select_related("owner_unit", "occurrence_grid")
        )
    for c in cases:
        party_set.setdefault(c.owner_unit_id, c.owner_unit)
    if JurisdictionDispute.objects.filter(
        cases__in=[c.pk for c in cases], status=DisputeStatus.OPEN
    ).exists():
        raise ConflictError(_("该案件已有待指定的管辖争议。"), code="dispute_open")
    if Transfer.objects.filter(
        case__in=cases, transfer_type=TransferType.JURISDICTION, status=TransferStatus.SENT
    ).exists():
        raise ConflictError(
            _("移送管辖待对方受理或退回，暂不能报请指定管辖。"), code="transfer_pending"
        )
    party_units = list(party_set.values())
    common, designator = dispute_designator(party_units, cases)
    if designator is None:
        raise ApplicationError(
            _("争议单位没有共同的上一级网格，无法确定指定管辖单位。"),
            code="no_common_grid",
            fields={"parties": [_("无共同上级网格")]},
        )
    first = jurisdiction_first(cases)
    evidence = {
        "place": [
            {
                "case": c.number,
                "address": c.address,
                "lon": c.lon,
                "lat": c.lat,
                "grid": str(c.occurrence_grid) if c.occurrence_grid_id else "",
                "proposed_unit": c.proposed_unit.name if c.proposed_unit else "",
            }
            for c in cases
        ],
        "discovery": first.as_rows(),
        "first_unit": first.unit.name if first.unit else "",
        "tie": first.tie,
        "common_grid": str(common),
    }
    dispute = JurisdictionDispute.objects.create(
        transfer=transfer,
        raised_by_unit=own_unit or case.owner_unit,
        raised_by=actor if getattr(actor, "is_authenticated", False) else None,
        raised_at=timezone.now(),
        reason=reason,
        common_grid=common,
        designating_unit=designator,
        suggested_unit=first.unit,
        evidence=evidence,
    )
    dispute.cases.set(cases)
    dispute.parties.set(party_units)
    audit_record(
        actor=actor,
        action="dispute.raise",
        obj=dispute,
        after=snapshot(dispute)
        | {"cases": [c.pk for c in cases], "parties": [u.pk for u in party_units]},
    )
    for c in cases:
        audit_record(actor=actor, action="case.dispute_raise", obj=c, after={"dispute": dispute.pk})
        # While the dispute is pending nobody can transfer; the designation decides.
        _cancel(
            c,
            actor,
            _("已报请指定管辖"),
            prefix=obligation_kind(TransferStep.MAKE, TransferType.JURISDICTION),
        )
    _notify_unit(
        designator.pk,
        _("管辖争议待指定：%(n)s") % {"n": case.number},
        reason,
        dispute.get_absolute_url(),
    )
    overdue_refresh(case_ids=[c.pk for c in cases])
    return dispute
