"""Writes of a transfer (SPEC T2–T4): sending, with the route table checked by
`transfer_route_check`, then acceptance, return, withdrawal, completion and feedback."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.documents import document_number_next
from envgrid.core.errors import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from envgrid.org.models import Person, Unit, UnitKind

from ..coords import CoordSystem
from ..guards import (
    require_government_proposal,
)
from ..models import (
    Case,
    CaseOutcome,
    CaseSource,
    CaseStatus,
    CriminalDecision,
    Evidence,
    Transfer,
    TransferEvidence,
    TransferStatus,
    TransferStep,
    TransferType,
)
from ..policies import transfer_policy
from ..selectors import _case_materials, outside_jurisdiction, transfer_conditions
from ..workflow import (
    case_transition,
    transfer_transition,
)
from ._common import (
    FLAG_ROUTES,
    ROUTE_FLAG,
    ROUTE_RECEIVER_KINDS,
    _cancel,
    _complete,
    _lock_case,
    _lock_transfer,
    _notify_unit,
    _open,
    _person,
    _require_case_change,
    _require_not_final,
    _required,
    overdue_refresh,
    transfer_number_format,
)
from .cases import _criminal_duty_reopen, _flag_obligation_open, _open_t1, case_create


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


def transfer_route_check(
    *,
    case: Case,
    transfer_type: str,
    receiver_unit: Unit,
    copy_to_unit: Unit | None,
    proposal: str,
) -> None:
    """The route table, checked in one place (T2): who may receive which transfer type
    (ROUTE_RECEIVER_KINDS), the case flag a route needs (ROUTE_FLAG), the procuratorate copy
    of a criminal transfer, the case status a route needs, and no second live transfer to
    the same receiver. The first rule broken refuses, in this order."""
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


def _transfer_handler(actor: Any, sender: Unit, handler: Person | None) -> Person | None:
    """The sender's handler: the one named, else the acting person when of the sender."""
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
    return handler


def _transfer_build(
    *,
    case: Case,
    transfer_type: str,
    sender: Unit,
    handler: Person | None,
    receiver_unit: Unit,
    copy_to_unit: Unit | None,
    reason: str,
    proposal: str,
    feedback_required: bool,
    now: dt.datetime,
) -> tuple[Transfer, list[Any]]:
    """The unsaved transfer with its number and the case's materials as they are now (T3),
    and the evidence to copy."""
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
    return transfer, evidence


def _transfer_copy_evidence(transfer: Transfer, evidence: list[Any]) -> None:
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


def _transfer_discharge_sender(
    *, case: Case, transfer_type: str, actor: Any, now: dt.datetime
) -> None:
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


def _transfer_announce(*, transfer: Transfer, actor: Any, now: dt.datetime) -> None:
    """The receiver's duty to decide, and the notices to the receiver and the copied unit."""
    number = transfer.number
    transfer_type = transfer.transfer_type
    receiver_unit = transfer.receiver_unit
    copy_to_unit = transfer.copy_to_unit
    sender = transfer.sender_unit
    case = transfer.case
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
    transfer_route_check(
        case=case,
        transfer_type=transfer_type,
        receiver_unit=receiver_unit,
        copy_to_unit=copy_to_unit,
        proposal=proposal,
    )
    _check_transfer_complete(case)
    handler = _transfer_handler(actor, sender, handler)
    now = timezone.now()
    transfer, evidence = _transfer_build(
        case=case,
        transfer_type=transfer_type,
        sender=sender,
        handler=handler,
        receiver_unit=receiver_unit,
        copy_to_unit=copy_to_unit,
        reason=reason,
        proposal=proposal,
        feedback_required=feedback_required,
        now=now,
    )
    transfer_transition(transfer=transfer, action="send", actor=actor, note=reason)
    _transfer_copy_evidence(transfer, evidence)
    if transfer_type == TransferType.JURISDICTION:
        case_transition(case=case, action="transfer_out", actor=actor, note=transfer.number)
    _transfer_discharge_sender(case=case, transfer_type=transfer_type, actor=actor, now=now)
    _transfer_announce(transfer=transfer, actor=actor, now=now)
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
