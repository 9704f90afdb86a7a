"""Notifications: the in-app inbox always; e-mail too when ENVGRID_EMAIL_ENABLED is set."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from .models import Notification

log = logging.getLogger(__name__)


def notify(*, users: Iterable[Any], subject: str, body: str = "", link: str = "") -> int:
    recipients = [u for u in users if u is not None]
    if not recipients:
        return 0
    Notification.objects.bulk_create(
        [Notification(recipient=u, subject=subject[:300], body=body, link=link) for u in recipients]
    )
    if settings.ENVGRID_EMAIL_ENABLED:
        emails = [u.email for u in recipients if getattr(u, "email", "")]
        if emails:

            def _send() -> None:
                try:
                    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, emails)
                except Exception:  # mail trouble must never undo the recorded work
                    log.exception("notification e-mail failed")

            transaction.on_commit(_send)
    return len(recipients)
