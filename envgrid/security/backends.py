"""Login throttling (django-axes) for logins that come with a request.

Axes's own backend refuses `authenticate()` without a request; calls without one
(management commands, test helpers) have no client to throttle, so they pass through to
the model backend unchanged while every web and API login is counted."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    def authenticate(  # type: ignore[override]
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
