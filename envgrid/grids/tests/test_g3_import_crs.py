"""G1/G3 on grid import: the file's coordinate system (its GeoJSON `crs` member or an
option) is converted to WGS84, an unknown one refuses the file, and an overlap names the
feature in the file that causes it. Command, API and page."""

from __future__ import annotations

import copy
import json

import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from envgrid.core.models import AuditEvent
from envgrid.grids.coords import distance_m, wgs84_to_bd09, wgs84_to_gcj02
from envgrid.grids.models import Grid
from envgrid.grids.services import GridImportError, grid_import_geojson
from envgrid.grids.testing import (
    X0,
    X1,
    XM,
    Y0,
    Y1,
    YM,
    default_units,
    feature,
    square,
    square_tree_features,
)

pytestmark = pytest.mark.django_db


def named_crs(name: str) -> dict:
    return {"type": "name", "properties": {"name": name}}


def fc(features, crs=None):
    data = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        data["crs"] = crs
    return data


def shifted(features, forward):
    """The same features with every vertex moved into another system by `forward`."""
    out = copy.deepcopy(features)
    for f in out:
        geom = shapely.transform(
            shape(f["geometry"]),
            lambda xy: [list(forward(x, y)) for x, y in xy],
        )
        f["geometry"] = json.loads(shapely.to_geojson(geom))
    return out


def max_vertex_distance_m(a: dict, b: dict) -> float:
    pa = shapely.get_coordinates(shape(a))
    pb = shapely.get_coordinates(shape(b))
    assert len(pa) == len(pb)
    return max(distance_m(x1, y1, x2, y2) for (x1, y1), (x2, y2) in zip(pa, pb, strict=True))


def stored(code: str) -> dict:
    return Grid.objects.get(code=code).boundary


@pytest.mark.parametrize(
    ("declared", "forward"),
    [
        ("GCJ-02", wgs84_to_gcj02),
        ("gcj02", wgs84_to_gcj02),
        ("BD-09", wgs84_to_bd09),
    ],
)
def test_G3_declared_file_lands_within_1_m_of_its_wgs84_twin(world, declared, forward):
    units = default_units(world)
    twin = square_tree_features(units)
    grid_import_geojson(actor=world.admin, data=fc(twin))
    wgs = {code: stored(code) for code in ("R", "A", "A1", "B2")}
    foreign = shifted(twin, forward)
    # Read as WGS84 the same file would sit hundreds of metres away (the reported 535 m)...
    assert max_vertex_distance_m(foreign[0]["geometry"], twin[0]["geometry"]) > 300
    # ...declared, it is converted and lands on its twin: the import changes nothing.
    result = grid_import_geojson(actor=world.admin, data=fc(foreign, named_crs(declared)))
    assert result.crs == declared.lower().replace("-", "")
    for code, boundary in wgs.items():
        assert max_vertex_distance_m(stored(code), boundary) < 1.0


def test_G3_gcj02_file_imported_fresh_is_stored_in_wgs84(world):
    units = default_units(world)
    twin = square_tree_features(units)
    foreign = shifted(twin, wgs84_to_gcj02)
    grid_import_geojson(actor=world.admin, data=fc(foreign, named_crs("GCJ-02")))
    for f in twin:
        code = f["properties"]["code"]
        assert max_vertex_distance_m(stored(code), f["geometry"]) < 1.0
    a1 = Grid.objects.get(code="A1")
    assert abs(a1.min_lon - X0) < 1e-5 and abs(a1.max_lat - YM) < 1e-5
    created = a1.history.get(kind="created")
    assert created.after["source_crs"] == "gcj02"


@pytest.mark.parametrize(
    "name",
    [
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4490",
        "CGCS2000",
    ],
)
def test_G3_wgs84_and_cgcs2000_declarations_are_taken_as_they_are(world, name):
    units = default_units(world)
    result = grid_import_geojson(
        actor=world.admin, data=fc(square_tree_features(units), named_crs(name))
    )
    assert result.crs == "wgs84"
    assert stored("A1") == square(X0, Y0, XM, YM)


@pytest.mark.parametrize(
    "crs",
    [
        named_crs("EPSG:3857"),
        named_crs("Xian 1980"),
        {"type": "link", "properties": {"href": "http://example.org/crs", "type": "proj4"}},
        "wgs84",
    ],
)
def test_G3_unknown_declared_system_refuses_the_whole_file(world, crs):
    units = default_units(world)
    with pytest.raises(GridImportError) as exc:
        grid_import_geojson(actor=world.admin, data=fc(square_tree_features(units), crs))
    assert [e["code"] for e in exc.value.errors] == ["crs_unknown"]
    assert "GCJ-02" in exc.value.errors[0]["message"]
    assert Grid.objects.count() == 0
    assert not AuditEvent.objects.filter(action="grid.create").exists()


def test_G3_option_sets_the_system_of_an_undeclared_file_and_must_agree_with_a_declared_one(
    world,
):
    units = default_units(world)
    foreign = shifted(square_tree_features(units), wgs84_to_gcj02)
    with pytest.raises(GridImportError) as exc:
        grid_import_geojson(actor=world.admin, data=fc(foreign, named_crs("BD-09")), crs="gcj02")
    assert exc.value.errors[0]["code"] == "crs_conflict"
    with pytest.raises(GridImportError) as exc:
        grid_import_geojson(actor=world.admin, data=fc(foreign), crs="mercator")
    assert exc.value.errors[0]["code"] == "crs_unknown"
    assert Grid.objects.count() == 0
    grid_import_geojson(actor=world.admin, data=fc(foreign), crs="GCJ-02")
    assert max_vertex_distance_m(stored("B1"), square(XM, Y0, X1, YM)) < 1.0


def test_G1_overlap_names_the_new_feature_not_the_existing_grid_the_file_repeats(world):
    units = default_units(world)
    features = square_tree_features(units)
    grid_import_geojson(actor=world.admin, data=fc(features))
    # The office re-exports the tree and adds one community that overlaps A1: the file
    # lists A1 first (unchanged), the new A3 last.
    newcomer = feature("A3", 4, "A", units["A1"], square(X0, Y0 + 0.002, XM, YM - 0.002))
    with pytest.raises(GridImportError) as exc:
        grid_import_geojson(actor=world.admin, data=fc([*features, newcomer]))
    overlaps = [e for e in exc.value.errors if e["code"] == "siblings_overlap"]
    assert [e["feature"] for e in overlaps] == ["要素 #8（A3）"]
    assert overlaps[0]["other"] == "A1"
    assert "要素 #4（A1）" in overlaps[0]["message"]
    assert Grid.objects.count() == 7


def test_G1_overlap_names_the_moved_feature_when_both_are_stored_grids(world):
    units = default_units(world)
    features = square_tree_features(units)
    grid_import_geojson(actor=world.admin, data=fc(features))
    # A2 is moved south into A1; A1 comes first in the file, unchanged.
    moved = copy.deepcopy(features)
    moved[4]["geometry"] = square(X0, YM - 0.003, XM, Y1)
    with pytest.raises(GridImportError) as exc:
        grid_import_geojson(actor=world.admin, data=fc(moved))
    overlap = next(e for e in exc.value.errors if e["code"] == "siblings_overlap")
    assert overlap["feature"] == "要素 #5（A2）"
    assert overlap["other"] == "A1"


def test_G1_overlap_with_a_stored_grid_not_in_the_file_names_the_file_feature(world):
    units = default_units(world)
    grid_import_geojson(actor=world.admin, data=fc(square_tree_features(units)))
    newcomer = feature("B3", 4, "B", units["B1"], square(XM, Y0 + 0.001, X1, YM + 0.001))
    with pytest.raises(GridImportError) as exc:
        grid_import_geojson(actor=world.admin, data=fc([newcomer]))
    overlaps = sorted(
        (e["feature"], e["other"]) for e in exc.value.errors if e["code"] == "siblings_overlap"
    )
    assert overlaps == [("要素 #1（B3）", "B1"), ("要素 #1（B3）", "B2")]
    assert "已有网格 B1" in next(e["message"] for e in exc.value.errors if e.get("other") == "B1")


def test_G3_command_takes_the_crs_option_and_refuses_an_unknown_one(world, tmp_path, capsys):
    units = default_units(world)
    world.admin.username = "gridadmin"
    world.admin.save()
    path = tmp_path / "grids-gcj.geojson"
    path.write_text(
        json.dumps(fc(shifted(square_tree_features(units), wgs84_to_gcj02))), encoding="utf-8"
    )
    with pytest.raises(CommandError):
        call_command("grid_import", str(path), user="gridadmin", crs="epsg:3857")
    assert "crs_unknown" in capsys.readouterr().err
    assert Grid.objects.count() == 0
    call_command("grid_import", str(path), user="gridadmin", crs="gcj02")
    assert "GCJ02" in capsys.readouterr().out
    assert max_vertex_distance_m(stored("A"), square(X0, Y0, XM, Y1)) < 1.0


def test_G3_api_import_converts_a_declared_file_and_an_uploaded_one_with_crs(world, api):
    units = default_units(world)
    api.force_authenticate(world.admin)
    foreign = shifted(square_tree_features(units), wgs84_to_gcj02)
    r = api.post("/api/grids/import/", fc(foreign, named_crs("EPSG:3857")), format="json")
    assert r.status_code == 400
    assert r.json()["fields"]["errors"][0]["code"] == "crs_unknown"
    assert Grid.objects.count() == 0
    upload = SimpleUploadedFile("g.geojson", json.dumps(fc(foreign)).encode())
    r = api.post("/api/grids/import/", {"file": upload, "crs": "gcj02"}, format="multipart")
    assert r.status_code == 201, r.content
    assert r.json()["crs"] == "gcj02"
    assert max_vertex_distance_m(stored("R"), square(X0, Y0, X1, Y1)) < 1.0


def test_G3_import_page_offers_the_systems_and_converts(world, client):
    units = default_units(world)
    client.force_login(world.admin)
    page = client.get("/grids/import/").content.decode()
    assert 'name="crs"' in page and "GCJ-02" in page and "BD-09" in page
    foreign = shifted(square_tree_features(units), wgs84_to_bd09)
    upload = SimpleUploadedFile("g.geojson", json.dumps(fc(foreign)).encode())
    r = client.post("/grids/import/", {"file": upload, "crs": "bd09"})
    assert r.status_code == 200
    assert "BD09" in r.content.decode()
    assert max_vertex_distance_m(stored("B2"), square(XM, YM, X1, Y1)) < 1.0
