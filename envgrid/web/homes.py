"""What each role's home shows (issue 20, part 6).

- A unit's people: their live tasks grouped by kind (its human label) and by when they fall
  due — overdue, today, this week, later — with counts.
- The leading-group office: the same for its own tasks, plus what needs it today: items to
  dispatch, items to approve, and everything overdue in its scope grouped by unit and
  counted (not one red row per item).
Leaders land on the overview (views.home redirects them).

The grouping is pure (no query) so it is tested without a browser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envgrid.obligations.labels import kind_family, kind_label
from envgrid.obligations.models import ObligationStatus

OVERDUE, TODAY, WEEK, LATER = "overdue", "today", "week", "later"
BUCKETS: list[tuple[str, Any]] = [
    (OVERDUE, _("已逾期")),
    (TODAY, _("今天到期")),
    (WEEK, _("本周到期")),
    (LATER, _("以后到期")),
]


def bucket(ob: Any, now: dt.datetime) -> str:
    """When a live task falls due, seen from `now` (local days; the week ends on Sunday)."""
    if ob.status == ObligationStatus.OVERDUE or ob.due_at < now:
        return OVERDUE
    today = timezone.localtime(now).date()
    day = timezone.localtime(ob.due_at).date()
    if day == today:
        return TODAY
    if day <= today + dt.timedelta(days=6 - today.weekday()):
        return WEEK
    return LATER


@dataclass
class KindRow:
    family: str
    label: str
    counts: dict[str, int] = field(default_factory=lambda: {k: 0 for k, _l in BUCKETS})

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def cells(self) -> list[tuple[str, str, int]]:
        return [(k, str(label), self.counts[k]) for k, label in BUCKETS]


@dataclass
class Section:
    key: str
    label: str
    items: list[Any]
    more: int = 0  # tasks beyond the ones shown (views.SECTION_LIMIT)

    @property
    def count(self) -> int:
        return len(self.items) + self.more


@dataclass
class TaskGroups:
    kinds: list[KindRow]
    sections: list[Section]
    totals: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def total_cells(self) -> list[tuple[str, str, int]]:
        return [(k, str(label), self.totals[k]) for k, label in BUCKETS]


def group_tasks(items: Iterable[Any], now: dt.datetime) -> TaskGroups:
    """Tasks by kind label × due bucket (counts), and by due bucket (the lists), each list
    soonest due first; kinds with the most overdue first, then the most tasks."""
    rows: dict[str, KindRow] = {}
    sections = {k: Section(k, str(label), []) for k, label in BUCKETS}
    totals = {k: 0 for k, _l in BUCKETS}
    for ob in sorted(items, key=lambda o: o.due_at):
        b = bucket(ob, now)
        family = kind_family(ob.kind)
        row = rows.setdefault(family, KindRow(family, kind_label(ob.kind)))
        row.counts[b] += 1
        totals[b] += 1
        ob.due_bucket = b
        sections[b].items.append(ob)
    kinds = sorted(rows.values(), key=lambda r: (-r.counts[OVERDUE], -r.total, r.label))
    return TaskGroups(
        kinds=kinds, sections=[s for s in sections.values() if s.items], totals=totals
    )


@dataclass
class Queue:
    """One line of the office's "needs you today": a count and where to act on it."""

    label: str
    count: int
    url: str


@dataclass
class UnitOverdue:
    unit_id: int
    unit: str
    count: int
    url: str
    kinds: list[tuple[str, int]]


def overdue_by_unit(qs: QuerySet) -> list[UnitOverdue]:
    """Overdue obligations (already scoped to what the user may see) per responsible unit,
    most first, with the kinds behind each count."""
    rows = (
        qs.filter(status=ObligationStatus.OVERDUE)
        .values("unit_id", "unit__name", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    units: dict[int, UnitOverdue] = {}
    register = reverse("obligations:register")
    for r in rows:
        u = units.get(r["unit_id"])
        if u is None:
            u = units[r["unit_id"]] = UnitOverdue(
                unit_id=r["unit_id"],
                unit=r["unit__name"],
                count=0,
                url=f"{register}?late=overdue&unit={r['unit_id']}",
                kinds=[],
            )
        u.count += r["n"]
        u.kinds.append((kind_label(r["kind"]), r["n"]))
    for u in units.values():
        merged: dict[str, int] = {}
        for label, n in u.kinds:
            merged[label] = merged.get(label, 0) + n
        u.kinds = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
    return sorted(units.values(), key=lambda u: (-u.count, u.unit))


def office_queues(user: Any) -> tuple[list[Queue], list[Queue]]:
    """(to dispatch, to approve) for the office: only lines with something waiting, each
    scoped by the app's own read policy."""
    from envgrid.cases.models import ClearanceStatus, CrimeFlagClearance, DisputeStatus
    from envgrid.cases.policies import case_policy, dispute_policy
    from envgrid.disclosure.models import PetitionStatus, PublicationStatus
    from envgrid.disclosure.policies import petition_policy, publication_policy
    from envgrid.enforcement.models import ActionStatus
    from envgrid.enforcement.policies import action_policy

    dispatch = [
        Queue(
            str(_("信访件待受理交办")),
            petition_policy.scope(user).filter(status=PetitionStatus.RECEIVED).count(),
            reverse("disclosure:petition_inbox"),
        ),
        Queue(
            str(_("退回待重新交办的信访件")),
            petition_policy.scope(user).filter(status=PetitionStatus.OBJECTED).count(),
            reverse("disclosure:petition_inbox"),
        ),
        Queue(
            str(_("管辖争议待指定")),
            dispute_policy.scope(user).filter(status=DisputeStatus.OPEN).count(),
            reverse("cases:disputes"),
        ),
    ]
    approve = [
        Queue(
            str(_("撤销涉嫌犯罪标记待审批")),
            CrimeFlagClearance.objects.filter(
                status=ClearanceStatus.PENDING, case__in=case_policy.scope(user)
            ).count(),
            reverse("cases:list"),
        ),
        Queue(
            str(_("联合执法方案待批准")),
            sum(
                1
                for a in action_policy.scope(user).filter(status=ActionStatus.DRAFT)[:500]
                if action_policy.can_approve(user, a)
            ),
            reverse("enforcement:list"),
        ),
        Queue(
            str(_("公开信息待发布")),
            publication_policy.scope(user).filter(status=PublicationStatus.REVIEWED).count(),
            reverse("disclosure:manage"),
        ),
    ]
    return [q for q in dispatch if q.count], [q for q in approve if q.count]
