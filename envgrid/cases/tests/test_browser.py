"""A browser walks a transfer: the finder transfers, the receiver accepts, completes the
handling and feeds back; each page shows what a user would see."""

from __future__ import annotations

import pytest

from envgrid.cases.models import Transfer, TransferStatus
from envgrid.testing import browser_login

from .conftest import complete_case

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_T4_browser_transfer_accept_complete_feedback(tree, browser_page, artifacts_dir):
    page = browser_page
    case = complete_case(tree.ca_staff, point=tree.p_cc, title="浏览器测试：跨界排污（合成）")

    browser_login(page, tree.ca_staff.user.username)
    page.goto(f"{page.base}/cases/{case.pk}/")
    assert "发生地网格不属本单位管辖" in page.content()
    page.click(f"a[href='/cases/{case.pk}/transfer/']")
    page.wait_for_load_state("networkidle")
    # The system proposes the owner of the lowest grid containing the place.
    assert page.input_value("#id_receiver_unit") == str(tree.cc.pk)
    page.fill("#id_reason", "违法行为发生地位于社区丙网格。")
    page.click("button:has-text('登记并移送')")
    page.wait_for_load_state("networkidle")
    t = Transfer.objects.get(case=case)
    assert t.number in page.content() and "待受理" in page.content()

    page.context.clear_cookies()
    browser_login(page, tree.cc_staff.user.username)
    page.goto(f"{page.base}/cases/transfers/in/")
    page.click(f"a:has-text('{t.number}')")
    page.wait_for_load_state("networkidle")
    page.click("#btn-accept")
    page.wait_for_load_state("networkidle")
    assert "已受理" in page.content()
    page.fill("#cmp-res", "已责令改正并处罚款（合成）。")
    page.click("#btn-complete")
    page.wait_for_load_state("networkidle")
    # Handling is recorded and shown; the feedback form is what is left to do.
    assert "已责令改正并处罚款（合成）。" in page.content()
    assert page.is_visible("#fb-text")
    t.refresh_from_db()
    assert t.status == TransferStatus.HANDLED
    page.fill("#fb-text", "已查处完毕，企业完成整改（合成）。")
    page.click("#btn-feedback")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts_dir / "cases_transfer_fed_back.png"), full_page=True)
    t.refresh_from_db()
    assert t.status == TransferStatus.FED_BACK
    assert "已反馈" in page.content()
    # The receiver's letter download carries the number.
    with page.expect_download() as dl:
        page.click("a:has-text('移送函')")
    assert dl.value.suggested_filename.endswith(".docx")
