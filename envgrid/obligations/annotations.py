"""Notes other apps add to rows of the overdue register (T6), without obligations
importing them: accountability marks the consequences found and the proposal made.

    register_register_annotator(fn)   # fn(list[Obligation]) -> {obligation id: [Note]}

Each annotator answers for a whole page in a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Note:
    label: str
    url: str = ""
    css: str = ""


Annotator = Callable[[list[Any]], Mapping[int, list[Note]]]

_annotators: list[Annotator] = []


def register_register_annotator(fn: Annotator) -> Annotator:
    if fn not in _annotators:
        _annotators.append(fn)
    return fn


def annotate(obligations: Iterable[Any]) -> list[Any]:
    """Set `register_notes` on each obligation (a list of Note) and return them."""
    items = list(obligations)
    notes: dict[int, list[Note]] = {o.pk: [] for o in items}
    for fn in _annotators:
        for pk, found in (fn(items) or {}).items():
            notes.setdefault(pk, []).extend(found)
    for o in items:
        o.register_notes = notes.get(o.pk, [])
    return items
