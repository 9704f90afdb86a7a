"""Role homes (issue 20, part 6), without a browser: a unit's tasks grouped by kind (its
human label, never the code) and by due date — overdue, today, this week, later — with
counts; the office's home: what needs it today (to dispatch, to approve) and the overdue
in its scope grouped by unit and counted, not one red row per item. Time is frozen on
Wednesday 4 March 2026, 10:00 (the week ends Sunday 8 March)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.obligations.services import obligation_open, sweep
from envgrid.web.homes import LATER, OVERDUE, TODAY, WEEK, bucket, group_tasks

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=SH)


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


def _open(unit, kind, start, days, title, person=None):
    return obligation_open(
        unit=unit,
        person=person,
        kind=kind,
        title=title,
        rule=DeadlineRule(RuleKind.DAYS, days),
        start_at=start,
        start_event="测试起算",
    )


@pytest.fixture
def tasks(world):
    """Member unit 0: one overdue transfer feedback, two report dues (today, Friday), a
    meeting decision due next week, one free-standing item; member unit 1: two overdue."""
    m0, m1 = world.members[0], world.members[1]
    with time_machine.travel(at(2026, 2, 1, 9, 0), tick=False):
        made = {
            "late": _open(m0, "transfer.feedback.jurisdiction", at(2026, 2, 1, 9, 0), 10, "反馈甲"),
            "late1": _open(m1, "report.due", at(2026, 2, 1, 9, 0), 5, "报送乙"),
            "late2": _open(m1, "meeting.decision", at(2026, 2, 1, 9, 0), 5, "落实丙"),
        }
    with time_machine.travel(NOW, tick=False):
        sweep()
        made["today"] = _open(m0, "report.due", at(2026, 3, 4, 8, 0), 0, "报送今天")
        made["friday"] = _open(m0, "report.due.monthly", at(2026, 3, 4, 8, 0), 2, "报送周五")
        made["next"] = _open(m0, "meeting.decision", at(2026, 3, 4, 8, 0), 7, "落实下周")
        made["free"] = _open(m0, "test.free", at(2026, 3, 4, 8, 0), 30, "自由事项")
    for ob in made.values():
        ob.refresh_from_db()
    return made


def test_due_buckets_are_overdue_today_this_week_later(tasks):
    assert bucket(tasks["late"], NOW) == OVERDUE
    assert bucket(tasks["today"], NOW) == TODAY
    assert bucket(tasks["friday"], NOW) == WEEK
    assert bucket(tasks["next"], NOW) == LATER
    # Sunday 23:59 is still this week; Monday is later.
    sunday = tasks["next"]
    sunday.due_at = at(2026, 3, 8, 23, 59, 59)
    assert bucket(sunday, NOW) == WEEK
    sunday.due_at = at(2026, 3, 9, 0, 0, 0)
    assert bucket(sunday, NOW) == LATER


def test_unit_tasks_grouped_by_kind_label_and_due_date_with_counts(tasks):
    mine = [tasks[k] for k in ("late", "today", "friday", "next", "free")]
    groups = group_tasks(mine, NOW)
    table = {row.label: row.counts for row in groups.kinds}
    assert table == {
        "反馈查处结果": {OVERDUE: 1, TODAY: 0, WEEK: 0, LATER: 0},
        "按期报送信息": {OVERDUE: 0, TODAY: 1, WEEK: 1, LATER: 0},
        "落实会议议定事项": {OVERDUE: 0, TODAY: 0, WEEK: 0, LATER: 1},
        "其他事项": {OVERDUE: 0, TODAY: 0, WEEK: 0, LATER: 1},
    }
    # The kind with overdue items first.
    assert groups.kinds[0].label == "反馈查处结果"
    assert groups.totals == {OVERDUE: 1, TODAY: 1, WEEK: 1, LATER: 2}
    assert groups.total == 5
    assert [(s.key, s.count) for s in groups.sections] == [
        (OVERDUE, 1),
        (TODAY, 1),
        (WEEK, 1),
        (LATER, 2),
    ]
    assert [o.title for o in groups.sections[-1].items] == ["落实下周", "自由事项"]


def test_unit_home_page_shows_kind_labels_and_bucket_counts_never_kind_codes(client, world, tasks):
    client.force_login(world.member_staff[0].user)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("home")).content.decode()
    assert "<h1>我的待办</h1>" in page
    for label in ("反馈查处结果", "按期报送信息", "落实会议议定事项", "其他事项"):
        assert label in page
    visible = re.sub(r"<[^>]+>", " ", page)  # the text a person reads, not attributes
    assert not re.search(r"\b(transfer|report|meeting|test)\.[a-z_.]+", visible)
    assert re.search(r'data-bucket="overdue">\s*<h3>已逾期 <span class="num late">1</span>', page)
    assert re.search(r'data-bucket="later">\s*<h3>以后到期 <span class="num">2</span>', page)
    # The other unit's overdue items are not this unit's business.
    assert "报送乙" not in page
    # Deadlines read as sentences, not "起算 + N 自然日".
    assert "测试起算后 7 日内" not in page  # the home lists due dates, the rule is on the item
    detail = client.get(reverse("obligations:detail", args=[tasks["next"].pk])).content.decode()
    assert "测试起算后 7 日内" in detail and "自然日" not in detail


def test_office_home_counts_overdue_by_unit_and_lists_what_to_approve(client, world, tasks):
    from envgrid.disclosure.models import Publication, PublicationKind, PublicationStatus

    Publication.objects.create(
        kind=PublicationKind.DUTIES,
        title="职责清单（待发布）",
        unit=world.office_unit,
        status=PublicationStatus.REVIEWED,
    )
    client.force_login(world.office_staff.user)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("home")).content.decode()
    assert "<h1>今日工作</h1>" in page
    overdue = page[page.index('data-queue="overdue"') : page.index("本办公室的待办")]
    # Grouped by unit, most first, with the kinds behind each count.
    m0, m1 = world.members[0], world.members[1]
    assert overdue.index(m1.name) < overdue.index(m0.name)
    assert re.search(rf"{re.escape(m1.name)}</a> <span class=\"num late\">2</span>", overdue)
    assert re.search(rf"{re.escape(m0.name)}</a> <span class=\"num late\">1</span>", overdue)
    assert "按期报送信息 1 · 落实会议议定事项 1" in overdue
    assert f"?late=overdue&amp;unit={m1.pk}" in overdue
    assert '<span class="num late">3</span>' in overdue  # the total
    # No row per escalated item: the item titles are not listed on the office home.
    assert "反馈甲" not in page and "报送乙" not in page
    approve = page[page.index('data-queue="approve"') : page.index('data-queue="overdue"')]
    assert "公开信息待发布" in approve and '<span class="num">1</span>' in approve
    dispatch = page[page.index('data-queue="dispatch"') : page.index('data-queue="approve"')]
    assert "没有待分派的事项。" in dispatch


def test_role_homes_in_english_name_kinds_and_buckets_in_english(client, world, tasks):
    client.force_login(world.member_staff[0].user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("home")).content.decode()
    for text in ("My tasks", "Feed back the outcome", "Submit a scheduled report", "Due later"):
        assert text in page
    assert "反馈查处结果" not in page and "以后到期" not in page
    client.force_login(world.office_staff.user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("home")).content.decode()
    for text in ("Today", "To dispatch", "To approve", "Nothing to dispatch."):
        assert text in page
    assert "3 units have overdue items, most first." not in page  # two units here
    assert "2 units have overdue items, most first." in page
