"""督办 (supervision notices): issue, respond, close. Used by meetings (overdue decisions,
M5), enforcement (key cases, E3) and anything else that must chase a unit."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.documents import document_number_next
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
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


# ---- by hand (D6) -------------------------------------------------------------------------

# What the office may put under supervision by hand: "app_label.model" → label. Named by
# content type, so obligations imports no workflow app.
HAND_TARGETS: dict[str, Any] = {
    "cases.case": gettext_lazy("案件"),
    "disclosure.petition": gettext_lazy("信访举报"),
    "cases.transfer": gettext_lazy("移送"),
    "meetings.decision": gettext_lazy("议定事项"),
    "obligations.obligation": gettext_lazy("办理时限"),
}


def _hand_target(target_type: str, target_id: Any) -> models.Model:
    if target_type not in HAND_TARGETS:
        raise ApplicationError(
            _("不能对该类事项督办。"),
            code="target_type_invalid",
            fields={"target_type": [_("可选：%(k)s") % {"k": "、".join(HAND_TARGETS)}]},
        )
    app_label, model = target_type.split(".")
    ct = ContentType.objects.get_by_natural_key(app_label, model)
    try:
        obj = ct.get_object_for_this_type(pk=int(str(target_id)))
    except ValueError:
        obj = None
    if obj is None:  # pragma: no cover - get_object_for_this_type raises instead
        raise ApplicationError(_("督办对象不存在。"), code="target_not_found")
    return obj


@transaction.atomic
def supervision_issue_by_hand(
    *,
    actor: Any,
    target_type: str,
    target_id: Any,
    addressee: Any,
    demand: str,
    reason: str = "",
    workdays: int = 5,
) -> Supervision:
    """The office or a leader issues a 督办通知书 on any case, petition, transfer, decision or
    obligation: numbered (文号), addressed to a unit, with a demand and a reply deadline in
    working days (the reply obligation, owned by this workflow)."""
    from envgrid.org.selectors import actor_for

    from .policies import supervision_policy

    if not supervision_policy.can_issue(actor):
        raise PermissionDeniedError(
            _("只有领导小组办公室或领导可以下达督办通知。"), code="supervision_issue_denied"
        )
    fields: dict[str, list[str]] = {}
    if not demand.strip():
        fields["demand"] = [_("必填")]
    if not 1 <= int(workdays) <= 60:
        fields["workdays"] = [_("须在 1 至 60 个工作日之间")]
    if fields:
        raise ApplicationError(_("督办通知填写不完整。"), code="supervision_invalid", fields=fields)
    me = actor_for(actor)
    if not me.is_admin and addressee.pk not in me.overseen_unit_ids():
        raise ApplicationError(
            _("被督办单位不在本领导小组内。"),
            code="addressee_out_of_scope",
            fields={"addressee": [_("不在督办范围内")]},
        )
    try:
        subject = _hand_target(target_type, target_id)
    except ObjectDoesNotExist:
        raise ApplicationError(
            _("督办对象不存在。"), code="target_not_found", fields={"target_id": [_("不存在")]}
        ) from None
    issuer = me.person.unit if me.person is not None else addressee
    sup = supervision_issue(
        actor=actor,
        issuer=issuer,
        target=addressee,
        reason=reason.strip()
        or _("%(kind)s“%(obj)s”办理滞后")
        % {
            "kind": HAND_TARGETS[target_type],
            "obj": str(subject)[:100],
        },
        subject=subject,
        requirement=demand,
        response_rule=DeadlineRule(RuleKind.WORKDAYS, int(workdays)),
    )
    sup.by_hand = True
    sup.link = f"/obligations/supervision/{sup.pk}/"
    sup.save(update_fields=["by_hand", "link"])
    if sup.response_obligation is not None:
        Obligation.objects.filter(pk=sup.response_obligation.pk).update(link=sup.link)
    return sup


@transaction.atomic
def supervision_reply(*, actor: Any, supervision: Supervision, reply: str) -> Supervision:
    """The addressed unit records its reply; the reply obligation is discharged."""
    from .policies import supervision_policy

    if not supervision_policy.can_reply(actor, supervision):
        raise PermissionDeniedError(
            _("只有被督办单位可以回复督办。"), code="supervision_reply_denied"
        )
    return supervision_respond(actor=actor, supervision=supervision, response=reply)
