"""Org API: scoping (unseen = 404 and absent from lists), writes by role, bad input refused
with a reason and nothing written."""

import datetime as dt

import pytest

from envgrid.core.models import AuditEvent
from envgrid.org.models import Delegation, Person, Unit
from envgrid.testing import make_user

pytestmark = pytest.mark.django_db


class Counts:
    """Row counts and the audit tip before a refused request, to prove nothing was written."""

    def __init__(self) -> None:
        self.value = self.read()

    @staticmethod
    def read():
        return (
            Unit.objects.count(),
            Person.objects.count(),
            Delegation.objects.count(),
            AuditEvent.objects.count(),
        )

    def unchanged(self) -> bool:
        return self.read() == self.value


def login(api, person_or_user):
    user = getattr(person_or_user, "user", person_or_user)
    api.force_authenticate(user)
    return api


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_unit_user_gets_404_for_another_units_person_by_id(api, world):
    login(api, world.member_staff[0])
    other = world.member_staff[1]
    r = api.get(f"/api/org/persons/{other.pk}/")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    assert other.name not in r.content.decode()
    # Same answer as for an id that does not exist: ids cannot be probed.
    missing = api.get("/api/org/persons/999999/")
    assert missing.status_code == 404 and missing.json() == r.json()


def test_unit_user_lists_only_its_own_units_people(api, world):
    login(api, world.member_staff[0])
    r = api.get("/api/org/persons/?page_size=500")
    assert r.status_code == 200
    assert ids(r) == {world.member_staff[0].pk}
    assert api.get(f"/api/org/persons/{world.member_staff[0].pk}/").status_code == 200


def test_unit_user_cannot_see_persons_through_the_unit_filter(api, world):
    login(api, world.member_staff[0])
    r = api.get(f"/api/org/persons/?unit={world.members[1].pk}")
    assert r.status_code == 200
    assert ids(r) == set()


def test_office_sees_every_person_in_its_group_but_not_outsiders(api, world):
    login(api, world.office_staff)
    r = api.get("/api/org/persons/?page_size=500")
    seen = ids(r)
    assert {p.pk for p in world.member_staff} <= seen
    assert world.leader.pk in seen and world.director.pk in seen
    assert world.outsider.pk not in seen
    assert api.get(f"/api/org/persons/{world.outsider.pk}/").status_code == 404


def test_outsider_sees_nothing_of_the_group(api, world):
    login(api, world.outsider)
    assert ids(api.get("/api/org/persons/")) == {world.outsider.pk}
    assert ids(api.get("/api/org/units/")) == {world.outsider_unit.pk}
    assert api.get(f"/api/org/units/{world.office_unit.pk}/").status_code == 404
    assert api.get(f"/api/org/groups/{world.group.pk}/").status_code == 404


def test_member_unit_sees_the_unit_directory_of_its_group(api, world):
    # A unit must be able to name a receiver (a transfer) among its group's units.
    login(api, world.member_staff[0])
    seen = ids(api.get("/api/org/units/?page_size=500"))
    assert {u.pk for u in world.members} <= seen and world.office_unit.pk in seen
    assert world.outsider_unit.pk not in seen


def test_anonymous_is_refused(api, world):
    r = api.get("/api/org/persons/")
    assert r.status_code in (401, 403)
    assert set(r.json()) == {"code", "canonical", "message", "fields"}


def test_me_reports_roles(api, world):
    me = login(api, world.director).get("/api/org/me/").json()
    assert me["is_office"] and not me["is_admin"] and me["unit"]["id"] == world.office_unit.pk
    me = login(api, world.deputy).get("/api/org/me/").json()
    assert me["is_leader"] and world.group.pk in me["overseen_group_ids"]
    me = login(api, world.member_staff[0]).get("/api/org/me/").json()
    assert me["role"] == "unit" and me["overseen_group_ids"] == []


def test_office_creates_a_person_with_certificate_and_it_is_audited(api, world):
    login(api, world.office_staff)
    before = AuditEvent.objects.count()
    r = api.post(
        "/api/org/persons/",
        {
            "name": "新执法人员",
            "unit": world.members[0].pk,
            "cert_number": "演示执123",
            "cert_valid_from": "2026-01-01",
            "cert_valid_to": "2028-12-31",
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["cert_status"] in ("valid", "expiring", "expired")
    person = Person.objects.get(pk=r.json()["id"])
    assert person.cert_valid_on(dt.date(2027, 6, 1))
    ev = AuditEvent.objects.get(seq=before + 1)
    assert ev.action == "person.create" and ev.actor == world.office_staff.user


def test_unit_staff_cannot_create_persons(api, world):
    login(api, world.member_staff[0])
    counts = Counts()
    r = api.post("/api/org/persons/", {"name": "某人", "unit": world.members[0].pk})
    assert r.status_code == 403
    assert r.json()["code"] == "permission_denied" and r.json()["message"]
    assert counts.unchanged()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "name"),
        ({"name": "", "unit": "UNIT"}, "name"),
        ({"name": "某人"}, "unit"),
        ({"name": "某人", "unit": 999999}, "unit"),
        ({"name": "某人", "unit": "abc"}, "unit"),
        ({"name": "某人", "unit": "UNIT", "role": "superuser"}, "role"),
        ({"name": "某人", "unit": "UNIT", "cert_number": "X1"}, "cert_valid_to"),
        (
            {"name": "某人", "unit": "UNIT", "cert_valid_from": "2026-01-01"},
            "cert_number",
        ),
        (
            {
                "name": "某人",
                "unit": "UNIT",
                "cert_number": "X1",
                "cert_valid_from": "2026-05-01",
                "cert_valid_to": "2026-01-01",
            },
            "cert_valid_to",
        ),
        ({"name": "某人", "unit": "UNIT", "cert_valid_from": "not-a-date"}, "cert_valid_from"),
        ({"name": "某" * 101, "unit": "UNIT"}, "name"),
        ({"name": "某人", "unit": "OUTSIDER"}, "unit"),
    ],
)
def test_person_create_bad_input_is_400_with_reason_and_writes_nothing(api, world, payload, field):
    login(api, world.office_staff)
    subst = {"UNIT": world.members[0].pk, "OUTSIDER": world.outsider_unit.pk}
    payload = {k: subst.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
    counts = Counts()
    r = api.post("/api/org/persons/", payload)
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["code"] == "invalid" and body["message"]
    assert field in body["fields"]
    assert counts.unchanged()


def test_person_patch_bad_input_writes_nothing(api, world):
    person = world.member_staff[0]
    person.cert_number, person.cert_valid_from = "X9", dt.date(2026, 1, 1)
    person.cert_valid_to = dt.date(2027, 1, 1)
    person.save()
    login(api, world.office_staff)
    counts = Counts()
    r = api.patch(f"/api/org/persons/{person.pk}/", {"cert_valid_to": "2025-01-01"})
    assert r.status_code == 400 and "cert_valid_to" in r.json()["fields"]
    r = api.patch(f"/api/org/persons/{person.pk}/", {"unit": world.outsider_unit.pk})
    assert r.status_code == 400 and "unit" in r.json()["fields"]
    assert counts.unchanged()
    person.refresh_from_db()
    assert person.cert_valid_to == dt.date(2027, 1, 1) and person.unit == world.members[0]


def test_person_patch_by_office_is_audited_with_before_and_after(api, world):
    person = world.member_staff[0]
    login(api, world.office_staff)
    r = api.patch(f"/api/org/persons/{person.pk}/", {"phone": "0417-0000001"})
    assert r.status_code == 200 and r.json()["phone"] == "0417-0000001"
    ev = AuditEvent.objects.order_by("-seq").first()
    assert ev.action == "person.update"
    assert ev.before["phone"] == "" and ev.after["phone"] == "0417-0000001"


def test_unit_staff_patch_of_another_units_person_is_404_and_own_is_403(api, world):
    login(api, world.member_staff[0])
    counts = Counts()
    other = api.patch(f"/api/org/persons/{world.member_staff[1].pk}/", {"phone": "1"})
    own = api.patch(f"/api/org/persons/{world.member_staff[0].pk}/", {"phone": "1"})
    assert other.status_code == 404
    assert own.status_code == 403
    assert counts.unchanged()


def test_put_and_delete_are_not_offered(api, world):
    login(api, world.office_staff)
    counts = Counts()
    url = f"/api/org/persons/{world.member_staff[0].pk}/"
    assert api.delete(url).status_code == 405
    assert api.put(url, {"name": "x", "unit": world.members[0].pk}).status_code == 405
    assert counts.unchanged()


def test_unit_create_and_update_by_office(api, world):
    login(api, world.office_staff)
    r = api.post("/api/org/units/", {"code": "NEW1", "name": "区新单位", "kind": "bureau"})
    assert r.status_code == 201, r.content
    # The office manages units of its group; a new unit joins only when an admin adds it.
    unit = world.members[0]
    r = api.patch(
        f"/api/org/units/{unit.pk}/",
        {"information_officer": world.member_staff[0].pk, "doc_prefix": "测"},
    )
    assert r.status_code == 200, r.content
    assert r.json()["information_officer_name"] == world.member_staff[0].name


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "x", "kind": "bureau"}, "code"),
        ({"code": "DUP", "name": "x", "kind": "bureau"}, "code"),
        ({"code": "Z1", "name": "x", "kind": "planet"}, "kind"),
        ({"code": "Z1", "name": "x", "kind": "bureau", "parent": 999999}, "parent"),
        ({"code": "Z1", "kind": "bureau"}, "name"),
    ],
)
def test_unit_create_bad_input_is_400_and_writes_nothing(api, world, payload, field):
    world.members[0].code = "DUP"
    world.members[0].save()
    login(api, world.office_staff)
    counts = Counts()
    r = api.post("/api/org/units/", payload)
    assert r.status_code == 400, r.content
    assert field in r.json()["fields"] and r.json()["message"]
    assert counts.unchanged()


def test_unit_update_rules_refused_with_stable_codes(api, world):
    login(api, world.office_staff)
    unit = world.members[0]
    counts = Counts()
    r = api.patch(f"/api/org/units/{unit.pk}/", {"information_officer": world.member_staff[1].pk})
    assert r.status_code == 400 and r.json()["code"] == "officer_not_in_unit"
    r = api.patch(f"/api/org/units/{unit.pk}/", {"parent": unit.pk})
    assert r.status_code == 400 and r.json()["code"] == "parent_invalid"
    r = api.patch(f"/api/org/units/{world.outsider_unit.pk}/", {"name": "x"})
    assert r.status_code == 404
    login(api, world.member_staff[0])
    r = api.patch(f"/api/org/units/{unit.pk}/", {"name": "x"})
    assert r.status_code == 403
    assert counts.unchanged()


def test_bad_filter_values_answer_400_with_reason(api, world):
    login(api, world.office_staff)
    for query in ("role=pope", "cert=shiny", "unit=abc", "unit=999999"):
        r = api.get(f"/api/org/persons/?{query}")
        assert r.status_code == 400, query
        assert r.json()["code"] == "invalid" and r.json()["fields"]
    assert api.get("/api/org/units/?kind=planet").status_code == 400


def test_certificate_filter_finds_expired_certificates(api, world):
    today = dt.date.today()
    expired = world.member_staff[0]
    expired.cert_number = "X1"
    expired.cert_valid_from = today - dt.timedelta(days=800)
    expired.cert_valid_to = today - dt.timedelta(days=10)
    expired.save()
    valid = world.member_staff[1]
    valid.cert_number = "X2"
    valid.cert_valid_from = today - dt.timedelta(days=10)
    valid.cert_valid_to = today + dt.timedelta(days=400)
    valid.save()
    login(api, world.office_staff)
    assert ids(api.get("/api/org/persons/?cert=expired")) == {expired.pk}
    assert ids(api.get("/api/org/persons/?cert=valid_today")) == {valid.pk}
    row = api.get(f"/api/org/persons/{expired.pk}/").json()
    assert row["cert_status"] == "expired"


def test_M4_delegation_registered_by_leader_and_revoked_with_reason(api, world):
    login(api, world.leader)
    payload = {
        "leading_group": world.group.pk,
        "grantor": world.leader.pk,
        "grantee": world.director.pk,
        "purpose": "召集联席会议",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
    }
    r = api.post("/api/org/delegations/", payload)
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    counts = Counts()
    r = api.post(f"/api/org/delegations/{pk}/revoke/", {})
    assert r.status_code == 400 and "reason" in r.json()["fields"]
    assert counts.unchanged()
    r = api.post(f"/api/org/delegations/{pk}/revoke/", {"reason": "工作调整"})
    assert r.status_code == 200 and r.json()["revoked_at"]
    again = api.post(f"/api/org/delegations/{pk}/revoke/", {"reason": "再次"})
    assert again.status_code == 409 and again.json()["code"] == "already_revoked"


@pytest.mark.parametrize(
    "who, change, status, code",
    [
        ("director", {}, 403, "permission_denied"),  # only the grantor registers it
        ("leader", {"grantee": "STAFF"}, 400, "grantee_not_director"),
        ("leader", {"valid_to": "2025-01-01"}, 400, "period_invalid"),
        ("leader", {"valid_from": "soon"}, 400, "invalid"),
        ("leader", {"purpose": "   "}, 400, "invalid"),
        ("leader", {"leading_group": 999999}, 400, "invalid"),
        ("member", {}, 403, "permission_denied"),
        ("outsider", {}, 400, "invalid"),  # cannot see the group: an unknown id
    ],
)
def test_M4_delegation_bad_input_refused_and_nothing_written(api, world, who, change, status, code):
    actors = {
        "director": world.director,
        "leader": world.leader,
        "member": world.member_staff[0],
        "outsider": world.outsider,
    }
    login(api, actors[who])
    payload = {
        "leading_group": world.group.pk,
        "grantor": world.leader.pk,
        "grantee": world.director.pk,
        "purpose": "召集联席会议",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
    }
    payload.update(change)
    if payload.get("grantee") == "STAFF":
        payload["grantee"] = world.office_staff.pk
    counts = Counts()
    r = api.post("/api/org/delegations/", payload)
    assert r.status_code == status, r.content
    assert r.json()["code"] == code and r.json()["message"]
    assert counts.unchanged()


def test_delegations_are_visible_to_overseers_only(api, world):
    Delegation.objects.create(
        leading_group=world.group,
        grantor=world.leader,
        grantee=world.director,
        purpose="召集",
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2026, 12, 31),
    )
    assert login(api, world.director).get("/api/org/delegations/").json()["count"] == 1
    assert login(api, world.member_staff[0]).get("/api/org/delegations/").json()["count"] == 0


def test_token_authentication_works_and_bad_credentials_are_400(api, world):
    user = world.member_staff[0].user
    r = api.post("/api/auth/token/", {"username": user.username, "password": "pw-Test-12345"})
    assert r.status_code == 200
    token = r.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/org/me/").json()["username"] == user.username
    api.credentials()
    bad = api.post("/api/auth/token/", {"username": user.username, "password": "wrong"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


def test_admin_sees_everything(api, world):
    login(api, world.admin)
    assert world.outsider.pk in ids(api.get("/api/org/persons/?page_size=500"))
    assert api.get("/api/org/me/").json()["is_admin"]


def test_list_is_paginated(api, world):
    login(api, make_user(superuser=True))
    r = api.get("/api/org/persons/?page_size=2").json()
    assert r["count"] == Person.objects.count() and len(r["results"]) == 2 and r["next"]
