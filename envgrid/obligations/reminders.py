"""Reminders before deadlines (催办, SPEC D6), run by the sweep.

Every open, unpaused obligation reminds its responsible person and the people of its unit
`obligations.reminder_workdays_before` working days before its due day (default 2: an item
due on Monday reminds on the Thursday before) and, if `obligations.reminder_on_due_day`,
on the due day itself — once each: a `ReminderSent` row per (obligation, offset) is the
record, so a second sweep sends nothing. An item that enters a window late (opened the day
before it is due) is reminded at once, with every offset it has already passed recorded,
so it is not reminded twice in one day. The reminders of one sweep are batched: each
person gets one message listing all of their items.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core import rules
from envgrid.core.audit import audit_record
from envgrid.core.calendar import WorkCalendar
from envgrid.core.deadlines import end_of_day, local_date
from envgrid.core.notifications import Message, notify_many

from .models import Obligation, ObligationStatus, ReminderSent

log = logging.getLogger(__name__)


def reminder_offsets() -> list[int]:
    """The working-day offsets before the due day at which reminders go, largest first."""
    offsets = set()
    before = int(rules.get("obligations.reminder_workdays_before"))
    if before > 0:
        offsets.add(before)
    if rules.get("obligations.reminder_on_due_day"):
        offsets.add(0)
    return sorted(offsets, reverse=True)


def _workdays_left(cal: WorkCalendar, today: dt.date, due_day: dt.date) -> int:
    return cal.workdays_between(today, due_day)


def send_reminders(now: dt.datetime | None = None) -> int:
    """Send the reminders due at `now`; returns the number of messages written."""
    now = now or timezone.now()
    offsets = reminder_offsets()
    if not offsets:
        return 0
    cal = WorkCalendar(fallback_unknown=True)
    today = local_date(now)
    horizon = end_of_day(cal.add_workdays(today, offsets[0]))
    with transaction.atomic():
        items = list(
            Obligation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=ObligationStatus.OPEN,
                paused_since__isnull=True,
                due_at__gte=now,
                due_at__lte=horizon,
            )
            .select_related("unit", "person__user")
            .order_by("due_at", "id")
        )
        if not items:
            return 0
        sent: dict[int, set[int]] = defaultdict(set)
        for ob_id, offset in ReminderSent.objects.filter(
            obligation__in=[ob.pk for ob in items]
        ).values_list("obligation_id", "offset"):
            sent[ob_id].add(offset)
        rows: list[ReminderSent] = []
        due_now: list[tuple[Obligation, int]] = []
        for ob in items:
            left = _workdays_left(cal, today, local_date(ob.due_at))
            reached = [o for o in offsets if left <= o and o not in sent[ob.pk]]
            if not reached:
                continue
            rows.extend(
                ReminderSent(obligation=ob, offset=o, due_at=ob.due_at, sent_at=now)
                for o in reached
            )
            due_now.append((ob, left))
        if not due_now:
            return 0
        ReminderSent.objects.bulk_create(rows)
        messages = _messages(due_now)
        written = notify_many(messages)
        audit_record(
            actor=None,
            action="obligation.remind",
            object_type="obligations.obligation",
            object_id=str(due_now[0][0].pk)[:64],
            object_repr=f"{len(due_now)} reminded",
            after={
                "ids": [ob.pk for ob, _left in due_now],
                "offsets": [r.offset for r in rows],
            },
        )
    return written


def _recipients(obs: list[Obligation]) -> dict[int, list[Any]]:
    """{obligation id: the users reminded}: its responsible person and its unit's people."""
    from .services import users_of_units

    people = users_of_units({ob.unit_id for ob in obs})
    found: dict[int, list[Any]] = {}
    for ob in obs:
        users = list(people.get(ob.unit_id, []))
        if ob.person is not None and ob.person.user_id and ob.person.user not in users:
            users.insert(0, ob.person.user)
        found[ob.pk] = users
    return found


def _line(ob: Obligation, left: int) -> str:
    due = f"{timezone.localtime(ob.due_at):%Y-%m-%d %H:%M}"
    if left == 0:
        return _("· %(title)s（%(unit)s）— 今日 %(due)s 到期") % {
            "title": ob.title,
            "unit": ob.unit.name,
            "due": due,
        }
    return _("· %(title)s（%(unit)s）— 还有 %(n)d 个工作日，截止 %(due)s") % {
        "title": ob.title,
        "unit": ob.unit.name,
        "n": left,
        "due": due,
    }


def _messages(due_now: list[tuple[Obligation, int]]) -> list[Message]:
    """One message per person, listing every item reminded to them in this sweep."""
    recipients = _recipients([ob for ob, _left in due_now])
    per_user: dict[int, tuple[Any, list[tuple[Obligation, int]]]] = {}
    for ob, left in due_now:
        for user in recipients[ob.pk]:
            per_user.setdefault(user.pk, (user, []))[1].append((ob, left))
    messages = []
    for user, listed in per_user.values():
        if len(listed) == 1:
            ob, left = listed[0]
            subject = _("催办提醒：%(title)s") % {"title": ob.title}
            link = ob.link
        else:
            subject = _("催办提醒：%(n)d 项事项即将到期") % {"n": len(listed)}
            link = "/obligations/"
        body = "\n".join(_line(ob, left) for ob, left in listed)
        messages.append(Message(users=[user], subject=subject, body=body, link=link))
    return messages
