"""Status tables for publications and petitions, each with the ONE function that changes
status and writes its append-only history row and audit event (STYLE rule 4)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy

from envgrid.core import workflow as kernel
from envgrid.core.audit import snapshot
from envgrid.core.workflow import Workflow, register, step

from .models import (
    Petition,
    PetitionEvent,
    PetitionStatus,
    Publication,
    PublicationEvent,
    PublicationStatus,
)

# Who may take a step (the services check it with their own messages; the kernel checks
# it again and the staff pages ask `actions_available` for their buttons): "reviewer" (the
# office overseeing the issuing unit), "handler" (the unit a petition is routed to),
# "router" (the office that routed it). Cascades have no `who` (kernel.SYSTEM).
P = PublicationStatus
_PUBLICATION_STEPS = (
    step("reviewed", {P.DRAFT}, P.REVIEWED, gettext_lazy("审核"), who="reviewer"),
    step("draft", {P.REVIEWED}, P.DRAFT, gettext_lazy("退回修改"), who="reviewer"),
    step("published", {P.REVIEWED}, P.PUBLISHED, gettext_lazy("发布"), who="reviewer"),
    step(
        "withdrawn",
        {P.DRAFT, P.REVIEWED, P.PUBLISHED},
        P.WITHDRAWN,
        gettext_lazy("撤回"),
        who="reviewer",
    ),
    # Publishing a new version withdraws the older one of the same kind and topic, which
    # may belong to another unit: a cascade of the publish step, not a reviewer's button.
    step("superseded", {P.PUBLISHED}, P.WITHDRAWN, gettext_lazy("被新版本替代")),
)
PUBLICATION_TRANSITIONS: dict[str, set[str]] = {
    str(s): {t.target for t in _PUBLICATION_STEPS if s in t.sources} for s in P.values
}

S = PetitionStatus
# A petition's steps are named by the service that takes them (accept, reply, link...);
# the table lists the moves, the caller's `action` names the step in history and audit.
_PETITION_STEPS = (
    step("accepted", {S.RECEIVED}, S.ACCEPTED, gettext_lazy("受理"), who="handler"),
    step("declined", {S.RECEIVED}, S.DECLINED, gettext_lazy("不予受理"), who="handler"),
    step("objected", {S.RECEIVED}, S.OBJECTED, gettext_lazy("退回"), who="handler"),
    # A duplicate is linked when it is submitted (a cascade of the submission).
    step("linked", {S.RECEIVED, S.ACCEPTED, S.OBJECTED}, S.LINKED, gettext_lazy("并案")),
    step("replied", {S.ACCEPTED}, S.REPLIED, gettext_lazy("答复办结"), who="handler"),
    step("received", {S.OBJECTED}, S.RECEIVED, gettext_lazy("重新交办"), who="router"),
)
PETITION_TRANSITIONS: dict[str, set[str]] = {
    str(s): {t.target for t in _PETITION_STEPS if s in t.sources} for s in S.values
}


def publication_transition(
    publication: Publication,
    to: str,
    *,
    actor: Any,
    note: str = "",
    action: str | None = None,
    **fields: Any,
) -> Publication:
    """Move a (locked) publication to `to` (by the table's step `action`, where two steps
    lead there), setting `fields`; refuse moves not in the table."""
    return kernel.transition(
        publication,
        to=None if action else to,
        action=action,
        actor=actor,
        note=note,
        fields=fields,
        verb=str(to),
    )


def _may_publication(publication: Publication, actor: Any, t: kernel.Transition) -> bool:
    from .policies import publication_policy

    return bool(publication_policy.can_review(actor, publication))


def _may_petition(petition: Petition, actor: Any, t: kernel.Transition) -> bool:
    from .policies import petition_policy

    if t.who == "router":
        return bool(petition_policy.can_route(actor, petition))
    return bool(petition_policy.can_handle(actor, petition))


_AUDITED_PUB = [
    "kind",
    "title",
    "topic",
    "status",
    "reviewed_at",
    "published_at",
    "withdrawn_at",
    "withdraw_reason",
]
# A petition's audit rows leave out the contact fields: the audit log is readable by
# administrators only, but there is no reason to copy identity into a second place.
_AUDITED_PETITION = [
    "tracking_code",
    "category",
    "status",
    "unit",
    "office_unit",
    "grid",
    "accepted_at",
    "closed_at",
    "extension_count",
    "duplicate_of",
    "case_id",
]


def petition_transition(
    petition: Petition,
    to: str,
    *,
    actor: Any,
    action: str,
    note: str = "",
    public_note: str = "",
    **fields: Any,
) -> Petition:
    from .privacy import scrub

    return kernel.transition(
        petition,
        to=to,
        actor=actor,
        note=note,
        fields=fields,
        verb=action,
        # The system's own wording is public at once; it is scrubbed like every public
        # note (privacy.scrub), as petition_event does.
        history_fields={
            "public_note": (scrub(public_note, petition) if public_note else "")[:500],
            "public_reviewed": bool(public_note),
        },
        audit_repr=petition.tracking_code,
    )


def petition_event(
    petition: Petition,
    *,
    action: str,
    actor: Any,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    public_note: str = "",
    public_reviewed: bool = True,
) -> PetitionEvent:
    """`public_reviewed`: the system's own wording is; a note written by staff is not until
    the office reviews it. The public note is scrubbed on save (privacy.scrub)."""
    from .privacy import scrub

    public_note = scrub(public_note, petition) if public_note else ""
    return PetitionEvent.objects.create(
        petition=petition,
        at=timezone.now(),
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        unit_id=petition.unit_id,
        note=note,
        public_note=public_note[:500],
        public_reviewed=bool(public_note) and public_reviewed,
    )


def petition_audited(petition: Petition) -> dict[str, Any]:
    return snapshot(petition, fields=_AUDITED_PETITION)


PUBLICATION_WORKFLOW = register(
    Workflow(
        model=Publication,
        transitions=_PUBLICATION_STEPS,
        audit_prefix="publication",
        history=PublicationEvent,
        history_subject="publication",
        audit_fields=_AUDITED_PUB,
        may=_may_publication,
    )
)
PETITION_WORKFLOW = register(
    Workflow(
        model=Petition,
        transitions=_PETITION_STEPS,
        audit_prefix="petition",
        history=PetitionEvent,
        history_subject="petition",
        history_extra=lambda petition, actor: {"unit_id": petition.unit_id},
        audit_fields=_AUDITED_PETITION,
        may=_may_petition,
    )
)
