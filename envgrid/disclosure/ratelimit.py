"""Per-address rate limit for public submissions, on the Django cache (fixed window)."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest

from envgrid.core.clientaddr import client_ip

from .conf import public_limits


def client_address(request: HttpRequest) -> str:
    """The client's address: one rule for the whole application (core.clientaddr)."""
    return client_ip(request)


def rate_limited(request: HttpRequest, scope: str = "petition") -> bool:
    """Count this submission; True when the address is over its limit for the window.
    The address is used only as a cache key and is never stored with the petition."""
    limits = public_limits()
    window = int(time.time() // max(1, limits.rate_seconds))
    key = f"envgrid:rate:{scope}:{client_address(request)}:{window}"
    if cache.add(key, 1, timeout=limits.rate_seconds + 5):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=limits.rate_seconds + 5)
            count = 1
    return count > limits.rate_count
