"""Keeping a petitioner's identity out of everything the public can read (I4).

`scrub` is the one function every public rendering goes through (publications on save
and on render, public progress notes, replies, Open311 output, open-data files). It
removes the identity of every party to the petition (the petitioner and the
petitioners of linked duplicates) in normalised form — with or without spaces, full- or
half-width characters, phone numbers with separators or a country code, e-mail in any
case, identity-card numbers with a lowercase x — and anything that looks like a Chinese
mobile or landline number, an identity-card number or an e-mail address."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

MASK = "***"

_SEP = r"[\s\-.()（）]*"
_PATTERNS = [
    re.compile(r"[\w.+-]+\s*(?:@|＠)\s*[\w-]+(?:\s*\.\s*[\w-]+)+"),  # e-mail
    # resident identity card number (18 digits, last may be X), with optional separators
    re.compile(r"(?<![\dA-Za-z])\d{6}" + _SEP + r"\d{8}" + _SEP + r"\d{3}[\dXx](?![\dA-Za-z])"),
    # mobile, optional +86 / 0086 / 86 prefix and separators between digits
    re.compile(r"(?<!\d)(?:(?:\+|00)?86" + _SEP + r")?1[3-9](?:" + _SEP + r"\d){9}(?!\d)"),
    re.compile(r"(?<!\d)0\d{2,3}" + _SEP + r"\d{7,8}(?!\d)"),  # landline with area code
    re.compile(r"(?<!\d)\d{7,8}(?!\d)"),  # bare landline
]
# Characters ignored when matching a party's identity: spaces and the separators people
# put into names, numbers and addresses.
_IGNORED = re.compile(r"[\s\-.()（）·•_/\\,，、+@]")


# Full-width digits, letters and the characters of numbers and addresses become their
# half-width forms; Chinese punctuation (，：（）) is left as written.
_HALF_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if chr(c) not in "，：；（）！？"}
_HALF_WIDTH[0x3000] = 0x20


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def _squeezed(text: str) -> tuple[str, list[int]]:
    """`text` without ignored characters, and for each kept character its index in `text`."""
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if not _IGNORED.match(ch):
            low = ch.lower()
            chars.append(low if len(low) == 1 else ch)
            index.append(i)
    return "".join(chars), index


def identity_forms(name: str = "", phone: str = "", email: str = "") -> set[str]:
    """The squeezed, normalised forms under which a party may appear in text."""
    forms: set[str] = set()
    name = normalise(name).strip()
    if name:
        forms.add(_squeezed(name)[0])
        parts = name.split()
        if len(parts) > 1:  # "surname given" also written "given surname"
            forms.add(_squeezed(" ".join(reversed(parts)))[0])
    digits = re.sub(r"\D", "", normalise(phone))
    if digits:
        for prefix in ("0086", "86"):
            if digits.startswith(prefix) and len(digits) - len(prefix) >= 7:
                digits = digits[len(prefix) :]
                break
        forms.add(digits)
        if digits.startswith("0") and len(digits) > 8:  # landline without the area code
            forms.add(digits[-8:])
    email = normalise(email).strip()
    if email:
        forms.add(_squeezed(email)[0])
        local = email.split("@")[0]
        if len(_squeezed(local)[0]) >= 4:
            forms.add(_squeezed(local)[0])
    return {f for f in forms if len(f) >= 2 and not (f.isdigit() and len(f) < 5)}


def parties(petition: Any) -> list[Any]:
    """Every petition whose petitioner is a party to this one: itself, the one it was
    linked to, and the duplicates linked to either."""
    if petition is None:
        return []
    found: dict[Any, Any] = {}
    todo = [petition]
    while todo and len(found) < 50:
        p = todo.pop()
        if p is None or p.pk in found:
            continue
        found[p.pk] = p
        if getattr(p, "duplicate_of_id", None):
            todo.append(p.duplicate_of)
        if p.pk is not None:
            todo.extend(p.duplicates.all()[:50])
    return list(found.values())


def petition_forms(petition: Any) -> set[str]:
    forms: set[str] = set()
    for p in parties(petition):
        forms |= identity_forms(p.contact_name, p.contact_phone, p.contact_email)
    return forms


def _mask_forms(text: str, forms: Iterable[str]) -> str:
    squeezed, index = _squeezed(text)
    spans: list[tuple[int, int]] = []
    for form in sorted(forms, key=len, reverse=True):
        start = squeezed.find(form)
        while start >= 0:
            spans.append((index[start], index[start + len(form) - 1] + 1))
            start = squeezed.find(form, start + 1)
    if not spans:
        return text
    out, pos = [], 0
    for a, b in sorted(spans):
        if b <= pos:
            continue
        a = max(a, pos)
        out.append(text[pos:a])
        out.append(MASK)
        pos = b
    out.append(text[pos:])
    return "".join(out)


def scrub(text: Any, petition: Any = None, forms: Iterable[str] = ()) -> str:
    """Text safe to show the public. Pass the petition so the identity of every party to
    it is removed even where no pattern would catch it (a name); `forms` adds others."""
    if not text:
        return ""
    text = str(text).translate(_HALF_WIDTH)
    all_forms = set(forms)
    if petition is not None:
        all_forms |= petition_forms(petition)
    if all_forms:
        text = _mask_forms(text, all_forms)
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text


def scrub_json(value: Any, petition: Any = None, forms: Iterable[str] = ()) -> Any:
    """`scrub` applied to every string inside a JSON-like value."""
    forms = set(forms)
    if petition is not None:
        forms |= petition_forms(petition)
    if isinstance(value, str):
        return scrub(value, forms=forms)
    if isinstance(value, dict):
        return {k: scrub_json(v, forms=forms) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(v, forms=forms) for v in value]
    return value


def coarse(value: float, places: int = 3) -> float:
    """Coordinates shown to the public are rounded (3 places ≈ 100 m), so a petition about
    a neighbour does not point at the petitioner's door."""
    return round(float(value), places)
