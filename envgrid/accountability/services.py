"""Writes of accountability (T6): record consequences, propose, decide, refer, withdraw.

Each is atomic, checks the actor's policy first, refuses bad input with a stable code
and writes an audit row (the proposal's steps also a history row, see workflow.py).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.cases.models import CaseSource, Transfer, TransferType
from envgrid.cases.services import case_create, transfer_create
from envgrid.core.audit import audit_record, snapshot
from envgrid.core.documents import document_number_next
from envgrid.core.errors import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from envgrid.core.notifications import notify
from envgrid.obligations.models import Obligation
from envgrid.obligations.policies import obligation_policy
from envgrid.obligations.services import users_of_unit
from envgrid.org.models import LeadingGroup, Person, Unit
from envgrid.org.selectors import Actor, actor_for

from .models import (
    AccountabilityDecision,
    AccountabilityProposal,
    ConsequenceFinding,
    ConsequenceLevel,
    ProposalStatus,
)
from .policies import finding_policy, proposal_policy
from .rules import rule
from .workflow import proposal_refusal, proposal_transition

LIVE_PROPOSAL = (ProposalStatus.PROPOSED, ProposalStatus.DECIDED, ProposalStatus.REFERRED)


def delay_days(ob: Obligation, now: dt.datetime | None = None) -> int:
    """Whole days (rounded up) an item was or is late: completion (or now) past due."""
    end = ob.completed_at or now or timezone.now()
    if end <= ob.due_at:
        return 0
    return math.ceil((end - ob.due_at).total_seconds() / 86400)


def _group_units(group: LeadingGroup) -> set[int]:
    return Actor(user=None, office_group_ids={group.pk, *_descendants(group)}).overseen_unit_ids()


def _descendants(group: LeadingGroup) -> set[int]:
    found: set[int] = set()
    frontier = {group.pk}
    while frontier:
        frontier = (
            set(LeadingGroup.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
            - found
        )
        found |= frontier
    return found


def _group_for(actor: Any, unit_id: int) -> LeadingGroup:
    """The leading group whose office records about `unit_id`: the acting office's own
    group (the nearest one holding the unit); for an administrator, the lowest group
    the unit belongs to."""
    acting = actor_for(actor)
    if acting.is_admin:
        groups = list(
            LeadingGroup.objects.filter(member_units=unit_id).order_by("-parent_id", "pk")
        ) or list(LeadingGroup.objects.filter(office_unit_id=unit_id))
    else:
        groups = list(LeadingGroup.objects.filter(office_unit_id=acting.unit_id).order_by("pk"))
    for group in groups:
        if unit_id in _group_units(group):
            return group
    raise PermissionDeniedError(
        _("该单位不在本领导小组办公室的职责范围内。"), code="unit_outside_group"
    )


def _prefix(group: LeadingGroup) -> str:
    return group.doc_prefix or group.office_unit.short_name or group.office_unit.code


def _number(kind: str, group: LeadingGroup, fmt_name: str, at: dt.datetime) -> str:
    year = timezone.localtime(at).year
    return document_number_next(
        kind=kind, issuer_key=str(group.pk), year=year, fmt=rule(fmt_name), prefix=_prefix(group)
    )


def _required_text(value: str, field: str, message: str, code: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(message, code=code, fields={field: [_("必填")]})
    return value


# --------------------------------------------------------------------------- findings


@transaction.atomic
def finding_record(
    *, actor: Any, obligation: Obligation, level: str, facts: str, evidence: str = ""
) -> ConsequenceFinding:
    """T6: the office records what a late item caused (none / ordinary / serious)."""
    if not obligation_policy.can_view(actor, obligation):
        raise NotFoundError(_("事项未找到"))
    if not finding_policy.can_record(actor, obligation.unit_id):
        raise PermissionDeniedError(
            _("后果认定由监督该单位的领导小组办公室作出。"), code="office_required"
        )
    if level not in ConsequenceLevel.values:
        raise ApplicationError(
            _("请选择后果程度。"), code="level_invalid", fields={"level": [_("无效")]}
        )
    facts = _required_text(facts, "facts", _("请写明事实。"), "facts_required")
    evidence = (evidence or "").strip()
    if level != ConsequenceLevel.NONE and not evidence:
        raise ApplicationError(
            _("认定造成后果的，须列明证据。"),
            code="evidence_required",
            fields={"evidence": [_("必填")]},
        )
    ob = Obligation.objects.select_for_update().get(pk=obligation.pk)
    if not ob.is_late:
        raise ConflictError(_("只能对逾期事项（逾期登记中的事项）认定后果。"), code="not_overdue")
    if ConsequenceFinding.objects.filter(obligation=ob).exists():
        raise ConflictError(_("该逾期事项已作出后果认定。"), code="finding_exists")
    group = _group_for(actor, ob.unit_id)
    now = timezone.now()
    finding = ConsequenceFinding.objects.create(
        number=_number("accountability.finding", group, "FINDING_NUMBER_FORMAT", now),
        obligation=ob,
        leading_group=group,
        unit_id=ob.unit_id,
        level=level,
        facts=facts,
        evidence=evidence,
        delay_days=delay_days(ob, now),
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        recorded_at=now,
    )
    audit_record(
        actor=actor,
        action="accountability.finding_record",
        obj=finding,
        after=snapshot(finding),
    )
    notify(
        users=users_of_unit(ob.unit_id),
        subject=_("逾期事项后果认定：%(title)s") % {"title": ob.title},
        body=_("%(n)s：%(level)s。") % {"n": finding.number, "level": finding.get_level_display()},
        link=finding.get_absolute_url(),
    )
    return finding


# --------------------------------------------------------------------------- proposals


def _item(finding: ConsequenceFinding, now: dt.datetime) -> dict[str, Any]:
    ob = finding.obligation
    return {
        "finding": finding.number,
        "obligation_id": ob.pk,
        "title": ob.title,
        "kind": ob.kind,
        "unit": ob.unit.name,
        "person": ob.person.name if ob.person else "",
        "start_event": ob.start_event,
        "rule": ob.rule.describe(),
        "due_at": ob.due_at.isoformat(),
        "completed_at": ob.completed_at.isoformat() if ob.completed_at else None,
        "status": ob.status,
        "delay_days": delay_days(ob, now),
        "level": finding.level,
    }


@transaction.atomic
def proposal_open(
    *,
    actor: Any,
    findings: Sequence[ConsequenceFinding],
    facts: str,
    units: Sequence[Unit] | None = None,
    persons: Sequence[Person] | None = None,
) -> AccountabilityProposal:
    """T6: the office proposes accountability for serious consequences. Units and persons
    default to those the records name (the owing units and their responsible persons)."""
    if not findings:
        raise ApplicationError(
            _("请选择造成严重后果的逾期事项。"),
            code="findings_required",
            fields={"findings": [_("必填")]},
        )
    ids = sorted({f.pk for f in findings})
    found = list(
        finding_policy.scope(actor)
        .filter(pk__in=ids)
        .select_related("obligation__unit", "obligation__person", "leading_group__office_unit")
        .select_for_update(of=("self",))
    )
    if len(found) != len(ids):
        raise NotFoundError(_("后果认定未找到"))
    if any(f.level != ConsequenceLevel.SERIOUS for f in found):
        raise ApplicationError(
            _("只有造成严重后果的逾期事项才能提出问责建议。"),
            code="finding_not_serious",
            fields={"findings": [_("须为严重后果")]},
        )
    groups = {f.leading_group_id for f in found}
    if len(groups) != 1:
        raise ApplicationError(
            _("一份问责建议只能包含同一领导小组认定的事项。"),
            code="findings_mixed_groups",
            fields={"findings": [_("领导小组不一致")]},
        )
    group = found[0].leading_group
    acting = actor_for(actor)
    if not (acting.is_admin or group.pk in acting.office_group_ids):
        raise PermissionDeniedError(_("问责建议由领导小组办公室提出。"), code="office_required")
    busy = ConsequenceFinding.objects.filter(
        pk__in=ids, proposals__status__in=LIVE_PROPOSAL
    ).values_list("number", flat=True)
    if busy:
        raise ConflictError(
            _("以下认定已在问责建议中：%(n)s。") % {"n": "、".join(busy)},
            code="finding_in_proposal",
        )
    facts = _required_text(facts, "facts", _("请写明问责事实。"), "facts_required")
    unit_list = list(units) if units else list({f.unit_id: f.unit for f in found}.values())
    if persons:
        person_list = list(persons)
    else:
        person_list = list(
            {
                f.obligation.person_id: f.obligation.person for f in found if f.obligation.person
            }.values()
        )
    if not unit_list:
        raise ApplicationError(
            _("请指明责任单位。"), code="units_required", fields={"units": [_("必填")]}
        )
    if not person_list:
        raise ApplicationError(
            _("记录中没有责任人，请指明责任人员。"),
            code="persons_required",
            fields={"persons": [_("必填")]},
        )
    in_group = _group_units(group)
    outside = [u.name for u in unit_list if u.pk not in in_group]
    if outside:
        raise ApplicationError(
            _("责任单位不在本领导小组范围内：%(u)s。") % {"u": "、".join(outside)},
            code="unit_outside_group",
            fields={"units": [_("范围外")]},
        )
    unit_ids = {u.pk for u in unit_list}
    strangers = [p.name for p in person_list if p.unit_id not in unit_ids]
    if strangers:
        raise ApplicationError(
            _("责任人员须属于所列责任单位：%(p)s。") % {"p": "、".join(strangers)},
            code="person_not_in_units",
            fields={"persons": [_("不属于责任单位")]},
        )
    now = timezone.now()
    proposal = AccountabilityProposal(
        number=_number("accountability.proposal", group, "PROPOSAL_NUMBER_FORMAT", now),
        leading_group=group,
        facts=facts,
        items=[_item(f, now) for f in sorted(found, key=lambda f: f.pk)],
        proposed_by=actor if getattr(actor, "is_authenticated", False) else None,
        proposed_at=now,
    )
    proposal = proposal_transition(proposal=proposal, action="propose", actor=actor, note=facts)
    proposal.findings.set(found)
    proposal.units.set(unit_list)
    proposal.persons.set(person_list)
    audit_record(
        actor=actor,
        action="accountability.proposal_name",
        obj=proposal,
        after={
            "findings": ids,
            "units": sorted(unit_ids),
            "persons": sorted(p.pk for p in person_list),
        },
    )
    leaders = [group.leader, *group.deputies.all()]
    notify(
        users=[p.user for p in leaders if p.user_id],
        subject=_("请领导小组决定问责建议 %(n)s") % {"n": proposal.number},
        body=facts[:500],
        link=proposal.get_absolute_url(),
    )
    return proposal


def _get_for_change(actor: Any, proposal: AccountabilityProposal) -> AccountabilityProposal:
    return proposal_policy.get_visible(
        actor,
        proposal.pk,
        AccountabilityProposal.objects.select_related("leading_group__office_unit"),
    )


@transaction.atomic
def proposal_decide(
    *, actor: Any, proposal: AccountabilityProposal, decision: str, reason: str
) -> AccountabilityProposal:
    """T6: the leading group (its leader or a deputy) decides. A referral to discipline
    inspection registers a case, flagged for the discipline route, with the proposal as
    its material; the office then transfers it (`proposal_refer`) within the route's
    time limit, which the case's obligation holds."""
    proposal = _get_for_change(actor, proposal)
    if not proposal_policy.can_decide(actor, proposal):
        raise PermissionDeniedError(
            _("问责决定由领导小组组长或副组长作出。"), code="leader_required"
        )
    if decision not in AccountabilityDecision.values:
        raise ApplicationError(
            _("请选择处理决定。"), code="decision_invalid", fields={"decision": [_("无效")]}
        )
    reason = _required_text(reason, "reason", _("请写明决定理由。"), "reason_required")
    now = timezone.now()
    acting = actor_for(actor)
    group = proposal.leading_group
    proposal = proposal_transition(
        proposal=proposal,
        action="decide",
        actor=actor,
        note=reason,
        changes={
            "decision": decision,
            "decision_reason": reason,
            "decision_number": _number(
                "accountability.decision", group, "DECISION_NUMBER_FORMAT", now
            ),
            "decided_by": acting.person,
            "decided_at": now,
        },
    )
    if decision == AccountabilityDecision.REFERRAL:
        _referral_case(actor=actor, proposal=proposal, at=now)
    link = proposal.get_absolute_url()
    targets = {group.office_unit_id, *proposal.units.values_list("id", flat=True)}
    for unit_id in targets:
        notify(
            users=users_of_unit(unit_id),
            subject=_("问责决定 %(n)s：%(d)s")
            % {"n": proposal.decision_number, "d": proposal.get_decision_display()},
            body=reason[:500],
            link=link,
        )
    return proposal


def _referral_case(*, actor: Any, proposal: AccountabilityProposal, at: dt.datetime) -> None:
    from .documents import proposal_document

    buf = io.BytesIO()
    proposal_document(proposal).save(buf)
    units = "、".join(proposal.units.values_list("name", flat=True))
    persons = "、".join(
        f"{p.name}（{p.unit.name}）" for p in proposal.persons.select_related("unit")
    )
    case = case_create(
        actor=actor,
        title=_("问责移送：%(n)s") % {"n": proposal.number},
        source=CaseSource.OTHER,
        owner_unit=proposal.leading_group.office_unit,
        discovered_at=at,
        description=_("领导小组问责决定 %(d)s：移送纪检监察机关。")
        % {"d": proposal.decision_number},
        entity_name=units,
        responsible_person=persons,
        facts=proposal.facts,
        discipline_breach=True,
        evidence_files=[ContentFile(buf.getvalue(), name=f"{proposal.number}.docx")],
    )
    AccountabilityProposal.objects.filter(pk=proposal.pk).update(referral_case=case)
    proposal.referral_case = case
    audit_record(
        actor=actor,
        action="accountability.referral_case",
        obj=proposal,
        after={"referral_case": case.pk, "case_number": case.number},
    )


@transaction.atomic
def proposal_refer(
    *,
    actor: Any,
    proposal: AccountabilityProposal,
    receiver_unit: Unit,
    handler: Person | None = None,
) -> Transfer:
    """T2(c)/T6: the office transfers a referral decided by the group to the discipline
    inspection and supervision organ, with the proposal and the records as materials."""
    proposal = _get_for_change(actor, proposal)
    if not proposal_policy.is_office(actor, proposal):
        raise PermissionDeniedError(_("移送由领导小组办公室办理。"), code="office_required")
    if proposal.decision != AccountabilityDecision.REFERRAL or proposal.referral_case_id is None:
        raise ConflictError(_("领导小组未决定移送纪检监察机关。"), code="referral_not_decided")
    refused = proposal_refusal(proposal, "refer")
    if refused is not None:  # refused before the transfer is made
        raise refused
    transfer = transfer_create(
        actor=actor,
        case=proposal.referral_case,  # type: ignore[arg-type]
        transfer_type=TransferType.DISCIPLINE,
        receiver_unit=receiver_unit,
        reason=_("领导小组问责决定 %(d)s") % {"d": proposal.decision_number},
        proposal=proposal.decision_reason,
        handler=handler,
    )
    proposal_transition(
        proposal=proposal,
        action="refer",
        actor=actor,
        note=transfer.number,
        changes={"referral_transfer": transfer},
    )
    return transfer


@transaction.atomic
def proposal_withdraw(
    *, actor: Any, proposal: AccountabilityProposal, reason: str
) -> AccountabilityProposal:
    proposal = _get_for_change(actor, proposal)
    if not proposal_policy.is_office(actor, proposal):
        raise PermissionDeniedError(_("问责建议由领导小组办公室撤回。"), code="office_required")
    reason = _required_text(reason, "reason", _("请写明撤回原因。"), "reason_required")
    return proposal_transition(
        proposal=proposal,
        action="withdraw",
        actor=actor,
        note=reason,
        changes={"withdraw_reason": reason[:500]},
    )
