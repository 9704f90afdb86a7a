"""Fixtures for the case-transfer tests: a small grid tree with square boundaries, the
units of every route (police, discipline, judicial, procuratorate, government) with staff,
and helpers to register complete cases. All names are synthetic."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile

from envgrid.org.models import PersonRole, UnitKind
from envgrid.testing import make_person, make_unit

SH = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n%synthetic evidence\n" + b"0" * 100


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args).replace(tzinfo=SH)  # type: ignore[arg-type]


def square(lon0: float, lat0: float, lon1: float, lat1: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
    }


def make_grid(code, name, level, owner, box, parent=None, leading_group=None):
    """A Grid row with its materialised path and bbox; the point→grid index is told."""
    from envgrid.grids import models as gm

    g = gm.Grid.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        owner_unit=owner,
        leading_group=leading_group,
        boundary=square(*box),
        min_lon=box[0],
        min_lat=box[1],
        max_lon=box[2],
        max_lat=box[3],
    )
    g.path = (parent.path if parent else "/") + f"{g.pk}/"
    g.save(update_fields=["path"])
    version = getattr(gm, "GridIndexVersion", None)
    if version is not None:
        row, _ = version.objects.get_or_create(pk=1)
        row.counter += 1
        row.token = version.new_token()
        row.save()
    return g


@pytest.fixture(autouse=True)
def _source_language():
    """Each test starts in the source language (zh-hans): a request in another test may
    leave its language active on the thread."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _transfer_rules(db):
    """The time limits come from a data migration; a transactional test elsewhere in the
    suite flushes the tables, so put the seeded rules back when they are gone."""
    import importlib

    from django.apps import apps

    from envgrid.cases.models import TransferRule

    if not TransferRule.objects.exists():
        importlib.import_module("envgrid.cases.migrations.0002_transfer_rules").seed(apps, None)


def evidence(name: str = "现场照片.png", data: bytes = PNG) -> ContentFile:
    return ContentFile(data, name=name)


@pytest.fixture
def tree(world):
    """District grid (区人民政府) → two sub-district grids (成员单位1, 成员单位2) →
    communities (社区甲、社区乙 under 1; 社区丙 under 2)."""
    w = world
    t = SimpleNamespace(world=w)
    t.gov = w.government
    t.s1, t.s2 = w.members[0], w.members[1]
    t.s1_staff, t.s2_staff = w.member_staff[0], w.member_staff[1]
    t.ca = make_unit("社区甲", kind=UnitKind.COMMUNITY)
    t.cb = make_unit("社区乙", kind=UnitKind.COMMUNITY)
    t.cc = make_unit("社区丙", kind=UnitKind.COMMUNITY)
    t.ca_staff = make_person(t.ca, "社区甲网格员", role=PersonRole.GRID)
    t.cb_staff = make_person(t.cb, "社区乙网格员", role=PersonRole.GRID)
    t.cc_staff = make_person(t.cc, "社区丙网格员", role=PersonRole.GRID)
    t.gov_staff = make_person(t.gov, "区政府工作人员")
    t.police = make_unit("区公安分局", kind=UnitKind.POLICE)
    t.police_staff = make_person(t.police, "公安民警")
    t.discipline = make_unit("区纪委监委", kind=UnitKind.DISCIPLINE)
    t.discipline_staff = make_person(t.discipline, "纪检干部")
    t.court = make_unit("区人民法院", kind=UnitKind.JUDICIAL)
    t.procuratorate = make_unit("区人民检察院", kind=UnitKind.PROCURATORATE)
    t.procuratorate_staff = make_person(t.procuratorate, "检察官")
    w.group.member_units.add(t.ca, t.cb, t.cc, t.police, t.discipline, t.court, t.procuratorate)
    t.g_root = make_grid("T", "测试区", 2, t.gov, (122.20, 40.64, 122.28, 40.68), None, w.group)
    t.g_s1 = make_grid("T1", "一号街道", 3, t.s1, (122.20, 40.64, 122.24, 40.68), t.g_root, w.group)
    t.g_s2 = make_grid("T2", "二号街道", 3, t.s2, (122.24, 40.64, 122.28, 40.68), t.g_root, w.group)
    t.g_ca = make_grid("T1A", "社区甲", 4, t.ca, (122.20, 40.64, 122.22, 40.68), t.g_s1, w.group)
    t.g_cb = make_grid("T1B", "社区乙", 4, t.cb, (122.22, 40.64, 122.24, 40.68), t.g_s1, w.group)
    t.g_cc = make_grid("T2C", "社区丙", 4, t.cc, (122.24, 40.64, 122.26, 40.68), t.g_s2, w.group)
    # Points inside each community grid (WGS84).
    t.p_ca = (122.21, 40.66)
    t.p_cb = (122.23, 40.66)
    t.p_cc = (122.25, 40.66)
    t.p_s2_only = (122.27, 40.66)  # in 二号街道 but in no community
    return t


def complete_case(actor_person, *, point=None, evidence_count=1, **kw):
    """A case with everything a transfer needs (T3), registered by `actor_person`."""
    from envgrid.cases.services import case_create

    data = {
        "title": "某厂夜间偷排废水",
        "source": "patrol",
        "address": "测试路1号",
        "description": "巡查发现排污口有异味废水外排。",
        "entity_name": "某某化工有限公司（合成）",
        "responsible_person": "张某（合成）",
        "facts": "2025年9月某日夜间，该公司通过暗管向雨水管网排放未经处理的生产废水。",
    }
    data.update(kw)
    if point is not None:
        data["lon"], data["lat"] = point
    data["evidence_files"] = [evidence(f"照片{i}.png") for i in range(evidence_count)]
    return case_create(actor=actor_person.user, **data)
