"""Per-address rate limit for public submissions, on the shared Django cache (fixed
window). The cache is the database cache or Redis (config/settings.py CACHES), so every
worker process counts against the same limit."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest

from envgrid.core.clientaddr import client_ip

from .conf import public_limits


def client_address(request: HttpRequest) -> str:
    """The client's address: one rule for the whole application (core.clientaddr)."""
    return client_ip(request)


def rate_limit_check(request: HttpRequest, scope: str = "petition") -> int | None:
    """Count this submission; None when allowed, else the seconds until the window ends
    (for `Retry-After`). The address is used only as a cache key and is never stored
    with the petition."""
    limits = public_limits()
    seconds = max(1, limits.rate_seconds)
    now = time.time()
    window = int(now // seconds)
    key = f"envgrid:rate:{scope}:{client_address(request)}:{window}"
    if cache.add(key, 1, timeout=seconds + 5):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=seconds + 5)
            count = 1
    if count <= limits.rate_count:
        return None
    return max(1, int((window + 1) * seconds - now + 0.999))


def rate_limited(request: HttpRequest, scope: str = "petition") -> bool:
    """True when the address is over its limit (see rate_limit_check)."""
    return rate_limit_check(request, scope) is not None
