"""The whole meeting flow in a real browser: schedule, attendance, decision, the owner's
report, the office's closure."""

import datetime as dt

import pytest
from django.utils import timezone

from envgrid.meetings.models import Decision, DecisionStatus, Meeting
from envgrid.testing import World, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def switch_user(page, username):
    # The login page of a logged-in user also carries the header's logout button, so start
    # from a fresh session rather than clicking the first submit button on it.
    page.context.clear_cookies()
    browser_login(page, username)


def test_M4_M5_M6_meeting_flow_in_the_browser(browser_page, artifacts_dir):
    page = browser_page
    world = World()
    office, owner = world.office_staff.user, world.member_staff[0].user

    # The office schedules a meeting the leader convenes, an hour ago (recorded afterwards).
    browser_login(page, office.username)
    page.goto(page.base + "/meetings/new/")
    page.fill("#id_title", "浏览器测试联席会议")
    start = timezone.localtime() - dt.timedelta(hours=1)
    page.fill("#id_starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "区政府三楼会议室")
    page.select_option("#id_convener", str(world.leader.pk))
    page.select_option("#id_agenda-0-kind", "coordination")
    page.select_option("#id_agenda-0-problem_kind", "hot")
    page.fill("#id_agenda-0-title", "群众反映强烈的餐饮油烟问题")
    page.click("button.primary[type=submit]")
    page.wait_for_load_state("networkidle")
    meeting = Meeting.objects.get()
    assert page.url.endswith(f"/meetings/{meeting.pk}/")

    # Attendance: everyone present except one absent member with a reason.
    for p in meeting.participants.all():
        page.select_option(f"#att-{p.unit_id}", "present")
    absent = world.members[2]
    page.select_option(f"#att-{absent.pk}", "absent")
    page.fill(f"#reason-{absent.pk}", "参加省督察反馈会")
    page.click("#btn-attendance")
    page.wait_for_load_state("networkidle")
    assert "出席情况已登记" in page.content()
    page.click("#btn-hold")
    page.wait_for_load_state("networkidle")
    assert "已召开" in page.inner_text("h1")

    # A decision owned by the first member unit.
    page.fill("#id_text", "两周内完成辖区餐饮油烟净化设施排查整改")
    page.check(f"#decision-form input[name=owners][value='{world.members[0].pk}']")
    due = timezone.localdate() + dt.timedelta(days=14)
    page.fill("#id_due_date", due.isoformat())
    page.click("#btn-decision")
    page.wait_for_load_state("networkidle")
    decision = Decision.objects.get()
    assert "决定事项已登记" in page.content()

    # The owner reports completion.
    switch_user(page, owner.username)
    page.goto(page.base + f"/meetings/decisions/{decision.pk}/")
    page.fill("#progress-text", "已排查餐饮单位46家，全部安装油烟净化设施")
    page.check("#progress-completed")
    page.click("#btn-progress")
    page.wait_for_load_state("networkidle")
    assert "已报完成待核验" in page.inner_text("#decision-status")

    # The office verifies and closes it.
    switch_user(page, office.username)
    page.goto(page.base + f"/meetings/decisions/{decision.pk}/")
    page.fill("#close-note", "抽查5家，属实")
    page.click("#btn-close")
    page.wait_for_load_state("networkidle")
    assert "已核验办结" in page.inner_text("#decision-status")
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.CLOSED
    page.screenshot(path=str(artifacts_dir / "meetings_decision_closed.png"), full_page=True)

    page.goto(page.base + f"/meetings/{meeting.pk}/")
    page.screenshot(path=str(artifacts_dir / "meetings_meeting_detail.png"), full_page=True)
    page.goto(page.base + "/meetings/decisions/")
    page.screenshot(path=str(artifacts_dir / "meetings_tracker.png"), full_page=True)
