"""The sweep's escalations a batch at a time (docs/performance.md, goal 3): the queries of
a batch do not grow with its items, and the answers are the ones the per-item sweep gave
— the grid tree's owner of the parent grid, one-item resolvers in registration order,
the leading group's office as the fallback, the same recipients and texts."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.models import Notification
from envgrid.grids.models import Grid
from envgrid.grids.testing import build_square_tree
from envgrid.obligations import registry, services
from envgrid.obligations.models import Obligation
from envgrid.obligations.reminders import reminder_offsets
from envgrid.testing import make_person

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def tree(world):
    return build_square_tree(world.admin, world)


def _open(world, tree, n: int, start: dt.datetime) -> list[Obligation]:
    """n items over four kinds of owner, always the same units: a community (escalates
    up the grid tree to its sub-district), a sub-district with a responsible person (to
    the district government owning the root grid), a member unit owning no grid and the
    government owning only the root (both to the leading group's office)."""
    owners = [
        (tree["A1"].owner_unit, None),
        (world.members[0], world.member_staff[0]),
        (world.members[2], None),
        (world.government, None),
    ]
    return [
        services.obligation_open(
            unit=owners[i % 4][0],
            person=owners[i % 4][1],
            kind="test.batch",
            title=f"批量事项{i}",
            rule=DeadlineRule(RuleKind.WORKDAYS, 1),
            start_at=start,
            start_event="测试",
            link=f"/x/{i}/",
        )
        for i in range(n)
    ]


def _sweep_queries(world, tree, n: int, start: dt.datetime, now: dt.datetime) -> int:
    _open(world, tree, n, start)
    # The rule registry's overrides are read once per process (cached); read them before
    # counting, so the first measured sweep does not carry that one-off query.
    reminder_offsets()
    with time_machine.travel(now, tick=False), CaptureQueriesContext(connection) as ctx:
        result = services.sweep(batch=500)
    assert result.marked == n and result.escalated == n
    return len(ctx.captured_queries)


def test_sweep_queries_per_batch_do_not_grow_with_its_items(world, tree):
    make_person(tree["A"].owner_unit, "街道工作人员")
    make_person(world.government, "区政府工作人员")
    q10 = _sweep_queries(world, tree, 10, at(2025, 9, 1, 10, 0), at(2025, 9, 20, 9, 0))
    q50 = _sweep_queries(world, tree, 50, at(2025, 10, 8, 10, 0), at(2025, 10, 25, 9, 0))
    # Before: ~4 queries an item (resolver, two notification INSERTs, the person's user),
    # so 50 items took ~160 more than 10. Now the same statements; only SQLite splits an
    # INSERT into chunks of 999 parameters (166 notifications), hence "nearly".
    assert q10 <= q50 <= q10 + 2, (q10, q50)
    assert q10 < 30


def test_batch_sweep_escalates_and_notifies_as_the_item_by_item_one_did(world, tree):
    street_staff = make_person(tree["A"].owner_unit, "街道工作人员")
    gov_staff = make_person(world.government, "区政府工作人员")
    items = _open(world, tree, 8, at(2025, 9, 1, 10, 0))
    with time_machine.travel(at(2025, 9, 20, 9, 0), tick=False):
        result = services.sweep(batch=3)
    assert result.escalated == 8
    expected = {
        tree["A1"].owner_unit.pk: tree["A"].owner_unit,  # community → its sub-district
        world.members[0].pk: world.government,  # sub-district → owner of the root grid
        world.members[2].pk: world.office_unit,  # no grid → the office
        world.government.pk: world.office_unit,  # root only → the office
    }
    for ob in Obligation.objects.filter(pk__in=[o.pk for o in items]):
        assert ob.escalated_to == expected[ob.unit_id]
        assert ob.escalated_at == at(2025, 9, 20, 9, 0)
        assert ob.events.filter(action="escalated").count() == 1
    office_users = {world.director.user_id, world.office_staff.user_id}
    got = Counter(Notification.objects.values_list("recipient_id", "subject"))
    assert max(got.values()) == 1
    # The responsible person of the sub-district's items, nobody else of that unit.
    ob1 = items[1]
    assert Notification.objects.filter(
        recipient=world.member_staff[0].user, subject=f"逾期提醒：{ob1.title}"
    ).exists()
    assert Notification.objects.get(
        recipient=gov_staff.user, subject=f"逾期升级：{world.members[0].name} — {ob1.title}"
    ).body == (f"{world.members[0].name} 的事项已逾期，按规定升级至本单位督办。")
    # The community has no staff: only the escalation, to the sub-district's people.
    ob0 = items[0]
    assert set(
        Notification.objects.filter(subject__endswith=ob0.title).values_list(
            "recipient_id", flat=True
        )
    ) == {street_staff.user_id, world.member_staff[0].user_id}
    # Only the root grid → the government's people are told, the office is escalated to.
    ob3 = items[3]
    gov_users = {u.pk for u in services.users_of_unit(world.government.pk)}
    assert gov_staff.user_id in gov_users
    assert (
        set(
            Notification.objects.filter(subject=f"逾期提醒：{ob3.title}").values_list(
                "recipient_id", flat=True
            )
        )
        == gov_users
    )
    assert (
        set(
            Notification.objects.filter(subject__startswith="逾期升级", link=ob3.link).values_list(
                "recipient_id", flat=True
            )
        )
        == office_users
    )
    reminder = Notification.objects.filter(subject=f"逾期提醒：{ob3.title}").first()
    assert reminder.body == "截止时间 2025-09-02 23:59 已过，请尽快办理。"
    assert reminder.link == "/x/3/"


def _old_grid_resolver(ob: Obligation):
    """The per-item grid resolver this issue replaced, as the reference answer."""
    grid = (
        Grid.objects.select_related("parent__owner_unit")
        .filter(owner_unit_id=ob.unit_id, is_active=True)
        .order_by("-level", "code")
        .first()
    )
    if grid is None or grid.parent is None:
        return None
    return grid.parent.owner_unit


def test_grid_resolver_batch_gives_the_per_item_answers(world, tree):
    from envgrid.grids.apps import escalate_up_the_grid_tree

    # members[1] owns B (level 3) and B2 (level 4): its lowest grid's parent is its own.
    Grid.objects.filter(code="B2").update(owner_unit=world.members[1])
    # members[2] owns only an inactive grid; the A2 community owns A2 and (inactive) B1.
    Grid.objects.filter(code="B1").update(owner_unit=world.members[2], is_active=False)
    units = [g.owner_unit for g in tree.values()] + list(world.members) + [world.office_unit]
    items = []
    for i, unit in enumerate(units):
        items.append(
            services.obligation_open(
                unit=unit,
                kind="test.grid",
                title=f"网格事项{i}",
                rule=DeadlineRule(RuleKind.DAYS, 1),
                start_at=at(2025, 9, 1, 10, 0),
                start_event="测试",
            )
        )
    with CaptureQueriesContext(connection) as ctx:
        answers = escalate_up_the_grid_tree(items)
    assert len(ctx.captured_queries) == 1
    assert answers == {ob.pk: _old_grid_resolver(ob) for ob in items}
    assert answers[items[0].pk] is None  # the root grid's owner


def test_one_item_resolvers_still_work_in_order_and_a_failure_is_contained(
    world, monkeypatch, caplog
):
    """A one-item resolver registered the old way is adapted; resolvers answer in
    registration order; one raising for an item leaves that item to the next resolver,
    a batch resolver raising leaves its whole batch to the next."""
    monkeypatch.setattr(registry, "_resolvers", [])
    monkeypatch.setattr(registry, "_adapted", {})
    special = world.members[2]

    def broken_batch(obs):
        raise RuntimeError("boom")

    def picky(ob):
        if ob.title.endswith("坏"):
            raise RuntimeError("bad item")
        return special if ob.kind == "test.special" else None

    registry.register_escalation_resolver_many(broken_batch)
    registry.register_escalation_resolver(picky)
    registry.register_escalation_resolver(picky)  # registering twice changes nothing
    assert len(registry.escalation_resolvers()) == 2
    items = [
        services.obligation_open(
            unit=world.members[0],
            kind=kind,
            title=title,
            rule=DeadlineRule(RuleKind.DAYS, 1),
            start_at=at(2025, 9, 1, 10, 0),
            start_event="测试",
        )
        for kind, title in [("test.special", "特别"), ("test.special", "特别坏"), ("x.y", "普通")]
    ]
    with time_machine.travel(at(2025, 9, 20, 9, 0), tick=False):
        services.sweep()
    got = {
        ob.title: ob.escalated_to
        for ob in Obligation.objects.filter(kind__in=["test.special", "x.y"])
    }
    assert got == {"特别": special, "特别坏": world.office_unit, "普通": world.office_unit}
    assert services.escalation_unit(items[0]) == special
    assert "escalation resolver" in caplog.text
