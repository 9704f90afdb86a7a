"""How disclosure plugs into other apps without them importing it: the escalation
resolver for petition deadlines, and the listener that turns each grids.MajorAdjustment
(G5) into a disclosure draft."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone


def petition_escalation(ob: Any) -> Any:
    """An overdue petition deadline escalates to the office that routed the petition."""
    if not str(ob.kind).startswith("petition."):
        return None
    from .models import Petition

    if ob.subject_id and ob.subject_type_id:
        p = Petition.objects.filter(pk=ob.subject_id).select_related("office_unit").first()
        if p is not None and p.office_unit_id != ob.unit_id:
            return p.office_unit
    return None


def on_major_adjustment(adj: Any) -> None:
    from .services import publication_draft_adjustment
    from .timeliness import adjustment_publish_open

    pub = publication_draft_adjustment(adjustment=adj, actor=getattr(adj, "made_by", None))
    if pub is not None:
        type(adj).objects.filter(pk=adj.pk).update(disclosure_ref=str(pub.pk))
        # I4: published within N working days of the adjustment.
        adjustment_publish_open(adjustment=adj, publication=pub)


@transaction.atomic
def adjustments_sync() -> int:
    """Drafts for major adjustments that have none yet (rows made before this app
    listened, or by an import): the contract's polling path."""
    from envgrid.grids.models import MajorAdjustment

    made = 0
    for adj in MajorAdjustment.objects.filter(disclosure_ref="").select_related("grid"):
        on_major_adjustment(adj)
        made += 1
    return made


def adjustment_published(pub: Any) -> None:
    """Record on the MajorAdjustment that it is now public (the contract's disclosed_at)."""
    from envgrid.grids.models import MajorAdjustment

    from .timeliness import adjustment_publish_done

    if pub.source_id:
        MajorAdjustment.objects.filter(pk=pub.source_id, disclosed_at__isnull=True).update(
            disclosed_at=pub.published_at or timezone.now(), disclosure_ref=str(pub.pk)
        )
        adj = MajorAdjustment.objects.filter(pk=pub.source_id).first()
        if adj is not None:
            adjustment_publish_done(adjustment=adj, at=pub.published_at or timezone.now())
