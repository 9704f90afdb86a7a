"""Timely disclosure (I4: 及时): the deadlines "promptly" stands for, as obligations.

- A major grid adjustment is published within ADJUSTMENT_PUBLISH_WORKDAYS working days of
  the adjustment (default 20: 政府信息公开条例 art. 26, 自该政府信息形成或者变更之日起20个
  工作日内予以公开); the publishing office owes it (`adjustment.publish`, subject: the
  grids MajorAdjustment). Reporting owes the upward report (`adjustment.report`).
- Each of the six public items is refreshed at least every N days, per office
  (RefreshRule; defaults in REFRESH_DAYS), as `disclosure.refresh.<kind>` obligations.
  An active rule holds exactly one live obligation, kept by the two services that touch it
  in the same transaction: refresh_rule_set opens (or re-opens) it, refresh_published
  completes it and opens the next period. No sweep hook is needed (there was one,
  `refresh_sync`; it could only ever find rows made outside these services, and none are).

The numbers are rules (disclosure/rules.py, envgrid.core.rules); settings
ENVGRID_DISCLOSURE_TIMELINESS still overrides them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core import rules
from envgrid.core.audit import audit_record, snapshot
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.errors import ApplicationError, PermissionDeniedError
from envgrid.obligations.services import (
    obligation_cancel,
    obligation_complete,
    obligation_open,
    obligations_for,
)
from envgrid.org.models import LeadingGroup, Unit
from envgrid.org.selectors import Actor, actor_for

from .models import PUBLIC_ITEMS, Publication, PublicationKind, PublicationStatus, RefreshRule
from .rules import TIMELINESS_KEYS

ADJUSTMENT_PUBLISH_KIND = "adjustment.publish"
REFRESH_PREFIX = "disclosure.refresh."


def rule(name: str) -> Any:
    """The rule under its historical name (ENVGRID_DISCLOSURE_TIMELINESS key;
    disclosure/rules.py)."""
    return rules.get(TIMELINESS_KEYS[name])


# --------------------------------------------------------------------------- adjustments


def adjustment_publish_open(*, adjustment: Any, publication: Publication) -> None:
    """Open the duty to publish a major adjustment (once per adjustment)."""
    if obligations_for(adjustment, ADJUSTMENT_PUBLISH_KIND, live_only=False).exists():
        return
    # A deadline in a year whose official calendar is not entered yet opens provisional
    # (暂定, weekdays of that year): the grid change must not fail for it, and entering the
    # official year recomputes it (adjustment.publish is a provisional kind, apps.py).
    obligation_open(
        unit=publication.unit,
        kind=ADJUSTMENT_PUBLISH_KIND,
        title=_("公开网格重大调整：%(t)s") % {"t": publication.title},
        rule=DeadlineRule(RuleKind.WORKDAYS, int(rule("ADJUSTMENT_PUBLISH_WORKDAYS"))),
        start_at=adjustment.made_at,
        start_event=str(_("网格重大调整")),
        subject=adjustment,
        link=reverse("disclosure:publication_detail", args=[publication.pk]),
    )


def adjustment_publish_done(*, adjustment: Any, at: dt.datetime, actor: Any = None) -> None:
    for ob in obligations_for(adjustment, ADJUSTMENT_PUBLISH_KIND):
        obligation_complete(obligation=ob, actor=actor, at=at)


# --------------------------------------------------------------------------- refresh rules


def _office_units(office_unit_id: int) -> set[int]:
    """The office and every unit of the leading groups it runs (and the groups below)."""
    groups = set(
        LeadingGroup.objects.filter(office_unit_id=office_unit_id).values_list("id", flat=True)
    )
    frontier = set(groups)
    while frontier:
        frontier = (
            set(LeadingGroup.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
            - groups
        )
        groups |= frontier
    ids = Actor(user=None, office_group_ids=groups).overseen_unit_ids()
    ids.add(office_unit_id)
    return ids


def last_published(kind: str, unit_ids: set[int] | None = None) -> dt.datetime | None:
    qs = Publication.objects.filter(kind=kind, published_at__isnull=False)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    return qs.aggregate(last=Max("published_at"))["last"]


def _open_refresh(rr: RefreshRule, start: dt.datetime, actor: Any = None) -> None:
    obligation_open(
        unit=rr.unit,
        kind=REFRESH_PREFIX + rr.kind,
        title=_("更新公开信息：%(k)s") % {"k": PublicationKind(rr.kind).label},
        rule=DeadlineRule(RuleKind.DAYS, rr.every_days),
        start_at=start,
        start_event=str(_("上次公开")),
        subject=rr,
        link=reverse("disclosure:manage"),
        actor=actor,
    )


@transaction.atomic
def refresh_rule_set(
    *, actor: Any, unit: Unit, kind: str, every_days: int | None = None, is_active: bool = True
) -> RefreshRule:
    """Set how often the office must refresh one public item (I4). The clock runs from the
    item's last publication by the office's group, or from now if it was never published;
    a changed period re-opens the live obligation with the new period."""
    acting = actor_for(actor)
    if not (acting.is_admin or (acting.is_office and acting.unit_id == unit.pk)):
        raise PermissionDeniedError(
            _("公开信息更新时限由领导小组办公室设置。"), code="office_required"
        )
    if kind not in PUBLIC_ITEMS:
        raise ApplicationError(
            _("只能为六类公开信息设置更新时限。"), code="kind_invalid", fields={"kind": [kind]}
        )
    days = int(every_days if every_days is not None else rule("REFRESH_DAYS")[kind])
    if not 1 <= days <= 3660:
        raise ApplicationError(
            _("更新周期须为 1–3660 天。"), code="period_invalid", fields={"every_days": [days]}
        )
    rr = RefreshRule.objects.select_for_update().filter(unit=unit, kind=kind).first()
    before = snapshot(rr) if rr is not None else None
    if rr is None:
        rr = RefreshRule(unit=unit, kind=kind, every_days=days, is_active=is_active)
    changed = rr.pk is None or rr.every_days != days or rr.is_active != is_active
    rr.every_days, rr.is_active, rr.updated_at = days, is_active, timezone.now()
    rr.save()
    audit_record(
        actor=actor, action="disclosure.refresh_rule_set", obj=rr, before=before, after=snapshot(rr)
    )
    if changed:
        for ob in obligations_for(rr, REFRESH_PREFIX + kind):
            obligation_cancel(obligation=ob, actor=actor, reason=str(_("更新周期已调整")))
        if is_active:
            start = last_published(kind, _office_units(unit.pk)) or timezone.now()
            _open_refresh(rr, start, actor)
    return rr


def refresh_published(pub: Publication, actor: Any = None) -> None:
    """A published item discharges the refresh duty of every office whose group holds the
    publishing unit, and starts the next period from the publication."""
    if pub.kind not in PUBLIC_ITEMS or pub.published_at is None:
        return
    for rr in RefreshRule.objects.filter(kind=pub.kind, is_active=True).select_related("unit"):
        if pub.unit_id not in _office_units(rr.unit_id):
            continue
        live = list(obligations_for(rr, REFRESH_PREFIX + rr.kind))
        for ob in live:
            obligation_complete(obligation=ob, actor=actor, at=pub.published_at, note=pub.title)
        _open_refresh(rr, pub.published_at, actor)


def public_last_updates() -> list[dict[str, Any]]:
    """The portal's "last updated" line for each of the six items (one query)."""
    rows = (
        Publication.objects.filter(status=PublicationStatus.PUBLISHED, kind__in=PUBLIC_ITEMS)
        .values("kind")
        .annotate(last=Max("published_at"))
        .order_by()
    )
    found = {r["kind"]: r["last"] for r in rows}
    return [
        {"kind": k, "label": PublicationKind(k).label, "last": found.get(k)} for k in PUBLIC_ITEMS
    ]
