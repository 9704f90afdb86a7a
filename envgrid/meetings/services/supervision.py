"""Supervision of decisions: the supervision record, escalation and the overdue handlers."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.notifications import notify
from envgrid.obligations.models import Obligation, Supervision, SupervisionStatus
from envgrid.obligations.services import (
    users_of_unit,
)
from envgrid.obligations.supervision import (
    supervision_issue,
)

from ..models import (
    Decision,
    DecisionStatus,
    MeetingScope,
)
from ..rules import rule
from ._common import log
from .meetings import minutes_number_prefix

# ---- overdue decisions → supervision notices → escalation --------------------------


def decision_supervise(*, decision: Decision, obligation: Obligation) -> Supervision | None:
    """Issue the supervision notice (督办通知) for one overdue owner obligation, once."""
    if Supervision.objects.filter(source_obligation=obligation).exists():
        return None
    meeting = decision.meeting
    reason = _("%(m)s 第%(n)s项决定事项“%(t)s”已超过完成时限 %(due)s，尚未报告完成。") % {
        "m": meeting.title,
        "n": decision.seq,
        "t": decision.text[:80],
        "due": decision.due_date,
    }
    days = rule("SUPERVISION_RESPONSE_WORKDAYS")
    common: dict[str, Any] = {
        "actor": None,
        "issuer": meeting.organiser_unit,
        "target": obligation.unit,
        "reason": reason,
        "subject": decision,
        "source_obligation": obligation,
        "link": decision.get_absolute_url(),
        "number_prefix": minutes_number_prefix(meeting),
    }
    # No calendar-day fallback (issue 15, part 5): a response deadline that falls in a
    # year the calendar does not know is refused (UnknownCalendarYear names the year); the
    # sweep logs it and issues the notice on a later run, once the year is recorded.
    return supervision_issue(
        **common,
        requirement=_("请于 %(n)s 个工作日内报告落实情况。") % {"n": days},
        response_rule=DeadlineRule(RuleKind.WORKDAYS, days),
    )


def _decision_of(ob: Obligation) -> Decision | None:
    if ob.subject_type_id != ContentType.objects.get_for_model(Decision).pk:
        return None
    return (
        Decision.objects.select_related("meeting__organiser_unit", "meeting__leading_group")
        .filter(pk=ob.subject_id)
        .first()
    )


def on_decision_obligations_overdue(items: list[Obligation]) -> None:
    """Sweep hook for "meeting.decision": each newly overdue owner obligation of a decision
    still being implemented gets exactly one supervision notice."""
    for ob in items:
        try:
            with transaction.atomic():
                decision = _decision_of(ob)
                if decision is None or decision.status != DecisionStatus.OPEN:
                    continue
                decision_supervise(decision=decision, obligation=ob)
        except Exception:  # one bad item must not undo the sweep's batch
            log.exception("supervision for overdue decision obligation %s failed", ob.pk)


@transaction.atomic
def decision_escalate(*, decision: Decision, supervision: Supervision) -> Decision:
    """A supervision notice went unanswered past its deadline: the decision escalates to
    the leading group's leader and deputies (leading-group meetings) or to the group's
    office (meetings among member units)."""
    locked = Decision.objects.select_for_update().get(pk=decision.pk)
    before = snapshot(locked, ["escalated_at"])
    locked.escalated_at = timezone.now()
    locked.save(update_fields=["escalated_at", "updated_at"])
    group = locked.meeting.leading_group
    if locked.meeting.scope == MeetingScope.GROUP:
        people = [group.leader, *group.deputies.all()]
        recipients = [p.user for p in people if p.user_id and p.is_active]
        to = _("领导小组组长、副组长")
    else:
        recipients = users_of_unit(group.office_unit_id)
        to = group.office_unit.name
    audit_record(
        actor=None,
        action="decision.escalate",
        obj=locked,
        before=before,
        after={
            **snapshot(locked, ["escalated_at"]),
            "supervision": supervision.number,
            "to": str(to),
        },
    )
    notify(
        users=recipients,
        subject=_("督办逾期未回复，升级督办：%(d)s") % {"d": str(locked)},
        body=_("督办通知 %(n)s 已过回复期限，%(unit)s 仍未报告落实情况。")
        % {"n": supervision.number, "unit": supervision.target.name},
        link=locked.get_absolute_url(),
    )
    return locked


def on_supervision_responses_overdue(items: list[Obligation]) -> None:
    """Sweep hook for "supervision.respond": when the notice about a decision goes
    unanswered, escalate the decision (the obligation itself escalates generically)."""
    decision_ct = ContentType.objects.get_for_model(Decision)
    for ob in items:
        try:
            with transaction.atomic():
                sup = (
                    Supervision.objects.select_related("target")
                    .filter(response_obligation=ob, subject_type=decision_ct)
                    .first()
                )
                if sup is None or sup.status != SupervisionStatus.OPEN:
                    continue
                decision = Decision.objects.filter(pk=sup.subject_id).first()
                if decision is None or decision.status != DecisionStatus.OPEN:
                    continue
                decision_escalate(decision=decision, supervision=sup)
        except Exception:
            log.exception("escalation of decision for supervision obligation %s failed", ob.pk)
