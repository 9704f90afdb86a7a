"""Login throttling (django-axes, and security.throttle's per-address and per-account
limits) for logins that come with a request.

Axes's own backend refuses `authenticate()` without a request; calls without one
(management commands, test helpers) have no client to throttle, so they pass through to
the model backend unchanged while every web and API login is counted."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied

from . import throttle


class LoginThrottleBackend(AxesStandaloneBackend):
    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        found = throttle.refusal(request, username)
        if found is not None:
            throttle.refuse(request, *found)
            raise AxesBackendPermissionDenied("login throttled")
        return super().authenticate(request, username, password, **kwargs)
