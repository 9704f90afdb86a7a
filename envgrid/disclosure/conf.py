"""Abuse limits for public submissions: Django settings with defaults (data, not literals)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


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
    rate = str(getattr(settings, "ENVGRID_PETITION_RATE", "5/3600"))
    count, _, seconds = rate.partition("/")
    return PublicLimits(
        rate_count=int(count or 5),
        rate_seconds=int(seconds or 3600),
        max_text=int(getattr(settings, "ENVGRID_PETITION_MAX_TEXT", 2000)),
        max_photos=int(getattr(settings, "ENVGRID_PETITION_MAX_PHOTOS", 3)),
        max_photo_bytes=int(getattr(settings, "ENVGRID_PETITION_MAX_PHOTO_BYTES", 5 * 1024 * 1024)),
        allowed_mimes=("image/jpeg", "image/png", "image/webp"),
    )
