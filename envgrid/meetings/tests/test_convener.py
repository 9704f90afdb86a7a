"""M4: who may convene a joint meeting — leader, deputy, or the office director only under
a recorded delegation covering the meeting's date; time is set as work requires."""

import datetime as dt

import pytest

from envgrid.core.errors import PermissionDeniedError
from envgrid.meetings.models import AgendaItem, Meeting, Participant
from envgrid.org.models import Delegation
from envgrid.org.services import delegation_create, delegation_revoke

from .factories import counts, schedule

pytestmark = pytest.mark.django_db

MODELS = (Meeting, AgendaItem, Participant)


def payload(world, **kw):
    data = {
        "leading_group": world.group.pk,
        "title": "臭氧污染防控联席会议",
        "starts_at": "2026-03-12T09:00:00+08:00",
        "place": "区政府三楼会议室",
        "agenda": [{"kind": "scheduling", "problem_kind": "hot", "title": "夏季臭氧防控调度"}],
    }
    data.update(kw)
    return data


def delegate(world, valid_from, valid_to, grantor=None):
    grantor = grantor or world.leader
    return delegation_create(
        actor=grantor.user,
        leading_group=world.group,
        grantor=grantor,
        grantee=world.director,
        purpose="召集领导小组联席会议",
        valid_from=valid_from,
        valid_to=valid_to,
    )


@pytest.mark.parametrize("who", ["leader", "deputy"])
def test_M4_leader_or_deputy_convenes(world, api, march, who):
    person = getattr(world, who)
    api.force_authenticate(person.user)
    r = api.post("/api/meetings/", payload(world), format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["convener"] == person.pk
    assert r.json()["delegation"] is None
    assert r.json()["organiser_unit"] == world.office_unit.pk


def test_M4_office_organises_meeting_convened_by_leader(world, api, march):
    api.force_authenticate(world.office_staff.user)
    r = api.post("/api/meetings/", payload(world, convener=world.leader.pk), format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["convener_name"] == world.leader.name


def test_M4_director_without_delegation_is_refused(world, api, march):
    before = counts(*MODELS)
    api.force_authenticate(world.director.user)
    r = api.post("/api/meetings/", payload(world), format="json")
    assert r.status_code == 403
    assert r.json()["code"] == "delegation_missing"
    assert "委托授权" in r.json()["message"]
    assert counts(*MODELS) == before


def test_M4_director_with_expired_delegation_is_refused(world, api, march):
    delegate(world, dt.date(2026, 1, 1), dt.date(2026, 2, 28))
    before = counts(*MODELS)
    api.force_authenticate(world.director.user)
    r = api.post("/api/meetings/", payload(world), format="json")
    assert r.status_code == 403
    body = r.json()
    assert body["code"] == "delegation_expired"
    assert "2026-02-28" in body["message"] and "2026-03-12" in body["message"]
    assert counts(*MODELS) == before


def test_M4_director_with_valid_delegation_convenes(world, api, march):
    d = delegate(world, dt.date(2026, 3, 1), dt.date(2026, 3, 31), grantor=world.deputy)
    api.force_authenticate(world.director.user)
    r = api.post("/api/meetings/", payload(world), format="json")
    assert r.status_code == 201, r.json()
    meeting = Meeting.objects.get(pk=r.json()["id"])
    assert meeting.convener == world.director
    assert meeting.delegation == d


def test_M4_delegation_must_cover_the_meeting_date_not_just_exist(world, api, march):
    delegate(world, dt.date(2026, 3, 1), dt.date(2026, 3, 11))
    api.force_authenticate(world.director.user)
    r = api.post("/api/meetings/", payload(world), format="json")
    # In force today (10 March) but ended before the meeting's date (12 March).
    assert r.status_code == 403 and r.json()["code"] == "delegation_expired"
    assert "2026-03-12" in r.json()["message"]
    # The same director, same delegation: a meeting on the 11th is fine.
    r = api.post(
        "/api/meetings/", payload(world, starts_at="2026-03-11T15:00:00+08:00"), format="json"
    )
    assert r.status_code == 201, r.json()


def test_M4_lapsed_delegation_cannot_convene_a_meeting_dated_inside_it(world, api, march):
    """Today is 10 March; the delegation ended on 28 February. A meeting dated 20 February
    (inside the old period) must not be convened with it now."""
    delegate(world, dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    before = counts(*MODELS)
    api.force_authenticate(world.director.user)
    r = api.post(
        "/api/meetings/", payload(world, starts_at="2026-02-20T09:00:00+08:00"), format="json"
    )
    assert r.status_code == 403, r.json()
    body = r.json()
    assert body["code"] == "delegation_expired"
    assert "2026-02-28" in body["message"]
    assert "2026-03-10" in body["message"]
    assert counts(*MODELS) == before


def test_M4_delegation_not_yet_in_force_cannot_convene_now(world, api, march):
    """A delegation starting in April does not let the director convene in March, even a
    meeting dated in April; once April comes, it does."""
    delegate(world, dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    api.force_authenticate(world.director.user)
    april = payload(world, starts_at="2026-04-15T15:00:00+08:00")
    r = api.post("/api/meetings/", april, format="json")
    assert r.status_code == 403, r.json()
    assert r.json()["code"] == "delegation_not_in_force_today"
    assert Meeting.objects.count() == 0
    march.move_to(dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    r = api.post("/api/meetings/", april, format="json")
    assert r.status_code == 201, r.json()


def test_M4_revoked_delegation_is_refused(world, api, march):
    d = delegate(world, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    delegation_revoke(actor=world.leader.user, delegation=d, reason="改由组长亲自召集")
    api.force_authenticate(world.director.user)
    r = api.post("/api/meetings/", payload(world), format="json")
    assert r.status_code == 403 and r.json()["code"] == "delegation_revoked"


def test_M4_delegation_from_someone_no_longer_leading_is_refused(world, api, march):
    delegate(world, dt.date(2026, 3, 1), dt.date(2026, 3, 31), grantor=world.deputy)
    world.group.deputies.remove(world.deputy)  # the deputy leaves the group
    api.force_authenticate(world.director.user)
    r = api.post("/api/meetings/", payload(world), format="json")
    assert r.status_code == 403 and r.json()["code"] == "delegation_grantor_not_convener"


def test_M4_delegation_for_another_purpose_does_not_count(world, api, march):
    Delegation.objects.create(
        leading_group=world.group,
        grantor=world.leader,
        grantee=world.director,
        purpose="签发督办通知",
        scope="supervision.issue",
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2026, 12, 31),
    )
    api.force_authenticate(world.director.user)
    r = api.post("/api/meetings/", payload(world), format="json")
    assert r.status_code == 403 and r.json()["code"] == "delegation_missing"


@pytest.mark.parametrize("who", ["office_staff", "member"])
def test_M4_nobody_else_convenes_a_leading_group_meeting(world, api, march, who):
    person = world.office_staff if who == "office_staff" else world.member_staff[0]
    api.force_authenticate(person.user)
    r = api.post("/api/meetings/", payload(world, convener=person.pk), format="json")
    assert r.status_code == 403
    assert r.json()["code"] == "convener_not_authorised"
    assert Meeting.objects.count() == 0


def test_M4_member_cannot_record_a_meeting_in_the_leaders_name(world, api, march):
    # Through the API the leader is not even a person the member unit can name…
    api.force_authenticate(world.member_staff[0].user)
    r = api.post("/api/meetings/", payload(world, convener=world.leader.pk), format="json")
    assert r.status_code == 400 and r.json()["code"] == "convener_invalid"
    # …and the service refuses it on its own too.
    with pytest.raises(PermissionDeniedError) as exc:
        schedule(world, actor=world.member_staff[0].user, convener=world.leader)
    assert exc.value.code == "not_convener"
    assert Meeting.objects.count() == 0


def test_M4_time_is_set_as_work_requires(world, api, march):
    """No fixed schedule: two meetings in one week, one on a Sunday evening, both accepted."""
    api.force_authenticate(world.leader.user)
    for when in ("2026-03-13T16:30:00+08:00", "2026-03-15T19:00:00+08:00"):
        r = api.post("/api/meetings/", payload(world, starts_at=when), format="json")
        assert r.status_code == 201, r.json()
    assert Meeting.objects.count() == 2
