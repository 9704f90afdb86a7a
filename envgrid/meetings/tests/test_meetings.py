"""Meetings: agenda (M1, M2), participants (M3), attendance (M6), meetings among member
units (M7), minutes with a document number, and who sees what."""

import datetime as dt
import io

import pytest
from docx import Document

from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.meetings import registry, services
from envgrid.meetings.models import (
    AgendaItem,
    AgendaKind,
    Attendance,
    Meeting,
    MeetingScope,
    MeetingStatus,
    Participant,
    ParticipantSource,
    ProblemKind,
)
from envgrid.meetings.registry import suggested_units, unit_fk_suggester
from envgrid.obligations.models import Obligation
from envgrid.obligations.supervision import supervision_issue
from envgrid.testing import make_person, make_unit, official_layout_problems

from .factories import agenda, at, counts, decide, hold, schedule

pytestmark = pytest.mark.django_db

MODELS = (Meeting, AgendaItem, Participant)


def meeting_payload(world, **kw):
    data = {
        "leading_group": world.group.pk,
        "title": "扬尘治理协调会",
        "starts_at": "2026-03-10T09:00:00+08:00",
        "place": "区政府三楼会议室",
        "convener": world.leader.pk,
        "agenda": [{"kind": "coordination", "problem_kind": "difficult", "title": "施工扬尘"}],
    }
    data.update(kw)
    return data


# ---- M1 / M2: the agenda ------------------------------------------------------


def test_M2_agenda_item_types_are_the_six_of_the_rules():
    assert [str(label) for label in AgendaKind.labels] == [
        "部署",
        "通报",
        "调度",
        "协调",
        "督办",
        "考核",
    ]


def test_M1_problem_classes_are_key_difficult_hot():
    assert [str(label) for label in ProblemKind.labels] == ["重点问题", "难点问题", "热点问题"]


def test_M2_meeting_without_agenda_is_refused_and_writes_nothing(world, api, march):
    before = counts(*MODELS)
    api.force_authenticate(world.office_staff.user)
    r = api.post("/api/meetings/", meeting_payload(world, agenda=[]), format="json")
    assert r.status_code == 400
    assert r.json()["code"] == "agenda_required"
    assert "议题" in r.json()["message"]
    assert counts(*MODELS) == before


def test_M1_agenda_item_must_state_the_problem_it_addresses(world, api, march):
    before = counts(*MODELS)
    api.force_authenticate(world.office_staff.user)
    item = {"kind": "coordination", "title": "施工扬尘"}
    r = api.post("/api/meetings/", meeting_payload(world, agenda=[item]), format="json")
    assert r.status_code == 400 and "problem_kind" in r.json()["message"]
    # The service enforces it on its own (forms and other callers go through it too).
    with pytest.raises(ApplicationError) as exc:
        schedule(world, agenda=agenda(problem_kind=""))
    assert exc.value.code == "problem_kind_required"
    assert counts(*MODELS) == before


def test_M2_unknown_agenda_type_is_refused(world, api, march):
    api.force_authenticate(world.office_staff.user)
    item = {"kind": "banquet", "problem_kind": "hot", "title": "?"}
    r = api.post("/api/meetings/", meeting_payload(world, agenda=[item]), format="json")
    assert r.status_code == 400 and r.json()["fields"]["agenda"]
    assert Meeting.objects.count() == 0


def test_M1_M2_agenda_is_stored_with_type_and_problem(world, march):
    items = [
        services.AgendaInput(kind=k, problem_kind=p, title=f"{k}-{p}")
        for k, p in (("deployment", "key"), ("briefing", "hot"), ("assessment", "difficult"))
    ]
    m = schedule(world, agenda=items)
    assert list(m.agenda.values_list("order", "kind", "problem_kind")) == [
        (1, "deployment", "key"),
        (2, "briefing", "hot"),
        (3, "assessment", "difficult"),
    ]


# ---- M3: participants -----------------------------------------------------------


def test_M3_participants_default_to_the_member_units(world, march):
    m = schedule(world)
    units = set(m.participants.values_list("unit_id", flat=True))
    assert units == set(world.group.member_units.values_list("pk", flat=True))
    assert set(m.participants.values_list("source", flat=True)) == {ParticipantSource.MEMBER}


def _police_owned_decision(world):
    """A non-member unit (police) comes in through the agenda — a supervision notice it
    received is on it — and is given a decision."""
    police = make_unit("区公安分局")
    make_person(police, "公安联络员")
    notice = supervision_issue(
        actor=world.office_staff.user,
        issuer=world.office_unit,
        target=police,
        reason="涉嫌环境违法案件移送后未反馈",
    )
    first = schedule(world, agenda=agenda(kind="supervision", title="督办移送反馈", link=notice))
    p = first.participants.get(unit=police)
    assert p.source == ParticipantSource.AGENDA and "督办移送反馈" in p.source_note
    hold(world, first)
    return police, decide(world, first, owners=[police, world.members[2]])


def test_M3_units_related_to_the_agenda_are_added(world, march):
    """Any linked object brings the units its foreign keys name (generic), and a decision
    of an earlier meeting on the agenda brings its owner units (built-in)."""
    police, earlier = _police_owned_decision(world)
    m = schedule(
        world,
        title="第二次联席会议",
        starts_at=at(2026, 3, 10, 9, 30),
        agenda=agenda(kind="supervision", title="督办上次会议决定事项", link=earlier),
    )
    p = m.participants.get(unit=police)
    assert p.source == ParticipantSource.AGENDA
    assert "督办上次会议决定事项" in p.source_note
    assert m.participants.get(unit=world.members[2]).source == ParticipantSource.MEMBER
    item = m.agenda.get()
    assert item.link == earlier and item.link_repr == str(earlier)
    # Without the suggestion, only the member units.
    m3 = schedule(world, title="第三次", agenda=agenda(link=earlier), include_suggested=False)
    assert not m3.participants.filter(unit=police).exists()


def test_M3_registry_lets_other_apps_suggest_units(world, march, monkeypatch):
    court = make_unit("区人民法院")
    ob = Obligation.objects.create(
        kind="test.x",
        title="x",
        unit=world.members[1],
        rule_kind="days",
        rule_amount=1,
        start_event="x",
        started_at=at(2026, 3, 1),
        due_at=at(2026, 3, 2),
    )
    # Generic: the unit foreign keys of any object.
    assert unit_fk_suggester(ob) == [world.members[1]]
    # An app registers its own rule for its model (here: pretend obligations name a court).
    monkeypatch.setattr(registry, "_suggesters", list(registry._suggesters))
    registry.register_participant_suggester(lambda o: [court], model=Obligation)
    assert {u.pk for u in suggested_units(ob)} == {world.members[1].pk, court.pk}
    # A failing suggester is skipped, never blocks a meeting.
    registry.register_participant_suggester(lambda o: 1 / 0)
    assert {u.pk for u in suggested_units(ob)} == {world.members[1].pk, court.pk}


def test_M3_suggestions_via_api(world, api, march):
    police, d = _police_owned_decision(world)
    api.force_authenticate(world.office_staff.user)
    r = api.post(
        "/api/meetings/suggest-participants/",
        {"links": [{"type": "meetings.decision", "id": str(d.pk)}]},
        format="json",
    )
    assert r.status_code == 200
    assert {row["unit"] for row in r.json()} == {police.pk, world.members[2].pk}
    # A link the caller cannot see is refused without saying whether it exists.
    api.force_authenticate(world.outsider.user)
    for link in (
        {"type": "meetings.decision", "id": str(d.pk)},
        {"type": "meetings.decision", "id": "999999"},
    ):
        r = api.post("/api/meetings/suggest-participants/", {"links": [link]}, format="json")
        assert r.status_code == 400 and r.json()["code"] == "link_invalid"


# ---- M6: attendance -------------------------------------------------------------


def test_M6_attendance_present_absent_with_reason_and_delegate(world, api, march):
    m = schedule(world)
    a, b, c = world.members
    api.force_authenticate(world.office_staff.user)
    entries = [
        {"unit": a.pk, "attendance": "present", "attendee_name": "张三"},
        {"unit": b.pk, "attendance": "delegate", "delegate_name": "李四"},
        {"unit": c.pk, "attendance": "absent", "absence_reason": "参加市级督察迎检"},
    ]
    r = api.post(f"/api/meetings/{m.pk}/attendance/", {"entries": entries}, format="json")
    assert r.status_code == 200, r.json()
    by_unit = {p["unit"]: p for p in r.json()["participants"]}
    assert by_unit[a.pk]["attendance"] == "present"
    assert by_unit[b.pk]["delegate_name"] == "李四"
    assert by_unit[c.pk]["absence_reason"] == "参加市级督察迎检"


def test_M6_absence_without_reason_is_refused_and_writes_nothing(world, api, march):
    m = schedule(world)
    before = counts(Participant)
    snapshot_before = list(m.participants.values_list("unit_id", "attendance"))
    api.force_authenticate(world.office_staff.user)
    entries = [
        {"unit": world.members[0].pk, "attendance": "present"},
        {"unit": world.members[1].pk, "attendance": "absent"},
    ]
    r = api.post(f"/api/meetings/{m.pk}/attendance/", {"entries": entries}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "absence_reason_required"
    assert counts(Participant) == before
    assert list(m.participants.values_list("unit_id", "attendance")) == snapshot_before


def test_M6_delegate_must_be_named(world, march):
    m = schedule(world)
    with pytest.raises(ApplicationError) as exc:
        services.meeting_attendance_record(
            actor=world.office_staff.user,
            meeting=m,
            entries=[services.AttendanceInput(unit_id=world.members[0].pk, attendance="delegate")],
        )
    assert exc.value.code == "delegate_name_required"


def test_M6_attendance_before_the_meeting_day_is_refused(world, march):
    m = schedule(world, starts_at=at(2026, 3, 12, 9, 0))
    with pytest.raises(ApplicationError) as exc:
        hold(world, m)
    assert exc.value.code == "meeting_not_started"


def test_M6_meeting_is_held_only_when_all_attendance_is_recorded(world, march):
    m = schedule(world)
    services.meeting_attendance_record(
        actor=world.office_staff.user,
        meeting=m,
        entries=[services.AttendanceInput(unit_id=world.members[0].pk, attendance="present")],
    )
    with pytest.raises(ApplicationError) as exc:
        services.meeting_hold(actor=world.office_staff.user, meeting=m)
    assert exc.value.code == "attendance_incomplete"
    assert world.members[1].name in exc.value.message
    m = hold(world, m)
    assert m.status == MeetingStatus.HELD
    assert list(m.history.values_list("from_status", "to_status")) == [
        ("", "scheduled"),
        ("scheduled", "held"),
    ]


def test_M6_only_the_organiser_records_attendance(world, api, march):
    m = schedule(world)
    api.force_authenticate(world.member_staff[0].user)
    r = api.post(
        f"/api/meetings/{m.pk}/attendance/",
        {"entries": [{"unit": world.members[0].pk, "attendance": "present"}]},
        format="json",
    )
    assert r.status_code == 403 and r.json()["code"] == "not_organiser"
    assert not m.participants.exclude(attendance=Attendance.PENDING).exists()


# ---- M7: meetings among member units -----------------------------------------------


def test_M7_member_units_hold_a_meeting_among_themselves(world, api, march):
    a, b, _c = world.members
    api.force_authenticate(world.member_staff[0].user)
    r = api.post(
        "/api/meetings/",
        meeting_payload(
            world, scope="members", convener=None, participants=[b.pk], title="河道联合整治碰头会"
        ),
        format="json",
    )
    assert r.status_code == 201, r.json()
    m = Meeting.objects.get(pk=r.json()["id"])
    assert m.scope == MeetingScope.MEMBERS
    assert m.convener == world.member_staff[0] and m.delegation is None
    assert m.organiser_unit == a
    assert set(m.participants.values_list("unit_id", flat=True)) == {a.pk, b.pk}

    # Same workflow, scoped to its participants: the convening unit organises it…
    hold(world, m, actor=world.member_staff[0].user)
    d = decide(world, m, owners=[b], actor=world.member_staff[0].user)
    # …the other participant sees it but does not manage it…
    api.force_authenticate(world.member_staff[1].user)
    assert api.get(f"/api/meetings/{m.pk}/").status_code == 200
    r = api.post(f"/api/meeting-decisions/{d.pk}/close/", {}, format="json")
    assert r.status_code == 403
    # …a member unit outside it does not see it at all; the office sees everything.
    api.force_authenticate(world.member_staff[2].user)
    assert api.get(f"/api/meetings/{m.pk}/").status_code == 404
    assert api.get(f"/api/meeting-decisions/{d.pk}/").status_code == 404
    api.force_authenticate(world.office_staff.user)
    assert api.get(f"/api/meetings/{m.pk}/").status_code == 200


def test_M7_participants_must_be_member_units(world, march):
    with pytest.raises(ApplicationError) as exc:
        schedule(
            world,
            actor=world.member_staff[0].user,
            scope=MeetingScope.MEMBERS,
            convener=world.member_staff[0],
            participant_units=[world.outsider_unit],
        )
    assert exc.value.code == "participant_not_member"
    with pytest.raises(ApplicationError) as exc:
        schedule(
            world,
            actor=world.member_staff[0].user,
            scope=MeetingScope.MEMBERS,
            convener=world.member_staff[0],
            participant_units=[],
        )
    assert exc.value.code == "participants_too_few"


def test_M7_outsider_cannot_convene_among_members(world, march):
    with pytest.raises(PermissionDeniedError) as exc:
        schedule(
            world,
            actor=world.outsider.user,
            scope=MeetingScope.MEMBERS,
            convener=world.outsider,
            participant_units=[world.members[0]],
        )
    assert exc.value.code == "convener_not_member"


# ---- who sees what -----------------------------------------------------------------


def test_units_see_only_meetings_they_take_part_in(world, api, client, march):
    m = schedule(world, participant_units=[world.members[0], world.office_unit])
    api.force_authenticate(world.member_staff[0].user)
    assert [row["id"] for row in api.get("/api/meetings/").json()["results"]] == [m.pk]
    for person in (world.member_staff[1], world.outsider):
        api.force_authenticate(person.user)
        assert api.get("/api/meetings/").json()["results"] == []
        assert api.get(f"/api/meetings/{m.pk}/").status_code == 404
        client.force_login(person.user)
        assert client.get(f"/meetings/{m.pk}/").status_code == 404
    for person in (world.office_staff, world.leader):
        api.force_authenticate(person.user)
        assert api.get(f"/api/meetings/{m.pk}/").status_code == 200


# ---- minutes (会议纪要) ---------------------------------------------------------------


def test_minutes_are_issued_under_a_document_number_and_frozen(world, api, march):
    m = hold(world, schedule(world))
    decide(world, m)
    api.force_authenticate(world.office_staff.user)
    r = api.post(f"/api/meetings/{m.pk}/issue-minutes/", {}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "minutes_required"
    r = api.post(
        f"/api/meetings/{m.pk}/minutes/", {"minutes": "会议听取了……\n会议议定……"}, format="json"
    )
    assert r.status_code == 200
    r = api.post(f"/api/meetings/{m.pk}/issue-minutes/", {}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["minutes_number"] == "测环纪〔2026〕1号"
    assert r.json()["status"] == "minuted"
    r = api.post(f"/api/meetings/{m.pk}/issue-minutes/", {}, format="json")
    assert r.status_code == 409
    with pytest.raises(ConflictError):
        decide(world, m)
    # The next meeting of the same office takes the next number.
    m2 = hold(world, schedule(world, title="第二次"))
    services.meeting_minutes_save(actor=world.office_staff.user, meeting=m2, minutes="纪要")
    assert (
        services.meeting_minutes_issue(actor=world.office_staff.user, meeting=m2).minutes_number
        == "测环纪〔2026〕2号"
    )

    r = api.get(f"/api/meetings/{m.pk}/minutes-docx/")
    assert r.status_code == 200
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "会议纪要" in text and "测环纪〔2026〕1号" in text and m.title in text
    assert "限期完成辖区内散乱污企业整治" in text
    assert official_layout_problems(r.content) == []


def test_cancelled_meeting_needs_a_reason(world, api, march):
    m = schedule(world, starts_at=at(2026, 3, 20, 9, 0))
    api.force_authenticate(world.office_staff.user)
    r = api.post(f"/api/meetings/{m.pk}/cancel/", {"reason": " "}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "reason_required"
    r = api.post(f"/api/meetings/{m.pk}/cancel/", {"reason": "改期"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = api.post(f"/api/meetings/{m.pk}/hold/", {}, format="json")
    assert r.status_code in (400, 409)


# ---- pages ---------------------------------------------------------------------------


def test_pages_render_and_export(world, client, march):
    m = hold(world, schedule(world))
    d = decide(world, m)
    client.force_login(world.office_staff.user)
    for url in (
        "/meetings/",
        "/meetings/new/",
        f"/meetings/{m.pk}/",
        "/meetings/decisions/",
        f"/meetings/decisions/{d.pk}/",
        "/meetings/task-reports/",
    ):
        r = client.get(url)
        assert r.status_code == 200, url
    for url in (
        "/meetings/?format=xlsx",
        "/meetings/decisions/?format=xlsx",
        "/meetings/task-reports/?format=xlsx",
    ):
        r = client.get(url)
        assert r.status_code == 200
        assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    r = client.get(f"/meetings/{m.pk}/minutes.docx")
    assert r.status_code == 200 and r["Content-Type"].endswith("wordprocessingml.document")


def test_schedule_form_refusal_keeps_input_and_says_why(world, client, march):
    client.force_login(world.director.user)
    r = client.post(
        "/meetings/new/",
        {
            "leading_group": world.group.pk,
            "scope": "group",
            "title": "主任召集的会",
            "starts_at": "2026-03-11T09:00",
            "place": "会议室",
            "convener": world.director.pk,
            "participants": [u.pk for u in world.members],
            "include_suggested": "on",
            "agenda-TOTAL_FORMS": "1",
            "agenda-INITIAL_FORMS": "0",
            "agenda-0-kind": "deployment",
            "agenda-0-problem_kind": "key",
            "agenda-0-title": "部署春季检查",
        },
    )
    assert r.status_code == 403
    assert "委托授权" in r.content.decode()
    assert "主任召集的会" in r.content.decode()
    assert Meeting.objects.count() == 0


def test_schedule_form_creates_meeting(world, client, march):
    client.force_login(world.office_staff.user)
    r = client.post(
        "/meetings/new/",
        {
            "leading_group": world.group.pk,
            "scope": "group",
            "title": "春季检查部署会",
            "starts_at": "2026-03-11T09:00",
            "place": "会议室",
            "convener": world.deputy.pk,
            "participants": [u.pk for u in world.members],
            "include_suggested": "on",
            "agenda-TOTAL_FORMS": "2",
            "agenda-INITIAL_FORMS": "0",
            "agenda-0-kind": "deployment",
            "agenda-0-problem_kind": "key",
            "agenda-0-title": "部署春季检查",
            "agenda-1-kind": "briefing",
            "agenda-1-problem_kind": "",
            "agenda-1-title": "",
        },
    )
    m = Meeting.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/meetings/{m.pk}/"
    assert m.agenda.count() == 1 and m.convener == world.deputy
    assert m.participants.count() == 3
    assert m.starts_at == dt.datetime(2026, 3, 11, 9, 0, tzinfo=at(2026, 1, 1).tzinfo)
