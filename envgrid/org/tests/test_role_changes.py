"""Roles only from administrators (issue 16, part 6): every endpoint that can set a
person's role or link a login, tried by office staff and by an administrator.

The endpoints: the persons API (create, partial update), the staff pages (new person,
edit person), the admin site (person, login and its person inline: administrators only,
AdminOnlyMiddleware). Grid roster posts (grids) are duties, not login roles. A role given to a
person without a login grants nothing, so office staff may still set it there."""

import pytest
from rest_framework.test import APIClient

from envgrid.core.models import AuditEvent
from envgrid.org.models import Person, PersonRole
from envgrid.org.selectors import actor_for
from envgrid.testing import make_person, make_user

pytestmark = pytest.mark.django_db


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _form(person: Person, **override):
    data = {
        "name": person.name,
        "unit": person.unit_id,
        "title": person.title,
        "phone": person.phone,
        "public_phone": person.public_phone,
        "role": person.role,
        "cert_number": "",
        "cert_valid_from": "",
        "cert_valid_to": "",
        "is_active": "on",
    }
    data.update(override)
    return data


def _fresh_actor(user):
    user = type(user).objects.get(pk=user.pk)  # actor_for memoises on the instance
    return actor_for(user)


def test_office_staff_cannot_make_a_login_office_staff_through_the_api(world):
    victim = world.member_staff[0]
    tip = AuditEvent.objects.count()
    r = _api(world.office_staff.user).patch(
        f"/api/org/persons/{victim.pk}/", {"role": "office"}, format="json"
    )
    assert r.status_code == 403
    assert r.json()["code"] == "role_admin_only"
    assert list(r.json()["fields"]) == ["role"]
    victim.refresh_from_db()
    assert victim.role == PersonRole.UNIT
    assert AuditEvent.objects.count() == tip
    assert not _fresh_actor(victim.user).is_office


def test_office_staff_may_still_edit_other_fields_of_a_login_person_with_its_role_unchanged(
    world,
):
    victim = world.member_staff[0]
    r = _api(world.office_staff.user).patch(
        f"/api/org/persons/{victim.pk}/", {"role": "unit", "phone": "0417-1"}, format="json"
    )
    assert r.status_code == 200
    victim.refresh_from_db()
    assert victim.phone == "0417-1"


def test_office_staff_may_set_the_role_of_a_person_without_a_login(world):
    person = make_person(world.members[0], "未开通账号人员", login=False)
    r = _api(world.office_staff.user).patch(
        f"/api/org/persons/{person.pk}/", {"role": "office"}, format="json"
    )
    assert r.status_code == 200
    person.refresh_from_db()
    assert person.role == PersonRole.OFFICE
    assert person.user_id is None


def test_administrator_changes_the_role_of_a_login_through_the_api(world):
    victim = world.member_staff[0]
    r = _api(world.admin).patch(f"/api/org/persons/{victim.pk}/", {"role": "office"}, format="json")
    assert r.status_code == 200
    victim.refresh_from_db()
    assert victim.role == PersonRole.OFFICE
    ev = AuditEvent.objects.order_by("-seq").first()
    assert (ev.action, ev.before["role"], ev.after["role"]) == ("person.update", "unit", "office")


def test_the_api_cannot_link_a_login(world):
    """`user` is not an input of the persons API: sent anyway, it is ignored."""
    spare = make_user("spare-login")
    r = _api(world.office_staff.user).post(
        "/api/org/persons/",
        {"name": "新人员", "unit": world.members[0].pk, "role": "office", "user": spare.pk},
        format="json",
    )
    assert r.status_code == 201
    assert Person.objects.get(pk=r.json()["id"]).user_id is None
    unlinked = make_person(world.members[0], "无账号", login=False)
    r = _api(world.office_staff.user).patch(
        f"/api/org/persons/{unlinked.pk}/", {"user": spare.pk}, format="json"
    )
    assert r.status_code == 200
    unlinked.refresh_from_db()
    assert unlinked.user_id is None
    assert not _fresh_actor(spare).is_office


def test_office_staff_cannot_change_a_logins_role_on_the_edit_page(client, world):
    victim = world.member_staff[0]
    client.force_login(world.office_staff.user)
    r = client.post(f"/org/persons/{victim.pk}/edit/", _form(victim, role="office"))
    assert r.status_code == 400
    assert "只有系统管理员可以修改" in r.content.decode()
    victim.refresh_from_db()
    assert victim.role == PersonRole.UNIT


def test_administrator_changes_a_logins_role_on_the_edit_page(client, world):
    victim = world.member_staff[0]
    client.force_login(world.admin)
    r = client.post(f"/org/persons/{victim.pk}/edit/", _form(victim, role="office"))
    assert r.status_code == 302
    victim.refresh_from_db()
    assert victim.role == PersonRole.OFFICE


def test_the_new_person_page_cannot_link_a_login(client, world):
    spare = make_user("spare-login-2")
    client.force_login(world.office_staff.user)
    data = _form(world.member_staff[0], name="新人员二", role="office", user=spare.pk)
    r = client.post("/org/persons/new/", data)
    assert r.status_code == 302
    created = Person.objects.get(name="新人员二")
    assert created.role == PersonRole.OFFICE
    assert created.user_id is None


@pytest.mark.parametrize(
    "url",
    ["/admin/org/person/{person}/change/", "/admin/auth/user/{user}/change/"],
)
def test_office_staff_cannot_reach_the_admin_pages_that_set_roles_and_logins(client, world, url):
    victim = world.member_staff[0]
    client.force_login(world.office_staff.user)
    target = url.format(person=victim.pk, user=victim.user_id)
    assert client.get(target).status_code == 403
    r = client.post(target, {"role": "office", "is_superuser": "on"})
    assert r.status_code == 403
    victim.refresh_from_db()
    victim.user.refresh_from_db()
    assert victim.role == PersonRole.UNIT
    assert victim.user.is_superuser is False


# ---- the unit of a person with a login (issue 16, part 6) ---------------------------
# A login's unit is its scope: moving it to another unit hands it that unit's cases,
# tasks and reports. Endpoints that can set a person's unit: the persons API (PATCH;
# there is no PUT), the edit page; the admin site is administrators only (above).


def test_office_staff_cannot_move_a_login_to_another_unit_through_the_api(world):
    victim = world.member_staff[0]
    target = world.members[1]
    tip = AuditEvent.objects.count()
    r = _api(world.office_staff.user).patch(
        f"/api/org/persons/{victim.pk}/", {"unit": target.pk}, format="json"
    )
    assert r.status_code == 403
    assert r.json()["code"] == "unit_admin_only"
    assert list(r.json()["fields"]) == ["unit"]
    victim.refresh_from_db()
    assert victim.unit_id == world.members[0].pk
    assert AuditEvent.objects.count() == tip
    assert _fresh_actor(victim.user).unit_id == world.members[0].pk


def test_office_staff_may_send_the_same_unit_with_other_changes(world):
    victim = world.member_staff[0]
    r = _api(world.office_staff.user).patch(
        f"/api/org/persons/{victim.pk}/",
        {"unit": victim.unit_id, "phone": "0417-2"},
        format="json",
    )
    assert r.status_code == 200
    victim.refresh_from_db()
    assert (victim.unit_id, victim.phone) == (world.members[0].pk, "0417-2")


def test_office_staff_may_move_a_person_without_a_login(world):
    person = make_person(world.members[0], "未开通账号人员乙", login=False)
    r = _api(world.office_staff.user).patch(
        f"/api/org/persons/{person.pk}/", {"unit": world.members[1].pk}, format="json"
    )
    assert r.status_code == 200
    person.refresh_from_db()
    assert person.unit_id == world.members[1].pk


def test_administrator_moves_a_login_to_another_unit_through_the_api(world):
    victim = world.member_staff[0]
    r = _api(world.admin).patch(
        f"/api/org/persons/{victim.pk}/", {"unit": world.members[1].pk}, format="json"
    )
    assert r.status_code == 200
    victim.refresh_from_db()
    assert victim.unit_id == world.members[1].pk
    ev = AuditEvent.objects.order_by("-seq").first()
    assert (ev.action, ev.before["unit"], ev.after["unit"]) == (
        "person.update",
        world.members[0].pk,
        world.members[1].pk,
    )
    assert _fresh_actor(victim.user).unit_id == world.members[1].pk


def test_office_staff_cannot_move_a_login_on_the_edit_page(client, world):
    victim = world.member_staff[0]
    client.force_login(world.office_staff.user)
    r = client.post(f"/org/persons/{victim.pk}/edit/", _form(victim, unit=world.members[1].pk))
    assert r.status_code == 400
    assert r.context["form"].errors["unit"] == ["只有系统管理员可以修改"]
    victim.refresh_from_db()
    assert victim.unit_id == world.members[0].pk


def test_administrator_moves_a_login_on_the_edit_page(client, world):
    victim = world.member_staff[0]
    client.force_login(world.admin)
    r = client.post(f"/org/persons/{victim.pk}/edit/", _form(victim, unit=world.members[1].pk))
    assert r.status_code == 302
    victim.refresh_from_db()
    assert victim.unit_id == world.members[1].pk
