"""Keeping a petitioner's identity out of everything the public can read (I4).

Public renderings never read a petition's contact fields; any free text that reaches
the public (a staff-written summary, a progress note) goes through `scrub` first, which
removes the petitioner's own name, phone and e-mail wherever they appear and anything
that looks like a phone number, an identity-card number or an e-mail address."""

from __future__ import annotations

import re
from typing import Any

MASK = "***"

_PATTERNS = [
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # e-mail
    re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"),  # resident identity card number
    re.compile(r"(?<!\d)(\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"),  # mobile
    re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)"),  # landline with area code
    re.compile(r"(?<!\d)\d{7,8}(?!\d)"),  # bare landline
]


def _variants(value: str) -> list[str]:
    value = (value or "").strip()
    if not value:
        return []
    out = {value}
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 5:
        out.add(digits)
    return sorted(out, key=len, reverse=True)


def scrub(text: str, petition: Any = None) -> str:
    """Text safe to show the public. Pass the petition so its own contact data is removed
    even where no pattern would catch it (a name)."""
    if not text:
        return ""
    if petition is not None:
        for field in ("contact_name", "contact_phone", "contact_email"):
            for v in _variants(getattr(petition, field, "")):
                if len(v) >= 2:
                    text = text.replace(v, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text


def coarse(value: float, places: int = 3) -> float:
    """Coordinates shown to the public are rounded (3 places ≈ 100 m), so a petition about
    a neighbour does not point at the petitioner's door."""
    return round(float(value), places)
