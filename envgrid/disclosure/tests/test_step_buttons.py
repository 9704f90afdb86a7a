"""Issue 15 part 1: the petition and publication pages show exactly the step buttons the
workflow table allows the viewer (`core.workflow.actions_available`), and a step the
table forbids is refused 409 if posted anyway."""

from __future__ import annotations

import re

import pytest

from envgrid.core.workflow import actions_available
from envgrid.disclosure import services
from envgrid.disclosure.models import PetitionStatus, PublicationKind, PublicationStatus

from .conftest import login

pytestmark = pytest.mark.django_db

# The page's step forms, by their hidden `action` value, and the table step each takes.
PETITION_FORMS = {
    "accept": "accepted",
    "decline": "declined",
    "spam": "declined",
    "object": "objected",
    "progress": "replied",
    "reply": "replied",
    "extend": "replied",
    "reroute": "received",
}
PUBLICATION_FORMS = {
    "review": "reviewed",
    "send_back": "draft",
    "publish": "published",
    "withdraw": "withdrawn",
}


def _forms(html: str, known: dict[str, str]) -> set[str]:
    found = set(re.findall(r'name="action" value="([a-z_]+)"', html))
    return found & set(known)


def _allowed(obj, person, known: dict[str, str]) -> set[str]:
    steps = {t.action for t in actions_available(obj, person.user) if t.who}
    return {form for form, step in known.items() if step in steps}


def test_petition_page_buttons_are_the_tables_for_each_actor(client, district, submit):
    w = district.world
    p = submit()
    url = f"/disclosure/staff/petitions/{p.pk}/"
    handler, office = w.member_staff[0], w.office_staff
    # Received: the unit it is routed to may accept, decline (or mark spam) or object.
    login(client, handler)
    shown = _forms(client.get(url).content.decode(), PETITION_FORMS)
    assert shown == {"accept", "decline", "spam", "object"}
    assert shown == _allowed(p, handler, PETITION_FORMS)
    # The office sees the petition but takes none of the handler's steps.
    login(client, office)
    assert _forms(client.get(url).content.decode(), PETITION_FORMS) == set()
    assert _allowed(p, office, PETITION_FORMS) == set()
    # Objected: only the routing office may route it again; the objecting unit has nothing.
    login(client, handler)
    assert client.post(url, {"action": "object", "reason": "属水务职责"}).status_code == 302
    p.refresh_from_db()
    assert p.status == PetitionStatus.OBJECTED
    assert _forms(client.get(url).content.decode(), PETITION_FORMS) == set()
    login(client, office)
    assert _forms(client.get(url).content.decode(), PETITION_FORMS) == {"reroute"}
    assert client.post(url, {"action": "reroute", "unit": str(w.members[0].pk)}).status_code == 302
    # Accepted: the handler's buttons are those of the open reply step only.
    login(client, handler)
    assert client.post(url, {"action": "accept"}).status_code == 302
    p.refresh_from_db()
    shown = _forms(client.get(url).content.decode(), PETITION_FORMS)
    assert shown == {"progress", "reply", "extend"}
    assert shown == _allowed(p, handler, PETITION_FORMS)


def test_petition_step_the_table_forbids_is_not_shown_and_is_refused_409(client, district, submit):
    w = district.world
    p = submit()
    url = f"/disclosure/staff/petitions/{p.pk}/"
    login(client, w.member_staff[0])
    html = client.get(url).content.decode()
    assert 'value="reply"' not in html
    r = client.post(url, {"action": "reply", "reply": "已处理完毕"})
    assert r.status_code == 409
    p.refresh_from_db()
    assert p.status == PetitionStatus.RECEIVED
    # Re-routing a petition nobody objected to is not in the table either.
    login(client, w.office_staff)
    assert 'value="reroute"' not in client.get(url).content.decode()
    r = client.post(url, {"action": "reroute", "unit": str(w.members[2].pk)})
    assert r.status_code == 409
    p.refresh_from_db()
    assert p.unit == w.members[0]


def _draft(w):
    return services.publication_create(
        actor=w.member_staff[0].user,
        kind=PublicationKind.PLAN,
        title="网格化环境监管工作方案",
        summary="方案全文。",
        unit=w.members[0],
    )


def test_publication_page_buttons_are_the_tables_for_each_actor(client, district):
    w = district.world
    pub = _draft(w)
    url = f"/disclosure/manage/{pub.pk}/"
    reviewer, author = w.office_staff, w.member_staff[0]
    login(client, reviewer)
    shown = _forms(client.get(url).content.decode(), PUBLICATION_FORMS)
    assert shown == {"review", "withdraw"}
    assert shown == _allowed(pub, reviewer, PUBLICATION_FORMS)
    # The issuing unit edits its draft but takes no review step.
    login(client, author)
    assert _forms(client.get(url).content.decode(), PUBLICATION_FORMS) == set()
    assert _allowed(pub, author, PUBLICATION_FORMS) == set()
    login(client, reviewer)
    assert client.post(url, {"action": "review"}).status_code == 302
    pub.refresh_from_db()
    assert pub.status == PublicationStatus.REVIEWED
    shown = _forms(client.get(url).content.decode(), PUBLICATION_FORMS)
    assert shown == {"publish", "send_back", "withdraw"}
    assert client.post(url, {"action": "publish"}).status_code == 302
    pub.refresh_from_db()
    shown = _forms(client.get(url).content.decode(), PUBLICATION_FORMS)
    assert shown == {"withdraw"}
    assert shown == _allowed(pub, reviewer, PUBLICATION_FORMS)


def test_publication_step_the_table_forbids_is_not_shown_and_is_refused_409(client, district):
    w = district.world
    pub = _draft(w)
    url = f"/disclosure/manage/{pub.pk}/"
    login(client, w.office_staff)
    assert 'value="publish"' not in client.get(url).content.decode()
    r = client.post(url, {"action": "publish"})
    assert r.status_code == 409
    pub.refresh_from_db()
    assert pub.status == PublicationStatus.DRAFT
    assert pub.published_at is None
