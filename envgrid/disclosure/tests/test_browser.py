"""Browser: the public map page and a petition being submitted, as the public sees them
(screenshots into test-artifacts/), using the keyboard for the form."""

from __future__ import annotations

import pytest

from envgrid.disclosure import services
from envgrid.disclosure.models import Petition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_I4_public_map_page_shows_grids_by_construction_status(
    browser_page, district, artifacts_dir
):
    from .test_publications import publish, roster

    w = district.world
    roster(district)
    publish(services.publication_draft_division(actor=w.office_staff.user, unit=w.office_unit), w)
    page = browser_page
    page.goto(page.base + "/disclosure/map/")
    page.wait_for_selector("#grid-map path.leaflet-interactive")
    paths = page.locator("#grid-map path.leaflet-interactive")
    assert paths.count() == 3
    assert page.locator("table.list tbody tr").count() == 3
    assert page.get_by_text("建设中").first.is_visible()
    page.screenshot(path=str(artifacts_dir / "disclosure-public-map.png"), full_page=True)
    # On a phone the same page works (the table folds into blocks).
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base + "/disclosure/map/")
    page.wait_for_selector("#grid-map path.leaflet-interactive")
    page.screenshot(path=str(artifacts_dir / "disclosure-public-map-phone.png"), full_page=True)


def test_I1_petition_submitted_from_the_public_form(browser_page, district, artifacts_dir):
    from .test_publications import publish

    w = district.world
    publish(services.publication_draft_division(actor=w.office_staff.user, unit=w.office_unit), w)
    page = browser_page
    page.goto(page.base + "/disclosure/petition/new/")
    page.wait_for_selector("#pick-map path.leaflet-interactive")
    page.select_option("#id_category", "noise")
    page.fill("#id_description", "工地夜间22点后仍在施工，噪声很大。")
    # Pick the place on the map: a click inside the east grid fills the coordinates.
    box = page.locator("#pick-map").bounding_box()
    assert box is not None
    x, y = page.evaluate(
        "() => { const p = document.getElementById('pick-map').leafletMap"
        ".latLngToContainerPoint([40.66, 122.28]); return [p.x, p.y]; }"
    )
    page.mouse.click(box["x"] + x, box["y"] + y)
    lon = float(page.input_value("#id_lon"))
    assert 122.25 < lon < 122.30
    page.fill("#id_place_text", "东部街道某工地")
    # Optional contact, by keyboard.
    page.focus("#id_contact_name")
    page.keyboard.type("演示举报人")
    page.keyboard.press("Tab")
    page.keyboard.type("13912345678")
    page.screenshot(path=str(artifacts_dir / "disclosure-petition-form.png"), full_page=True)
    page.click("button.primary[type=submit]")
    page.wait_for_selector("#tracking-code")
    code = page.inner_text("#tracking-code").strip()
    page.screenshot(path=str(artifacts_dir / "disclosure-petition-submitted.png"), full_page=True)
    p = Petition.objects.get(tracking_code=code)
    assert p.unit == w.members[1] and p.category == "noise"
    assert p.contact_phone == "13912345678"
    page.click("text=查询进度")
    page.wait_for_selector("#t-h")
    body = page.inner_text("main")
    assert code in body and w.members[1].name in body and "13912345678" not in body
    page.screenshot(path=str(artifacts_dir / "disclosure-petition-track.png"), full_page=True)
