"""Browser: the patrol page on a phone (390 × 844) — resume the open patrol, see the track
on the map and the checks, record a check; screenshots into test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest

from envgrid.patrols.models import PatrolCheck
from envgrid.patrols.services import check_record, patrol_start, track_add
from envgrid.testing import browser_login

from .test_tracks import geojson, walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def no_horizontal_overflow(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_patrol_page_on_a_phone(patrol_world, browser_page, artifacts_dir):
    w = patrol_world
    user = w.staff.user
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    patrol = patrol_start(actor=user, started_at=start)
    pts = walk(40, start=start)
    for part in (pts[25:], pts[:12], pts[12:25]):  # out of order, merged by time
        track_add(actor=user, patrol=patrol, data=geojson(part))
    check_record(
        actor=user,
        patrol=patrol,
        entity=w.k1,
        result="finding",
        notes="雨水排口有黄色污水流出（合成）",
        checked_at=pts[10][0],
    )
    check_record(
        actor=user,
        patrol=patrol,
        entity=w.gen,
        result="ok",
        checked_at=pts[20][0],
        lon=122.23,
        lat=40.665,
    )

    page = browser_page
    page.set_viewport_size(PHONE)
    browser_login(page, user.username)
    page.goto(page.base + "/patrols/")
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(artifacts_dir / "patrols-list-phone.png"), full_page=True)
    # The app crashed: "开始/继续巡查" brings back the open patrol, never a new one.
    with page.expect_navigation():
        page.click("button:has-text('开始/继续巡查')")
    page.wait_for_selector("#patrol-map path.leaflet-interactive")
    assert page.url.endswith(f"/patrols/{patrol.pk}/")
    assert page.locator("#patrol-map").get_attribute("data-points") == "40"
    content = page.content()
    assert "合成化工甲厂" in content and "网格外检查，不计入" in content
    assert "登记为案件" in content
    page.screenshot(path=str(artifacts_dir / "patrols-resumed-phone.png"), full_page=True)

    page.select_option("#c-entity", str(w.k2.pk))
    page.select_option("#c-result", "ok")
    page.fill("#c-notes", "现场正常（合成）")
    save = page.locator("button:has-text('保存检查')")
    box = save.bounding_box()
    assert box is not None and box["height"] >= 40 and box["width"] >= 120  # a thumb's size
    with page.expect_navigation():
        save.click()
    page.wait_for_selector("#patrol-map path.leaflet-interactive")
    assert "检查已记录" in page.content()
    assert PatrolCheck.objects.filter(patrol=patrol, entity=w.k2).exists()
    assert no_horizontal_overflow(page)
    # Chinese text at a readable size.
    size = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('.checks li')).fontSize)"
    )
    assert size >= 14
    page.screenshot(path=str(artifacts_dir / "patrols-detail-phone.png"), full_page=True)
