"""Notifications: the in-app inbox always; e-mail too when ENVGRID_EMAIL_ENABLED is set."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Notification

log = logging.getLogger(__name__)

# Rows per INSERT in notify_many: a sweep batch writes thousands, and PostgreSQL takes at
# most 65,535 parameters in one statement.
BULK_ROWS = 1000


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


@dataclass(frozen=True)
class Message:
    """One notification of a batch: the same subject, body and link to every user."""

    users: Sequence[Any]
    subject: str
    body: str = ""
    link: str = ""


def notify_many(messages: Iterable[Message]) -> int:
    """`notify` for a batch of messages (the overdue sweep): every inbox row in one
    bulk_create, so the cost does not grow by a query per message; e-mail after commit,
    one mail per address over one connection — the message itself when it is the
    address's only one, else a digest of all of them. Returns the rows written."""
    rows: list[Notification] = []
    by_email: dict[str, list[Message]] = {}
    for m in messages:
        for u in m.users:
            if u is None:
                continue
            rows.append(
                Notification(recipient=u, subject=m.subject[:300], body=m.body, link=m.link)
            )
            email = getattr(u, "email", "")
            if email:
                by_email.setdefault(email, []).append(m)
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, batch_size=BULK_ROWS)
    if settings.ENVGRID_EMAIL_ENABLED and by_email:
        mails = [_mail(email, msgs) for email, msgs in by_email.items()]
        transaction.on_commit(lambda: _send_all(mails))
    return len(rows)


def _mail(email: str, messages: list[Message]) -> EmailMessage:
    if len(messages) == 1:
        subject, body = messages[0].subject, messages[0].body
    else:
        subject = _("%(subject)s 等 %(n)d 条通知") % {
            "subject": messages[0].subject,
            "n": len(messages),
        }
        body = "\n\n".join(f"{m.subject}\n{m.body}".rstrip() for m in messages)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [email])


def _send_all(mails: list[EmailMessage]) -> None:
    try:
        get_connection().send_messages(mails)
    except Exception:  # mail trouble must never undo the recorded work
        log.exception("notification e-mail failed (%d messages)", len(mails))
