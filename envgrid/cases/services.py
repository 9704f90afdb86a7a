"""Writes for cases, transfers and jurisdiction (SPEC T1–T6).

Every function takes keyword-only arguments, runs in one transaction, is audited (through
workflow.py or audit_record) and refuses a rule with an ApplicationError whose code is
stable. A refused call writes nothing: checks come before the first write, and anything
after them is undone with the transaction.

Other apps turn a finding into a case with `case_create` (see its docstring).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core import rules
from envgrid.core import workflow as kernel
from envgrid.core.audit import audit_record, snapshot
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.documents import document_number_next
from envgrid.core.errors import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
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
from envgrid.org.selectors import actor_for, office_units_of

from .coords import CoordSystem, normalize, to_wgs84
from .files import store_evidence_file
from .guards import (
    require_crime_answered,
    require_discovery_unfrozen,
    require_government_proposal,
    require_jurisdiction_holder,
    require_own_discovery,
)
from .models import (
    Case,
    CaseOutcome,
    CaseSource,
    CaseStatus,
    ClearanceStatus,
    CrimeFlagClearance,
    CriminalDecision,
    DisputeStatus,
    Evidence,
    JurisdictionDispute,
    Transfer,
    TransferEvidence,
    TransferRule,
    TransferStatus,
    TransferStep,
    TransferType,
)
from .policies import case_policy, dispute_policy, transfer_policy
from .workflow import (
    case_transition,
    clearance_refusal,
    dispute_transition,
    transfer_transition,
)

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


def place_resolve(lon: float | None, lat: float | None) -> tuple[Any, Unit | None]:
    """The lowest grid containing the place of the act and its owner: the proposed
    responsible unit (T5). (None, None) when the point is missing or outside every grid."""
    if lon is None or lat is None:
        return None, None
    from envgrid.grids.selectors import grid_resolve

    result = grid_resolve(lon, lat)
    if result.grid is None:
        return None, None
    return result.grid, result.grid.owner_unit


def outside_jurisdiction(case: Case) -> bool:
    """T1 applies to a grid unit that found a case outside its grids: neither the lowest
    grid containing the place nor any of its ancestors is owned by the case's unit.
    A unit owning a parent grid has jurisdiction over its subtree; a unit owning no grid
    (a functional department) has subject-matter, not territorial, jurisdiction, so the
    location alone does not oblige it to transfer."""
    from envgrid.grids.models import Grid

    grid = case.occurrence_grid
    if grid is None or case.proposed_unit_id == case.owner_unit_id:
        return False
    owned = Grid.objects.filter(owner_unit_id=case.owner_unit_id, is_active=True)
    if not owned.exists():
        return False
    chain = [int(x) for x in grid.path.strip("/").split("/") if x] or [grid.pk]
    return not owned.filter(pk__in=chain).exists()


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


def _require_case_change(actor: Any, case: Case) -> None:
    case_policy.require_change(actor, case, _("只有案件办理单位可以办理此事项。"))


def _require_not_final(case: Case) -> None:
    if case.status in FINAL_CASE:
        raise ConflictError(_("案件已结案或已撤销，不能再修改。"), code="case_final")


def _evidence_add(*, actor: Any, case: Case, upload: Any, description: str = "") -> Evidence:
    stored = store_evidence_file(upload)
    ev = Evidence.objects.create(
        case=case,
        file=stored.path,
        original_name=stored.original_name,
        ext=stored.ext,
        mime=stored.mime,
        size=stored.size,
        sha256=stored.sha256,
        description=description[:300],
        uploaded_at=timezone.now(),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action="case.evidence_add",
        obj=case,
        after={"evidence": snapshot(ev)},
    )
    return ev


@transaction.atomic
def evidence_add(*, actor: Any, case: Case, upload: Any, description: str = "") -> Evidence:
    """Attach one evidence file to a case (type from content, size limit, SHA-256 kept)."""
    _require_case_change(actor, case)
    case = _lock_case(case)
    _require_not_final(case)
    return _evidence_add(actor=actor, case=case, upload=upload, description=description)


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


def can_decide_crime_flag_clearance(actor: Any, case: Case) -> bool:
    """The office (or a leader) overseeing the case's unit decides, never the unit itself."""
    acting = actor_for(actor)
    if acting.is_admin:
        return True
    if case.owner_unit_id not in acting.overseen_unit_ids():
        return False
    return acting.is_leader or (acting.is_office and acting.unit_id != case.owner_unit_id)


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


# ---- transfers -------------------------------------------------------------------------


def _case_materials(case: Case) -> dict[str, Any]:
    """What goes with a transfer (T3): the case's facts and particulars as they are now."""
    return {
        "number": case.number,
        "title": case.title,
        "source": case.source,
        "source_label": str(CaseSource(case.source).label),
        "address": case.address,
        "lon": case.lon,
        "lat": case.lat,
        "occurrence_grid": str(case.occurrence_grid) if case.occurrence_grid_id else "",
        "proposed_unit": case.proposed_unit.name if case.proposed_unit else "",
        "discovered_at": case.discovered_at.isoformat(),
        "discovered_by_unit": case.discovered_by_unit.name,
        "discovered_by_unit_id": case.discovered_by_unit_id,
        "reported_at": case.reported_at.isoformat() if case.reported_at else None,
        "description": case.description,
        "entity_id": case.entity_id,
        "entity_name": case.responsible_entity,
        "entity_uscc": case.entity_uscc,
        "responsible_person": case.responsible_person,
        "facts": case.facts,
        "suspected_crime": case.suspected_crime,
        "detention_needed": case.detention_needed,
        "discipline_breach": case.discipline_breach,
        "handling_result": case.handling_result,
    }


def transfer_conditions(case: Case) -> list[tuple[str, str, bool]]:
    """T3, condition by condition: (field, what is required, met?). The transfer form shows
    this list with ✓/✗; `transfer_create` refuses while one is not met."""
    return [
        ("facts", _("违法事实清楚"), bool(case.facts.strip())),
        ("evidence", _("附有证据材料"), case.evidence.exists()),
        ("responsible_person", _("明确违法责任人"), bool(case.responsible_person.strip())),
        ("entity", _("明确违法主体"), bool(case.responsible_entity.strip())),
    ]


def _check_transfer_complete(case: Case) -> None:
    """T3: facts stated, evidence attached, responsible person and entity named."""
    texts = {
        "facts": _("违法事实未写明"),
        "evidence": _("未附证据材料"),
        "responsible_person": _("未明确违法责任人"),
        "entity": _("未明确违法主体"),
    }
    missing: dict[str, list[str]] = {
        key: [texts[key]] for key, _label, ok in transfer_conditions(case) if not ok
    }
    if missing:
        raise ApplicationError(
            _("移送案件须违法事实清楚、证据确凿，有明确的违法责任人和违法主体：%(m)s。")
            % {"m": "；".join(v[0] for v in missing.values())},
            code="transfer_incomplete",
            fields=missing,
        )


@transaction.atomic
def transfer_create(
    *,
    actor: Any,
    case: Case,
    transfer_type: str,
    receiver_unit: Unit,
    copy_to_unit: Unit | None = None,
    reason: str = "",
    proposal: str = "",
    feedback_required: bool = True,
    handler: Person | None = None,
) -> Transfer:
    """Register and send a transfer (T1–T3). Refused unless the case's facts, evidence,
    responsible person and responsible entity are there (T3); the receiver must be of the
    route's kind (T2); a criminal transfer is copied to the procuratorate. The materials
    and the evidence references are copied as they are now."""
    _require_case_change(actor, case)
    if transfer_type not in TransferType.values:
        raise ApplicationError(
            _("未知的移送类型。"),
            code="transfer_type_invalid",
            fields={"transfer_type": [_("无效")]},
        )
    case = _lock_case(case)
    _require_not_final(case)
    sender = case.owner_unit
    if receiver_unit.pk == sender.pk:
        raise ApplicationError(
            _("不能移送给本单位。"),
            code="transfer_to_self",
            fields={"receiver_unit": [_("不能是本单位")]},
        )
    if not receiver_unit.is_active:
        raise ApplicationError(
            _("接收单位已停用。"), code="receiver_inactive", fields={"receiver_unit": [_("已停用")]}
        )
    kinds = ROUTE_RECEIVER_KINDS[transfer_type]
    if kinds is not None and receiver_unit.kind not in kinds:
        raise ApplicationError(
            _("%(type)s的接收单位须为：%(kinds)s。")
            % {
                "type": TransferType(transfer_type).label,
                "kinds": "、".join(str(UnitKind(k).label) for k in sorted(kinds)),
            },
            code="receiver_kind_mismatch",
            fields={"receiver_unit": [_("单位类型不符")]},
        )
    if transfer_type == TransferType.CRIMINAL:
        if copy_to_unit is None or copy_to_unit.kind != UnitKind.PROCURATORATE:
            raise ApplicationError(
                _("移送涉嫌犯罪案件须抄送人民检察院。"),
                code="procuratorate_copy_required",
                fields={"copy_to_unit": [_("请选择检察机关")]},
            )
    if copy_to_unit is not None and copy_to_unit.pk in (sender.pk, receiver_unit.pk):
        raise ApplicationError(
            _("抄送单位不能是移送或接收单位。"),
            code="copy_to_invalid",
            fields={"copy_to_unit": [_("无效")]},
        )
    flag = ROUTE_FLAG.get(transfer_type)
    if flag and not getattr(case, flag):
        raise ApplicationError(
            _("请先在案件上标记“%(flag)s”。")
            % {"flag": getattr(Case._meta.get_field(flag), "verbose_name", flag)},
            code="flag_required",
            fields={flag: [_("未标记")]},
        )
    if (
        transfer_type == TransferType.CRIMINAL
        and case.criminal_decision == CriminalDecision.NO_TRANSFER
    ):
        raise ConflictError(_("已决定不予移送司法机关。"), code="criminal_decision_no_transfer")
    if transfer_type == TransferType.GOVERNMENT_PROPOSAL and case.status not in (
        CaseStatus.INVESTIGATING,
        CaseStatus.HANDLED,
    ):
        raise ApplicationError(
            _("报请人民政府责令停产整顿、停业、关闭的案件，须由网格单位先立案调查。"),
            code="investigation_required",
            fields={"transfer_type": [_("请先立案调查")]},
        )
    if transfer_type == TransferType.GOVERNMENT_PROPOSAL:
        require_government_proposal(case, receiver_unit, proposal)
    if transfer_type == TransferType.JURISDICTION and case.status not in (
        CaseStatus.REGISTERED,
        CaseStatus.INVESTIGATING,
    ):
        raise ConflictError(
            _("该案件已移送管辖或已查处完成，不能再移送管辖。"),
            code="jurisdiction_transfer_not_allowed",
        )
    if Transfer.objects.filter(
        case=case,
        transfer_type=transfer_type,
        receiver_unit=receiver_unit,
        status__in=[TransferStatus.SENT, TransferStatus.ACCEPTED, TransferStatus.HANDLED],
    ).exists():
        raise ConflictError(_("已向该单位移送此案，尚未办结。"), code="duplicate_transfer")
    _check_transfer_complete(case)
    acting_person = _person(actor)
    handler = handler or (
        acting_person if acting_person and acting_person.unit_id == sender.pk else None
    )
    if handler is not None and handler.unit_id != sender.pk:
        raise ApplicationError(
            _("经办人须为移送单位人员。"),
            code="handler_invalid",
            fields={"handler": [_("不属于移送单位")]},
        )
    now = timezone.now()
    year = timezone.localtime(now).year
    number = document_number_next(
        kind="transfer",
        issuer_key=str(sender.pk),
        year=year,
        fmt=transfer_number_format(),
        prefix=sender.doc_prefix or sender.short_name or sender.name,
        code=sender.code,
    )
    materials = _case_materials(case)
    evidence = list(case.evidence.all())
    materials["evidence"] = [
        {"name": e.original_name, "sha256": e.sha256, "size": e.size, "ext": e.ext}
        for e in evidence
    ]
    transfer = Transfer(
        number=number,
        year=year,
        transfer_type=transfer_type,
        case=case,
        sender_unit=sender,
        sender_handler=handler,
        receiver_unit=receiver_unit,
        copy_to_unit=copy_to_unit,
        sent_at=now,
        reason=reason,
        proposal=proposal,
        feedback_required=feedback_required,
        facts=case.facts,
        responsible_person=case.responsible_person,
        entity_name=case.responsible_entity,
        case_snapshot=materials,
    )
    transfer_transition(transfer=transfer, action="send", actor=actor, note=reason)
    TransferEvidence.objects.bulk_create(
        [
            TransferEvidence(
                transfer=transfer,
                source_evidence=e,
                file=e.file.name,
                original_name=e.original_name,
                ext=e.ext,
                mime=e.mime,
                size=e.size,
                sha256=e.sha256,
                description=e.description,
            )
            for e in evidence
        ]
    )
    if transfer_type == TransferType.JURISDICTION:
        case_transition(case=case, action="transfer_out", actor=actor, note=number)
    # What the sender owed is discharged by sending (late if past due).
    _complete(case, TransferStep.MAKE, transfer_type, actor)
    if transfer_type == TransferType.CRIMINAL:
        _complete(case, TransferStep.HANDOVER, transfer_type, actor)
        if not case.criminal_decision:
            # Sending is the decision to transfer (行政执法机关移送涉嫌犯罪案件的规定).
            before = snapshot(case)
            case.criminal_decision = CriminalDecision.TRANSFER
            case.criminal_decided_at = now
            case.save(update_fields=["criminal_decision", "criminal_decided_at", "updated_at"])
            audit_record(
                actor=actor,
                action="case.criminal_decide",
                obj=case,
                before=before,
                after=snapshot(case),
            )
    _open(
        step=TransferStep.DECIDE,
        transfer_type=transfer_type,
        unit=receiver_unit,
        subject=transfer,
        title=_("受理或退回移送案件 %(n)s（%(from)s）") % {"n": number, "from": sender.name},
        start_at=now,
        person=None,
        actor=actor,
    )
    link = transfer.get_absolute_url()
    _notify_unit(
        receiver_unit.pk,
        _("收到移送案件 %(n)s") % {"n": number},
        _("%(from)s 移送：%(title)s") % {"from": sender.name, "title": case.title},
        link,
    )
    if copy_to_unit is not None:
        _notify_unit(
            copy_to_unit.pk,
            _("抄送：移送案件 %(n)s") % {"n": number},
            _("%(from)s 向 %(to)s 移送涉嫌犯罪案件：%(title)s")
            % {"from": sender.name, "to": receiver_unit.name, "title": case.title},
            link,
        )
    overdue_refresh(case_ids=[case.pk], transfer_ids=[transfer.pk])
    return transfer


def _require_pending(transfer: Transfer, verb: str) -> None:
    if transfer.status != TransferStatus.SENT:
        raise ConflictError(
            _("该移送%(state)s，不能%(verb)s。")
            % {"state": TransferStatus(transfer.status).label, "verb": verb},
            code="transfer_not_pending",
            fields={"status": [transfer.status]},
        )


def _require_receiver(actor: Any, transfer: Transfer) -> None:
    if not transfer_policy.can_view(actor, transfer):
        raise NotFoundError(_("移送记录未找到。"))
    if not transfer_policy.can_receive(actor, transfer):
        raise PermissionDeniedError(_("只有接收单位可以办理此事项。"))


def _require_sender(actor: Any, transfer: Transfer) -> None:
    if not transfer_policy.can_view(actor, transfer):
        raise NotFoundError(_("移送记录未找到。"))
    if not transfer_policy.can_send(actor, transfer):
        raise PermissionDeniedError(_("只有移送单位可以办理此事项。"))


def _receiving_person(actor: Any, transfer: Transfer) -> Person | None:
    p = _person(actor)
    return p if p is not None and p.unit_id == transfer.receiver_unit_id else None


@transaction.atomic
def transfer_accept(*, actor: Any, transfer: Transfer, note: str = "") -> Transfer:
    """The receiver accepts (T4): it becomes responsible and gets its own case, opened for
    investigation, with the materials as sent. A jurisdiction transfer closes the
    sender's case as transferred."""
    _require_receiver(actor, transfer)
    transfer = _lock_transfer(transfer)
    _require_pending(transfer, _("受理"))
    now = timezone.now()
    person = _receiving_person(actor, transfer)
    transfer_transition(
        transfer=transfer,
        action="accept",
        actor=actor,
        note=note,
        fields={"accepted_at": now, "receiver_handler": person},
    )
    snap = transfer.case_snapshot
    source_case = transfer.case
    is_jurisdiction = transfer.transfer_type == TransferType.JURISDICTION
    received = case_create(
        actor=actor,
        owner_unit=transfer.receiver_unit,
        title=snap.get("title") or source_case.title,
        source=CaseSource.TRANSFER_RECEIVED,
        discovered_at=source_case.discovered_at,
        discovered_by_unit=source_case.discovered_by_unit,
        reported_at=source_case.reported_at,
        lon=snap.get("lon"),
        lat=snap.get("lat"),
        input_crs=CoordSystem.WGS84,  # carried as sent, already WGS84
        address=snap.get("address", ""),
        description=snap.get("description", ""),
        entity=source_case.entity if snap.get("entity_id") else None,
        entity_name=transfer.entity_name,
        entity_uscc=snap.get("entity_uscc", ""),
        responsible_person=transfer.responsible_person,
        facts=transfer.facts,
        # Only a jurisdiction transfer hands over the whole case, flags included; the
        # police, discipline organs, judicial organs and government act on their own law.
        suspected_crime=is_jurisdiction and bool(snap.get("suspected_crime")),
        detention_needed=is_jurisdiction and bool(snap.get("detention_needed")),
        discipline_breach=is_jurisdiction and bool(snap.get("discipline_breach")),
        handler=person,
        # The same discovery, not a second one: it joins a matter only if there is one.
        same_matter_as=source_case if source_case.matter_key else None,
        _origin_transfer=transfer,
    )
    copies = Evidence.objects.bulk_create(
        [
            Evidence(
                case=received,
                file=te.file.name,
                original_name=te.original_name,
                ext=te.ext,
                mime=te.mime,
                size=te.size,
                sha256=te.sha256,
                description=te.description,
                uploaded_at=now,
            )
            for te in transfer.evidence.all()
        ]
    )
    audit_record(
        actor=actor,
        action="case.evidence_copy",
        obj=received,
        after={"transfer": transfer.number, "sha256": [e.sha256 for e in copies]},
    )
    if is_jurisdiction:
        for flag in FLAG_ROUTES:
            if snap.get(flag):
                _flag_obligation_open(case=received, flag=flag, actor=actor, at=now)
        src = _lock_case(source_case)
        case_transition(
            case=src,
            action="transfer_accepted",
            actor=actor,
            note=transfer.number,
            fields={"outcome": CaseOutcome.TRANSFERRED, "closed_at": now},
        )
        _cancel(src, actor, _("移送已被受理"))
    _complete(transfer, TransferStep.DECIDE, transfer.transfer_type, actor)
    _open(
        step=TransferStep.HANDLE,
        transfer_type=transfer.transfer_type,
        unit=transfer.receiver_unit,
        subject=transfer,
        title=_("查处移送案件 %(n)s") % {"n": transfer.number},
        start_at=now,
        person=person,
        actor=actor,
    )
    _notify_unit(
        transfer.sender_unit_id,
        _("移送案件 %(n)s 已被受理") % {"n": transfer.number},
        _("%(to)s 已受理。") % {"to": transfer.receiver_unit.name},
        transfer.get_absolute_url(),
    )
    overdue_refresh(case_ids=[source_case.pk, received.pk], transfer_ids=[transfer.pk])
    transfer.refresh_from_db()
    return transfer


def _after_not_accepted(*, actor: Any, transfer: Transfer, at: dt.datetime, why: str) -> None:
    """A returned or withdrawn transfer gives the case back; a jurisdiction transfer's
    duty (T1) stands again, so the sender may transfer elsewhere. A criminal transfer
    returned by the judicial side (or withdrawn) reopens the duty to transfer with a new
    deadline while the flag stands (T2): a flag never stands with no live deadline."""
    if transfer.transfer_type == TransferType.CRIMINAL:
        _criminal_duty_reopen(case=_lock_case(transfer.case), actor=actor, at=at)
        return
    if transfer.transfer_type != TransferType.JURISDICTION:
        return
    case = _lock_case(transfer.case)
    if case.status == CaseStatus.TRANSFERRED:
        case_transition(case=case, action="transfer_back", actor=actor, note=why)
    if outside_jurisdiction(case):
        _open_t1(case=case, actor=actor, at=at)


@transaction.atomic
def transfer_return(*, actor: Any, transfer: Transfer, explanation: str) -> Transfer:
    """The receiver returns a case it is not responsible for, with a written explanation
    (T4); the case goes back to the sender, who may transfer it again elsewhere."""
    _require_receiver(actor, transfer)
    _required(explanation, "explanation", _("退回须书面说明理由。"), "explanation_required")
    transfer = _lock_transfer(transfer)
    _require_pending(transfer, _("退回"))
    now = timezone.now()
    transfer_transition(
        transfer=transfer,
        action="return",
        actor=actor,
        note=explanation,
        fields={
            "returned_at": now,
            "return_explanation": explanation,
            "receiver_handler": _receiving_person(actor, transfer),
        },
    )
    _complete(transfer, TransferStep.DECIDE, transfer.transfer_type, actor)
    _after_not_accepted(actor=actor, transfer=transfer, at=now, why=explanation)
    _notify_unit(
        transfer.sender_unit_id,
        _("移送案件 %(n)s 被退回") % {"n": transfer.number},
        explanation,
        transfer.get_absolute_url(),
    )
    overdue_refresh(case_ids=[transfer.case_id], transfer_ids=[transfer.pk])
    return transfer


@transaction.atomic
def transfer_withdraw(*, actor: Any, transfer: Transfer, reason: str) -> Transfer:
    """The sender withdraws a transfer not yet accepted or returned, with the reason."""
    _require_sender(actor, transfer)
    _required(reason, "reason", _("撤回须写明原因。"), "reason_required")
    transfer = _lock_transfer(transfer)
    _require_pending(transfer, _("撤回"))
    now = timezone.now()
    transfer_transition(
        transfer=transfer,
        action="withdraw",
        actor=actor,
        note=reason,
        fields={"withdrawn_at": now, "withdraw_reason": reason},
    )
    _cancel(transfer, actor, reason)
    _after_not_accepted(actor=actor, transfer=transfer, at=now, why=reason)
    _notify_unit(
        transfer.receiver_unit_id,
        _("移送案件 %(n)s 已撤回") % {"n": transfer.number},
        reason,
        transfer.get_absolute_url(),
    )
    overdue_refresh(case_ids=[transfer.case_id], transfer_ids=[transfer.pk])
    return transfer


@transaction.atomic
def transfer_complete(*, actor: Any, transfer: Transfer, result: str) -> Transfer:
    """The receiver records the handling complete; unless the sender asked for none, the
    feedback falls due 15 working days later (T4, a TransferRule)."""
    _require_receiver(actor, transfer)
    _required(result, "result", _("请填写查处结果。"), "result_required")
    transfer = _lock_transfer(transfer)
    if transfer.status != TransferStatus.ACCEPTED:
        raise ConflictError(
            _("该移送%(state)s，不能登记查处完成。")
            % {"state": TransferStatus(transfer.status).label},
            code="transfer_not_accepted",
        )
    now = timezone.now()
    person = transfer.receiver_handler or _receiving_person(actor, transfer)
    transfer_transition(
        transfer=transfer,
        action="complete",
        actor=actor,
        note=result,
        fields={"handled_at": now, "handling_result": result},
    )
    received = Case.objects.filter(origin_transfer=transfer).first()
    if received is not None:
        received = _lock_case(received)
        if received.status == CaseStatus.INVESTIGATING:
            case_transition(
                case=received,
                action="complete",
                actor=actor,
                fields={"handling_result": result, "handled_at": now},
            )
    _complete(transfer, TransferStep.HANDLE, transfer.transfer_type, actor)
    if transfer.feedback_required:
        _open(
            step=TransferStep.FEEDBACK,
            transfer_type=transfer.transfer_type,
            unit=transfer.receiver_unit,
            subject=transfer,
            title=_("向 %(to)s 反馈移送案件 %(n)s 的查处结果")
            % {"to": transfer.sender_unit.name, "n": transfer.number},
            start_at=now,
            person=person,
            actor=actor,
        )
    overdue_refresh(transfer_ids=[transfer.pk])
    return transfer


@transaction.atomic
def transfer_feedback(*, actor: Any, transfer: Transfer, text: str) -> Transfer:
    """The receiver feeds the result back to the sender (T4)."""
    _require_receiver(actor, transfer)
    _required(text, "text", _("请填写反馈内容。"), "feedback_required")
    transfer = _lock_transfer(transfer)
    if transfer.status != TransferStatus.HANDLED:
        raise ConflictError(
            _("该移送%(state)s，不能反馈。") % {"state": TransferStatus(transfer.status).label},
            code="transfer_not_handled",
        )
    transfer_transition(
        transfer=transfer,
        action="feedback",
        actor=actor,
        note=text,
        fields={"fed_back_at": timezone.now(), "feedback_text": text},
    )
    _complete(transfer, TransferStep.FEEDBACK, transfer.transfer_type, actor)
    _notify_unit(
        transfer.sender_unit_id,
        _("移送案件 %(n)s 查处结果反馈") % {"n": transfer.number},
        text,
        transfer.get_absolute_url(),
    )
    overdue_refresh(transfer_ids=[transfer.pk])
    return transfer


# ---- jurisdiction disputes (T5) -------------------------------------------------------


def _party_grid(unit: Unit, place_chains: list[list[Any]]) -> Any:
    """The grid that stands for a party: one it owns on the chain of the disputed place
    (lowest first), else the top-most grid it owns."""
    from envgrid.grids.models import Grid

    for chain in place_chains:
        for g in reversed(chain):
            if g.owner_unit_id == unit.pk:
                return g
    return Grid.objects.filter(owner_unit=unit, is_active=True).order_by("level", "path").first()


def dispute_designator(parties: Sequence[Unit], cases: Sequence[Case]) -> tuple[Any, Unit | None]:
    """The lowest common parent grid of the parties' grids and its owner unit (T5).
    A common grid that is itself a party's grid is not "above" that party: go one up."""
    from envgrid.grids.models import Grid
    from envgrid.grids.selectors import lowest_common_ancestor

    chains = []
    for c in cases:
        if c.occurrence_grid is not None:
            ids = [int(x) for x in c.occurrence_grid.path.strip("/").split("/") if x]
            by_id = Grid.objects.in_bulk(ids)
            chains.append([by_id[i] for i in ids if i in by_id])
    grids = [_party_grid(u, chains) for u in parties]
    if any(g is None for g in grids) or not grids:
        return None, None
    common = grids[0]
    for g in grids[1:]:
        common = lowest_common_ancestor(common, g)
        if common is None:
            return None, None
    party_ids = {u.pk for u in parties}
    while common is not None and common.owner_unit_id in party_ids:
        common = common.parent
    if common is None:
        return None, None
    return common, common.owner_unit


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
    from .selectors import jurisdiction_first

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
