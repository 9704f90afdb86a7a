"""A petitioner's identity is never disclosed (I4): every public URL and every Open311
response is scanned for a planted name, phone and e-mail, in every petition state."""

from __future__ import annotations

import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from envgrid.disclosure import services
from envgrid.disclosure.models import PetitionStatus, Publication
from envgrid.disclosure.petitions import (
    petition_acknowledge,
    petition_object,
    petition_progress,
    petition_reply,
)

from .conftest import EAST_POINT, WEST_POINT

pytestmark = pytest.mark.django_db
NAME = "隐私测试人欧阳某某"
PHONE = "13912345678"
EMAIL = "planted.petitioner@example.invalid"
PLANTED = (NAME, PHONE, EMAIL, "欧阳某某", "planted.petitioner")


def _public_urls():
    """Every URL of the disclosure app that needs no login, discovered from the URLconf."""
    out = []
    resolver = get_resolver()
    for top in resolver.url_patterns:
        if isinstance(top, URLResolver) and top.namespace == "disclosure":
            for p in top.url_patterns:
                if (
                    isinstance(p, URLPattern)
                    and p.name
                    and not str(p.pattern).startswith(("manage/", "staff/"))
                ):
                    out.append(p)
    return out


def test_I4_petitioner_identity_never_on_any_public_page_or_api(client, district, submit):
    w = district.world
    contact = {"contact_name": NAME, "contact_phone": PHONE, "contact_email": EMAIL}
    desc = f"我是{NAME}，电话{PHONE}，邮箱{EMAIL}，工厂夜间排放黑烟。"
    received = submit(description=desc, **contact)
    dup = submit(description=desc, lon=WEST_POINT[0] + 0.0002, **contact)
    objected = submit(category="water", description=desc, **contact)
    petition_object(actor=w.member_staff[0].user, petition=objected, reason=f"{NAME}所述不属本单位")
    accepted = submit(category="noise", description=desc, **contact)
    petition_acknowledge(actor=w.member_staff[0].user, petition=accepted)
    petition_progress(
        actor=w.member_staff[0].user,
        petition=accepted,
        note=f"已联系{NAME}",
        public_note=f"已电话联系{NAME}（{PHONE}）核实",
    )
    replied = submit(
        category="waste", lon=EAST_POINT[0], lat=EAST_POINT[1], description=desc, **contact
    )
    petition_acknowledge(actor=w.member_staff[1].user, petition=replied)
    petition_reply(
        actor=w.member_staff[1].user, petition=replied, reply=f"{NAME}：经查属实，电话{PHONE}。"
    )
    declined = submit(category="soil", description=desc, **contact)
    petition_acknowledge(
        actor=w.member_staff[0].user, petition=declined, accept=False, reason=f"{NAME}重复"
    )
    assert dup.status == PetitionStatus.LINKED
    for p, staff in ((replied, w.member_staff[1]), (declined, w.member_staff[0])):
        p.refresh_from_db()
        pub = services.publication_draft_petition(
            actor=staff.user, petition=p, summary=f"{NAME}（{PHONE}，{EMAIL}）反映的问题已办结。"
        )
        services.publication_review(actor=w.director.user, publication=pub)
        services.publication_publish(actor=w.director.user, publication=pub)
    for maker in (services.publication_draft_division, services.publication_draft_duties):
        pub = maker(actor=w.office_staff.user, unit=w.office_unit)
        services.publication_review(actor=w.director.user, publication=pub)
        services.publication_publish(actor=w.director.user, publication=pub)
    petitions = [received, dup, objected, accepted, replied, declined]
    codes = [p.tracking_code for p in petitions]

    urls = set()
    for p in _public_urls():
        route = str(p.pattern)
        if "<" in route or route.startswith("^"):
            continue
        urls.add("/disclosure/" + route)
    assert "/disclosure/petitions/" in urls and "/disclosure/open311/v2/requests.json" in urls
    assert len(urls) >= 20
    for code in codes:
        urls.add(f"/disclosure/petition/track/?code={code}")
        urls.add(f"/disclosure/open311/v2/requests/{code}.json")
    urls.add("/disclosure/open311/v2/requests.json?service_request_id=" + ",".join(codes))
    urls.add("/disclosure/open311/v2/requests.json?status=open,closed")
    urls.add("/disclosure/open311/v2/services/air.json")
    for pub in Publication.objects.filter(status="published"):
        urls.add(f"/disclosure/p/{pub.pk}/")
    scanned = 0
    for url in sorted(urls):
        r = client.get(url)
        if r.status_code == 302:  # the "submitted" page without a session goes to the form
            continue
        assert r.status_code == 200, url
        body = b"".join(r.streaming_content) if r.streaming else r.content
        text = body.decode("utf-8-sig", errors="replace")
        try:  # JSON escapes non-ASCII: decode it before looking
            text += json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
        for secret in PLANTED:
            assert secret not in text, f"{secret!r} leaked on {url}"
        scanned += 1
    assert scanned >= 35
    # And a new Open311 submission's own answer carries nothing of it either.
    r = client.post(
        "/disclosure/open311/v2/requests.json",
        {
            "service_code": "air",
            "lat": 40.66,
            "long": 122.27,
            "description": desc,
            "first_name": NAME,
            "phone": PHONE,
            "email": EMAIL,
        },
    )
    assert r.status_code == 200
    for secret in PLANTED:
        assert secret not in json.dumps(r.json(), ensure_ascii=False)
    # The staff side still has it for replying (the unit handling it).
    assert received.contact_phone == PHONE
    assert timezone.now()
