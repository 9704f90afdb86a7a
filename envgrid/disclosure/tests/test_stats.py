"""Honest public statistics (I4, issue 17 part 5): received, accepted (受理) and
concluded are counted from real petitions; spam, points outside the district and merged
duplicates are counted apart; unscreened submissions are not "accepted"."""

from __future__ import annotations

import csv
import io

import pytest

from envgrid.disclosure.models import Petition, PetitionStatus
from envgrid.disclosure.petitions import petition_acknowledge, petition_mark_spam, petition_reply

from .conftest import WEST_POINT

pytestmark = pytest.mark.django_db
OUTSIDE = (121.0, 39.0)


@pytest.fixture
def mixed(district, submit):
    """8 submissions: 1 unscreened, 1 accepted in progress, 1 concluded, 1 declined,
    2 spam, 1 outside the district, 1 duplicate of the unscreened one."""
    staff = district.world.member_staff[0].user
    far = (WEST_POINT[0] + 0.01, WEST_POINT[1])
    unscreened = submit(description="夜间异味")
    accepted = submit(category="noise", description="工地夜间施工")
    petition_acknowledge(actor=staff, petition=accepted)
    concluded = submit(category="water", description="河道排污")
    petition_acknowledge(actor=staff, petition=concluded)
    petition_reply(actor=staff, petition=concluded, reply="已查处")
    declined = submit(category="soil", description="土壤")
    petition_acknowledge(actor=staff, petition=declined, accept=False, reason="已在诉讼中")
    spam1 = submit(category="other", description="代开发票 广告")
    petition_mark_spam(actor=staff, petition=spam1, reason="广告")
    spam2 = submit(category="other", description="asdfgh", lon=far[0], lat=far[1])
    petition_mark_spam(actor=staff, petition=spam2)
    outside = submit(category="ecology", description="外区", lon=OUTSIDE[0], lat=OUTSIDE[1])
    dup = submit(description="又有异味")
    assert outside.grid_id is None
    assert dup.status == PetitionStatus.LINKED and dup.duplicate_of_id == unscreened.pk
    assert Petition.objects.filter(is_spam=True).count() == 2
    return district


EXPECTED = {
    "submitted": 8,
    "received": 4,
    "unscreened": 1,
    "accepted": 2,
    "in_progress": 1,
    "concluded": 1,
    "concluded_on_time": 1,
    "declined": 1,
    "spam": 2,
    "out_of_area": 1,
    "linked_duplicates": 1,
}


def test_I4_public_statistics_count_spam_out_of_area_and_unscreened_apart(client, mixed):
    data = client.get("/disclosure/data/petition-stats.json").json()
    assert {k: data[k] for k in EXPECTED} == EXPECTED
    by_cat = {c["category"]: c for c in data["categories"]}
    assert by_cat["air"]["received"] == 1 and by_cat["air"]["unscreened"] == 1
    assert by_cat["other"]["received"] == 0  # both "other" submissions were spam
    assert by_cat["ecology"]["received"] == 0  # outside the district
    assert sum(m["received"] for m in data["months"]) == 4

    page = client.get("/disclosure/petitions/").content.decode()
    assert (
        "共收到信访举报 4 件：待受理 1 件，已受理 2 件（其中已办结 1 件，按期办结 1 件），不予受理 1 件。"
        in page
    )
    assert "重复反映已合并办理 1 件，垃圾信息 2 件，服务区域外 1 件（全部提交共 8 件）" in page
    home = client.get("/disclosure/").content.decode()
    assert "共收到信访举报 4 件，已受理 2 件，已办结 1 件，其中按期办结 1 件。" in home
    assert "另有垃圾信息 2 件、服务区域外 1 件，未计入以上数字。" in home

    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get("/disclosure/data/petition-stats.csv").content.decode("utf-8-sig")
            )
        )
    )
    apart = {
        r["category"]: int(r["received"])
        for r in rows
        if r["category"] in ("spam", "out_of_area", "linked_duplicates")
    }
    assert apart == {"spam": 2, "out_of_area": 1, "linked_duplicates": 1}
    assert sum(int(r["received"]) for r in rows) == 8


def test_spam_is_marked_through_the_staff_page_and_only_when_unscreened(client, district, submit):
    from .conftest import login

    p = submit(description="广告")
    login(client, district.world.member_staff[0])
    url = f"/disclosure/staff/petitions/{p.pk}/"
    assert client.post(url, {"action": "spam", "reason": "广告"}).status_code == 302
    p.refresh_from_db()
    assert p.is_spam and p.status == PetitionStatus.DECLINED
    again = client.post(url, {"action": "spam"})
    assert again.status_code == 409
