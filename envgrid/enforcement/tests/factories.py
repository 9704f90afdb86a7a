"""Builders for joint-enforcement tests: a district grid with two lower grids, entities in them,
certified officers in each unit, all synthetic."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from envgrid.entities.models import SupervisedEntity
from envgrid.grids.models import Grid

SH = ZoneInfo("Asia/Shanghai")
# Monday 2 March 2026, a working day; the action runs to Friday 13 March.
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SH)
START = dt.date(2026, 3, 2)
END = dt.date(2026, 3, 13)
CERT = (dt.date(2025, 1, 1), dt.date(2027, 12, 31))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


def box(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


def make_grid(code: str, name: str, level: int, owner: Any, parent: Grid | None = None, **kw):
    bounds = kw.pop("bounds", (122.0, 40.0, 123.0, 41.0))
    g = Grid.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        owner_unit=owner,
        boundary=box(*bounds),
        min_lon=bounds[0],
        min_lat=bounds[1],
        max_lon=bounds[2],
        max_lat=bounds[3],
        **kw,
    )
    g.path = f"{parent.path if parent else '/'}{g.pk}/"
    g.save(update_fields=["path"])
    return g


def png_bytes() -> bytes:
    """A real 1×1 PNG (content-checked uploads look at the bytes)."""
    return (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
        b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00"
        b"\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
    )


def upload(name: str = "现场.png", content: bytes | None = None) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        name, png_bytes() if content is None else content, content_type="image/png"
    )


@dataclass
class EW:
    """The enforcement world: `w` is the shared World; the organiser is members[0]."""

    w: Any
    district: Grid
    north: Grid
    south: Grid
    plant_n: SupervisedEntity
    plant_s: SupervisedEntity
    plant_d: SupervisedEntity
    organiser: Any
    north_unit: Any
    south_unit: Any
    org_staff: Any
    org_leader: Any
    north_staff: Any
    south_staff: Any
    org_officers: list[Any]
    north_officers: list[Any]
    south_officers: list[Any]

    @property
    def org_user(self) -> Any:
        return self.org_staff.user


def draft(ew: EW, **kw: Any):
    """A draft campaign on two lower-grid entities (joint: three units, two grids)."""
    from envgrid.enforcement.services import TargetSpec, action_create

    data: dict[str, Any] = {
        "actor": ew.org_user,
        "title": "化工企业专项执法检查",
        "category": "campaign",
        "campaign_level": "province",
        "campaign_doc_ref": "辽环执法〔2026〕3号",
        "objectives": "排查化工、电镀企业违法排污问题",
        "start_date": START,
        "end_date": END,
        "organiser_grid": ew.district,
        "targets": [
            TargetSpec(entity=ew.plant_n, is_key=True),
            TargetSpec(entity=ew.plant_s),
        ],
    }
    data.update(kw)
    return action_create(**data)


def staff_up(ew: EW, action: Any, duties: bool = True, consult: bool = True) -> None:
    """Duties, one liaison and two officers per participating unit, and (E5) one
    consultation meeting attended by every participating unit."""
    from envgrid.enforcement.services import (
        consultation_record,
        liaison_assign,
        officer_assign,
        participant_set_duties,
    )

    people = {
        ew.organiser.pk: (ew.org_staff, ew.org_officers),
        ew.north_unit.pk: (ew.north_staff, ew.north_officers),
        ew.south_unit.pk: (ew.south_staff, ew.south_officers),
    }
    for p in action.participants.all():
        liaison, officers = people[p.unit_id]
        if duties and not p.duties:
            participant_set_duties(actor=ew.org_user, participant=p, duties="负责辖区企业检查")
        liaison_assign(actor=liaison.user, participant=p, person=liaison)
        for o in officers:
            officer_assign(actor=liaison.user, action=action, person=o)
    if consult:
        from envgrid.org.models import Unit

        consultation_record(
            actor=ew.org_user,
            action=action,
            held_on=START,
            form="meeting",
            units=Unit.objects.filter(pk__in=action.participants.values("unit_id")),
            conclusions="明确分工、检查路线和信息共享方式",
        )


def deployed(ew: EW, **kw: Any):
    from envgrid.enforcement.services import action_approve, action_deploy

    action = draft(ew, **kw)
    staff_up(ew, action)
    action_approve(actor=ew.org_leader.user, action=action)
    action_deploy(actor=ew.org_user, action=action)
    action.refresh_from_db()
    return action
