"""Fixtures for joint enforcement tests (builders live in factories.py)."""

from __future__ import annotations

import pytest
import time_machine

from envgrid.entities.models import SupervisedEntity
from envgrid.org.models import PersonRole
from envgrid.testing import make_person

from .factories import CERT, EW, NOW, make_grid


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def ew(world, frozen) -> EW:
    organiser, north_unit, south_unit = world.members
    district = make_grid(
        "D01",
        "测试区",
        2,
        organiser,
        leading_group=world.group,
        bounds=(122.0, 40.0, 123.0, 41.0),
    )
    north = make_grid("D01-N", "北街道", 3, north_unit, district, bounds=(122.0, 40.5, 123.0, 41.0))
    south = make_grid("D01-S", "南街道", 3, south_unit, district, bounds=(122.0, 40.0, 123.0, 40.5))
    plant_n = SupervisedEntity.objects.create(
        name="北区合成化工厂", lon=122.5, lat=40.7, grid=north
    )
    plant_s = SupervisedEntity.objects.create(name="南区电镀厂", lon=122.5, lat=40.2, grid=south)
    plant_d = SupervisedEntity.objects.create(
        name="区直属污水处理厂", lon=122.1, lat=40.49, grid=district
    )
    return EW(
        w=world,
        district=district,
        north=north,
        south=south,
        plant_n=plant_n,
        plant_s=plant_s,
        plant_d=plant_d,
        organiser=organiser,
        north_unit=north_unit,
        south_unit=south_unit,
        org_staff=world.member_staff[0],
        org_leader=make_person(organiser, "组织单位局长", role=PersonRole.LEADER),
        north_staff=world.member_staff[1],
        south_staff=world.member_staff[2],
        org_officers=[make_person(organiser, f"局执法员{i}", cert=CERT) for i in (1, 2)],
        north_officers=[make_person(north_unit, f"北执法员{i}", cert=CERT) for i in (1, 2)],
        south_officers=[make_person(south_unit, f"南执法员{i}", cert=CERT) for i in (1, 2)],
    )


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Test users all share one password; hashing it slowly for each adds minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
