"""督办 (supervision notices): issue, respond, close. Used by meetings (overdue decisions,
M5), enforcement (key cases, E3) and anything else that must chase a unit."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.documents import document_number_next
from envgrid.core.errors import ApplicationError, ConflictError
from envgrid.core.notifications import notify

from .models import Obligation, Supervision, SupervisionStatus
from .services import obligation_complete, obligation_open, users_of_unit
from .workflow import transition

DEFAULT_RESPONSE_RULE = DeadlineRule(RuleKind.WORKDAYS, 5)


@transaction.atomic
def supervision_issue(
    *,
    actor: Any,
    issuer: Any,
    target: Any,
    reason: str,
    subject: models.Model | None = None,
    source_obligation: Obligation | None = None,
    requirement: str = "",
    response_rule: DeadlineRule = DEFAULT_RESPONSE_RULE,
    link: str = "",
    number_prefix: str = "",
) -> Supervision:
    if not reason.strip():
        raise ApplicationError(
            _("督办须写明事由。"), code="reason_required", fields={"reason": [_("必填")]}
        )
    now = timezone.now()
    year = timezone.localtime(now).year
    number = document_number_next(
        kind="supervision",
        issuer_key=str(issuer.pk),
        year=year,
        fmt="{prefix}督〔{year}〕{seq}号",
        prefix=number_prefix or issuer.doc_prefix or issuer.short_name or "",
    )
    sup = Supervision.objects.create(
        number=number,
        issuer=issuer,
        target=target,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=str(subject.pk) if subject is not None else "",
        source_obligation=source_obligation,
        reason=reason,
        requirement=requirement,
        issued_at=now,
        link=link,
    )
    sup.response_obligation = obligation_open(
        unit=target,
        kind="supervision.respond",
        title=_("督办回复：%(n)s") % {"n": number},
        rule=response_rule,
        start_at=now,
        start_event=_("督办通知下达"),
        subject=sup,
        link=link,
        actor=actor,
    )
    sup.save(update_fields=["response_obligation"])
    audit_record(actor=actor, action="supervision.issue", obj=sup, after=snapshot(sup))
    notify(
        users=users_of_unit(target.pk),
        subject=_("督办通知 %(n)s") % {"n": number},
        body=reason,
        link=link,
    )
    return sup


@transaction.atomic
def supervision_respond(*, actor: Any, supervision: Supervision, response: str) -> Supervision:
    if not response.strip():
        raise ApplicationError(
            _("请填写办理情况。"), code="response_required", fields={"response": [_("必填")]}
        )
    sup = Supervision.objects.select_for_update().get(pk=supervision.pk)
    if sup.status != SupervisionStatus.OPEN:
        raise ConflictError(_("该督办已回复或已办结。"), code="supervision_not_open")
    fields = {"response": response, "responded_at": timezone.now()}
    transition(sup, action="respond", actor=actor, fields=fields)
    if sup.response_obligation is not None:
        obligation_complete(obligation=sup.response_obligation, actor=actor)
    return sup


@transaction.atomic
def supervision_close(*, actor: Any, supervision: Supervision) -> Supervision:
    sup = Supervision.objects.select_for_update().get(pk=supervision.pk)
    if sup.status == SupervisionStatus.CLOSED:
        raise ConflictError(_("该督办已办结。"), code="supervision_closed")
    return transition(sup, action="close", actor=actor, fields={"closed_at": timezone.now()})
