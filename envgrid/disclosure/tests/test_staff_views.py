"""Staff pages: the petition inbox of the responsible unit and the office — acknowledge,
handle, reply, object, re-route — with bad input answered 4xx and nothing written."""

from __future__ import annotations

import pytest

from envgrid.disclosure.models import Petition, PetitionStatus, Publication
from envgrid.obligations.services import obligations_for

from .conftest import login

pytestmark = pytest.mark.django_db


def test_petition_inbox_shows_units_own_petitions_and_office_sees_all(client, district, submit):
    w = district.world
    west = submit()
    east = submit(category="noise", lon=122.28, lat=40.66)
    login(client, w.member_staff[0])
    page = client.get("/disclosure/staff/petitions/").content.decode()
    assert west.tracking_code in page and east.tracking_code not in page
    assert client.get(f"/disclosure/staff/petitions/{east.pk}/").status_code == 404
    x = client.get("/disclosure/staff/petitions/?format=xlsx")
    assert x.status_code == 200 and x["Content-Type"].startswith("application/vnd.openxml")
    client.logout()
    login(client, w.office_staff)
    page = client.get("/disclosure/staff/petitions/").content.decode()
    assert west.tracking_code in page and east.tracking_code in page
    # The unit handling it sees the contact; the public never does (test_privacy).
    client.logout()
    assert client.get("/disclosure/staff/petitions/").status_code == 302


def test_petition_office_oversees_community_grid_owners_outside_member_units(
    client, district, submit
):
    """A community grid's owner is usually not a member unit; the office still sees and
    routes its petitions and hazards (scope follows the group's grid tree)."""
    from envgrid.testing import make_unit

    from .conftest import box, bump_grid_index, make_grid

    w = district.world
    community = make_unit("测试社区居委会", kind="community")
    make_grid(
        "ZQ-W-1", "测试社区", 4, community, box(122.20, 40.62, 122.22, 40.64), parent=district.west
    )
    bump_grid_index()
    p = submit(lon=122.21, lat=40.63)
    assert p.unit == community
    login(client, w.office_staff)
    assert client.get(f"/disclosure/staff/petitions/{p.pk}/").status_code == 200
    login(client, w.member_staff[1])
    assert client.get(f"/disclosure/staff/petitions/{p.pk}/").status_code == 404


def test_petition_actions_through_the_pages(client, district, submit):
    w = district.world
    p = submit()
    url = f"/disclosure/staff/petitions/{p.pk}/"
    login(client, w.member_staff[1])  # not the receiving unit
    assert client.post(url, {"action": "accept"}).status_code == 404
    client.logout()
    login(client, w.member_staff[0])
    r = client.post(url, {"action": "object", "reason": ""})
    assert r.status_code == 400 and "异议须写明理由" in r.content.decode()
    r = client.post(url, {"action": "reply", "reply": "x"})
    assert r.status_code == 409
    assert client.post(url, {"action": "bogus"}).status_code == 400
    p.refresh_from_db()
    assert p.status == PetitionStatus.RECEIVED
    assert client.post(url, {"action": "object", "reason": "属水务职责"}).status_code == 302
    # It waits for the office, which re-routes it; the objecting unit then loses it.
    assert client.post(url, {"action": "accept"}).status_code == 409
    client.logout()
    login(client, w.office_staff)
    assert client.post(url, {"action": "reroute", "unit": "999999"}).status_code == 400
    assert client.post(url, {"action": "reroute", "unit": str(w.members[2].pk)}).status_code == 302
    p.refresh_from_db()
    assert p.unit == w.members[2] and p.status == PetitionStatus.RECEIVED
    client.logout()
    login(client, w.member_staff[0])
    assert client.get(url).status_code == 404
    client.logout()
    login(client, w.member_staff[2])
    assert client.post(url, {"action": "accept"}).status_code == 302
    assert (
        client.post(
            url, {"action": "progress", "note": "已现场检查", "public_note": "已现场检查"}
        ).status_code
        == 302
    )
    assert client.post(url, {"action": "reply", "reply": "已责令整改"}).status_code == 302
    p.refresh_from_db()
    assert p.status == PetitionStatus.REPLIED
    assert obligations_for(p).count() == 0
    assert client.post(url, {"action": "disclose", "summary": ""}).status_code == 400
    r = client.post(url, {"action": "disclose", "summary": "已责令整改并复查。"})
    assert r.status_code == 302
    pub = Publication.objects.get(kind="petition")
    assert pub.status == "draft"
    track = client.get(f"/disclosure/petition/track/?code={p.tracking_code}").content.decode()
    assert "已办结并答复" in track
    assert "已现场检查" not in track  # a note written by staff waits for the office's review
    client.logout()
    login(client, w.office_staff)
    event = p.events.get(action="progress")
    assert event.public_reviewed is False
    r = client.post(
        url,
        {"action": "review_note", "event": event.pk, "approve": "1", "public_note": "已现场检查"},
    )
    assert r.status_code == 302
    track = client.get(f"/disclosure/petition/track/?code={p.tracking_code}").content.decode()
    assert "已现场检查" in track
    again = client.post(url, {"action": "review_note", "event": event.pk, "approve": "1"})
    assert again.status_code == 409


def test_hazard_and_emission_staff_pages(client, district):
    from envgrid.disclosure.models import Hazard

    w = district.world
    login(client, w.member_staff[0])
    bad = client.post("/disclosure/manage/hazards/", {"place": "", "lon": "x"})
    assert bad.status_code == 400 and Hazard.objects.count() == 0
    ok = client.post(
        "/disclosure/manage/hazards/",
        {
            "place": "西部油库",
            "lon": "122.22",
            "lat": "40.66",
            "kind": "chemical",
            "level": "major",
            "status": "identified",
            "measures": "专人值守",
            "responsible_unit": str(w.members[0].pk),
            "found_on": "2025-03-01",
        },
    )
    assert ok.status_code == 302
    h = Hazard.objects.get()
    assert h.grid == district.west
    assert (
        client.post(f"/disclosure/manage/hazards/{h.pk}/", {"action": "publish"}).status_code == 302
    )
    assert client.get("/disclosure/manage/hazards/?format=xlsx").status_code == 200
    assert client.get("/disclosure/manage/emissions/?format=template").status_code == 200
    assert client.get("/disclosure/manage/emissions/?format=xlsx").status_code == 200
    # Another unit's staff cannot see or change it.
    client.logout()
    login(client, w.member_staff[1])
    assert client.get(f"/disclosure/manage/hazards/{h.pk}/").status_code == 404
    assert Petition.objects.count() == 0
