"""G1: the grid tree — import all-or-nothing with named reasons, export, nesting rules."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from envgrid.core.models import AuditEvent
from envgrid.grids.models import Grid, GridHistory, MajorAdjustment
from envgrid.grids.services import GridImportError, grid_import_geojson, grid_set_boundary
from envgrid.grids.testing import (
    X0,
    X1,
    XM,
    Y0,
    Y1,
    YM,
    build_square_tree,
    default_units,
    feature,
    square,
    square_tree_features,
)

pytestmark = pytest.mark.django_db


def fc(features):
    return {"type": "FeatureCollection", "features": features}


def db_state():
    return (
        Grid.objects.count(),
        GridHistory.objects.count(),
        MajorAdjustment.objects.count(),
        AuditEvent.objects.count(),
        sorted(Grid.objects.values_list("code", "boundary")),
    )


def test_G1_import_builds_tree_with_levels_paths_and_history(world):
    grids = build_square_tree(world.admin, world)
    assert set(grids) == {"R", "A", "B", "A1", "A2", "B1", "B2"}
    a1 = grids["A1"]
    assert a1.parent == grids["A"] and a1.level == 4
    assert a1.path == f"/{grids['R'].pk}/{grids['A'].pk}/{a1.pk}/"
    assert (a1.min_lon, a1.min_lat, a1.max_lon, a1.max_lat) == (X0, Y0, XM, YM)
    assert a1.owner_unit.code == "T-A1"
    assert GridHistory.objects.filter(grid=a1, kind="created").count() == 1
    assert AuditEvent.objects.filter(action="grid.create").count() == 7


def test_G1_export_is_importable_and_round_trips(world, api):
    build_square_tree(world.admin, world)
    api.force_authenticate(world.admin)
    exported = api.get("/api/grids/export/").json()
    assert exported["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f for f in exported["features"]}
    assert by_code["A1"]["properties"]["parent"] == "A"
    assert by_code["A1"]["properties"]["owner"] == "T-A1"
    assert by_code["A1"]["geometry"] == square(X0, Y0, XM, YM)
    # Re-importing the export changes nothing.
    before = db_state()
    result = grid_import_geojson(actor=world.admin, data=json.dumps(exported))
    assert len(result.unchanged) == 7 and not result.created and not result.updated
    assert db_state()[:3] == before[:3]


def _bad_files(units):
    good = square_tree_features(units)
    cases = {}

    bowtie = {
        "type": "Polygon",
        "coordinates": [[[X0, Y0], [XM, YM], [XM, Y0], [X0, YM], [X0, Y0]]],
    }
    f = copy.deepcopy(good)
    f[3]["geometry"] = bowtie
    cases["self_intersection"] = (f, "A1")

    f = copy.deepcopy(good)
    f[3]["geometry"] = {"type": "Polygon", "coordinates": []}
    cases["geometry_empty"] = (f, "A1")

    f = copy.deepcopy(good)
    f[4]["geometry"] = square(X0, YM, XM + 0.003, Y1)  # A2 reaches ~250 m into B
    cases["not_inside_parent"] = (f, "A2")

    f = copy.deepcopy(good)
    f[4]["geometry"] = square(X0, YM - 0.002, XM, Y1)  # A2 reaches ~220 m into A1
    cases["siblings_overlap"] = (f, "A2")

    f = copy.deepcopy(good)
    f[5]["properties"]["parent"] = "NOPE"
    cases["unknown_parent"] = (f, "B1")

    f = copy.deepcopy(good)
    f[6]["properties"]["owner"] = "NO-SUCH-UNIT"
    cases["unknown_owner"] = (f, "B2")

    f = copy.deepcopy(good)
    f[6]["geometry"] = {"type": "Point", "coordinates": [XM + 0.01, YM + 0.005]}
    cases["geometry_type"] = (f, "B2")

    f = copy.deepcopy(good)
    f[6]["properties"]["code"] = "B1"
    cases["duplicate_code"] = (f, "B1")

    f = copy.deepcopy(good)
    f[3]["properties"]["level"] = 3
    cases["level_not_below_parent"] = (f, "A1")

    f = copy.deepcopy(good)
    f[3]["geometry"] = square(X0, Y0, 200.0, YM)
    cases["coordinates_out_of_range"] = (f, "A1")
    return cases


@pytest.mark.parametrize(
    "code",
    [
        "self_intersection",
        "geometry_empty",
        "not_inside_parent",
        "siblings_overlap",
        "unknown_parent",
        "unknown_owner",
        "geometry_type",
        "duplicate_code",
        "level_not_below_parent",
        "coordinates_out_of_range",
    ],
)
def test_G1_bad_geojson_refused_with_named_reason_and_nothing_written(world, code):
    units = default_units(world)
    features, feature_code = _bad_files(units)[code]
    before = db_state()
    with pytest.raises(GridImportError) as exc:
        grid_import_geojson(actor=world.admin, data=fc(features))
    errors = exc.value.errors
    hits = [e for e in errors if e["code"] == code]
    assert hits, errors
    named = hits[0]["feature"] + " " + hits[0]["message"]
    assert feature_code in named
    assert exc.value.code == "geojson_invalid"
    assert db_state() == before


def test_G1_overlap_and_overshoot_report_their_area(world):
    units = default_units(world)
    cases = _bad_files(units)
    with pytest.raises(GridImportError) as exc:
        grid_import_geojson(actor=world.admin, data=fc(cases["siblings_overlap"][0]))
    overlap = next(e for e in exc.value.errors if e["code"] == "siblings_overlap")
    # 0.002° of latitude × 0.02° of longitude at 40.67°N ≈ 221 m × 1686 m ≈ 373,000 m².
    assert 340_000 < overlap["area_m2"] < 400_000
    assert "平方米" in overlap["message"]
    assert {overlap["other"], overlap["feature"][-3:-1]} == {"A1", "A2"}
    with pytest.raises(GridImportError) as exc:
        grid_import_geojson(actor=world.admin, data=fc(cases["not_inside_parent"][0]))
    out = next(e for e in exc.value.errors if e["code"] == "not_inside_parent")
    assert out["area_m2"] > 100_000


def test_G1_every_problem_listed_not_only_the_first(world):
    units = default_units(world)
    cases = _bad_files(units)
    features = copy.deepcopy(cases["self_intersection"][0])
    features[6]["properties"]["owner"] = "NO-SUCH-UNIT"
    with pytest.raises(GridImportError) as exc:
        grid_import_geojson(actor=world.admin, data=fc(features))
    assert {"self_intersection", "unknown_owner"} <= {e["code"] for e in exc.value.errors}


def test_G1_invalid_json_and_not_a_collection_refused(world):
    for data, code in (
        ("{not json", "invalid_json"),
        ({"type": "Feature"}, "not_feature_collection"),
    ):
        with pytest.raises(GridImportError) as exc:
            grid_import_geojson(actor=world.admin, data=data)
        assert exc.value.errors[0]["code"] == code
    assert Grid.objects.count() == 0


def test_G1_child_within_tolerance_of_parent_is_accepted(world):
    units = default_units(world)
    features = square_tree_features(units)
    # 0.4 m outside the parent: digitising noise, within the 1 m tolerance.
    features[3]["geometry"] = square(X0 - 0.000005, Y0, XM, YM)
    features[4]["geometry"] = square(X0 - 0.000005, YM, XM, Y1)
    grid_import_geojson(actor=world.admin, data=fc(features))
    assert Grid.objects.count() == 7


def test_G1_boundary_change_may_not_leave_a_child_outside(world):
    grids = build_square_tree(world.admin, world)
    before = db_state()
    with pytest.raises(Exception) as exc:
        grid_set_boundary(actor=world.admin, grid=grids["A"], boundary=square(X0, Y0, XM, YM))
    assert getattr(exc.value, "code", "") == "child_outside"
    assert db_state() == before


def test_G1_api_import_refuses_with_every_reason_and_accepts_a_good_file(world, api):
    units = default_units(world)
    api.force_authenticate(world.admin)
    bad = fc(_bad_files(units)["siblings_overlap"][0])
    upload = SimpleUploadedFile("grids.geojson", json.dumps(bad).encode(), "application/geo+json")
    r = api.post("/api/grids/import/", {"file": upload}, format="multipart")
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "geojson_invalid"
    assert any(e["code"] == "siblings_overlap" for e in body["fields"]["errors"])
    assert Grid.objects.count() == 0
    r = api.post("/api/grids/import/", fc(square_tree_features(units)), format="json")
    assert r.status_code == 201, r.content
    assert sorted(r.json()["created"]) == ["A", "A1", "A2", "B", "B1", "B2", "R"]


def test_grid_import_only_by_the_office_or_an_administrator(world, api):
    units = default_units(world)
    api.force_authenticate(world.member_staff[0].user)
    r = api.post("/api/grids/import/", fc(square_tree_features(units)), format="json")
    assert r.status_code == 403
    assert Grid.objects.count() == 0


def test_G1_import_page_lists_problems(world, client):
    units = default_units(world)
    client.force_login(world.admin)
    bad = fc(_bad_files(units)["unknown_parent"][0])
    upload = SimpleUploadedFile("grids.geojson", json.dumps(bad).encode())
    r = client.post("/grids/import/", {"file": upload})
    assert r.status_code == 200
    page = r.content.decode()
    assert "unknown_parent" in page and "NOPE" in page
    assert Grid.objects.count() == 0


def test_unit_sees_only_its_own_grid_subtree(world, api):
    grids = build_square_tree(world.admin, world)
    api.force_authenticate(world.member_staff[0].user)  # owner unit of A
    codes = {g["code"] for g in api.get("/api/grids/?page_size=100").json()["results"]}
    assert codes == {"A", "A1", "A2"}
    assert api.get(f"/api/grids/{grids['B'].pk}/").status_code == 404
    api.force_authenticate(world.office_staff.user)  # the office sees the whole group
    codes = {g["code"] for g in api.get("/api/grids/?page_size=100").json()["results"]}
    assert codes == set(grids)
    api.force_authenticate(world.outsider.user)
    assert api.get("/api/grids/").json()["results"] == []


def test_api_schema_of_grids_and_entities_builds():
    """drf-spectacular can describe every grid and entity endpoint (own URLs only, so
    another app's unfinished serializer cannot mask a problem here)."""
    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator

    patterns = [
        path("api/", include("envgrid.grids.api_urls")),
        path("api/", include("envgrid.entities.api_urls")),
    ]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    assert "/api/grids/resolve/" in schema["paths"]
    assert "/api/entities/import/" in schema["paths"]


def test_square_tree_fixture_tiles_its_root():
    # Guard the test fixture itself: the square tree tiles its root exactly.
    from shapely.geometry import shape
    from shapely.ops import unary_union

    class U:
        code = "x"

    feats = [
        feature(c, 4, None, U(), square(*b))
        for c, b in {
            "A1": (X0, Y0, XM, YM),
            "A2": (X0, YM, XM, Y1),
            "B1": (XM, Y0, X1, YM),
            "B2": (XM, YM, X1, Y1),
        }.items()
    ]
    union = unary_union([shape(f["geometry"]) for f in feats])
    assert union.equals(shape(square(X0, Y0, X1, Y1)))
