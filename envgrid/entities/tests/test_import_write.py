"""The import's fast paths keep what they write: entities, their grid history and the
audit entries are the same as Django's own inserts would give (COPY on PostgreSQL,
bulk_create on SQLite), and the calamine .xlsx reader gives the values openpyxl gives."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from unittest import mock

import pytest
from openpyxl import Workbook

from envgrid.core.audit import audit_verify, snapshot
from envgrid.core.models import AuditEvent
from envgrid.entities import services, xlsx
from envgrid.entities.models import SupervisedEntity
from envgrid.grids.models import GridHistory, HistoryKind

from .test_g4_entities import bad_file, good_rows, tree, workbook  # noqa: F401  (fixture)


@pytest.mark.django_db
def test_G4_import_write_names_every_entity_in_history_and_audit(world, tree):  # noqa: F811
    sheet = good_rows(25)
    sheet[0][6] = sheet[0][8] = ""  # category and status by default (TextChoices members)
    rows, errors = services.validate_import(workbook(sheet), actor=world.admin)
    assert not errors
    with mock.patch.object(services, "IMPORT_BATCH", 10):
        created = services.import_write(actor=world.admin, rows=rows)
    assert len(created) == 25
    stored = {e.pk: e for e in SupervisedEntity.objects.all()}
    assert sorted(stored) == sorted(e.pk for e in created)
    for e, fast in zip(created, services._snapshots(created), strict=True):
        # What the caller holds is what the table holds (ids, timestamps, every value).
        assert fast == snapshot(e) == snapshot(stored[e.pk])
        assert e.grid_id is not None and not e._state.adding

    events = list(AuditEvent.objects.filter(action="entity.import").order_by("seq"))
    assert [len(ev.after["entities"]) for ev in events] == [10, 10, 5]
    audited = [s for ev in events for s in ev.after["entities"]]
    assert audited == [snapshot(stored[e.pk]) for e in created]
    first = events[0].after["entities"]
    assert events[0].object_id == f"{first[0]['id']}…{first[-1]['id']}"
    assert audit_verify() == []

    history = {h.entity_id: h for h in GridHistory.objects.filter(kind=HistoryKind.ENTITY_IN)}
    assert sorted(history) == sorted(stored)
    for pk, h in history.items():
        e = stored[pk]
        brief = {"id": e.pk, "name": e.name, "lon": e.lon, "lat": e.lat}
        assert h.grid_id == e.grid_id and not h.is_major
        assert h.before == {"entity": brief, "grid": None}
        assert h.after == {"entity": brief, "grid": h.grid.code}
        assert h.summary == f"{e.name} 由 新登记 划入（批量导入）"
        assert h.actor_id == world.admin.pk and h.actor_repr
    # New entities after an import still get fresh ids from the same sequence.
    later = services.entity_create(
        actor=world.admin, name="导入后登记", lon=created[0].lon, lat=created[0].lat
    )
    assert later.pk not in stored


def _sheet() -> bytes:
    wb = Workbook()
    ws: Any = wb.active
    ws["B3"] = "名称"
    ws["C3"] = 123
    ws["D3"] = 1.5
    ws["E3"] = ""
    ws["B4"] = True
    ws["C4"] = dt.datetime(2024, 1, 2, 3, 4)
    ws["D4"] = dt.date(2024, 1, 2)
    ws["E4"] = "=1+2"  # a formula with no cached value
    ws["B6"] = " "
    ws["C6"] = -7
    ws["D6"] = 1.0e20
    ws["E6"] = "0012"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_G4_xlsx_reader_gives_what_openpyxl_gives():
    content = _sheet()
    fast = list(xlsx.xlsx_rows(content))
    assert xlsx.python_calamine is not None
    assert fast == list(xlsx._openpyxl_rows(content))
    assert fast[2][1:4] == ("名称", 123, 1.5) and type(fast[2][2]) is int
    assert fast[3][3] == dt.datetime(2024, 1, 2)


def test_G4_xlsx_reader_falls_back_to_openpyxl(monkeypatch):
    content = _sheet()
    expected = list(xlsx._openpyxl_rows(content))
    monkeypatch.setattr(xlsx, "python_calamine", None)
    assert list(xlsx.xlsx_rows(content)) == expected
    with pytest.raises(Exception):  # noqa: B017 - whatever openpyxl raises
        xlsx.xlsx_rows(b"not a workbook")


@pytest.mark.django_db
def test_G4_xlsx_bad_rows_are_reported_alike_by_both_readers(world, tree, monkeypatch):  # noqa: F811
    content = bad_file()
    _rows, fast = services.validate_import(content, actor=world.admin)
    monkeypatch.setattr(xlsx, "python_calamine", None)
    _rows, slow = services.validate_import(content, actor=world.admin)
    assert fast and [e.as_dict() for e in fast] == [e.as_dict() for e in slow]
