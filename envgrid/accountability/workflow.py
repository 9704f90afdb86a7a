"""The accountability proposal's steps (T6) as a table for the core workflow kernel
(`envgrid.core.workflow`): the kernel locks the row, checks the table and the actor's
policy, writes the history row (ProposalEvent) and the audit event, and refuses a move
the table does not list with `transition_not_allowed` (409)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from envgrid.core import workflow as kernel
from envgrid.core.workflow import NEW, Transition, Workflow, register, step

from .models import AccountabilityDecision, AccountabilityProposal, ProposalEvent, ProposalStatus

S = ProposalStatus

_STEPS = (
    step(
        "propose",
        {NEW},
        S.PROPOSED,
        gettext_lazy("提出问责建议"),
        audit_action="accountability.proposal_propose",
    ),
    step(
        "decide",
        {S.PROPOSED},
        S.DECIDED,
        gettext_lazy("领导小组决定"),
        audit_action="accountability.proposal_decide",
        who="leader",
    ),
    step(
        "refer",
        {S.DECIDED},
        S.REFERRED,
        gettext_lazy("移送纪检监察机关"),
        audit_action="accountability.proposal_refer",
        who="office",
    ),
    step(
        "withdraw",
        {S.PROPOSED},
        S.WITHDRAWN,
        gettext_lazy("撤回问责建议"),
        audit_action="accountability.proposal_withdraw",
        who="office",
    ),
)
TRANSITIONS: dict[str, Transition] = {t.action: t for t in _STEPS}


def _may(proposal: AccountabilityProposal, actor: Any, t: Transition) -> bool:
    """The leader or a deputy of the proposal's group decides; its office withdraws and
    sends on a referral (only one the group decided to refer)."""
    from .policies import proposal_policy

    if t.who == "leader":
        return bool(proposal_policy.can_decide(actor, proposal))
    if t.action == "refer" and proposal.decision != AccountabilityDecision.REFERRAL:
        return False
    return bool(proposal_policy.is_office(actor, proposal))


PROPOSAL_WORKFLOW = register(
    Workflow(
        model=AccountabilityProposal,
        transitions=_STEPS,
        audit_prefix="accountability.proposal",
        history=ProposalEvent,
        history_subject="proposal",
        may=_may,
    )
)


def proposal_actions_available(proposal: AccountabilityProposal, actor: Any) -> set[str]:
    """The buttons `actor` has on `proposal` now (the page and the API show these)."""
    return {t.action for t in kernel.actions_available(proposal, actor)}


def proposal_refusal(proposal: AccountabilityProposal, action: str) -> Exception | None:
    """The kernel's refusal of `action` from the proposal's current status, or None: for a
    service that must refuse before it does other work (creating the referral transfer)."""
    current = PROPOSAL_WORKFLOW.status_of(proposal)
    if PROPOSAL_WORKFLOW.find(current, action=action, to=None) is not None:
        return None
    return kernel.refuse(PROPOSAL_WORKFLOW, current, action=action, to=None)


def proposal_transition(
    *,
    proposal: AccountabilityProposal,
    action: str,
    actor: Any,
    note: str = "",
    changes: dict[str, Any] | None = None,
) -> AccountabilityProposal:
    """Apply `action` (with field `changes`) to a proposal through the kernel. An existing
    proposal is re-read from its locked row first, so a stale copy cannot move it."""
    return kernel.transition(
        proposal,
        action=action,
        actor=actor,
        note=note,
        fields=changes,
        refresh=proposal.pk is not None,
    )
