"""G4: supervised entities — USCC checksum, derived grid (re-derived on moves and on
boundary changes), coordinate systems, .xlsx import all-or-nothing with every bad row."""

from __future__ import annotations

import io
import random
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from envgrid.core.errors import ApplicationError
from envgrid.core.models import AuditEvent
from envgrid.entities.models import EntityImportJob, ImportJobStatus, SupervisedEntity
from envgrid.entities.services import entity_create, entity_update, import_template_bytes
from envgrid.entities.uscc import ALPHABET, check_char, uscc_generate, uscc_is_valid, uscc_problem
from envgrid.grids import coords
from envgrid.grids.models import GridHistory
from envgrid.grids.services import grid_import_geojson, grid_set_boundary
from envgrid.grids.testing import X0, X1, XM, Y0, Y1, YM, build_square_tree, feature, square

pytestmark = pytest.mark.django_db

STANDARD_EXAMPLE = "91350100M000100Y43"  # the worked example of GB 32100-2015


@pytest.fixture
def tree(world):
    return build_square_tree(world.admin, world)


def in_a1():
    return X0 + 0.004, Y0 + 0.003


# ------------------------------------------------------------------------ USCC
def test_G4_uscc_checksum_accepts_valid_codes():
    assert uscc_is_valid(STANDARD_EXAMPLE)
    rng = random.Random(5)
    generated = [uscc_generate(rng) for _ in range(300)]
    assert all(uscc_is_valid(c) for c in generated)
    assert len(set(generated)) == 300
    assert all(c.startswith("91210802") for c in generated)


@pytest.mark.parametrize(
    "code,reason",
    [
        ("91350100M000100Y44", "校验码错误"),  # last character changed
        ("91350100M000100Y4", "18 位"),  # too short
        ("91350100M000100Y433", "18 位"),  # too long
        ("91350100M00O100Y43", "不允许的字符"),  # letter O
        ("9135010IM000100Y43", "不允许的字符"),  # letter I
        ("913501A0M000100Y4X", "行政区划码"),  # division code not digits
    ],
)
def test_G4_uscc_checksum_refuses_invalid_codes(code, reason):
    problem = uscc_problem(code)
    assert problem is not None and reason in problem


def test_G4_uscc_any_single_substitution_is_caught():
    rng = random.Random(9)
    for _ in range(200):
        code = uscc_generate(rng)
        i = rng.randrange(17)
        other = rng.choice([c for c in ALPHABET if c != code[i]])
        changed = code[:i] + other + code[i + 1 :]
        if changed[2:8].isdigit():
            assert check_char(changed[:17]) != code[17]
            assert not uscc_is_valid(changed)


# --------------------------------------------------------------- derived grid
def test_G4_entity_belongs_to_the_grid_containing_it_and_moves_with_its_point(world, tree):
    entity = entity_create(
        actor=world.admin, name="测试化工厂", uscc=STANDARD_EXAMPLE, lon=in_a1()[0], lat=in_a1()[1]
    )
    assert entity.grid == tree["A1"]
    entity = entity_update(actor=world.admin, entity=entity, lon=X1 - 0.002, lat=Y1 - 0.002)
    assert entity.grid_id == tree["B2"].pk
    out_row = GridHistory.objects.get(grid=tree["A1"], kind="entity_out", entity_id=entity.pk)
    in_row = GridHistory.objects.get(grid=tree["B2"], kind="entity_in", entity_id=entity.pk)
    assert out_row.after["grid"] == "B2" and in_row.before["grid"] == "A1"
    assert AuditEvent.objects.filter(action="entity.update", object_id=str(entity.pk)).exists()


def test_G4_boundary_change_rederives_the_grid(world, tree):
    entity = entity_create(actor=world.admin, name="边界企业", lon=XM - 0.001, lat=Y0 + 0.002)
    assert entity.grid == tree["A1"]
    # Move the A|B line 0.002° west, as one consistent change of four grids.
    x = XM - 0.002
    grid_import_geojson(
        actor=world.admin,
        data={
            "type": "FeatureCollection",
            "features": [
                feature("A", 3, "R", tree["A"].owner_unit, square(X0, Y0, x, Y1)),
                feature("B", 3, "R", tree["B"].owner_unit, square(x, Y0, X1, Y1)),
                feature("A1", 4, "A", tree["A1"].owner_unit, square(X0, Y0, x, YM)),
                feature("A2", 4, "A", tree["A2"].owner_unit, square(X0, YM, x, Y1)),
                feature("B1", 4, "B", tree["B1"].owner_unit, square(x, Y0, X1, YM)),
                feature("B2", 4, "B", tree["B2"].owner_unit, square(x, YM, X1, Y1)),
            ],
        },
        major=True,
        summary="甲乙街道界线西移",
    )
    entity.refresh_from_db()
    assert entity.grid == tree["B1"]
    row = GridHistory.objects.get(grid=tree["B1"], kind="entity_in", entity_id=entity.pk)
    assert "网格边界调整" in row.summary


def test_G4_shrinking_a_community_hands_entities_to_the_parent(world, tree):
    entity = entity_create(actor=world.admin, name="角落企业", lon=X1 - 0.001, lat=Y1 - 0.001)
    assert entity.grid == tree["B2"]
    grid_set_boundary(actor=world.admin, grid=tree["B2"], boundary=square(XM, YM, XM + 0.01, Y1))
    entity.refresh_from_db()
    assert entity.grid == tree["B"]


def test_G4_coordinates_in_gcj02_and_bd09_are_converted(world, tree, api):
    lon, lat = XM - 0.0012, Y0 + 0.002
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    api.force_authenticate(world.admin)
    r = api.post(
        "/api/entities/",
        {"name": "高德坐标企业", "lon": glon, "lat": glat, "crs": "gcj02"},
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["grid_code"] == "A1" and body["input_crs"] == "gcj02"
    assert abs(body["lon"] - lon) < 1e-8 and body["input_lon"] == glon
    blon, blat = coords.wgs84_to_bd09(lon, lat + 0.001)
    r = api.post(
        "/api/entities/",
        {"name": "百度坐标企业", "lon": blon, "lat": blat, "crs": "bd09"},
        format="json",
    )
    assert r.json()["grid_code"] == "A1"


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"uscc": "91350100M000100Y44"}, "uscc"),
        ({"crs": "mercator"}, "crs"),
        ({"lon": 0.0, "lat": 0.0}, "lon"),  # outside every grid
        ({"name": ""}, "name"),
    ],
)
def test_G4_api_refuses_bad_entities_with_a_reason(world, tree, api, payload, field):
    api.force_authenticate(world.admin)
    data = {"name": "企业", "lon": in_a1()[0], "lat": in_a1()[1], **payload}
    r = api.post("/api/entities/", data, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["fields"]
    assert SupervisedEntity.objects.count() == 0


def test_G4_duplicate_uscc_is_a_conflict(world, tree):
    entity_create(
        actor=world.admin, name="甲", uscc=STANDARD_EXAMPLE, lon=in_a1()[0], lat=in_a1()[1]
    )
    with pytest.raises(ApplicationError) as exc:
        entity_create(
            actor=world.admin, name="乙", uscc=STANDARD_EXAMPLE, lon=in_a1()[0], lat=in_a1()[1]
        )
    assert exc.value.code == "uscc_exists"


def test_G4_units_see_and_register_entities_only_in_their_grids(world, tree, api):
    entity_create(actor=world.admin, name="甲街道企业", lon=in_a1()[0], lat=in_a1()[1])
    entity_create(actor=world.admin, name="乙街道企业", lon=X1 - 0.002, lat=Y1 - 0.002)
    api.force_authenticate(world.member_staff[0].user)  # owner of A
    names = [e["name"] for e in api.get("/api/entities/").json()["results"]]
    assert names == ["甲街道企业"]
    r = api.post(
        "/api/entities/", {"name": "越界登记", "lon": X1 - 0.002, "lat": Y1 - 0.002}, format="json"
    )
    assert r.status_code == 403
    other = SupervisedEntity.objects.get(name="乙街道企业")
    assert api.get(f"/api/entities/{other.pk}/").status_code == 404


def test_G4_list_filters_and_xlsx_export(world, tree, client):
    entity_create(
        actor=world.admin, name="重点企业", lon=in_a1()[0], lat=in_a1()[1], category="key"
    )
    entity_create(actor=world.admin, name="一般企业", lon=X1 - 0.002, lat=Y1 - 0.002)
    client.force_login(world.admin)
    page = client.get("/entities/", {"category": "key"}).content.decode()
    assert "重点企业" in page and "一般企业" not in page
    page = client.get("/entities/", {"grid": tree["B"].pk}).content.decode()
    assert "一般企业" in page and "重点企业" not in page
    r = client.get("/entities/", {"grid": tree["A"].pk, "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "名称" and [row[0] for row in rows[1:]] == ["重点企业"]
    assert rows[1][9] == "甲一社区"


# ---------------------------------------------------------------------- import
def workbook(rows, header=None) -> bytes:
    wb = Workbook()
    ws: Any = wb.active
    ws.append(
        header
        or ["名称", "统一社会信用代码", "地址", "经度", "纬度", "坐标系", "类别", "行业", "状态"]
    )
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def good_rows(n=5, start=0):
    rng = random.Random(start + 1)
    out = []
    for i in range(n):
        lon = X0 + 0.001 + (i % 30) * 0.0012
        lat = Y0 + 0.001 + (i // 30) * 0.0005
        out.append(
            [
                f"导入企业{start + i}",
                uscc_generate(rng),
                "示例路",
                lon,
                lat,
                "",
                "重点排污单位",
                "化工",
                "在产",
            ]
        )
    return out


BAD_ROWS = {
    # row number in the sheet (header is row 1) → (field, reason fragment)
    3: ("name", "名称必填"),
    4: ("uscc", "校验码错误"),
    5: ("lon", "须为数字"),
    6: ("crs", "未知的坐标系"),
    7: ("category", "未知的取值"),
    8: ("uscc", "与第 2 行重复"),
    9: ("lon", "不在任何网格内"),
    10: ("status", "未知的取值"),
}


def bad_file() -> bytes:
    rows = good_rows(1)  # row 2 is fine
    ok = rows[0]
    lon, lat = ok[3], ok[4]
    rows += [
        ["", uscc_generate(random.Random(3)), "", lon, lat, "", "", "", ""],
        ["坏代码", "91350100M000100Y44", "", lon, lat, "", "", "", ""],
        ["坏经度", "", "", "东经", lat, "", "", "", ""],
        ["坏坐标系", "", "", lon, lat, "utm", "", "", ""],
        ["坏类别", "", "", lon, lat, "", "大型企业", "", ""],
        ["重复代码", ok[1], "", lon, lat, "", "", "", ""],
        ["网格外", "", "", 100.0, 30.0, "", "", "", ""],
        ["坏状态", "", "", lon, lat, "", "", "", "倒闭"],
    ]
    return workbook(rows)


def test_G4_xlsx_with_bad_rows_reports_each_row_and_writes_nothing(world, tree, api, settings):
    settings.ENVGRID_IMPORT_INLINE = True
    api.force_authenticate(world.admin)
    before = (SupervisedEntity.objects.count(), GridHistory.objects.count())
    upload = SimpleUploadedFile("bad.xlsx", bad_file())
    r = api.post("/api/entities/import/", {"file": upload}, format="multipart")
    assert r.status_code == 202
    job = r.json()
    assert job["status"] == ImportJobStatus.REFUSED and job["finished"]
    got = {(e["row"], e["field"]): e["message"] for e in job["errors"]}
    for row, (field, fragment) in BAD_ROWS.items():
        assert fragment in got[(row, field)], (row, got)
    assert not any(e["row"] == 2 for e in job["errors"])
    assert (SupervisedEntity.objects.count(), GridHistory.objects.count()) == before
    # The page polls the job's status.
    detail = api.get(f"/api/entity-import-jobs/{job['id']}/").json()
    assert detail["percent"] == 100 and detail["total_rows"] == 9


def test_G4_xlsx_missing_column_and_not_a_workbook_are_refused(world, tree, settings):
    from envgrid.entities.services import validate_import

    _rows, errors = validate_import(
        workbook([["x", 1]], header=["名称", "地址"]), actor=world.admin
    )
    assert errors[0].row == 1 and "经度" in errors[0].message
    _rows, errors = validate_import(b"not a workbook", actor=world.admin)
    assert "xlsx" in errors[0].message
    assert SupervisedEntity.objects.count() == 0


def test_G4_xlsx_good_file_imports_every_row_with_progress(world, tree, client, settings):
    settings.ENVGRID_IMPORT_INLINE = True
    client.force_login(world.admin)
    upload = SimpleUploadedFile("good.xlsx", workbook(good_rows(120)))
    r = client.post("/entities/import/", {"file": upload, "crs": "wgs84"})
    assert r.status_code == 302
    job = EntityImportJob.objects.get()
    assert job.status == ImportJobStatus.DONE and job.created_count == 120
    assert job.processed_rows == job.total_rows == 120
    status = client.get(f"/entities/import/{job.pk}/status/").json()
    assert status["finished"] and status["percent"] == 100
    assert SupervisedEntity.objects.filter(grid__isnull=False).count() == 120
    assert "导入进度" in client.get(f"/entities/import/{job.pk}/").content.decode()


def test_G4_import_template_has_the_columns_and_a_valid_example(client, world):
    client.force_login(world.admin)
    r = client.get("/entities/import/template.xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    header, example = list(wb.worksheets[0].iter_rows(values_only=True))[:2]
    assert header[:5] == ("名称", "统一社会信用代码", "地址", "经度", "纬度")
    assert uscc_is_valid(example[1])
    assert import_template_bytes()[:2] == b"PK"


def test_G4_management_command_imports_with_a_progress_bar(world, tree, tmp_path):
    path = tmp_path / "entities.xlsx"
    path.write_bytes(workbook(good_rows(60)))
    out = io.StringIO()
    call_command("entity_import", str(path), stdout=out)
    assert "60/60" in out.getvalue() and SupervisedEntity.objects.count() == 60
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(bad_file())
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("entity_import", str(bad), stdout=io.StringIO(), stderr=err)
    assert "第 4 行" in err.getvalue()
    assert SupervisedEntity.objects.count() == 60


def test_G4_entity_pages_render(world, tree, client):
    e = entity_create(
        actor=world.admin, name="页面企业", lon=in_a1()[0], lat=in_a1()[1], crs="wgs84"
    )
    client.force_login(world.admin)
    page = client.get(f"/entities/{e.pk}/").content.decode()
    assert "页面企业" in page and "甲一社区" in page
    r = client.post(
        "/entities/new/",
        {
            "name": "表单企业",
            "lon": str(in_a1()[0]),
            "lat": str(in_a1()[1]),
            "crs": "wgs84",
            "category": "general",
            "status": "operating",
            "uscc": "",
            "address": "",
            "industry": "",
        },
    )
    assert r.status_code == 302
    r = client.post(
        f"/entities/{e.pk}/edit/",
        {
            "name": "页面企业",
            "lon": str(X1 - 0.001),
            "lat": str(Y1 - 0.001),
            "crs": "wgs84",
            "category": "general",
            "status": "operating",
            "uscc": "",
            "address": "",
            "industry": "",
        },
    )
    assert r.status_code == 302
    e.refresh_from_db()
    assert e.grid == tree["B2"]
