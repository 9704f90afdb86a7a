"""Reads. Public reads see only published items (and aggregate petition counts); staff
reads start from what the user may see (STYLE rule 3)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.query import ModelIterable
from django.utils import timezone

from envgrid.core.params import maybe_id

from .models import (
    EmissionRecord,
    Hazard,
    Petition,
    PetitionCategory,
    PetitionStatus,
    Publication,
    PublicationKind,
    PublicationStatus,
)
from .policies import emission_batch_policy, hazard_policy, petition_policy, publication_policy
from .privacy import scrub, scrub_json

# --------------------------------------------------------------------------- public


# Payloads built field by field from the register, whose public phones are meant to be shown.
_STRUCTURED_KINDS = (PublicationKind.DIVISION, PublicationKind.DUTIES, PublicationKind.EMISSIONS)


def publication_source_petition(pub: Publication) -> Petition | None:
    """The petition a petition-handling publication reports on (its parties are scrubbed)."""
    petition_id = maybe_id(pub.source_id)
    if pub.kind != PublicationKind.PETITION or petition_id is None:
        return None
    return Petition.objects.filter(pk=petition_id).first()


def public_render(pub: Publication) -> Publication:
    """What the public sees of a publication, scrubbed again at render time (the text was
    scrubbed on save too): title, summary and, for a petition, every string of the payload.
    The instance is changed in memory only and must not be saved."""
    petition = publication_source_petition(pub)
    pub.title = scrub(pub.title, petition)
    pub.summary = scrub(pub.summary, petition)
    if pub.kind not in _STRUCTURED_KINDS:
        pub.payload = scrub_json(pub.payload, petition)
    pub._public_render = True  # type: ignore[attr-defined]
    return pub


class _PublicIterable(ModelIterable):
    def __iter__(self):
        for pub in super().__iter__():
            yield public_render(pub)


def public_publications(kind: str | None = None) -> QuerySet:
    """Published items, each scrubbed as it is read (public_render)."""
    qs = Publication.objects.filter(status=PublicationStatus.PUBLISHED).select_related("unit")
    if kind:
        qs = qs.filter(kind=kind)
    qs = qs.order_by("-published_at", "-pk")
    qs._iterable_class = _PublicIterable
    return qs


def public_publication_get(pk: Any) -> Publication | None:
    try:
        return public_publications().filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def public_latest(kind: str) -> Publication | None:
    return public_publications(kind).first()


def public_division() -> dict[str, Any]:
    pub = public_latest(PublicationKind.DIVISION)
    empty: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    if pub is None:
        return empty
    data = dict(pub.payload or empty)
    data["published_at"] = timezone.localtime(pub.published_at).isoformat(timespec="seconds")
    return data


def public_hazards() -> list[dict[str, Any]]:
    out = []
    for pub in public_publications(PublicationKind.HAZARD):
        item = dict(pub.payload)
        item["published_at"] = pub.published_at
        item["publication_id"] = pub.pk
        out.append(item)
    return out


def public_emissions(*, entity: str = "", pollutant: str = "", exceeded: str = "") -> QuerySet:
    qs = EmissionRecord.objects.filter(
        batch__publication__status=PublicationStatus.PUBLISHED
    ).select_related("batch", "batch__publication")
    if entity:
        qs = qs.filter(entity_name__icontains=entity)
    if pollutant:
        qs = qs.filter(pollutant__icontains=pollutant)
    if exceeded in ("1", "true", "yes"):
        qs = qs.filter(exceeded=True)
    return qs.order_by("entity_name", "pollutant", "-period_start")


def petition_stats() -> dict[str, Any]:
    """Aggregate counts only (no text, no place finer than the grid), honest about what
    they count: every submission is `submitted`; spam (screened out) and points outside
    the district are counted apart, and so are duplicates merged into another petition.
    What remains is `received` (登记); of those, `unscreened` still await the decision,
    `accepted` were accepted (受理), `declined` were not, `concluded` were concluded with
    a reply (办结), `concluded_on_time` within their deadline."""
    from envgrid.obligations.models import Obligation

    from .petitions import KIND_HANDLE

    rows: list[dict[str, Any]] = [
        dict(r)
        for r in Petition.objects.values(
            "pk", "category", "status", "received_at", "accepted_at", "is_spam", "grid_id"
        )
    ]
    spam = [r for r in rows if r["is_spam"]]
    outside = [r for r in rows if not r["is_spam"] and r["grid_id"] is None]
    linked = [
        r
        for r in rows
        if not r["is_spam"] and r["grid_id"] is not None and r["status"] == PetitionStatus.LINKED
    ]
    real = [
        r
        for r in rows
        if not r["is_spam"] and r["grid_id"] is not None and r["status"] != PetitionStatus.LINKED
    ]
    unscreened_states = (PetitionStatus.RECEIVED, PetitionStatus.OBJECTED)

    def counts(items: list[dict[str, Any]]) -> dict[str, int]:
        c = Counter(r["status"] for r in items)
        return {
            "received": len(items),
            "unscreened": sum(c[s] for s in unscreened_states),
            "accepted": sum(1 for r in items if r["accepted_at"] is not None),
            "in_progress": c[PetitionStatus.ACCEPTED],
            "concluded": c[PetitionStatus.REPLIED],
            "declined": c[PetitionStatus.DECLINED],
        }

    by_cat: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in real:
        by_cat[r["category"]].append(r)
        by_month[f"{timezone.localtime(r['received_at']):%Y-%m}"].append(r)
    real_ids = [str(r["pk"]) for r in real if r["status"] == PetitionStatus.REPLIED]
    from django.contrib.contenttypes.models import ContentType

    done = Obligation.objects.filter(
        kind=KIND_HANDLE,
        status="done",
        subject_type=ContentType.objects.get_for_model(Petition),
        subject_id__in=real_ids,
    )
    late = done.filter(completed_late=True).values("subject_id").distinct().count()
    totals = counts(real)
    return {
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "submitted": len(rows),
        **totals,
        "concluded_on_time": max(0, totals["concluded"] - late),
        "spam": len(spam),
        "out_of_area": len(outside),
        "linked_duplicates": len(linked),
        "categories": [
            {"category": code, "category_label": str(label), **counts(by_cat.get(code, []))}
            for code, label in PetitionCategory.choices
        ],
        "months": [{"month": m, **counts(items)} for m, items in sorted(by_month.items())],
    }


def public_petition_by_code(code: str) -> Petition | None:
    code = (code or "").strip().upper()
    if not code or len(code) > 20:
        return None
    return (
        Petition.objects.select_related("unit", "grid", "duplicate_of")
        .filter(tracking_code=code)
        .first()
    )


def public_petition_by_public_id(public_id: str) -> Petition | None:
    """Open311 GET request by id: the public id; the petitioner's own tracking code works
    too (its holder is the petitioner), but is never shown back."""
    key = (public_id or "").strip().upper()
    if not key or len(key) > 20:
        return None
    qs = Petition.objects.select_related("unit", "grid", "duplicate_of")
    return qs.filter(public_id=key).first() or qs.filter(tracking_code=key).first()


def public_petition_requests(
    *,
    codes: list[str] | None = None,
    service_code: str = "",
    status: str = "",
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = 1000,
) -> list[Petition]:
    """Open311 GET requests: by public id (`codes`, service_request_id) any petition; as a
    list, only those whose handling was published (the public sees only what is published).
    The secret tracking code is never a list key."""
    qs = Petition.objects.select_related("unit", "grid", "duplicate_of", "duplicate_of__unit")
    if codes:
        qs = qs.filter(public_id__in=[c.strip().upper() for c in codes if c.strip()])
    else:
        published_ids = Publication.objects.filter(
            kind=PublicationKind.PETITION, status=PublicationStatus.PUBLISHED
        ).values_list("source_id", flat=True)
        qs = qs.filter(pk__in=[n for i in published_ids if (n := maybe_id(i)) is not None])
        if start is None and end is None:
            start = timezone.now() - dt.timedelta(days=90)
    if service_code:
        qs = qs.filter(category__in=[s.strip() for s in service_code.split(",")])
    if start is not None:
        qs = qs.filter(received_at__gte=start)
    if end is not None:
        qs = qs.filter(received_at__lte=end)
    items = list(qs.order_by("-received_at"))
    if status:
        from .open311 import open311_status

        wanted = {s.strip() for s in status.split(",")}
        items = [p for p in items if open311_status(p) in wanted]
    return items[:limit]


# --------------------------------------------------------------------------- staff


def publication_list(*, user: Any, kind: str = "", status: str = "") -> QuerySet:
    qs = publication_policy.scope(user).select_related("unit", "created_by")
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-updated_at", "-pk")


def petition_list(
    *, user: Any, status: str = "", category: str = "", mine: bool = False, q: str = ""
) -> QuerySet:
    from envgrid.org.selectors import actor_for

    qs = petition_policy.scope(user).select_related("unit", "grid", "office_unit")
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if mine:
        qs = qs.filter(unit_id=actor_for(user).unit_id)
    if q:
        qs = qs.filter(Q(tracking_code__icontains=q) | Q(description__icontains=q))
    return qs.order_by("-received_at")


def hazard_list(*, user: Any, status: str = "", level: str = "") -> QuerySet:
    qs = hazard_policy.scope(user).select_related("responsible_unit", "grid")
    if status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    return qs


def hazard_published_state(hazards: list[Hazard]) -> dict[int, Publication]:
    """The live publication (if any) of each hazard, to show in the register."""
    topics = [f"hazard:{h.pk}" for h in hazards]
    out: dict[int, Publication] = {}
    for pub in (
        Publication.objects.filter(kind=PublicationKind.HAZARD, topic__in=topics)
        .exclude(status=PublicationStatus.WITHDRAWN)
        .order_by("created_at")
    ):
        out[int(pub.topic.split(":")[1])] = pub
    return out


def batch_list(*, user: Any) -> QuerySet:
    return emission_batch_policy.scope(user).select_related("unit", "publication")
