"""The accountability proposal's steps as a table, and the one function that moves a
proposal along it (locks the row, checks the table, writes history and audit)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.errors import ConflictError

from .models import AccountabilityProposal, ProposalEvent, ProposalStatus

S = ProposalStatus

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "propose": ((), S.PROPOSED),
    "decide": ((S.PROPOSED,), S.DECIDED),
    "refer": ((S.DECIDED,), S.REFERRED),
    "withdraw": ((S.PROPOSED,), S.WITHDRAWN),
}


def proposal_transition(
    *,
    proposal: AccountabilityProposal,
    action: str,
    actor: Any,
    note: str = "",
    changes: dict[str, Any] | None = None,
) -> AccountabilityProposal:
    """Apply `action` (with field `changes`) to a proposal. The caller holds the
    transaction; an existing proposal is re-read under a row lock first."""
    sources, target = TRANSITIONS[action]
    before: dict[str, Any] | None = None
    if proposal.pk is not None:
        proposal = AccountabilityProposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status not in sources:
            raise ConflictError(
                _("问责建议当前状态为“%(s)s”，不能执行此操作。")
                % {"s": proposal.get_status_display()},
                code="proposal_state_invalid",
            )
        before = snapshot(proposal)
    from_status = proposal.status if proposal.pk is not None else ""
    for field, value in (changes or {}).items():
        setattr(proposal, field, value)
    proposal.status = target
    proposal.save()
    ProposalEvent.objects.create(
        proposal=proposal,
        action=action,
        from_status=from_status,
        to_status=target,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note,
    )
    audit_record(
        actor=actor,
        action=f"accountability.proposal_{action}",
        obj=proposal,
        before=before,
        after=snapshot(proposal),
    )
    return proposal
