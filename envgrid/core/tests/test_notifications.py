"""Notifications of a batch (`notify_many`, what the overdue sweep uses): every inbox row in
one INSERT, the same rows `notify` writes, e-mail only after commit and one per address."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from envgrid.core.models import Notification
from envgrid.core.notifications import Message, notify, notify_many

pytestmark = pytest.mark.django_db


def _users(n: int, *, email: bool = True) -> list:
    User = get_user_model()
    return [
        User.objects.create_user(
            username=f"n{i}", password="x", email=f"n{i}@example.org" if email else ""
        )
        for i in range(n)
    ]


def test_notify_many_writes_what_notify_writes_in_one_insert():
    a, b, c = _users(3)
    messages = [
        Message(users=[a, None, b], subject="甲" * 310, body="正文一", link="/a/"),
        Message(users=[], subject="无人"),
        Message(users=[c, a], subject="乙", body="正文二", link="/b/"),
    ]
    with CaptureQueriesContext(connection) as ctx:
        assert notify_many(messages) == 4
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and len(ctx.captured_queries) == 1
    got = sorted(Notification.objects.values_list("recipient_id", "subject", "body", "link"))
    Notification.objects.all().delete()
    for m in messages:
        notify(users=m.users, subject=m.subject, body=m.body, link=m.link)
    assert got == sorted(
        Notification.objects.values_list("recipient_id", "subject", "body", "link")
    )
    assert notify_many([]) == 0 and notify_many([Message(users=[None], subject="x")]) == 0


def test_notify_many_mails_after_commit_one_per_address(
    settings, django_capture_on_commit_callbacks
):
    settings.ENVGRID_EMAIL_ENABLED = True
    a, b = _users(2)
    (nomail,) = [get_user_model().objects.create_user(username="quiet", password="x", email="")]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify_many(
            [
                Message(users=[a, b, nomail], subject="逾期提醒：一", body="截止时间已过。"),
                Message(users=[a], subject="逾期升级：二", body="已升级。"),
            ]
        )
    assert mail.outbox == []  # nothing before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    by_to = {m.to[0]: m for m in mail.outbox}
    assert len(mail.outbox) == 2 and set(by_to) == {a.email, b.email}
    # An address with one message gets that message as it is.
    assert (by_to[b.email].subject, by_to[b.email].body) == ("逾期提醒：一", "截止时间已过。")
    # With several, one digest naming them all.
    digest = by_to[a.email]
    assert digest.subject == "逾期提醒：一 等 2 条通知"
    assert "逾期提醒：一\n截止时间已过。" in digest.body and "逾期升级：二\n已升级。" in digest.body


def test_notify_many_mail_failure_is_logged_not_raised(
    settings, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    settings.ENVGRID_EMAIL_ENABLED = True
    (a,) = _users(1)

    def broken(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", broken)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_many([Message(users=[a], subject="主题")]) == 1
    assert Notification.objects.count() == 1
    assert "notification e-mail failed" in caplog.text
