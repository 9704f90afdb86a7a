"""GeoReport v2 conformance (public intake, I1; issue 17 part 4): every endpoint in JSON and XML with
the specification's shapes, discovery, attributes checked on POST, service_request_id
overriding other filters, jurisdiction_id, CORS for GETs, and every error — 400, 404,
405, 413, 429 (test_shared_cache), 500 — as the GeoReport error array in the requested
format. Interoperability with the `georeport` client library from PyPI."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest

from envgrid.disclosure import services
from envgrid.disclosure.models import Petition

from .conftest import WEST_POINT

pytestmark = pytest.mark.django_db
BASES = ["/open311", "/disclosure/open311"]
FORMATS = ["json", "xml"]


def _published(district, submit):
    from envgrid.disclosure.petitions import petition_acknowledge, petition_reply

    w = district.world
    p = submit(description="烟囱冒黑烟")
    petition_acknowledge(actor=w.member_staff[0].user, petition=p)
    petition_reply(actor=w.member_staff[0].user, petition=p, reply="已查处")
    pub = services.publication_draft_petition(
        actor=w.member_staff[0].user, petition=p, summary="已责令整改。"
    )
    services.publication_review(actor=w.director.user, publication=pub)
    services.publication_publish(actor=w.director.user, publication=pub)
    p.refresh_from_db()
    return p


def _parse(r, fmt):
    if fmt == "json":
        assert r["Content-Type"].startswith("application/json")
        return json.loads(r.content)
    assert r["Content-Type"].startswith("text/xml")
    return ET.fromstring(r.content)  # noqa: S314 - our own server's answer


def _assert_error(r, fmt, status):
    assert r.status_code == status
    body = _parse(r, fmt)
    if fmt == "json":
        assert isinstance(body, list) and set(body[0]) == {"code", "description"}
        assert body[0]["code"] == status and body[0]["description"]
    else:
        assert body.tag == "errors"
        err = body.find("error")
        assert err is not None and err.findtext("code") == str(status)
        assert err.findtext("description")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("base", BASES)
def test_georeport_discovery(client, base, fmt):
    r = client.get(f"{base}/discovery.{fmt}")
    assert r.status_code == 200 and r["Access-Control-Allow-Origin"] == "*"
    body = _parse(r, fmt)
    if fmt == "json":
        ep = body["endpoints"][0]
        assert ep["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert ep["url"] == f"http://testserver{base}/v2"
        assert set(ep["formats"]) == {"application/json", "text/xml"}
    else:
        assert body.tag == "discovery"
        assert body.findtext("endpoints/endpoint/url") == f"http://testserver{base}/v2"
        assert [f.text for f in body.findall("endpoints/endpoint/formats/format")] == [
            "application/json",
            "text/xml",
        ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_services_list(client, fmt):
    r = client.get(f"/open311/v2/services.{fmt}")
    assert r.status_code == 200 and r["Access-Control-Allow-Origin"] == "*"
    body = _parse(r, fmt)
    if fmt == "json":
        by_code = {s["service_code"]: s for s in body}
        assert by_code["air"]["metadata"] is True and by_code["noise"]["metadata"] is False
    else:
        assert body.tag == "services"
        by_code = {s.findtext("service_code"): s for s in body.findall("service")}
        assert by_code["air"].findtext("metadata") == "true"
        assert by_code["noise"].findtext("metadata") == "false"
        assert by_code["air"].findtext("type") == "realtime"


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_service_definition_with_attributes(client, fmt):
    r = client.get(f"/open311/v2/services/air.{fmt}")
    assert r.status_code == 200 and r["Access-Control-Allow-Origin"] == "*"
    body = _parse(r, fmt)
    if fmt == "json":
        assert body["service_code"] == "air"
        attrs = {a["code"]: a for a in body["attributes"]}
        assert attrs["odour_intensity"]["datatype"] == "singlevaluelist"
        assert [v["key"] for v in attrs["odour_intensity"]["values"]] == ["1", "2", "3", "4", "5"]
        assert attrs["pollution_type"]["datatype"] == "multivaluelist"
        assert {"variable", "code", "datatype", "required", "order", "description"} <= set(
            attrs["pollution_type"]
        )
    else:
        assert body.tag == "service_definition" and body.findtext("service_code") == "air"
        codes = [a.findtext("code") for a in body.findall("attributes/attribute")]
        assert codes == ["pollution_type", "odour_intensity"]
        keys = body.findall("attributes/attribute/values/value/key")
        assert "smoke" in [k.text for k in keys]
    _assert_error(client.get(f"/open311/v2/services/bogus.{fmt}"), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_I1_georeport_post_request_with_attributes(client, district, fmt):
    data = {
        "service_code": "air",
        "lat": WEST_POINT[1],
        "long": WEST_POINT[0],
        "description": "刺鼻异味",
        "attribute[odour_intensity]": "4",
        "attribute[pollution_type][]": ["odour", "gas"],
    }
    r = client.post(f"/open311/v2/requests.{fmt}", data)
    assert r.status_code == 200
    body = _parse(r, fmt)
    if fmt == "json":
        sid = body[0]["service_request_id"]
        assert "查询码" in body[0]["service_notice"]
    else:
        assert body.tag == "service_requests"
        sid = body.findtext("request/service_request_id")
    p = Petition.objects.get(public_id=sid)
    assert p.attributes == {"odour_intensity": "4", "pollution_type": ["odour", "gas"]}
    assert sid != p.tracking_code
    bad = dict(data, **{"attribute[odour_intensity]": "9"})
    _assert_error(client.post(f"/open311/v2/requests.{fmt}", bad), fmt, 400)
    unknown = dict(data, **{"attribute[colour]": "red"})
    _assert_error(client.post(f"/open311/v2/requests.{fmt}", unknown), fmt, 400)
    assert Petition.objects.count() == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_get_requests_and_request(client, district, submit, fmt):
    p = _published(district, submit)
    hidden = submit(category="noise", description="未公开")
    r = client.get(f"/open311/v2/requests.{fmt}")
    assert r.status_code == 200 and r["Access-Control-Allow-Origin"] == "*"
    body = _parse(r, fmt)
    if fmt == "json":
        assert [x["service_request_id"] for x in body] == [p.public_id]
        assert body[0]["description"] == "已责令整改。"
    else:
        assert body.tag == "service_requests"
        assert [x.findtext("service_request_id") for x in body.findall("request")] == [p.public_id]
        assert body.findtext("request/status") == "closed"
    assert p.tracking_code not in r.content.decode()
    # service_request_id overrides every other filter, even a bad one.
    r = client.get(
        f"/open311/v2/requests.{fmt}?service_request_id={hidden.public_id}"
        "&status=bogus&service_code=air&start_date=never"
    )
    assert r.status_code == 200
    body = _parse(r, fmt)
    ids = (
        [x["service_request_id"] for x in body]
        if fmt == "json"
        else [x.findtext("service_request_id") for x in body.findall("request")]
    )
    assert ids == [hidden.public_id]
    one = client.get(f"/open311/v2/requests/{p.public_id}.{fmt}")
    assert one.status_code == 200 and one["Access-Control-Allow-Origin"] == "*"
    body = _parse(one, fmt)
    got = (
        body[0]["service_request_id"]
        if fmt == "json"
        else body.findtext("request/service_request_id")
    )
    assert got == p.public_id
    _assert_error(client.get(f"/open311/v2/requests/PNOSUCH.{fmt}"), fmt, 404)
    _assert_error(client.get(f"/open311/v2/requests.{fmt}?status=pending"), fmt, 400)


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_jurisdiction_checked(client, settings, fmt):
    settings.ENVGRID_OPEN311_JURISDICTION = "zq.example.gov.cn"
    ok = client.get(f"/open311/v2/services.{fmt}?jurisdiction_id=zq.example.gov.cn")
    assert ok.status_code == 200
    _assert_error(client.get(f"/open311/v2/services.{fmt}?jurisdiction_id=other.gov"), fmt, 404)
    _assert_error(
        client.post(f"/open311/v2/requests.{fmt}?jurisdiction_id=other.gov", {}), fmt, 404
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_every_error_is_an_error_array(client, district, settings, monkeypatch, fmt):
    url = f"/open311/v2/requests.{fmt}"
    # 405 for PUT / DELETE / PATCH (not a CSRF page, not an empty body), with Allow.
    csrf_client = type(client)(enforce_csrf_checks=True)
    for method in ("put", "delete", "patch"):
        r = getattr(csrf_client, method)(url)
        _assert_error(r, fmt, 405)
        assert r["Allow"] == "GET, POST"
        r = getattr(csrf_client, method)(f"/open311/v2/services/air.{fmt}")
        _assert_error(r, fmt, 405)
    # POST without a CSRF token works (no cookies are used), and a bad one is a 400.
    _assert_error(csrf_client.post(url, {"lat": "1", "long": "1"}), fmt, 400)
    # 400: a non-string field in JSON, invalid JSON.
    for bad in (
        {"service_code": ["air"], "lat": 40.66, "long": 122.22},
        {"service_code": "air", "lat": True, "long": 122.22},
        {"service_code": "air", "lat": 40.66, "long": 122.22, "description": {"x": 1}},
    ):
        _assert_error(client.post(url, bad, content_type="application/json"), fmt, 400)
    _assert_error(client.post(url, "{bad", content_type="application/json"), fmt, 400)
    # 413: a body over the limit; 400: too many fields.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = json.dumps({"service_code": "air", "description": "x" * 5000})
    _assert_error(client.post(url, big, content_type="application/json"), fmt, 413)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2621440
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    _assert_error(client.post(url, {f"f{i}": "x" for i in range(20)}), fmt, 400)
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
    # 404: an unknown resource in either format.
    _assert_error(client.get(f"/open311/v2/nothing.{fmt}"), fmt, 404)
    # 500: a bug is an error array too, not an HTML page.
    from envgrid.disclosure import open311

    def boom(*a, **k):
        raise RuntimeError("bug")

    monkeypatch.setattr(open311, "_service_json", boom)
    r = client.get(f"/open311/v2/services.{fmt}")
    _assert_error(r, fmt, 500)
    assert r["Access-Control-Allow-Origin"] == "*"
    assert Petition.objects.count() == 0


def test_georeport_cors_preflight_for_gets(client):
    r = client.options("/open311/v2/requests.json", HTTP_ORIGIN="https://app.example")
    assert r.status_code == 204
    assert r["Access-Control-Allow-Origin"] == "*"
    assert r["Access-Control-Allow-Methods"] == "GET, OPTIONS"


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_client_library_reads_our_endpoints(live_server, district, submit, fmt):
    """The `georeport` client from PyPI (0.3.1) against a live server, in both of its
    output formats. It has no call to create a request, so reading is what it proves."""
    georeport = pytest.importorskip("georeport")
    p = _published(district, submit)
    api = georeport.GeoReport(
        f"{live_server.url}/open311/v2", jurisdiction="envgrid.gov.cn", output_format=fmt
    )
    services_ = api.get_service_list()
    assert {s["service_code"] for s in services_} >= {"air", "water", "noise"}
    definition = api.get_service_definition("air")
    assert definition["service_code"] == "air"
    items = api.get_service_requests()
    items = items if isinstance(items, list) else [items]
    assert [i["service_request_id"] for i in items] == [p.public_id]
    one = api.get_service_request(p.public_id)
    assert one["service_request_id"] == p.public_id and one["status"] == "closed"
