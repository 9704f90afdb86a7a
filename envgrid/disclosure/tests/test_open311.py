"""Open311 GeoReport v2 compatibility (public intake, I1): field names, status values, error arrays."""

from __future__ import annotations

import pytest
import time_machine

from envgrid.disclosure import services
from envgrid.disclosure.models import Petition, PetitionStatus
from envgrid.disclosure.petitions import petition_acknowledge, petition_reply

from .conftest import EAST_POINT, WEST_POINT, at

pytestmark = pytest.mark.django_db
BASE = "/disclosure/open311/v2"
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "lat",
    "long",
    "media_url",
}


def _is_error_array(r, code):
    body = r.json()
    assert r.status_code == code
    assert isinstance(body, list) and body and set(body[0]) == {"code", "description"}
    assert body[0]["code"] == code and body[0]["description"]


def test_open311_services_list(client, db):
    r = client.get(f"{BASE}/services.json")
    assert r.status_code == 200
    services_ = r.json()
    codes = {s["service_code"] for s in services_}
    assert {"air", "water", "noise", "waste"} <= codes
    for s in services_:
        assert {
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        } <= set(s)
        assert s["metadata"] is (s["service_code"] == "air")
        assert s["type"] in ("realtime", "batch", "blackbox")
    d = client.get(f"{BASE}/services/air.json")
    assert d.status_code == 200 and d.json()["service_code"] == "air"
    _is_error_array(client.get(f"{BASE}/services/nope.json"), 404)


def test_I1_open311_post_request_creates_routed_petition(client, district):
    with time_machine.travel(at(2025, 3, 3, 10, 0), tick=False):
        r = client.post(
            f"{BASE}/requests.json",
            {
                "service_code": "noise",
                "lat": str(EAST_POINT[1]),
                "long": str(EAST_POINT[0]),
                "description": "工地夜间施工噪声",
                "first_name": "三",
                "last_name": "张",
                "phone": "13700000000",
                "email": "zhang@example.invalid",
                "api_key": "ignored",
            },
        )
    assert r.status_code == 200
    body = r.json()
    assert isinstance(body, list) and set(body[0]) >= {"service_request_id", "service_notice"}
    p = Petition.objects.get(public_id=body[0]["service_request_id"])
    assert p.unit == district.world.members[1] and p.source == "open311"
    assert p.contact_name == "张 三" and p.contact_phone == "13700000000"
    # GET by id: all GeoReport fields, status open, the due of the current step.
    with time_machine.travel(at(2025, 3, 4, 10, 0), tick=False):
        one = client.get(f"{BASE}/requests/{p.public_id}.json")
    assert one.status_code == 200
    item = one.json()[0]
    assert REQUEST_FIELDS <= set(item)
    assert item["status"] == "open" and item["service_code"] == "noise"
    assert item["agency_responsible"] == district.world.members[1].name
    assert item["expected_datetime"].startswith("2025-03-18T23:59:59")
    assert item["requested_datetime"].startswith("2025-03-03T10:00:00")
    assert item["address"] == "东部街道"
    assert item["lat"] == round(EAST_POINT[1], 3) and item["long"] == round(EAST_POINT[0], 3)
    text = one.content.decode()
    assert "13700000000" not in text and "张" not in text and "zhang@" not in text
    assert "工地夜间施工噪声" not in text  # the original text is never public


def test_open311_post_gcj02_coordinate_system(client, district):
    from envgrid.grids.coords import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(122.2495, 40.66)
    r = client.post(
        f"{BASE}/requests.json",
        {
            "service_code": "air",
            "lat": lat,
            "long": lon,
            "description": "异味",
            "coordinate_system": "gcj02",
        },
    )
    assert r.status_code == 200
    p = Petition.objects.get(public_id=r.json()[0]["service_request_id"])
    assert p.grid == district.west


def test_open311_bad_input_error_arrays_write_nothing(client, district):
    _is_error_array(client.post(f"{BASE}/requests.json", {"lat": "40.6", "long": "122.2"}), 400)
    _is_error_array(
        client.post(
            f"{BASE}/requests.json", {"service_code": "bogus", "lat": "40.6", "long": "122.2"}
        ),
        404,
    )
    _is_error_array(
        client.post(f"{BASE}/requests.json", {"service_code": "air", "description": "x"}), 400
    )
    _is_error_array(
        client.post(
            f"{BASE}/requests.json",
            {"service_code": "air", "lat": "north", "long": "122.2", "description": "x"},
        ),
        400,
    )
    _is_error_array(
        client.post(
            f"{BASE}/requests.json", {"service_code": "air", "lat": "40.6", "long": "122.2"}
        ),
        400,
    )  # no description
    _is_error_array(
        client.post(
            f"{BASE}/requests.json",
            {
                "service_code": "air",
                "lat": "40.6",
                "long": "122.2",
                "description": "x",
                "coordinate_system": "utm",
            },
        ),
        400,
    )
    _is_error_array(
        client.post(f"{BASE}/requests.json", "{bad", content_type="application/json"), 400
    )
    _is_error_array(client.get(f"{BASE}/requests.json?status=pending"), 400)
    _is_error_array(client.get(f"{BASE}/requests.json?start_date=yesterday"), 400)
    _is_error_array(client.get(f"{BASE}/requests/XFNOSUCHCODE.json"), 404)
    _is_error_array(client.get(f"{BASE}/requests.csv"), 404)
    assert Petition.objects.count() == 0


def test_open311_json_body_accepted(client, district):
    r = client.post(
        f"{BASE}/requests.json",
        {
            "service_code": "water",
            "lat": WEST_POINT[1],
            "long": WEST_POINT[0],
            "description": "排污口",
        },
        content_type="application/json",
    )
    assert r.status_code == 200


def test_open311_get_requests_filters_and_status_values(client, district, submit):
    w = district.world
    with time_machine.travel(at(2025, 3, 3, 10, 0), tick=False):
        open_p = submit(category="air")
        closed_p = submit(category="water", lon=EAST_POINT[0], lat=EAST_POINT[1])
        petition_acknowledge(actor=w.member_staff[1].user, petition=closed_p)
        petition_reply(actor=w.member_staff[1].user, petition=closed_p, reply="已处理")
        hidden = submit(category="noise")
        for p, unit_staff in ((open_p, w.member_staff[0]), (closed_p, w.member_staff[1])):
            p.refresh_from_db()
            pub = services.publication_draft_petition(
                actor=unit_staff.user, petition=p, summary="办理情况摘要"
            )
            services.publication_review(actor=w.director.user, publication=pub)
            services.publication_publish(actor=w.director.user, publication=pub)
    with time_machine.travel(at(2025, 3, 10, 10, 0), tick=False):
        allr = client.get(f"{BASE}/requests.json").json()
        ids = {r["service_request_id"] for r in allr}
        # The list shows published handling only; the unpublished one needs its code.
        assert ids == {open_p.public_id, closed_p.public_id}
        assert all(REQUEST_FIELDS <= set(r) for r in allr)
        assert {r["status"] for r in allr} == {"open", "closed"}
        closed = client.get(f"{BASE}/requests.json?status=closed").json()
        assert [r["service_request_id"] for r in closed] == [closed_p.public_id]
        assert closed[0]["expected_datetime"] is None
        assert closed[0]["description"] == "办理情况摘要"
        air = client.get(f"{BASE}/requests.json?service_code=air").json()
        assert [r["service_request_id"] for r in air] == [open_p.public_id]
        mine = client.get(f"{BASE}/requests.json?service_request_id={hidden.public_id}").json()
        assert [r["service_request_id"] for r in mine] == [hidden.public_id]
        assert (
            client.get(f"{BASE}/requests.json?start_date=2025-04-01T00:00:00%2B08:00").json() == []
        )
        ranged = client.get(
            f"{BASE}/requests.json?start_date=2025-03-01T00:00:00Z&end_date=2025-03-31T00:00:00Z"
        ).json()
        assert len(ranged) == 2


def test_open311_linked_duplicate_follows_its_primary(client, district, submit):
    w = district.world
    first = submit()
    dup = submit(lon=WEST_POINT[0] + 0.0003)
    assert dup.status == PetitionStatus.LINKED
    item = client.get(f"{BASE}/requests/{dup.public_id}.json").json()[0]
    assert item["status"] == "open"
    petition_acknowledge(actor=w.member_staff[0].user, petition=first)
    petition_reply(actor=w.member_staff[0].user, petition=first, reply="已处理")
    item = client.get(f"{BASE}/requests/{dup.public_id}.json").json()[0]
    assert item["status"] == "closed"
