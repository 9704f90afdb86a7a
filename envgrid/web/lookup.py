"""The searchable selects' endpoint (issue 20, part 4): GET /lookup/<kind>/?q=… answers
{"results": [{"id", "label", "hint"}]} from what the user may see (the kind's policy
scope), searching name, code or credit code, and pinyin initials ("sthjj" finds
生态环境局). Entities keep their initials in a column; units, people and grids are few per
user and are matched in Python against the scoped rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from envgrid.cases.models import Case
from envgrid.cases.policies import case_policy
from envgrid.core.pinyin import initials
from envgrid.entities.models import SupervisedEntity
from envgrid.entities.policies import entity_policy
from envgrid.grids.models import Grid
from envgrid.grids.policies import grid_policy
from envgrid.org.models import Person, Unit
from envgrid.org.policies import person_policy, unit_policy

MAX_RESULTS = 20
#: Rows of one user's units, people or grids matched in Python for pinyin initials.
PY_SCAN = 5000

Row = dict[str, Any]


def _initials_match(
    qs: QuerySet, q: str, names: Callable[[Any], Iterable[str]], seen: set[int], room: int
) -> list[Any]:
    if not (q.isascii() and q.isalnum()) or room <= 0:
        return []
    found = []
    for obj in qs.exclude(pk__in=seen)[:PY_SCAN]:
        if any(initials(n).startswith(q.lower()) for n in names(obj) if n):
            found.append(obj)
            if len(found) >= room:
                break
    return found


def _search(
    qs: QuerySet, q: str, text: Q, names: Callable[[Any], Iterable[str]] | None
) -> list[Any]:
    if not q:
        return list(qs[:MAX_RESULTS])
    hits = list(qs.filter(text)[:MAX_RESULTS])
    if names is not None:
        hits += _initials_match(qs, q, names, {o.pk for o in hits}, MAX_RESULTS - len(hits))
    return hits


def _entities(user: Any, q: str) -> list[Row]:
    qs = entity_policy.scope(user, SupervisedEntity.objects.select_related("grid")).order_by("name")
    text = Q(name__icontains=q) | Q(uscc__istartswith=q)
    if q.isascii() and q.isalnum():
        text |= Q(name_initials__startswith=q.lower())
    return [
        {
            "id": e.pk,
            "label": e.name,
            "hint": " · ".join(x for x in (e.uscc, e.grid.name if e.grid else "") if x),
        }
        for e in _search(qs, q, text, None)
    ]


def _units(user: Any, q: str) -> list[Row]:
    qs = unit_policy.scope(user, Unit.objects.filter(is_active=True)).order_by("code")
    text = Q(name__icontains=q) | Q(short_name__icontains=q) | Q(code__istartswith=q)
    return [
        {"id": u.pk, "label": u.name, "hint": u.get_kind_display()}
        for u in _search(qs, q, text, lambda u: (u.name, u.short_name))
    ]


def _people(user: Any, q: str) -> list[Row]:
    qs = person_policy.scope(
        user, Person.objects.filter(is_active=True).select_related("unit")
    ).order_by("unit__code", "name")
    text = Q(name__icontains=q) | Q(title__icontains=q) | Q(unit__name__icontains=q)
    return [
        {"id": p.pk, "label": p.name, "hint": " · ".join(x for x in (p.title, p.unit.name) if x)}
        for p in _search(qs, q, text, lambda p: (p.name,))
    ]


def _grids(user: Any, q: str) -> list[Row]:
    qs = grid_policy.scope(user, Grid.objects.select_related("owner_unit")).order_by("code")
    text = Q(name__icontains=q) | Q(code__istartswith=q)
    return [
        {"id": g.pk, "label": g.name, "hint": " · ".join((g.code, g.owner_unit.name))}
        for g in _search(qs, q, text, lambda g: (g.name,))
    ]


def _cases(user: Any, q: str) -> list[Row]:
    qs = case_policy.scope(user, Case.objects.all()).order_by("-pk")
    text = Q(number__icontains=q) | Q(title__icontains=q)
    return [
        {"id": c.pk, "label": f"{c.number} {c.title}", "hint": c.get_status_display()}
        for c in _search(qs, q, text, None)
    ]


KINDS: dict[str, Callable[[Any, str], list[Row]]] = {
    "entities": _entities,
    "units": _units,
    "people": _people,
    "grids": _grids,
    "cases": _cases,
}


@login_required
@require_GET
def lookup(request: HttpRequest, kind: str) -> JsonResponse:
    search = KINDS.get(kind)
    if search is None:
        return JsonResponse(
            {"code": "unknown_kind", "message": _("未知的查找类型。"), "fields": {"kind": [kind]}},
            status=404,
        )
    q = (request.GET.get("q") or "").strip()[:50]
    return JsonResponse({"results": search(request.user, q)})
