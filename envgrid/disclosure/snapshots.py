"""Public payloads: what a publication shows, frozen when its draft is made.

Each builder copies only the fields chosen for the public. For people that is name,
role and public phone (never the internal phone, the login or the certificate); for
petitions it is category, area, dates, status and a staff-written summary that has been
scrubbed (privacy.scrub) — never the petitioner's identity or the original text."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from .models import EmissionBatch, Hazard, Petition, PetitionStatus
from .privacy import MASK, coarse, scrub


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "tzinfo") and getattr(value, "hour", None) is not None:
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def _roster() -> tuple[dict[int, list[Any]], dict[int, int]]:
    """Active assignments per grid, and the minimum staff per level (G2)."""
    from envgrid.grids.models import DEFAULT_MIN_STAFF, GridAssignment, StaffingRule

    by_grid: dict[int, list[Any]] = {}
    for a in GridAssignment.objects.filter(ended_at__isnull=True).select_related("person"):
        by_grid.setdefault(a.grid_id, []).append(a)
    rules = dict(StaffingRule.objects.values_list("level", "min_staff"))
    rules.setdefault(-1, DEFAULT_MIN_STAFF)
    return by_grid, rules


def construction_gaps(grid: Any, assignments: list[Any], min_staff: int) -> list[str]:
    """What a grid still lacks to count as built (建成): written duties, a principal
    administrative leader, a grid head, enough grid staff, a supervisor."""
    from envgrid.grids.models import GridRole

    roles = [a.role for a in assignments if a.person.is_active]
    gaps = []
    if not (grid.duties or "").strip():
        gaps.append("未明确网格职责")
    if GridRole.LEADER not in roles:
        gaps.append("未明确主要行政领导")
    if GridRole.HEAD not in roles:
        gaps.append("缺网格长")
    staff = roles.count(GridRole.STAFF)
    if staff < min_staff:
        gaps.append(f"网格员不足（{staff}/{min_staff}）")
    if GridRole.SUPERVISOR not in roles:
        gaps.append("缺监管员")
    return gaps


def _grids() -> list[Any]:
    from envgrid.grids.models import Grid

    return list(
        Grid.objects.filter(is_active=True).select_related("owner_unit", "parent").order_by("path")
    )


def division_payload() -> dict[str, Any]:
    by_grid, rules = _roster()
    features = []
    complete = 0
    for g in _grids():
        min_staff = g.min_staff if g.min_staff is not None else rules.get(g.level, rules[-1])
        gaps = construction_gaps(g, by_grid.get(g.pk, []), min_staff)
        complete += not gaps
        features.append(
            {
                "type": "Feature",
                "geometry": g.boundary,
                "properties": {
                    "code": g.code,
                    "name": g.name,
                    "level": g.level,
                    "parent_code": g.parent.code if g.parent else None,
                    "owner_unit": g.owner_unit.name,
                    "construction": "complete" if not gaps else "building",
                    "construction_label": "已建成" if not gaps else "建设中",
                    "gaps": gaps,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "generated_at": _iso(timezone.now()),
        "stats": {
            "total": len(features),
            "complete": complete,
            "building": len(features) - complete,
        },
        "features": features,
    }


def duties_payload() -> dict[str, Any]:
    """Each grid's duties and responsible persons: name, role, public phone only."""
    from envgrid.grids.models import GridRole

    by_grid, rules = _roster()
    order = {r: i for i, r in enumerate(GridRole.values)}
    out = []
    for g in _grids():
        assignments = sorted(
            (a for a in by_grid.get(g.pk, []) if a.person.is_active),
            key=lambda a: (order.get(a.role, 9), a.started_at),
        )
        min_staff = g.min_staff if g.min_staff is not None else rules.get(g.level, rules[-1])
        out.append(
            {
                "code": g.code,
                "name": g.name,
                "level": g.level,
                "parent_code": g.parent.code if g.parent else None,
                "owner_unit": g.owner_unit.name,
                "duties": g.duties,
                "people": [
                    {
                        "role": a.role,
                        "role_label": str(GridRole(a.role).label),
                        "name": a.person.name,
                        "public_phone": a.person.public_phone,
                        "duties": a.duties,
                    }
                    for a in assignments
                ],
                "gaps": construction_gaps(g, assignments, min_staff),
            }
        )
    return {"generated_at": _iso(timezone.now()), "grids": out}


def hazard_payload(h: Hazard) -> dict[str, Any]:
    return {
        "id": h.pk,
        "place": h.place,
        "lon": h.lon,
        "lat": h.lat,
        "grid": h.grid.name if h.grid is not None else "",
        "kind": h.kind,
        "kind_label": str(h.get_kind_display()),
        "level": h.level,
        "level_label": str(h.get_level_display()),
        "description": h.description,
        "measures": h.measures,
        "status": h.status,
        "status_label": str(h.get_status_display()),
        "responsible_unit": h.responsible_unit.name,
        "found_on": _iso(h.found_on),
        "rectify_due": _iso(h.rectify_due),
    }


def _area(p: Petition) -> str:
    if p.grid_id is None:
        return "区域外"
    return p.grid.name  # type: ignore[union-attr]


def petition_payload(p: Petition, summary: str) -> dict[str, Any]:
    from envgrid.obligations.services import obligations_for

    from .petitions import KIND_HANDLE

    handle = obligations_for(p, KIND_HANDLE, live_only=False).order_by("-started_at").first()
    return {
        "category": p.category,
        "category_label": str(p.get_category_display()),
        "area": _area(p),
        "lon": coarse(p.lon),
        "lat": coarse(p.lat),
        "received_on": _iso(timezone.localtime(p.received_at).date()),
        "accepted_on": _iso(timezone.localtime(p.accepted_at).date()) if p.accepted_at else None,
        "closed_on": _iso(timezone.localtime(p.closed_at).date()) if p.closed_at else None,
        "status": p.status,
        "status_label": str(p.get_status_display()),
        "unit": p.unit.name,
        "summary": scrub(summary, p),
        "on_time": (not handle.completed_late) if handle and handle.completed_at else None,
        "linked_count": p.duplicates.count(),
    }


def emission_batch_payload(batch: EmissionBatch) -> dict[str, Any]:
    agg = batch.records.aggregate(
        entities=Count("entity", distinct=True),
        exceed=Count("id", filter=Q(exceeded=True)),
    )
    periods = batch.records.order_by("period_start").values_list("period_start", "period_end")
    first = periods.first()
    last = batch.records.order_by("-period_end").values_list("period_end", flat=True).first()
    return {
        "batch": batch.pk,
        "rows": batch.row_count,
        "entities": agg["entities"],
        "exceedances": agg["exceed"],
        "period_from": _iso(first[0]) if first else None,
        "period_to": _iso(last) if last else None,
    }


_PRIVATE_KEYS = ("phone", "mobile", "email", "cert", "user", "password", "id_card", "id_number")


def public_json(value: Any) -> Any:
    """A before/after snapshot made fit for the public: private keys dropped (a public
    phone is kept), strings scrubbed of numbers that look like phones or identity cards."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = str(k).lower()
            if key != "public_phone" and any(p in key for p in _PRIVATE_KEYS):
                continue
            out[k] = public_json(v)
        return out
    if isinstance(value, list):
        return [public_json(v) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value


def adjustment_payload(adj: Any) -> dict[str, Any]:
    grid = adj.grid
    kind_label = str(adj.get_kind_display()) if hasattr(adj, "get_kind_display") else adj.kind
    return {
        "title": f"网格重大调整：{grid.name}（{kind_label}）",
        "summary": scrub(adj.summary),
        "grid_code": grid.code,
        "grid_name": grid.name,
        "kind": adj.kind,
        "kind_label": kind_label,
        "made_on": _iso(timezone.localtime(adj.made_at).date()) if adj.made_at else None,
        "before": public_json(adj.before),
        "after": public_json(adj.after),
    }


def adjustment_unit(adj: Any) -> Any:
    from .routing import office_for

    grid = adj.grid
    chain = [g for g in type(grid).objects.filter(pk__in=grid.path_ids())]
    chain.sort(key=lambda g: len(g.path))
    return office_for(grid, chain, grid.owner_unit) or grid.owner_unit


def status_counts_public() -> dict[str, int]:
    """Counts by status over all petitions (duplicates counted with their primary)."""
    rows = (
        Petition.objects.exclude(status=PetitionStatus.LINKED)
        .values("status")
        .annotate(n=Count("id"))
    )
    return {r["status"]: r["n"] for r in rows}


__all__ = ["MASK", "division_payload", "duties_payload"]
