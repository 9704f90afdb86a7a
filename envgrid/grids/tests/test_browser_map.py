"""G1/G3 as a person sees them: the map page draws every visible grid's boundary
(Leaflet served locally, no tiles, no internet) and answers a point lookup."""

from __future__ import annotations

import pytest

from envgrid.grids.models import Grid
from envgrid.grids.services import grid_import_geojson
from envgrid.grids.synthetic import zhanqian_outline
from envgrid.grids.testing import voronoi_features
from envgrid.testing import browser_login, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_G1_map_page_shows_the_boundaries(browser_page, artifacts_dir, world):
    grid_import_geojson(
        actor=world.admin,
        data={
            "type": "FeatureCollection",
            "features": voronoi_features(world.government, n3=6, n4=7),
        },
    )
    n_grids = Grid.objects.count()
    admin = make_user("mapadmin", superuser=True)
    page = browser_page
    browser_login(page, admin.username)
    page.goto(page.base + "/grids/")
    page.wait_for_selector("#grid-map[data-loaded]")
    assert int(page.get_attribute("#grid-map", "data-loaded")) == n_grids
    # One SVG path per grid boundary drawn by Leaflet.
    paths = page.locator("#grid-map path.leaflet-interactive")
    assert paths.count() == n_grids
    # The level-3 labels are on the map, and the tree lists every grid.
    assert page.locator(".grid-label").count() == 6
    assert page.locator("ul.grid-tree a.tree-link").count() == n_grids
    # A point lookup through the API, from the page.
    inside = zhanqian_outline().representative_point()
    page.fill("#r-lon", f"{inside.x:.6f}")
    page.fill("#r-lat", f"{inside.y:.6f}")
    page.click("#resolve-form button[type=submit]")
    page.wait_for_selector("#resolve-out:not(:empty)")
    assert "站前区" in page.inner_text("#resolve-out")
    page.screenshot(path=str(artifacts_dir / "grids-map.png"), full_page=True)
    # Clicking a grid in the tree focuses it on the map.
    page.locator("ul.grid-tree a.tree-link").nth(3).click()
    page.wait_for_selector(".leaflet-popup-content")
    page.screenshot(path=str(artifacts_dir / "grids-map-selected.png"), full_page=True)
