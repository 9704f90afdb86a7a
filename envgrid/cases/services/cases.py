"""Writes on a case itself (SPEC T1, T2): registration, update, the criminal decision and crime-flag clearance, completion, closing, withdrawal, same-matter links."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core import workflow as kernel
from envgrid.core.audit import audit_record, snapshot
from envgrid.core.documents import document_number_next
from envgrid.core.errors import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from envgrid.obligations.services import (
    obligation_cancel,
    obligation_complete_for,
    obligation_open,
    obligations_for,
)
from envgrid.org.models import Person, Unit
from envgrid.org.selectors import actor_for, office_units_of

from ..coords import CoordSystem, to_wgs84
from ..guards import (
    require_crime_answered,
    require_discovery_unfrozen,
    require_jurisdiction_holder,
    require_own_discovery,
)
from ..models import (
    Case,
    CaseOutcome,
    CaseSource,
    CaseStatus,
    ClearanceStatus,
    CrimeFlagClearance,
    CriminalDecision,
    DisputeStatus,
    Transfer,
    TransferStatus,
    TransferStep,
    TransferType,
)
from ..policies import case_policy
from ..selectors import can_decide_crime_flag_clearance, outside_jurisdiction, place_resolve
from ..workflow import (
    case_transition,
    clearance_refusal,
)
from ._common import (
    CRIME_FLAG_REVIEW_KIND,
    FINAL_CASE,
    FLAG_ROUTES,
    LIVE_TRANSFER,
    SYSTEM_OUTCOMES,
    _cancel,
    _complete,
    _lock_case,
    _lock_transfer,
    _not_future,
    _notify_unit,
    _open,
    _person,
    _point,
    _require_case_change,
    _require_not_final,
    _required,
    case_number_format,
    crime_flag_review_rule,
    obligation_kind,
    overdue_refresh,
)
from .evidence import _evidence_add

# ---- cases -----------------------------------------------------------------------------


def _check_owner_allowed(actor: Any, owner_unit: Unit | None) -> Unit:
    acting = actor_for(actor) if actor is not None else None
    if owner_unit is None:
        if acting is None or acting.person is None:
            raise ApplicationError(
                _("请指定办理单位。"),
                code="owner_unit_required",
                fields={"owner_unit": [_("必填")]},
            )
        return acting.person.unit
    if acting is None or acting.is_admin:
        return owner_unit
    if owner_unit.pk == acting.unit_id:
        return owner_unit
    if acting.overseen_group_ids and owner_unit.pk in acting.overseen_unit_ids():
        return owner_unit
    raise PermissionDeniedError(_("不能以其他单位的名义登记案件。"), code="owner_unit_forbidden")


@transaction.atomic
def case_create(
    *,
    actor: Any,
    title: str,
    source: str,
    discovered_at: dt.datetime | None = None,
    owner_unit: Unit | None = None,
    discovered_by_unit: Unit | None = None,
    discovered_by_person: Person | None = None,
    reported_at: dt.datetime | None = None,
    lon: float | None = None,
    lat: float | None = None,
    input_crs: str = CoordSystem.WGS84,
    address: str = "",
    description: str = "",
    entity: Any = None,
    entity_name: str = "",
    entity_uscc: str = "",
    responsible_person: str = "",
    facts: str = "",
    suspected_crime: bool = False,
    detention_needed: bool = False,
    discipline_breach: bool = False,
    handler: Person | None = None,
    same_matter_as: Case | None = None,
    evidence_files: Sequence[Any] = (),
    _origin_transfer: Transfer | None = None,
) -> Case:
    """Register a case in one step — the entry point other apps use for a finding.

    - joint enforcement: ``case_create(actor=u, source="joint_enforcement", title=...,
      lon=..., lat=..., input_crs="gcj02", entity=..., facts=..., evidence_files=[...])``
    - patrols: ``source="patrol", discovered_at=<the patrol's timestamp>``
    - petitions: ``source="petition", reported_at=<when the petition was received>``

    `owner_unit` defaults to the actor's unit (office staff may register for a unit of
    their leading group; `actor=None` means the system and then requires `owner_unit`).
    `discovered_by_unit` (the first discoverer, T5) defaults to the owner. The place is
    converted to WGS84 from `input_crs` and resolved to the lowest grid containing it;
    that grid's owner is the proposed responsible unit. A case registered by a grid unit
    whose grids do not contain the place opens the T1 obligation to transfer it (see
    `outside_jurisdiction`). `evidence_files` are
    uploads (or ContentFile) checked like any evidence upload. Returns the Case.
    """
    owner = _check_owner_allowed(actor, owner_unit)
    if _origin_transfer is None:
        require_own_discovery(actor, owner, discovered_by_unit)
    _required(title, "title", _("请填写案件名称。"), "title_required")
    if source not in CaseSource.values:
        raise ApplicationError(
            _("未知的案件来源。"), code="source_invalid", fields={"source": [_("无效")]}
        )
    now = timezone.now()
    discovered_at = discovered_at or now
    _not_future(discovered_at, "discovered_at")
    _not_future(reported_at, "reported_at")
    lon_in, lat_in, crs = _point(lon, lat, input_crs)
    wlon, wlat = (None, None) if lon_in is None else to_wgs84(lon_in, lat_in or 0.0, crs)
    grid, proposed = place_resolve(wlon, wlat)
    if entity is not None:
        entity_name = entity_name or entity.name
        entity_uscc = entity_uscc or entity.uscc
    if handler is not None and handler.unit_id != owner.pk:
        raise ApplicationError(
            _("经办人须为办理单位人员。"),
            code="handler_invalid",
            fields={"handler": [_("不属于办理单位")]},
        )
    acting_person = _person(actor)
    if handler is None and acting_person is not None and acting_person.unit_id == owner.pk:
        handler = acting_person
    year = timezone.localtime(now).year
    number = document_number_next(
        kind="case",
        issuer_key=str(owner.pk),
        year=year,
        fmt=case_number_format(),
        code=owner.code,
        prefix=owner.doc_prefix or owner.code,
    )
    case = Case(
        number=number,
        title=title.strip()[:200],
        source=source,
        lon=wlon,
        lat=wlat,
        input_crs=crs,
        input_lon=lon_in,
        input_lat=lat_in,
        address=address,
        occurrence_grid=grid,
        proposed_unit=proposed,
        owner_unit=owner,
        handler=handler,
        discovered_at=discovered_at,
        discovered_by_unit=discovered_by_unit or owner,
        discovered_by_person=discovered_by_person,
        reported_at=reported_at,
        registered_at=now,
        registered_by=actor if getattr(actor, "is_authenticated", False) else None,
        description=description,
        entity=entity,
        entity_name=entity_name[:200],
        entity_uscc=entity_uscc[:18],
        responsible_person=responsible_person[:100],
        facts=facts,
        suspected_crime=suspected_crime,
        detention_needed=detention_needed,
        discipline_breach=discipline_breach,
        origin_transfer=_origin_transfer,
    )
    if same_matter_as is not None:
        case.matter_key = same_matter_as.matter_key or uuid.uuid4()
        if same_matter_as.matter_key is None:
            Case.objects.filter(pk=same_matter_as.pk).update(matter_key=case.matter_key)
    case_transition(
        case=case,
        action="receive" if _origin_transfer is not None else "register",
        actor=actor,
    )
    for upload in evidence_files:
        _evidence_add(actor=actor, case=case, upload=upload)
    if _origin_transfer is None:
        for flag in FLAG_ROUTES:
            if getattr(case, flag):
                _flag_obligation_open(case=case, flag=flag, actor=actor, at=now)
        # T1: a unit that found a case outside its jurisdiction owes a transfer.
        if outside_jurisdiction(case):
            _open_t1(case=case, actor=actor, at=now)
    overdue_refresh(case_ids=[case.pk])
    return case


def _open_t1(*, case: Case, actor: Any, at: dt.datetime) -> None:
    if obligations_for(
        case, obligation_kind(TransferStep.MAKE, TransferType.JURISDICTION)
    ).exists():
        return
    # A designation (T5) is final: the designated unit owes no transfer.
    if case.disputes.filter(status=DisputeStatus.DESIGNATED).exists():
        return
    _open(
        step=TransferStep.MAKE,
        transfer_type=TransferType.JURISDICTION,
        unit=case.owner_unit,
        subject=case,
        title=_("移送管辖：%(n)s（发生地属 %(u)s 管辖）")
        % {"n": case.number, "u": case.proposed_unit.name if case.proposed_unit else ""},
        start_at=at,
        person=case.handler,
        actor=actor,
    )


def _flag_obligation_open(*, case: Case, flag: str, actor: Any, at: dt.datetime) -> None:
    route = FLAG_ROUTES[flag]
    titles: dict[str, str] = {
        TransferType.CRIMINAL: _("决定是否移送司法机关：%(n)s"),
        TransferType.DETENTION: _("移送公安机关（行政拘留）：%(n)s"),
        TransferType.DISCIPLINE: _("移送纪检监察机关：%(n)s"),
    }
    if obligations_for(case, obligation_kind(TransferStep.MAKE, route)).exists():
        return
    _open(
        step=TransferStep.MAKE,
        transfer_type=route,
        unit=case.owner_unit,
        subject=case,
        title=titles[route] % {"n": case.number},
        start_at=at,
        person=case.handler,
        actor=actor,
    )


CASE_EDITABLE = {
    "title",
    "address",
    "description",
    "entity",
    "entity_name",
    "entity_uscc",
    "responsible_person",
    "facts",
    "discovered_at",
    "reported_at",
    "handler",
    "suspected_crime",
    "detention_needed",
    "discipline_breach",
}


@transaction.atomic
def case_update(
    *,
    actor: Any,
    case: Case,
    lon: Any = None,
    lat: Any = None,
    input_crs: str | None = None,
    reason: str = "",
    **data: Any,
) -> Case:
    """Edit a live case. A new place re-resolves the grid and the proposal; flags set or
    cleared open or cancel the obligations that stand on them (clearing needs a reason).
    Transfers already sent keep the materials as they were sent."""
    _require_case_change(actor, case)
    unknown = set(data) - CASE_EDITABLE
    if unknown:
        raise ApplicationError(
            _("不能修改这些字段：%(f)s") % {"f": "、".join(sorted(unknown))},
            code="field_not_editable",
            fields={f: [_("不可修改")] for f in unknown},
        )
    case = _lock_case(case)
    _require_not_final(case)
    require_discovery_unfrozen(case, data)
    before = snapshot(case)
    now = timezone.now()
    if "title" in data:
        _required(data["title"], "title", _("请填写案件名称。"), "title_required")
    for field in ("discovered_at", "reported_at"):
        if field in data:
            _not_future(data[field], field)
    if data.get("discovered_at") is None and "discovered_at" in data:
        raise ApplicationError(
            _("请填写发现时间。"),
            code="discovered_at_required",
            fields={"discovered_at": [_("必填")]},
        )
    handler = data.get("handler")
    if handler is not None and handler.unit_id != case.owner_unit_id:
        raise ApplicationError(
            _("经办人须为办理单位人员。"),
            code="handler_invalid",
            fields={"handler": [_("不属于办理单位")]},
        )
    cleared = [f for f in FLAG_ROUTES if f in data and getattr(case, f) and not data[f]]
    if cleared and not reason.strip():
        raise ApplicationError(
            _("取消标记须写明理由。"), code="reason_required", fields={"reason": [_("必填")]}
        )
    if cleared and "suspected_crime" in cleared and _has_live_transfer(case, TransferType.CRIMINAL):
        raise ConflictError(
            _("已移送司法机关的案件不能取消“涉嫌犯罪”标记。"), code="criminal_transfer_exists"
        )
    if "suspected_crime" in cleared:
        # T2: the unit cannot clear its own crime flag; the office approves a request.
        raise ConflictError(
            _("取消“涉嫌犯罪”标记须经领导小组办公室批准：请提交取消标记申请。"),
            code="crime_flag_approval_required",
            fields={"suspected_crime": [_("须经办公室批准")]},
        )
    raised = [f for f in FLAG_ROUTES if data.get(f) and not getattr(case, f)]
    entity = data.get("entity")
    if entity is not None and "entity_name" not in data:
        data["entity_name"] = entity.name
        data.setdefault("entity_uscc", entity.uscc)
    for key, value in data.items():
        setattr(case, key, value)
    place_changed = lon is not None or lat is not None
    if place_changed:
        lon_in, lat_in, crs = _point(lon, lat, input_crs)
        wlon, wlat = (None, None) if lon_in is None else to_wgs84(lon_in, lat_in or 0.0, crs)
        case.lon, case.lat, case.input_crs, case.input_lon, case.input_lat = (
            wlon,
            wlat,
            crs,
            lon_in,
            lat_in,
        )
        case.occurrence_grid, case.proposed_unit = place_resolve(wlon, wlat)
    case.save()
    audit_record(
        actor=actor,
        action="case.update",
        obj=case,
        before=before,
        after=snapshot(case) | ({"reason": reason} if reason else {}),
    )
    for flag in raised:
        _flag_obligation_open(case=case, flag=flag, actor=actor, at=now)
    for flag in cleared:
        route = FLAG_ROUTES[flag]
        for step in (TransferStep.MAKE, TransferStep.HANDOVER):
            for ob in obligations_for(case, obligation_kind(step, route)):
                obligation_cancel(obligation=ob, actor=actor, reason=reason)
    if place_changed and outside_jurisdiction(case):
        if case.status in (CaseStatus.REGISTERED, CaseStatus.INVESTIGATING):
            _open_t1(case=case, actor=actor, at=now)
    overdue_refresh(case_ids=[case.pk])
    return case


@transaction.atomic
def case_open(*, actor: Any, case: Case, note: str = "") -> Case:
    """立案: the owner opens an investigation (T5: the first discoverer of a linked matter,
    or the designated unit)."""
    _require_case_change(actor, case)
    case = _lock_case(case)
    require_jurisdiction_holder(case, _("立案"))
    return case_transition(case=case, action="open", actor=actor, note=note)


@transaction.atomic
def case_criminal_decide(*, actor: Any, case: Case, decision: str, note: str = "") -> Case:
    """Decide whether to transfer a case flagged as a suspected crime (3 days by default).
    Approving starts the 24-hour handover; refusing needs the reasons and clears the flag."""
    _require_case_change(actor, case)
    case = _lock_case(case)
    _require_not_final(case)
    if not case.suspected_crime:
        raise ApplicationError(
            _("案件未标记为涉嫌犯罪。"),
            code="not_suspected_crime",
            fields={"decision": [_("无需决定")]},
        )
    if decision not in (CriminalDecision.TRANSFER, CriminalDecision.NO_TRANSFER):
        raise ApplicationError(
            _("请选择批准移送或不予移送。"),
            code="decision_invalid",
            fields={"decision": [_("无效")]},
        )
    if case.criminal_decision:
        raise ConflictError(_("已作出移送决定。"), code="already_decided")
    if decision == CriminalDecision.NO_TRANSFER and not note.strip():
        raise ApplicationError(
            _("不予移送须写明理由。"), code="reason_required", fields={"note": [_("必填")]}
        )
    before = snapshot(case)
    now = timezone.now()
    case.criminal_decision = decision
    case.criminal_decided_at = now
    case.criminal_decision_note = note
    case.save()
    audit_record(
        actor=actor, action="case.criminal_decide", obj=case, before=before, after=snapshot(case)
    )
    _complete(case, TransferStep.MAKE, TransferType.CRIMINAL, actor)
    if decision == CriminalDecision.NO_TRANSFER:
        # T2: deciding not to transfer does not clear the flag by itself: it asks the office,
        # whose approval clears it (a refusal reopens the duty to transfer).
        _crime_flag_clearance_file(case=case, actor=actor, reason=note, at=now)
    if decision == CriminalDecision.TRANSFER:
        _open(
            step=TransferStep.HANDOVER,
            transfer_type=TransferType.CRIMINAL,
            unit=case.owner_unit,
            subject=case,
            title=_("向司法机关移交案件材料：%(n)s") % {"n": case.number},
            start_at=now,
            person=case.handler,
            actor=actor,
        )
    overdue_refresh(case_ids=[case.pk])
    return case


def _criminal_duty_reopen(*, case: Case, actor: Any, at: dt.datetime) -> None:
    """T2: the flag stands and nothing answers it (the judicial side returned the transfer,
    the sender withdrew it, or the office refused to clear the flag): the unit owes the
    transfer decision again, with a new deadline from now."""
    if case.status in FINAL_CASE or not case.suspected_crime:
        return
    if _has_live_transfer(case, TransferType.CRIMINAL):
        return
    if case.criminal_decision:
        before = snapshot(case)
        case.criminal_decision = CriminalDecision.NONE
        case.criminal_decided_at = None
        case.save(update_fields=["criminal_decision", "criminal_decided_at", "updated_at"])
        audit_record(
            actor=actor,
            action="case.criminal_duty_reopen",
            obj=case,
            before=before,
            after=snapshot(case),
        )
    _flag_obligation_open(case=case, flag="suspected_crime", actor=actor, at=at)
    overdue_refresh(case_ids=[case.pk])


def _crime_flag_clearance_file(
    *, case: Case, actor: Any, reason: str, at: dt.datetime
) -> CrimeFlagClearance:
    if CrimeFlagClearance.objects.filter(case=case, status=ClearanceStatus.PENDING).exists():
        raise ConflictError(_("已有待办公室审批的取消标记申请。"), code="clearance_pending")
    clearance = kernel.transition(
        CrimeFlagClearance(
            case=case,
            reason=reason,
            requested_unit=case.owner_unit,
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
            requested_at=at,
        ),
        action="request",
        actor=actor,
        note=reason,
        at=at,
    )
    audit_record(
        actor=actor,
        action="case.crime_flag_clear_request",
        obj=case,
        after={"clearance": snapshot(clearance)},
    )
    office = office_units_of(case.owner_unit).exclude(pk=case.owner_unit_id).first()
    if office is not None:
        obligation_open(
            unit=office,
            kind=CRIME_FLAG_REVIEW_KIND,
            title=_("审批取消“涉嫌犯罪”标记：%(n)s（%(u)s）")
            % {"n": case.number, "u": case.owner_unit.name},
            rule=crime_flag_review_rule(),
            start_at=at,
            start_event=_("提交取消标记申请"),
            subject=clearance,
            link=case.get_absolute_url(),
            actor=actor,
        )
        _notify_unit(
            office.pk,
            _("待审批：取消案件 %(n)s 的“涉嫌犯罪”标记") % {"n": case.number},
            reason,
            case.get_absolute_url(),
        )
    return clearance


@transaction.atomic
def case_crime_flag_clear_request(*, actor: Any, case: Case, reason: str) -> CrimeFlagClearance:
    """T2: the owning unit asks the office to clear the "suspected crime" flag, with the
    reasons. The flag stands (and the case cannot close) until the office approves."""
    _require_case_change(actor, case)
    _required(reason, "reason", _("请写明取消标记的理由。"), "reason_required")
    case = _lock_case(case)
    _require_not_final(case)
    if not case.suspected_crime:
        raise ApplicationError(
            _("案件未标记为涉嫌犯罪。"),
            code="not_suspected_crime",
            fields={"reason": [_("无需申请")]},
        )
    if _has_live_transfer(case, TransferType.CRIMINAL):
        raise ConflictError(
            _("已移送司法机关的案件不能取消“涉嫌犯罪”标记。"), code="criminal_transfer_exists"
        )
    return _crime_flag_clearance_file(case=case, actor=actor, reason=reason, at=timezone.now())


@transaction.atomic
def case_crime_flag_clear_decide(
    *, actor: Any, clearance: CrimeFlagClearance, approve: bool, note: str = ""
) -> CrimeFlagClearance:
    """T2: the office approves (the flag is cleared, the transfer duties end) or refuses
    (the flag stands; a "no transfer" decision is undone and the duty to transfer reopens
    with a new deadline). Audited on the request and on the case."""
    case = clearance.case
    if not case_policy.can_view(actor, case):
        raise NotFoundError(_("案件未找到。"))
    if not can_decide_crime_flag_clearance(actor, case):
        raise PermissionDeniedError(
            _("取消“涉嫌犯罪”标记须由领导小组办公室或领导审批，办理单位不能自行批准。"),
            code="approval_required",
        )
    if not approve and not note.strip():
        raise ApplicationError(
            _("不予批准须写明理由。"), code="reason_required", fields={"note": [_("必填")]}
        )
    move = "approve" if approve else "reject"
    locked = CrimeFlagClearance.objects.select_for_update().get(pk=clearance.pk)
    refused = clearance_refusal(locked, move)
    if refused is not None:  # already decided: refused before the case is touched
        raise refused
    case = _lock_case(case)
    _require_not_final(case)
    if approve and _has_live_transfer(case, TransferType.CRIMINAL):
        raise ConflictError(
            _("已移送司法机关的案件不能取消“涉嫌犯罪”标记。"), code="criminal_transfer_exists"
        )
    now = timezone.now()
    locked = kernel.transition(
        locked,
        action=move,
        actor=actor,
        note=note,
        at=now,
        fields={
            "decided_by": actor if getattr(actor, "is_authenticated", False) else None,
            "decision_note": note,
        },
    )
    obligation_complete_for(subject=locked, kind=CRIME_FLAG_REVIEW_KIND, actor=actor, at=now)
    if approve:
        case_before = snapshot(case)
        case.suspected_crime = False
        case.save(update_fields=["suspected_crime", "updated_at"])
        audit_record(
            actor=actor,
            action="case.crime_flag_clear",
            obj=case,
            before=case_before,
            after=snapshot(case) | {"clearance": locked.pk, "note": note},
        )
        for step in (TransferStep.MAKE, TransferStep.HANDOVER):
            for ob in obligations_for(case, obligation_kind(step, TransferType.CRIMINAL)):
                obligation_cancel(
                    obligation=ob, actor=actor, reason=_("经办公室批准取消涉嫌犯罪标记")
                )
    elif case.criminal_decision == CriminalDecision.NO_TRANSFER:
        _criminal_duty_reopen(case=case, actor=actor, at=now)
    _notify_unit(
        case.owner_unit_id,
        (
            _("取消“涉嫌犯罪”标记已批准：%(n)s")
            if approve
            else _("取消“涉嫌犯罪”标记未获批准：%(n)s")
        )
        % {"n": case.number},
        note,
        case.get_absolute_url(),
    )
    overdue_refresh(case_ids=[case.pk])
    return locked


def _has_live_transfer(case: Case, transfer_type: str) -> bool:
    return Transfer.objects.filter(
        case=case, transfer_type=transfer_type, status__in=LIVE_TRANSFER
    ).exists()


@transaction.atomic
def case_complete(*, actor: Any, case: Case, result: str) -> Case:
    """Record the handling complete (查处完成). For a case received by transfer this is the
    receiver's completion of the transfer, which starts the feedback period (T4)."""
    _require_case_change(actor, case)
    _required(result, "result", _("请填写查处结果。"), "result_required")
    case = _lock_case(case)
    require_jurisdiction_holder(case, _("登记查处完成"))
    if case.origin_transfer_id:
        origin = _lock_transfer(case.origin_transfer)  # type: ignore[arg-type]
        if origin.status == TransferStatus.ACCEPTED:
            # Imported here: a transfer's acceptance creates a case (transfers -> cases).
            from .transfers import transfer_complete

            transfer_complete(actor=actor, transfer=origin, result=result)
            case.refresh_from_db()
            return case
    return case_transition(
        case=case,
        action="complete",
        actor=actor,
        fields={"handling_result": result, "handled_at": timezone.now()},
    )


@transaction.atomic
def case_close(*, actor: Any, case: Case, outcome: str, note: str = "") -> Case:
    """结案 with an outcome. T2: a case flagged as a suspected crime is never closed — with
    any outcome — while no criminal transfer is live, done or returned by the judicial
    side; T5: only the holder of a linked matter closes it."""
    _require_case_change(actor, case)
    if outcome not in CaseOutcome.values or outcome in SYSTEM_OUTCOMES:
        raise ApplicationError(
            _("请选择结案方式。"), code="outcome_invalid", fields={"outcome": [_("无效")]}
        )
    case = _lock_case(case)
    has_criminal = _has_live_transfer(case, TransferType.CRIMINAL)
    require_crime_answered(case)
    require_jurisdiction_holder(case, _("结案"))
    if outcome == CaseOutcome.CRIMINAL and not has_criminal:
        raise ApplicationError(
            _("尚无移送司法机关的记录。"),
            code="criminal_transfer_missing",
            fields={"outcome": [_("无移送记录")]},
        )
    if Transfer.objects.filter(
        case=case, transfer_type=TransferType.JURISDICTION, status=TransferStatus.SENT
    ).exists():
        raise ConflictError(_("移送管辖待对方受理，不能结案。"), code="transfer_pending")
    if case.origin_transfer_id:
        origin = _lock_transfer(case.origin_transfer)  # type: ignore[arg-type]
        if origin.status == TransferStatus.ACCEPTED:
            # Imported here: a transfer's acceptance creates a case (transfers -> cases).
            from .transfers import transfer_complete

            transfer_complete(
                actor=actor, transfer=origin, result=note or str(CaseOutcome(outcome).label)
            )
            case.refresh_from_db()
    now = timezone.now()
    case = case_transition(
        case=case,
        action="close",
        actor=actor,
        note=note,
        fields={"outcome": outcome, "close_note": note, "closed_at": now},
    )
    _cancel(case, actor, _("案件已结案"))
    overdue_refresh(case_ids=[case.pk])
    return case


@transaction.atomic
def case_withdraw(*, actor: Any, case: Case, reason: str) -> Case:
    """撤销 (nothing is deleted): a case registered in error, with the reason."""
    _require_case_change(actor, case)
    _required(reason, "reason", _("撤销须写明原因。"), "reason_required")
    case = _lock_case(case)
    # T2: withdrawing is a way of ending the case too; a suspected crime is answered first.
    require_crime_answered(case)
    if Transfer.objects.filter(case=case, status=TransferStatus.SENT).exists():
        raise ConflictError(_("有待受理的移送，请先撤回移送。"), code="transfer_pending")
    case = case_transition(
        case=case, action="withdraw", actor=actor, note=reason, fields={"withdraw_reason": reason}
    )
    _cancel(case, actor, reason)
    overdue_refresh(case_ids=[case.pk])
    return case


@transaction.atomic
def case_link_same_matter(*, actor: Any, case: Case, other: Case) -> Case:
    """Record that two cases concern the same matter (T5 first-discoverer applies).
    The caller must be able to see both: the office, or a unit owning both."""
    for c in (case, other):
        if not case_policy.can_view(actor, c):
            raise NotFoundError(_("案件未找到。"))
    if case.pk == other.pk:
        raise ApplicationError(_("不能与自身关联。"), code="link_self")
    key = case.matter_key or other.matter_key or uuid.uuid4()
    keys = {k for k in (case.matter_key, other.matter_key) if k}
    qs = Case.objects.filter(Q(pk__in=[case.pk, other.pk]) | Q(matter_key__in=keys))
    ids = list(qs.values_list("pk", flat=True))
    qs.update(matter_key=key)
    audit_record(
        actor=actor,
        action="case.link_same_matter",
        obj=case,
        after={"matter_key": str(key), "cases": ids},
    )
    case.refresh_from_db()
    return case
