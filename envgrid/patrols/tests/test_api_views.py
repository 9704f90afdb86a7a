"""The mobile API and field pages: start/resume, parts, checks, photos, finish, a finding
as a case; who sees what (issue 10 §4, §5)."""

from __future__ import annotations

import datetime as dt
import json
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

from envgrid.cases.models import Case
from envgrid.patrols.models import Patrol, PatrolPhoto, TrackPoint

from .conftest import T0
from .test_tracks import geojson, walk


def png_bytes() -> bytes:
    """A real 1x1 green PNG, built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00\x80\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_mobile_flow_and_finding_becomes_case(patrol_world, api):
    w = patrol_world
    api.force_authenticate(w.staff.user)
    r = api.post("/api/patrols/", {"started_at": T0.isoformat()}, format="json")
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    # The phone lost the patrol id after a crash: starting again resumes it.
    assert api.post("/api/patrols/", {}, format="json").json()["id"] == pid
    pts = walk(9)
    for part in (pts[6:], pts[:3], pts[3:6]):
        r = api.post(f"/api/patrols/{pid}/track/", {"geojson": geojson(part)}, format="json")
        assert r.status_code == 200, r.content
    assert r.json()["point_count"] == 9
    r = api.post(
        f"/api/patrols/{pid}/track/",
        {"file": SimpleUploadedFile("bad.gpx", b"<gpx><trkpt lat='1'")},
        format="multipart",
    )
    assert r.status_code == 400 and r.json()["code"] == "track_invalid"
    at = pts[4][0]
    r = api.post(
        f"/api/patrols/{pid}/checks/",
        {
            "entity": w.k1.pk,
            "result": "finding",
            "notes": "废水外溢（合成）",
            "checked_at": at.isoformat(),
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    check_id = r.json()["id"]
    assert r.json()["lon"] is not None  # the nearest track point gives its place
    r = api.post(
        f"/api/patrols/{pid}/photos/",
        {"file": SimpleUploadedFile("x.jpg", b"MZ\x90\x00 not an image"), "check_item": check_id},
        format="multipart",
    )
    assert r.status_code == 400 and r.json()["code"] == "photo_type"
    r = api.post(
        f"/api/patrols/{pid}/photos/",
        {"file": SimpleUploadedFile("p.png", png_bytes()), "check_item": check_id},
        format="multipart",
    )
    assert r.status_code == 201, r.content
    r = api.post(f"/api/patrols/{pid}/case/", {"check_item": check_id}, format="json")
    assert r.status_code == 201, r.content
    case = Case.objects.get(pk=r.json()["case"])
    assert case.source == "patrol"
    assert case.discovered_at == at
    assert case.evidence.count() == 1
    r = api.post(f"/api/patrols/{pid}/case/", {"check_item": check_id}, format="json")
    assert r.status_code == 409
    r = api.post(f"/api/patrols/{pid}/finish/", {}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "finished"
    assert Patrol.objects.filter(staff=w.staff).count() == 1


def test_visibility(patrol_world, api, client):
    w = patrol_world
    api.force_authenticate(w.staff.user)
    pid = api.post("/api/patrols/", {"started_at": T0.isoformat()}, format="json").json()["id"]
    photo_path = None
    r = api.post(
        f"/api/patrols/{pid}/photos/",
        {"file": SimpleUploadedFile("p.png", png_bytes())},
        format="multipart",
    )
    photo_path = f"/patrols/photos/{r.json()['id']}/"
    seen = {
        w.staff.user: 200,
        w.a1_unit_person.user: 200,  # owner unit of the grid
        w.world.office_staff.user: 200,  # office of the leading group
        w.other_staff.user: 404,  # another grid's staff
        w.world.outsider.user: 404,
    }
    for user, code in seen.items():
        api.force_authenticate(user)
        assert api.get(f"/api/patrols/{pid}/").status_code == code, user
        client.force_login(user)
        assert client.get(f"/patrols/{pid}/").status_code == code
        assert client.get(photo_path).status_code == code
    # Only the staff who made it changes it: the unit sees it but cannot add to it.
    api.force_authenticate(w.a1_unit_person.user)
    r = api.post(f"/api/patrols/{pid}/finish/", {}, format="json")
    assert r.status_code == 403
    api.force_authenticate(w.other_staff.user)
    r = api.post(f"/api/patrols/{pid}/track/", {"geojson": geojson(walk(2))}, format="json")
    assert r.status_code == 404
    assert not TrackPoint.objects.exists()
    assert PatrolPhoto.objects.count() == 1


def test_pages_and_exports(patrol_world, client):
    w = patrol_world
    client.force_login(w.staff.user)
    r = client.post("/patrols/start/")
    patrol = Patrol.objects.get(staff=w.staff)
    assert r.status_code == 302
    up = SimpleUploadedFile(
        "t.json",
        json.dumps(geojson(walk(5, start=patrol.started_at - dt.timedelta(minutes=5)))).encode(),
    )
    client.post(f"/patrols/{patrol.pk}/track/", {"file": up})
    client.post(
        f"/patrols/{patrol.pk}/check/", {"entity": w.k2.pk, "result": "ok", "notes": "正常"}
    )
    r = client.get(f"/patrols/{patrol.pk}/")
    assert r.status_code == 200 and "合成化工乙厂" in r.content.decode()
    assert client.get("/patrols/").status_code == 200
    assert client.get("/patrols/?format=xlsx")["Content-Type"].startswith("application/vnd")
    assert "甲一社区" in client.get("/patrols/coverage/").content.decode()
    assert client.get("/patrols/coverage/?format=xlsx").status_code == 200


def test_schema_builds(api, world):
    api.force_authenticate(world.admin)
    assert api.get("/api/schema/").status_code == 200


def test_pages_in_english(patrol_world, client, api):
    w = patrol_world
    client.force_login(w.staff.user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/patrols/"})
    client.post("/patrols/start/")
    patrol = Patrol.objects.get(staff=w.staff)
    page = client.get(f"/patrols/{patrol.pk}/").content.decode()
    assert "Record a check" in page and "Finish patrol" in page and "记录检查" not in page
    assert "Patrol coverage" in client.get("/patrols/coverage/").content.decode()
    assert "Patrol plans" in client.get("/patrols/plans/").content.decode()
    api.force_authenticate(w.staff.user)
    r = api.post(
        f"/api/patrols/{patrol.pk}/track/",
        {"geojson": {"type": "Polygon", "coordinates": []}},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert r.status_code == 400
    assert r.json()["message"].startswith("Invalid track file: the geometry must be")


def test_finish_button_is_the_tables_and_a_finished_patrol_refuses_409(patrol_world, client, api):
    """Issue 15 part 1: the page's finish button comes from `actions_available` (table and
    policy): shown to the patroller while the patrol is open, never to the grid's unit, and
    finishing again is refused (409 on the API; the page says why and changes nothing)."""
    from envgrid.core.workflow import actions_available

    w = patrol_world
    client.force_login(w.staff.user)
    client.post("/patrols/start/")
    patrol = Patrol.objects.get(staff=w.staff)
    url = f"/patrols/{patrol.pk}/"
    finish = f'action="/patrols/{patrol.pk}/finish/"'
    assert finish in client.get(url).content.decode()
    assert [t.action for t in actions_available(patrol, w.staff.user)] == ["finish"]
    client.force_login(w.a1_unit_person.user)
    assert finish not in client.get(url).content.decode()
    assert actions_available(patrol, w.a1_unit_person.user) == []
    client.force_login(w.staff.user)
    assert client.post(f"/patrols/{patrol.pk}/finish/").status_code == 302
    patrol.refresh_from_db()
    assert patrol.status == "finished"
    assert finish not in client.get(url).content.decode()
    ended = patrol.ended_at
    r = client.post(f"/patrols/{patrol.pk}/finish/", follow=True)
    assert "巡查已结束。" in r.content.decode()
    api.force_authenticate(w.staff.user)
    assert api.post(f"/api/patrols/{patrol.pk}/finish/", {}, format="json").status_code == 409
    patrol.refresh_from_db()
    assert patrol.ended_at == ended
