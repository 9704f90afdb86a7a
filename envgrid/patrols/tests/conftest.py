from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from envgrid.entities.models import SupervisedEntity
from envgrid.grids.models import GridAssignment, GridRole
from envgrid.grids.testing import build_square_tree
from envgrid.org.models import PersonRole
from envgrid.testing import make_person

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)  # a Monday in the past


def make_entity(grid: Any, name: str, lon: float, lat: float, category: str = "key") -> Any:
    return SupervisedEntity.objects.create(
        name=name, lon=lon, lat=lat, grid=grid, category=category
    )


@pytest.fixture
def patrol_world(world):
    grids = build_square_tree(world.admin, world)
    a1 = grids["A1"]
    staff = make_person(a1.owner_unit, "网格员甲", role=PersonRole.GRID)
    other_staff = make_person(grids["B1"].owner_unit, "网格员乙", role=PersonRole.GRID)
    for person, grid in ((staff, a1), (other_staff, grids["B1"])):
        GridAssignment.objects.create(
            grid=grid, role=GridRole.STAFF, person=person, started_at=T0 - dt.timedelta(days=60)
        )
    a1_unit_person = make_person(a1.owner_unit, "甲一社区干部")
    return SimpleNamespace(
        world=world,
        grids=grids,
        a1=a1,
        staff=staff,
        other_staff=other_staff,
        a1_unit_person=a1_unit_person,
        k1=make_entity(a1, "合成化工甲厂", 122.205, 40.665),
        k2=make_entity(a1, "合成化工乙厂", 122.215, 40.665),
        gen=make_entity(a1, "合成洗车行", 122.21, 40.662, "general"),
    )
