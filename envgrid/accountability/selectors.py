"""Reads of accountability, scoped by the caller first; and the notes it adds to the
overdue register (T6): the consequence found and the proposal made for each item."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import AccountabilityProposal, ConsequenceFinding, ConsequenceLevel, ProposalStatus
from .policies import finding_policy, proposal_policy


def finding_list(*, user: Any) -> QuerySet:
    return finding_policy.scope(user).select_related(
        "obligation", "unit", "leading_group", "recorded_by"
    )


def proposal_list(*, user: Any) -> QuerySet:
    return proposal_policy.scope(user).select_related(
        "leading_group", "decided_by", "referral_transfer"
    )


CSS = {
    ConsequenceLevel.NONE: "status-done",
    ConsequenceLevel.ORDINARY: "status-pending",
    ConsequenceLevel.SERIOUS: "status-overdue",
}


def register_annotations(obligations: list[Any]) -> dict[int, list[Any]]:
    """Notes on a page of the register: "后果：严重后果" linking to the finding, and the
    live proposal (number and status) that includes it. Two queries per page."""
    from envgrid.obligations.annotations import Note

    ids = [o.pk for o in obligations]
    if not ids:
        return {}
    notes: dict[int, list[Any]] = {}
    findings = {
        f.obligation_id: f for f in ConsequenceFinding.objects.filter(obligation_id__in=ids)
    }
    new = reverse("accountability:finding_new")
    for o in obligations:
        if o.pk not in findings and o.is_late:
            notes.setdefault(o.pk, []).append(
                Note(label=_("认定后果"), url=f"{new}?obligation={o.pk}", css="status-pending")
            )
    for ob_id, f in findings.items():
        notes.setdefault(ob_id, []).append(
            Note(
                label=_("后果：%(l)s") % {"l": f.get_level_display()},
                url=f.get_absolute_url(),
                css=CSS.get(f.level, ""),  # type: ignore[call-overload]
            )
        )
    through = AccountabilityProposal.findings.through
    rows = (
        through.objects.filter(consequencefinding__obligation_id__in=ids)
        .exclude(accountabilityproposal__status=ProposalStatus.WITHDRAWN)
        .select_related("accountabilityproposal", "consequencefinding")
    )
    for row in rows:
        p = row.accountabilityproposal
        label = _("问责建议 %(n)s（%(s)s）") % {"n": p.number, "s": p.get_status_display()}
        if p.decision:
            label = _("问责 %(n)s：%(d)s") % {"n": p.number, "d": p.get_decision_display()}
        notes.setdefault(row.consequencefinding.obligation_id, []).append(
            Note(label=label, url=p.get_absolute_url(), css="status-overdue")
        )
    return notes
