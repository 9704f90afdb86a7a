"""Status tables for publications and petitions, each with the ONE function that changes
status and writes its append-only history row and audit event (STYLE rule 4)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.errors import ConflictError

from .models import (
    Petition,
    PetitionEvent,
    PetitionStatus,
    Publication,
    PublicationEvent,
    PublicationStatus,
)

P = PublicationStatus
PUBLICATION_TRANSITIONS: dict[str, set[str]] = {
    P.DRAFT: {P.REVIEWED, P.WITHDRAWN},
    P.REVIEWED: {P.PUBLISHED, P.DRAFT, P.WITHDRAWN},
    P.PUBLISHED: {P.WITHDRAWN},
    P.WITHDRAWN: set(),
}

S = PetitionStatus
PETITION_TRANSITIONS: dict[str, set[str]] = {
    S.RECEIVED: {S.ACCEPTED, S.DECLINED, S.OBJECTED, S.LINKED},
    S.ACCEPTED: {S.REPLIED, S.LINKED},
    S.OBJECTED: {S.RECEIVED, S.LINKED},
    S.REPLIED: set(),
    S.DECLINED: set(),
    S.LINKED: set(),
}


def publication_transition(
    publication: Publication, to: str, *, actor: Any, note: str = "", **fields: Any
) -> Publication:
    """Move a (locked) publication to `to`, setting `fields`; refuse moves not in the table."""
    frm = publication.status
    if to not in PUBLICATION_TRANSITIONS.get(frm, set()):
        raise ConflictError(
            _("公开信息当前状态为“%(frm)s”，不能变为“%(to)s”。")
            % {"frm": P(frm).label, "to": P(to).label},
            code="publication_bad_transition",
        )
    before = snapshot(publication, fields=_AUDITED_PUB)
    publication.status = to
    for key, value in fields.items():
        setattr(publication, key, value)
    publication.save()
    PublicationEvent.objects.create(
        publication=publication,
        from_status=frm,
        to_status=to,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note[:500],
    )
    audit_record(
        actor=actor,
        action=f"publication.{to}",
        obj=publication,
        before=before,
        after=snapshot(publication, fields=_AUDITED_PUB),
    )
    return publication


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
    frm = petition.status
    if to not in PETITION_TRANSITIONS.get(frm, set()):
        raise ConflictError(
            _("信访件当前状态为“%(frm)s”，不能执行此操作。") % {"frm": S(frm).label},
            code="petition_bad_transition",
        )
    before = snapshot(petition, fields=_AUDITED_PETITION)
    petition.status = to
    for key, value in fields.items():
        setattr(petition, key, value)
    petition.save()
    petition_event(
        petition,
        action=action,
        actor=actor,
        from_status=frm,
        to_status=to,
        note=note,
        public_note=public_note,
    )
    audit_record(
        actor=actor,
        action=f"petition.{action}",
        obj=petition,
        object_repr=petition.tracking_code,
        before=before,
        after=snapshot(petition, fields=_AUDITED_PETITION),
    )
    return petition


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
