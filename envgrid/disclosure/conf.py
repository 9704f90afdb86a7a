"""Abuse limits for public submissions: rules (disclosure/rules.py; settings only)."""

from __future__ import annotations

from dataclasses import dataclass

from envgrid.core import rules


@dataclass(frozen=True)
class PublicLimits:
    rate_count: int  # submissions allowed per address ...
    rate_seconds: int  # ... within this many seconds
    max_text: int  # characters of a description
    max_photos: int
    max_photo_bytes: int
    allowed_mimes: tuple[str, ...]


def public_limits() -> PublicLimits:
    """ENVGRID_PETITION_RATE = "5/3600" means 5 submissions per address per hour."""
    rate = str(rules.get("disclosure.petition_rate"))
    count, _, seconds = rate.partition("/")
    return PublicLimits(
        rate_count=int(count or 5),
        rate_seconds=int(seconds or 3600),
        max_text=int(rules.get("disclosure.petition_max_text")),
        max_photos=int(rules.get("disclosure.petition_max_photos")),
        max_photo_bytes=int(rules.get("disclosure.petition_max_photo_bytes")),
        allowed_mimes=("image/jpeg", "image/png", "image/webp"),
    )
