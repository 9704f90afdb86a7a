"""Admin site for org: administrators only; every change made there is audited."""

import pytest

from envgrid.core.models import AuditEvent
from envgrid.org.models import LeadingGroup

pytestmark = pytest.mark.django_db


def test_admin_changes_to_group_members_are_audited(client, world):
    client.force_login(world.admin)
    group = world.group
    members = [u.pk for u in world.group.member_units.all()][:-1]  # drop one member
    r = client.post(
        f"/admin/org/leadinggroup/{group.pk}/change/",
        {
            "name": group.name,
            "leader": world.leader.pk,
            "deputies": [world.deputy.pk],
            "office_unit": world.office_unit.pk,
            "office_director": world.director.pk,
            "member_units": members,
            "doc_prefix": group.doc_prefix,
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert LeadingGroup.objects.get().member_units.count() == len(members)
    ev = AuditEvent.objects.filter(action="admin.org.leadinggroup.relations").get()
    assert len(ev.before["member_units"]) == len(members) + 1
    assert len(ev.after["member_units"]) == len(members)


def test_admin_password_change_is_audited_without_the_hash(client, world):
    client.force_login(world.admin)
    user = world.member_staff[0].user
    r = client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {
            "password1": "Another-pw-2026!",
            "password2": "Another-pw-2026!",
            "usable_password": "true",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    ev = AuditEvent.objects.filter(action="admin.auth.user.password").get()
    assert ev.object_id == str(user.pk)
    assert "pbkdf2" not in str(ev.after) and "md5" not in str(ev.after)


def test_nothing_is_hard_deleted_from_the_admin(client, world):
    client.force_login(world.admin)
    person = world.member_staff[0]
    r = client.post(f"/admin/org/person/{person.pk}/delete/", {"post": "yes"})
    assert r.status_code == 403
    r = client.post(f"/admin/auth/user/{person.user_id}/delete/", {"post": "yes"})
    assert r.status_code == 403
    person.refresh_from_db()
