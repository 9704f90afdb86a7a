"""Issue 20, parts 1 and 4, in a browser: the new-case form's entity picker searches as one
types (pinyin initials) and the chosen entity is registered with the case; the new case
form and the transfer form with its ✓/✗ checklist at 1280 and 390 px (screenshots in
test-artifacts/, no sideways overflow)."""

from __future__ import annotations

import pytest

from envgrid.cases.models import Case
from envgrid.entities.models import SupervisedEntity
from envgrid.testing import browser_login

from .conftest import complete_case

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

WIDTHS = (1280, 390)


def _no_sideways_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_browser_entity_picker_on_the_new_case_form(tree, browser_page, artifacts_dir):
    page = browser_page
    for i in range(60):  # more than a select lists: the picker carries only the chosen
        SupervisedEntity.objects.create(
            name=f"测试企业{i:02d}有限公司", lon=tree.p_ca[0], lat=tree.p_ca[1], grid=tree.g_ca
        )
    target = SupervisedEntity.objects.create(
        name="金山化工有限公司",
        uscc="91210200MA0QAAAA1X",
        lon=tree.p_ca[0],
        lat=tree.p_ca[1],
        grid=tree.g_ca,
    )
    browser_login(page, tree.ca_staff.user.username)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{page.base}/cases/new/")
        page.wait_for_load_state("networkidle")
        _no_sideways_overflow(page)
        # The title takes the whole row of the form.
        title_w = page.eval_on_selector("#id_title", "e => e.getBoundingClientRect().width")
        grid_w = page.eval_on_selector(".form-grid", "e => e.getBoundingClientRect().width")
        assert title_w > grid_w * 0.9
        page.screenshot(path=str(artifacts_dir / f"cases_new_form_{width}.png"), full_page=True)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{page.base}/cases/new/")
    assert page.locator("#id_entity option").count() == 1  # only the empty choice
    page.fill("#id_title", "浏览器测试：选择监管对象（合成）")
    page.click("#id_entity_search")
    page.keyboard.type("jshg")
    option = page.locator("#id_entity_results li[role=option]", has_text="金山化工有限公司")
    option.wait_for()
    page.screenshot(path=str(artifacts_dir / "cases_new_form_entity_picker.png"))
    option.click()
    assert page.input_value("#id_entity") == str(target.pk)
    assert page.input_value("#id_entity_search") == "金山化工有限公司"
    page.click("button:has-text('登记')")
    page.wait_for_load_state("networkidle")
    case = Case.objects.get(title="浏览器测试：选择监管对象（合成）")
    assert case.entity_id == target.pk
    assert f"案件 {case.number} 已登记" in page.content()


def test_browser_transfer_form_checklist(tree, browser_page, artifacts_dir):
    page = browser_page
    case = complete_case(
        tree.ca_staff, point=tree.p_cc, evidence_count=0, title="浏览器测试：缺证据（合成）"
    )
    browser_login(page, tree.ca_staff.user.username)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{page.base}/cases/{case.pk}/transfer/")
        page.wait_for_load_state("networkidle")
        _no_sideways_overflow(page)
        missing = page.locator(".checklist li.missing")
        assert missing.count() == 1
        assert "附有证据材料" in missing.inner_text()
        assert page.locator(".checklist li.ok").count() == 3
        # The suggested receiver is chosen; the picker shows its name.
        assert page.input_value("#id_receiver_unit") == str(tree.cc.pk)
        assert page.input_value("#id_receiver_unit_search") == "社区丙"
        page.screenshot(
            path=str(artifacts_dir / f"cases_transfer_form_{width}.png"), full_page=True
        )
