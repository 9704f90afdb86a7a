"""On login: start the idle timer (interactive logins) and hold TOTP accounts at the gate."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import SEEN_KEY, TOTP_PENDING_KEY
from .services import login_complete, totp_enabled


@receiver(user_logged_in, dispatch_uid="envgrid.security.on_login")
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    # A login through a form or the API is a POST; test clients' force_login is not, so
    # tests that travel in time keep their session.
    if getattr(request, "method", None) == "POST":
        session[SEEN_KEY] = int(time.time())
    if totp_enabled(user):
        session[TOTP_PENDING_KEY] = True
    else:
        session.pop(TOTP_PENDING_KEY, None)
        if getattr(request, "method", None) == "POST":
            login_complete(request=request, user=user, via="web")
