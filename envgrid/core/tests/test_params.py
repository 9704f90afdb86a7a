"""Query parameters out of range or carrying NUL answer 400 with the parameter named, on
both databases — never a 500 (each case here was a schemathesis finding)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/meetings/?year=92394",
        "/api/meeting-decisions/?year=0",
        "/api/enforcement/ack-stats/?year=561802",
        "/api/enforcement/actions/?year=abc",
        "/api/transfer-timeliness/?year=10000",
        "/api/transfer-overdue/?year=-5",
    ],
)
def test_out_of_range_year_is_a_400_naming_the_parameter(world, api, url):
    api.force_authenticate(world.office_staff.user)
    resp = api.get(url)
    if resp.status_code == 404 and not resp.content.startswith(b"{"):
        pytest.fail(f"{url} is not an API route")
    assert resp.status_code == 400, (url, resp.status_code, resp.content[:300])
    assert resp.json()["fields"] == {"year": resp.json()["fields"]["year"]}


@pytest.mark.parametrize(
    "url",
    ["/api/cases/?search=a%00b", "/api/cases/?status=%00", "/api/grids/?search=%00"],
)
def test_nul_in_query_string_is_a_400(world, api, url):
    api.force_authenticate(world.office_staff.user)
    resp = api.get(url)
    assert resp.status_code == 400, resp.content[:300]
    assert resp.json()["code"] == "invalid"


def test_year_in_range_still_filters(world, api):
    api.force_authenticate(world.office_staff.user)
    assert api.get("/api/meetings/?year=2026").status_code == 200
    assert api.get("/api/enforcement/ack-stats/?year=2026").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "discovered_before=5773-06-12T04:02:34%2B16:16",
        "registered_after=0734-06-05T09:35:12Z",
        "registered_before=not-a-date",
    ],
)
def test_case_list_refuses_implausible_moments_with_400(world, api, query):
    api.force_authenticate(world.office_staff.user)
    resp = api.get(f"/api/cases/?{query}")
    assert resp.status_code == 400, resp.content[:300]
    assert query.split("=")[0] in resp.json()["fields"]
