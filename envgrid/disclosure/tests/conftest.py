"""Fixtures for disclosure tests: a small district with a grid tree inside a leading
group, petition submission helpers, and a clean cache (rate limits) per test."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

SH = ZoneInfo("Asia/Shanghai")
PW = "pw-Test-12345"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args).replace(tzinfo=SH)  # type: ignore[arg-type]


def box(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


def make_grid(code, name, level, owner, boundary, parent=None, group=None, duties=""):
    from shapely.geometry import shape

    from envgrid.grids.models import Grid

    minx, miny, maxx, maxy = shape(boundary).bounds
    g = Grid.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        owner_unit=owner,
        leading_group=group,
        boundary=boundary,
        min_lon=minx,
        min_lat=miny,
        max_lon=maxx,
        max_lat=maxy,
        duties=duties,
    )
    g.path = (parent.path if parent else "/") + f"{g.pk}/"
    g.save(update_fields=["path"])
    return g


def bump_grid_index() -> None:
    from envgrid.grids.index import bump_version

    bump_version()


@pytest.fixture(autouse=True)
def _clean_cache(request, settings):
    """The cache is the database cache (or Redis): cleared only where the test has the
    database (a test without it runs its own servers)."""
    settings.ENVGRID_PETITION_RATE = "1000/3600"
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "world", "district", "submit"} & set(request.fixturenames)
    )
    if uses_db:
        cache.clear()
    yield
    if uses_db:
        cache.clear()


@pytest.fixture
def district(world):
    """District grid (owned by the government, attached to the leading group) with two
    sub-district grids: west owned by members[0], east by members[1]."""
    root = make_grid(
        "ZQ",
        "测试区",
        2,
        world.government,
        box(122.20, 40.62, 122.30, 40.70),
        group=world.group,
        duties="全区网格化环境监管。",
    )
    west = make_grid(
        "ZQ-W",
        "西部街道",
        3,
        world.members[0],
        box(122.20, 40.62, 122.25, 40.70),
        parent=root,
        duties="辖区大气、水、噪声污染巡查。",
    )
    east = make_grid(
        "ZQ-E",
        "东部街道",
        3,
        world.members[1],
        box(122.25, 40.62, 122.30, 40.70),
        parent=root,
    )
    bump_grid_index()
    return SimpleNamespace(world=world, root=root, west=west, east=east)


WEST_POINT = (122.22, 40.66)
EAST_POINT = (122.28, 40.66)


@pytest.fixture
def submit(district):
    """Submit a petition through the service (as the public would)."""
    from envgrid.disclosure.petitions import petition_submit

    def _submit(**kw):
        data = {
            "category": "air",
            "description": "夜间工厂排放刺鼻气体。",
            "lon": WEST_POINT[0],
            "lat": WEST_POINT[1],
        }
        data.update(kw)
        return petition_submit(**data)

    return _submit


def login(client, person):
    assert client.login(username=person.user.username, password=PW)
    return client
