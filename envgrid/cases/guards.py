"""Rule guards of the case workflow that no route may bypass (issue 15, part 3): T2 closing
and flag clearing, T2 route (a), T5 first discoverer. Pure checks: each reads, and raises
an ApplicationError with a stable code, before the calling service writes anything."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.org.models import Unit, UnitKind
from envgrid.org.selectors import actor_for

from .models import (
    Case,
    CaseOutcome,
    CaseStatus,
    DisputeStatus,
    JurisdictionDispute,
    Transfer,
    TransferStatus,
    TransferType,
)

# A criminal transfer that answers the flag (T2): live or done, or returned by the judicial
# side with its written explanation (the judicial organ declined it on record).
CRIMINAL_TRANSFER_SETTLES = {
    TransferStatus.SENT,
    TransferStatus.ACCEPTED,
    TransferStatus.HANDLED,
    TransferStatus.FED_BACK,
    TransferStatus.RETURNED,
}
# Cases that left the T5 contest: handed to another unit, or registered in error.
_OUT_OF_CONTEST_OUTCOMES = {CaseOutcome.TRANSFERRED, CaseOutcome.DESIGNATED_ELSEWHERE}


def criminal_transfer_settles(case: Case) -> bool:
    return Transfer.objects.filter(
        case=case, transfer_type=TransferType.CRIMINAL, status__in=CRIMINAL_TRANSFER_SETTLES
    ).exists()


def require_crime_answered(case: Case) -> None:
    """T2 (不得以行政处罚代替刑事处罚): a case flagged as a suspected crime closes with no
    outcome at all — penalty, correction, "no violation", "other" — until a criminal
    transfer is live or done, or the judicial side returned it on record. The flag itself
    is cleared only with the office's approval (case_crime_flag_clear_decide)."""
    if case.suspected_crime and not criminal_transfer_settles(case):
        raise ConflictError(
            _(
                "该案件涉嫌犯罪，尚未移送司法机关：不得以行政处罚代替刑事处罚，"
                "须先移送司法机关，或经领导小组办公室批准取消“涉嫌犯罪”标记。"
            ),
            code="criminal_transfer_required",
            fields={"outcome": [_("不得以行政处罚代替刑事处罚")]},
        )


# ---- T2 route (a): the people's government at the case's own level ---------------------


def own_level_governments(case: Case) -> list[Unit]:
    """The people's government(s) at the level of the case's unit: going up the grids the
    unit owns (or, for a unit owning none, the grid of the place), the owner of the nearest
    grid that is a people's government. A sub-district office (派出机关) reports to the
    district government; a district government to itself."""
    from envgrid.grids.models import Grid

    starts = list(Grid.objects.filter(owner_unit_id=case.owner_unit_id, is_active=True))
    if not starts and case.occurrence_grid_id is not None:
        starts = [case.occurrence_grid]  # type: ignore[list-item]
    chains = [list(reversed(g.path_ids() or [g.pk])) for g in starts]
    ids = {pk for chain in chains for pk in chain}
    owners = dict(Grid.objects.filter(pk__in=ids).values_list("pk", "owner_unit_id"))
    gov_ids = set(
        Unit.objects.filter(pk__in=set(owners.values()), kind=UnitKind.GOVERNMENT).values_list(
            "pk", flat=True
        )
    )
    found: list[int] = []
    for chain in chains:
        for pk in chain:
            if owners.get(pk) in gov_ids:
                if owners[pk] not in found:
                    found.append(owners[pk])
                break
    by_pk = Unit.objects.in_bulk(found)
    return [by_pk[pk] for pk in found]


def require_government_proposal(case: Case, receiver: Unit, proposal: str) -> None:
    """T2 (a): the grid unit submits a handling proposal (处理建议) to the government at its
    own level — not to any government it can name, and not without the proposal."""
    if not (proposal or "").strip():
        raise ApplicationError(
            _("报请人民政府责令停产整顿、停业、关闭，须提出处理建议。"),
            code="proposal_required",
            fields={"proposal": [_("必填")]},
        )
    governments = own_level_governments(case)
    if receiver.pk not in {g.pk for g in governments}:
        names = "、".join(g.name for g in governments) or _("（未找到本级人民政府）")
        raise ApplicationError(
            _("处理建议须报请本级人民政府：%(names)s。") % {"names": names},
            code="government_level_mismatch",
            fields={"receiver_unit": [_("不是本级人民政府")]},
        )


# ---- T5: first discoverer --------------------------------------------------------------


def _contest(case: Case) -> list[Case] | None:
    """The cases competing for jurisdiction over `case`'s matter, or None when there is no
    contest (no link, one unit only, or a case that is not a territorial one)."""
    if case.matter_key is None:
        return None
    if case.origin_transfer_id and case.origin_transfer.transfer_type != TransferType.JURISDICTION:  # type: ignore[union-attr]
        return None  # police, discipline, judicial organs, government act on their own law
    cases = [
        c
        for c in Case.objects.filter(matter_key=case.matter_key)
        .exclude(status=CaseStatus.WITHDRAWN)
        .exclude(outcome__in=_OUT_OF_CONTEST_OUTCOMES)
        .select_related("owner_unit", "discovered_by_unit", "origin_transfer")
        if c.origin_transfer_id is None
        or c.origin_transfer.transfer_type == TransferType.JURISDICTION  # type: ignore[union-attr]
    ]
    if len({c.owner_unit_id for c in cases}) < 2:
        return None
    return cases


def require_jurisdiction_holder(case: Case, verb: str) -> None:
    """T5: while a matter is linked across units and no designation settled it, only the
    first discoverer (or first to receive the report) opens and handles it; the others
    transfer it to that unit or ask the common parent grid's unit to designate."""
    from .selectors import jurisdiction_first

    designated = (
        JurisdictionDispute.objects.filter(cases=case, status=DisputeStatus.DESIGNATED)
        .order_by("-designated_at")
        .values_list("designated_unit_id", flat=True)
        .first()
    )
    if designated is not None:
        if designated != case.owner_unit_id:
            raise ConflictError(
                _("该事项已指定由其他单位管辖，本单位不能%(verb)s。") % {"verb": verb},
                code="designated_elsewhere",
            )
        return
    cases = _contest(case)
    if cases is None:
        return
    first = jurisdiction_first(cases)
    if first.tie:
        raise ConflictError(
            _(
                "同一事项有多个单位同时发现，管辖未定：请报请共同的上一级网格单位指定管辖后再%(verb)s。"
            )
            % {"verb": verb},
            code="jurisdiction_unsettled",
        )
    if first.unit is not None and first.unit.pk != case.owner_unit_id:
        raise ConflictError(
            _(
                "同一事项由最先发现或最先接到举报的 %(unit)s 管辖（T5）：本单位不能%(verb)s，"
                "请移送该单位，或报请指定管辖。"
            )
            % {"unit": first.unit.name, "verb": verb},
            code="not_first_discoverer",
        )


def require_discovery_unfrozen(case: Case, data: Mapping[str, Any]) -> None:
    """T5: once another unit's case is linked to the matter, the discovery and report times
    that decide who has it are frozen; moving them would flip the first discoverer."""
    changed = [
        f for f in ("discovered_at", "reported_at") if f in data and data[f] != getattr(case, f)
    ]
    if not changed or case.matter_key is None:
        return
    if (
        Case.objects.filter(matter_key=case.matter_key)
        .exclude(owner_unit_id=case.owner_unit_id)
        .exists()
    ):
        raise ConflictError(
            _("该事项已与其他单位的案件关联，发现时间和接报时间不能再修改（T5）。"),
            code="discovery_frozen",
            fields={f: [_("已冻结")] for f in changed},
        )


def require_own_discovery(actor: Any, owner: Unit, discovered_by: Unit | None) -> None:
    """T5: a unit records only its own discoveries. The discovering unit is the case's own
    unit, or the acting unit itself (the office registering for a unit what it found);
    naming another unit would put the case in that unit's lists and metrics."""
    if discovered_by is None or discovered_by.pk == owner.pk or actor is None:
        return
    acting = actor_for(actor)
    if acting.is_admin or discovered_by.pk == acting.unit_id:
        return
    raise PermissionDeniedError(
        _("只能登记本单位发现的案件，不能以其他单位的名义填写发现单位。"),
        code="discovery_not_own",
        fields={"discovered_by_unit": [_("不是本单位")]},
    )
