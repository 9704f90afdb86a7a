"""Browser: the supervision register (督办台账, D6) as the office sees it, on a desktop and
on a phone; screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.obligations.services import obligation_open, sweep
from envgrid.obligations.supervision import supervision_issue_by_hand, supervision_reply
from envgrid.testing import browser_login

SH = ZoneInfo("Asia/Shanghai")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_D6_supervision_register_on_desktop_and_phone(browser_page, world, artifacts_dir):
    page = browser_page
    notices = []
    with time_machine.travel(dt.datetime(2025, 9, 1, 10, 0, tzinfo=SH), tick=False):
        for i, unit in enumerate(world.members):
            item = obligation_open(
                unit=unit,
                kind="test.lagging",
                title=f"整改超标排放企业{i + 1}",
                rule=DeadlineRule(RuleKind.WORKDAYS, 5),
                start_at=dt.datetime(2025, 8, 20, 9, 0, tzinfo=SH),
                start_event="交办",
            )
            notices.append(
                supervision_issue_by_hand(
                    actor=world.office_staff.user,
                    target_type="obligations.obligation",
                    target_id=item.pk,
                    addressee=unit,
                    demand="请于三个工作日内完成整改，并书面报告整改结果及长效管理措施",
                    workdays=3,
                )
            )
        supervision_reply(
            actor=world.member_staff[0].user, supervision=notices[0], reply="已完成整改"
        )
    with time_machine.travel(dt.datetime(2025, 9, 5, 9, 0, tzinfo=SH), tick=False):
        sweep()
    browser_login(page, world.office_staff.user.username)
    page.goto(page.base + "/obligations/supervision/")
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 3
    assert page.locator("table.list .status-late").count() == 2
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(artifacts_dir / "supervision-register-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(artifacts_dir / "supervision-register-390.png"), full_page=True)
    page.click(f"text={notices[1].number}")
    assert page.locator("text=回复督办").count() == 0  # the office does not reply
    page.screenshot(path=str(artifacts_dir / "supervision-detail-390.png"), full_page=True)
