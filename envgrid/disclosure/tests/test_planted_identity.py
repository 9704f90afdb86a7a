"""The planted-identity crawl (I4, issue 17 part 2).

Two petitioners' identities — a name, a mobile number, an e-mail address and an
identity-card number — are planted in varied forms through every write path staff or the
public have: the web form, the Open311 form and JSON, progress notes (reviewed by the
office), decline reasons, replies, a publication draft and its update by hand, the case
bridge. Then every anonymous URL is crawled — every link followed from the portal home,
plus every Open311 URL (both formats) and every open-data file, plus each petition's
tracking page — and no form of either identity may appear. The test lists the URLs it
crawled (printed, and in test-artifacts/planted_identity_urls.txt).

Phase 2 writes the identity straight into the stored public fields (as data written
before the scrub existed, or by hand in the database would be) and crawls again: the
render-time scrub alone must hold. Phase 1 checks the stored fields too, so the
save-time scrub alone must hold as well."""

from __future__ import annotations

import json
import re
import unicodedata
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from envgrid.disclosure import services
from envgrid.disclosure.models import (
    CaseInformant,
    Petition,
    PetitionEvent,
    PetitionStatus,
    Publication,
)
from envgrid.disclosure.petitions import (
    petition_acknowledge,
    petition_note_review,
    petition_progress,
    petition_reply,
    petition_to_case,
)

from .conftest import EAST_POINT, WEST_POINT, login

pytestmark = pytest.mark.django_db

# What each identity must never be seen as, in the independent normal form of `_norm`.
A_FORMS = ("欧阳明华", "明华欧阳", "13912345678", "ouyangminghua", "11010519491231002x")
B_FORMS = ("司马光辉", "13800138000", "simaguanghui", "44030119800101123x")
# Varied ways people write them.
A_TEXT = (
    "我是欧阳明华（欧阳　明华），手机 139 1234 5678 或 +86-139-1234-5678、"
    "１３９１２３４５６７８，邮箱 OUYANG.MINGHUA@EXAMPLE.COM、"
    "ｏｕｙａｎｇ．ｍｉｎｇｈｕａ＠ｅｘａｍｐｌｅ．ｃｏｍ，身份证 110105 19491231 002x。"
)
B_TEXT = (
    "司马 光辉反映，电话13800138000，邮箱 SiMa.GuangHui@example.org，身份证44030119800101123X。"
)

A_NUMBERS = "联系 139 1234 5678、OUYANG.MINGHUA@EXAMPLE.COM、110105 19491231 002x。"
# Text about a petition: [not web's (B's only), web's (A and B are parties)].
PARTY_TEXT = (B_TEXT + A_NUMBERS, A_TEXT + B_TEXT)


def _norm(text: str) -> str:
    """Independent of privacy.py: full-width to half-width, lower case, and nothing but
    letters, digits and CJK characters."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())


def _leaks(text: str) -> list[str]:
    flat = _norm(text)
    return [f for f in (*A_FORMS, *B_FORMS) if f in flat]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        if tag == "a" and d.get("href"):
            self.links.append(str(d["href"]))
        if tag == "form" and (d.get("method") or "get").lower() == "get" and d.get("action"):
            self.links.append(str(d["action"]))


def _body(r) -> str:
    raw = b"".join(r.streaming_content) if r.streaming else r.content
    text = raw.decode("utf-8-sig", errors="replace")
    try:  # JSON may escape non-ASCII: decode it before looking
        text += json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        pass
    return text


SKIP = ("/disclosure/manage/", "/disclosure/staff/", "/static/", "/admin/", "/media/")


def crawl(client, extra: list[str]) -> dict[str, int]:
    """Every URL reachable from the portal home without logging in, plus `extra`.
    Returns {url: status}; fails on the first page that shows any form of an identity."""
    seen: dict[str, int] = {}
    todo = ["/disclosure/", *extra]
    while todo and len(seen) < 600:
        url = todo.pop(0)
        if url in seen:
            continue
        r = client.get(url)
        seen[url] = r.status_code
        if r.status_code in (301, 302):
            continue
        assert r.status_code in (200, 404), (url, r.status_code)
        text = _body(r)
        leaks = _leaks(text)
        assert not leaks, f"{leaks} on {url}"
        if "html" not in r.get("Content-Type", ""):
            continue
        parser = _Links()
        parser.feed(text)
        for href in parser.links:
            target, _frag = urldefrag(urljoin(url, href))
            parts = urlsplit(target)
            if parts.netloc and parts.netloc not in ("testserver",):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path.startswith(SKIP) or path in seen or "lang" in parts.query:
                continue
            todo.append(path)
    return seen


def _open311_urls(petitions: list[Petition]) -> list[str]:
    urls = []
    for base in ("/open311", "/disclosure/open311"):
        for fmt in ("json", "xml"):
            urls += [
                f"{base}/discovery.{fmt}",
                f"{base}/v2/services.{fmt}",
                f"{base}/v2/services/air.{fmt}",
                f"{base}/v2/services/noise.{fmt}",
                f"{base}/v2/requests.{fmt}",
                f"{base}/v2/requests.{fmt}?status=open,closed",
                f"{base}/v2/requests.{fmt}?start_date=2000-01-01T00:00:00Z",
                f"{base}/v2/requests.{fmt}?service_request_id="
                + ",".join(str(p.public_id) for p in petitions),
            ]
            urls += [f"{base}/v2/requests/{p.public_id}.{fmt}" for p in petitions]
            urls += [f"{base}/v2/requests/{p.tracking_code}.{fmt}" for p in petitions]
    return urls


OPEN_DATA = [
    "/disclosure/data/",
    "/disclosure/data/grids.geojson",
    "/disclosure/data/hazards.geojson",
    "/disclosure/data/emissions.csv",
    "/disclosure/data/emissions.json",
    "/disclosure/data/petition-stats.csv",
    "/disclosure/data/petition-stats.json",
]


def _plant(client, district):
    """Every write path, identity in varied forms. Returns the petitions."""
    w = district.world
    west, east = w.member_staff[0], w.member_staff[1]
    # 1. Web form (A's identity in the contact fields and in the text).
    r = client.post(
        "/disclosure/petition/new/",
        {
            "category": "air",
            "description": "烟囱冒黑烟。" + A_TEXT,
            "lon": WEST_POINT[0],
            "lat": WEST_POINT[1],
            "crs": "wgs84",
            "place_text": "欧阳明华家楼下",
            "contact_name": "欧阳明华",
            "contact_phone": "139-1234-5678",
            "contact_email": "Ouyang.MingHua@Example.com",
        },
    )
    assert r.status_code == 302
    web = Petition.objects.get(source="web")
    # 2. Open311 form: the name stored as "surname given".
    r = client.post(
        "/open311/v2/requests.json",
        {
            "service_code": "noise",
            "lat": EAST_POINT[1],
            "long": EAST_POINT[0],
            "description": "工地夜间施工。" + A_TEXT,
            "last_name": "欧阳",
            "first_name": "明华",
            "phone": "+86 139 1234 5678",
            "email": "ouyang.minghua@example.com",
            "address_string": "欧阳明华 13912345678",
        },
    )
    assert r.status_code == 200, r.content
    form311 = Petition.objects.get(public_id=r.json()[0]["service_request_id"])
    # 3. Open311 JSON (B), then a duplicate of the web petition by B: B is a party to it.
    r = client.post(
        "/disclosure/open311/v2/requests.json",
        {
            "service_code": "water",
            "lat": WEST_POINT[1],
            "long": WEST_POINT[0] + 0.02,
            "description": "河道排污。" + B_TEXT,
            "last_name": "司马",
            "first_name": "光辉",
            "phone": "0086-138-0013-8000",
            "email": "sima.guanghui@example.org",
            "attribute": {},
        },
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    json311 = Petition.objects.get(public_id=r.json()[0]["service_request_id"])
    r = client.post(
        "/disclosure/petition/new/",
        {
            "category": "air",
            "description": "同一处黑烟。" + B_TEXT,
            "lon": WEST_POINT[0] + 0.0003,
            "lat": WEST_POINT[1],
            "crs": "wgs84",
            "contact_name": "司马光辉",
            "contact_phone": "13800138000",
        },
    )
    assert r.status_code == 302
    dup = Petition.objects.get(status=PetitionStatus.LINKED)
    assert dup.duplicate_of_id == web.pk

    # 4. Progress notes with identity, approved by the office as written.
    petition_acknowledge(actor=west.user, petition=web)
    petition_progress(
        actor=west.user,
        petition=web,
        note="内部：" + A_TEXT,
        public_note="已联系欧阳 明华和司马光辉（13800138000）核实。" + A_TEXT[:60],
    )
    petition_acknowledge(actor=east.user, petition=form311)
    petition_progress(
        actor=east.user, petition=form311, note="x", public_note="已回访欧阳明华 139-1234-5678"
    )
    for ev in PetitionEvent.objects.filter(action="progress"):
        petition_note_review(actor=w.director.user, event=ev, approve=True)
    # 5. Replies and a decline reason with identity.
    petition_reply(actor=west.user, petition=web, reply="欧阳明华：经查属实。" + A_TEXT)
    petition_acknowledge(
        actor=west.user, petition=json311, accept=False, reason="司马光辉 13800138000 重复反映"
    )
    reason = PetitionEvent.objects.get(action="decline_reason")
    petition_note_review(actor=w.director.user, event=reason, approve=True)
    # 6. The case bridge.
    petition_to_case(actor=east.user, petition=form311)
    # 7. Publication drafts through the staff page, then edited by hand, reviewed, published.
    # A name is known only as a party's: each text names the parties of its own petition
    # (web: A and B, who filed its duplicate; json311: B), numbers and addresses any.
    login(client, west)
    for p in (web, json311):
        r = client.post(
            f"/disclosure/staff/petitions/{p.pk}/",
            {"action": "disclose", "summary": "办理情况：" + PARTY_TEXT[p.pk == web.pk]},
        )
        assert r.status_code == 302
    client.logout()
    for pub in Publication.objects.filter(kind="petition"):
        login(client, west)
        mine = pub.source_id == str(web.pk)
        r = client.post(
            f"/disclosure/manage/{pub.pk}/",
            {
                "action": "update",
                "title": ("欧阳明华与" if mine else "")
                + "司马光辉的信访件 ouyang.minghua@example.com",
                "summary": "更新：" + PARTY_TEXT[mine],
            },
        )
        assert r.status_code in (200, 302), r.status_code
        client.logout()
        pub.refresh_from_db()
        assert pub.title.startswith("***") and "信访件 ***" in pub.title
        services.publication_review(actor=w.director.user, publication=pub)
        services.publication_publish(actor=w.director.user, publication=pub)
    for maker in (services.publication_draft_division, services.publication_draft_duties):
        pub = maker(actor=w.office_staff.user, unit=w.office_unit)
        services.publication_review(actor=w.director.user, publication=pub)
        services.publication_publish(actor=w.director.user, publication=pub)
    return [web, form311, json311, dup]


def _stored_public_text() -> str:
    parts: list[str] = []
    for pub in Publication.objects.all():
        parts += [pub.title, pub.summary, json.dumps(pub.payload, ensure_ascii=False)]
    parts += list(PetitionEvent.objects.values_list("public_note", flat=True))
    return "\n".join(parts)


def _all_urls(client, petitions, artifacts_dir, name):
    extra = _open311_urls(petitions) + OPEN_DATA
    extra += [f"/disclosure/petition/track/?code={p.tracking_code}" for p in petitions]
    extra += [f"/disclosure/p/{pub.pk}/" for pub in Publication.objects.filter(status="published")]
    seen = crawl(client, extra)
    listing = "\n".join(f"{status} {url}" for url, status in sorted(seen.items()))
    print(f"--- {name}: {len(seen)} URLs crawled ---\n{listing}")
    (artifacts_dir / f"planted_identity_urls_{name}.txt").write_text(listing + "\n")
    return seen


def test_I4_planted_identity_never_reaches_any_anonymous_url(client, district, artifacts_dir):
    petitions = _plant(client, district)

    # The case holds the facts without the identity; the identity sits in the restricted record.
    form311 = petitions[1]
    form311.refresh_from_db()
    from envgrid.cases.models import Case

    case = Case.objects.get(pk=form311.case_id)
    assert not _leaks(f"{case.title} {getattr(case, 'facts', '')} {case.description}")
    informant = CaseInformant.objects.get(petition=form311)
    assert (informant.name, informant.case_id) == ("欧阳 明华", case.pk)

    # Save-time scrub: nothing public was stored with the identity.
    assert not _leaks(_stored_public_text())

    # Render-time: crawl everything anonymous.
    seen = _all_urls(client, petitions, artifacts_dir, "phase1")
    ok = [u for u, s in seen.items() if s == 200]
    assert len(ok) >= 80
    for must in (
        "/disclosure/petitions/",
        "/disclosure/data/petition-stats.csv",
        "/open311/v2/requests.xml",
        "/disclosure/open311/v2/services/air.xml",
        f"/disclosure/petition/track/?code={petitions[0].tracking_code}",
    ):
        assert seen.get(must) == 200, must
    assert any(u.startswith("/disclosure/p/") for u in ok)
    # The approved notes are public (scrubbed), so the crawl did see them.
    track = client.get(f"/disclosure/petition/track/?code={petitions[0].tracking_code}")
    assert "已联系***" in track.content.decode()


def test_I4_identity_written_straight_into_stored_public_fields_is_scrubbed_on_render(
    client, district, artifacts_dir
):
    petitions = _plant(client, district)
    # As if stored before the scrub existed, or edited in the database by hand.
    web = petitions[0]
    for pub in Publication.objects.filter(kind="petition"):
        text = PARTY_TEXT[pub.source_id == str(web.pk)]
        payload = dict(pub.payload)
        payload["summary"] = text
        Publication.objects.filter(pk=pub.pk).update(
            title=text[:100], summary=text, payload=payload
        )
    PetitionEvent.objects.filter(petition__in=[web, petitions[3]], public_reviewed=True).exclude(
        public_note=""
    ).update(public_note="联系人欧阳明华，司马　光辉 13800138000")
    PetitionEvent.objects.filter(petition=petitions[1], public_reviewed=True).exclude(
        public_note=""
    ).update(public_note="回访欧阳 明华")
    assert _leaks(_stored_public_text())
    seen = _all_urls(client, petitions, artifacts_dir, "phase2")
    assert len([u for u, s in seen.items() if s == 200]) >= 80
