"""Participant suggestions (M3): which units an agenda item's linked object concerns.

Other apps register a function for their objects without meetings importing them:

    from envgrid.meetings.registry import register_participant_suggester
    register_participant_suggester(lambda case: [case.handler_unit], model=Case)

fn(obj) -> iterable of org.Unit. Suggesters registered without a model are asked about
every object. Built in: a meeting Decision suggests its owner units, and any object
suggests the units its "unit-ish" foreign keys point at (a FK to Unit, or to something
with an owner_unit such as a Grid).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

ParticipantSuggester = Callable[[Any], Iterable[Any]]

_suggesters: list[tuple[type | None, ParticipantSuggester]] = []


def register_participant_suggester(
    fn: ParticipantSuggester, *, model: type | None = None
) -> ParticipantSuggester:
    if (model, fn) not in _suggesters:
        _suggesters.append((model, fn))
    return fn


def participant_suggesters() -> list[tuple[type | None, ParticipantSuggester]]:
    return list(_suggesters)


def _is_unit_model(model: Any) -> bool:
    meta = getattr(model, "_meta", None)
    return meta is not None and meta.label_lower == "org.unit"


def unit_fk_suggester(obj: Any) -> list[Any]:
    """Generic: the units an object's foreign keys (and many-to-many fields) point at,
    directly or through an `owner_unit` (grids)."""
    units: list[Any] = []
    meta = getattr(obj, "_meta", None)
    if meta is None:
        return units
    for field in meta.get_fields():
        if not getattr(field, "concrete", False) or not field.is_relation:
            continue
        target = field.related_model
        if target is None:
            continue
        if field.many_to_many:
            if _is_unit_model(target):
                units.extend(getattr(obj, field.name).all())
            continue
        if not (field.many_to_one or field.one_to_one):
            continue
        if _is_unit_model(target):
            value = getattr(obj, field.name, None)
            if value is not None:
                units.append(value)
        elif any(
            f.name == "owner_unit" and _is_unit_model(getattr(f, "related_model", None))
            for f in target._meta.get_fields()
        ):
            value = getattr(obj, field.name, None)
            owner = getattr(value, "owner_unit", None) if value is not None else None
            if owner is not None:
                units.append(owner)
    return units


def suggested_units(obj: Any) -> list[Any]:
    """Every unit any suggester names for `obj`, without duplicates, in a stable order.
    A failing suggester is logged and skipped: a suggestion must never block a meeting."""
    if obj is None:
        return []
    seen: dict[int, Any] = {}
    for model, fn in [*participant_suggesters(), (None, unit_fk_suggester)]:
        if model is not None and not isinstance(obj, model):
            continue
        try:
            found = list(fn(obj) or [])
        except Exception:
            log.exception("participant suggester %r failed for %r", fn, obj)
            continue
        for unit in found:
            if unit is not None and _is_unit_model(type(unit)) and unit.pk not in seen:
                seen[unit.pk] = unit
    return list(seen.values())
