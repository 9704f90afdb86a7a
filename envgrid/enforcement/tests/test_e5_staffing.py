"""E5 (第五条): certified officers in number, consultation among the participating units
(积极沟通会商) and proficient staff (业务熟练) — through the services, the API and the page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from docx import Document

from envgrid.core.errors import ApplicationError, PermissionDeniedError
from envgrid.core.models import AuditEvent
from envgrid.enforcement import services
from envgrid.enforcement.models import ActionOfficer, ActionStatus, Consultation
from envgrid.org.models import TrainingRecord
from envgrid.org.services import training_record_void
from envgrid.testing import make_person, make_unit

from .factories import CERT, START, at, draft, staff_up

pytestmark = pytest.mark.django_db
BASE = "/api/enforcement"


def prepare(ew, action, *, officers=True):
    """Duties and liaisons for every unit; officers only when asked."""
    people = {
        ew.organiser.pk: (ew.org_staff, ew.org_officers),
        ew.north_unit.pk: (ew.north_staff, ew.north_officers),
        ew.south_unit.pk: (ew.south_staff, ew.south_officers),
    }
    for p in action.participants.all():
        liaison, unit_officers = people[p.unit_id]
        if not p.duties:
            services.participant_set_duties(actor=ew.org_user, participant=p, duties="辖区检查")
        services.liaison_assign(actor=liaison.user, participant=p, person=liaison)
        if officers:
            for o in unit_officers:
                services.officer_assign(actor=liaison.user, action=action, person=o)


def consult(ew, action, units=None, **kw):
    data = {
        "actor": ew.org_user,
        "action": action,
        "held_on": START,
        "form": "meeting",
        "units": units
        if units is not None
        else [p.unit for p in action.participants.select_related("unit")],
        "conclusions": "明确检查路线和分工",
    }
    data.update(kw)
    return services.consultation_record(**data)


# -- issue 15: E5 bypass at action level ----------------------------------------------


def test_E5_action_without_any_certified_officer_cannot_be_approved(ew):
    action = draft(ew)
    prepare(ew, action, officers=False)
    consult(ew, action)
    with pytest.raises(ApplicationError) as exc:
        services.action_approve(actor=ew.org_leader.user, action=action)
    assert exc.value.code == "officers_insufficient"
    assert "至少有2名" in exc.value.message
    action.refresh_from_db()
    assert action.status == ActionStatus.DRAFT
    assert action.number == ""


def test_E5_one_certified_officer_is_not_enough_to_approve_but_two_are(ew):
    action = draft(ew)
    prepare(ew, action, officers=False)
    consult(ew, action)
    services.officer_assign(actor=ew.north_staff.user, action=action, person=ew.north_officers[0])
    with pytest.raises(ApplicationError) as exc:
        services.action_approve(actor=ew.org_leader.user, action=action)
    assert exc.value.code == "officers_insufficient"
    assert "目前只有1名" in exc.value.message
    services.officer_assign(actor=ew.south_staff.user, action=action, person=ew.south_officers[0])
    services.action_approve(actor=ew.org_leader.user, action=action)
    action.refresh_from_db()
    assert action.status == ActionStatus.APPROVED


def test_E5_minimum_number_of_officers_is_configurable(ew, settings):
    settings.ENVGRID_ENFORCEMENT = {"APPROVAL_MIN_CERTIFIED_OFFICERS": 3}
    action = draft(ew)
    prepare(ew, action, officers=False)
    consult(ew, action)
    for person in ew.north_officers:
        services.officer_assign(actor=ew.north_staff.user, action=action, person=person)
    with pytest.raises(ApplicationError) as exc:
        services.action_approve(actor=ew.org_leader.user, action=action)
    assert exc.value.code == "officers_insufficient"
    assert "至少有3名" in exc.value.message


def test_E5_officer_minimum_set_by_an_administrator_in_the_database_wins_over_settings(
    ew, settings
):
    from envgrid.core.models import RuleOverride

    settings.ENVGRID_ENFORCEMENT = {"APPROVAL_MIN_CERTIFIED_OFFICERS": 2}
    RuleOverride.objects.create(key="enforcement.min_certified_officers", value="3")
    action = draft(ew)
    prepare(ew, action, officers=False)
    consult(ew, action)
    for person in ew.north_officers:
        services.officer_assign(actor=ew.north_staff.user, action=action, person=person)
    with pytest.raises(ApplicationError) as exc:
        services.action_approve(actor=ew.org_leader.user, action=action)
    assert exc.value.code == "officers_insufficient"
    assert "至少有3名" in exc.value.message


def test_E5_api_approval_without_officers_is_a_400_naming_the_rule(ew, api):
    action = draft(ew)
    prepare(ew, action, officers=False)
    consult(ew, action)
    api.force_authenticate(ew.org_leader.user)
    r = api.post(f"{BASE}/actions/{action.pk}/approve/")
    assert r.status_code == 400
    assert r.json()["code"] == "officers_insufficient"
    action.refresh_from_db()
    assert action.status == ActionStatus.DRAFT


# -- consultation (积极沟通会商) -----------------------------------------------------------


def test_E5_cross_department_action_needs_a_consultation_before_approval(ew):
    action = draft(ew)
    staff_up(ew, action, consult=False)
    with pytest.raises(ApplicationError) as exc:
        services.action_approve(actor=ew.org_leader.user, action=action)
    assert exc.value.code == "consultation_required"
    consult(ew, action)
    services.action_approve(actor=ew.org_leader.user, action=action)
    action.refresh_from_db()
    assert action.status == ActionStatus.APPROVED


def test_E5_every_participating_unit_must_have_been_consulted(ew):
    action = draft(ew)
    staff_up(ew, action, consult=False)
    consult(ew, action, units=[ew.organiser, ew.north_unit], form="call")
    with pytest.raises(ApplicationError) as exc:
        services.action_approve(actor=ew.org_leader.user, action=action)
    assert exc.value.code == "consultation_incomplete"
    assert ew.south_unit.name in exc.value.message
    assert ew.north_unit.name not in exc.value.message
    # A second consultation, a joint site visit with the south street, closes the gap.
    consult(ew, action, units=[ew.organiser, ew.south_unit], form="site_visit")
    services.action_approve(actor=ew.org_leader.user, action=action)


def test_E5_consultation_requirement_is_configurable(ew, settings):
    settings.ENVGRID_ENFORCEMENT = {"CONSULTATION_REQUIRED": False}
    action = draft(ew)
    staff_up(ew, action, consult=False)
    services.action_approve(actor=ew.org_leader.user, action=action)
    action.refresh_from_db()
    assert action.status == ActionStatus.APPROVED


def test_E5_consultation_is_recorded_with_its_units_and_audited(ew):
    action = draft(ew)
    c = consult(ew, action, form="site_visit", conclusions="联合踏勘北区化工厂排口")
    assert (c.held_on, c.form, c.conclusions) == (START, "site_visit", "联合踏勘北区化工厂排口")
    assert set(c.units.all()) == {ew.organiser, ew.north_unit, ew.south_unit}
    assert c.recorded_by == ew.org_staff
    event = AuditEvent.objects.get(action="enforcement.consultation.record")
    assert event.object_id == str(c.pk)
    assert sorted(event.after["units"]) == sorted(
        [ew.organiser.pk, ew.north_unit.pk, ew.south_unit.pk]
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"held_on": dt.date(2026, 3, 3)}, "consultation_in_future"),
        ({"form": "email"}, "consultation_form_invalid"),
        ({"conclusions": "  "}, "required"),
        ({"units": []}, "required"),
    ],
)
def test_E5_bad_consultation_is_refused_and_nothing_written(ew, change, code):
    action = draft(ew)
    before = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        consult(ew, action, **change)
    assert exc.value.code == code
    assert not Consultation.objects.exists()
    assert AuditEvent.objects.count() == before


def test_E5_consultation_units_must_take_part_in_the_action(ew):
    action = draft(ew)
    stranger = make_unit("区水务局")
    with pytest.raises(ApplicationError) as exc:
        consult(ew, action, units=[ew.organiser, stranger])
    assert exc.value.code == "unit_not_participating"
    assert "区水务局" in exc.value.message
    assert not Consultation.objects.exists()


def test_E5_only_the_organiser_or_a_participant_records_consultations(ew):
    action = draft(ew)
    outsider = make_person(make_unit("区统计局"), "统计局科员")
    ew.w.group.member_units.add(outsider.unit)
    with pytest.raises(PermissionDeniedError):
        consult(ew, action, actor=ew.w.office_staff.user)
    consult(ew, action, actor=ew.north_staff.user)
    assert Consultation.objects.count() == 1


def test_E5_api_records_and_lists_consultations_scoped_to_the_action(ew, api):
    action = draft(ew)
    api.force_authenticate(ew.north_staff.user)
    body = {
        "action": action.pk,
        "held_on": "2026-03-02",
        "form": "call",
        "units": [ew.organiser.pk, ew.north_unit.pk, ew.south_unit.pk],
        "conclusions": "电话会商，确定北区先行检查",
    }
    r = api.post(f"{BASE}/consultations/", body, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["form_display"] == "电话会商"
    assert set(r.json()["unit_names"]) == {
        ew.organiser.name,
        ew.north_unit.name,
        ew.south_unit.name,
    }
    r = api.get(f"{BASE}/actions/{action.pk}/")
    assert [c["conclusions"] for c in r.json()["consultations"]] == ["电话会商，确定北区先行检查"]
    r = api.post(f"{BASE}/consultations/", {**body, "form": "fax"}, format="json")
    assert r.status_code == 400
    assert Consultation.objects.count() == 1
    # A unit outside the action sees neither the action nor its consultations.
    outsider = make_person(make_unit("区统计局"), "统计局科员")
    api.force_authenticate(outsider.user)
    assert api.get(f"{BASE}/consultations/").json()["count"] == 0
    r = api.post(f"{BASE}/consultations/", body, format="json")
    assert r.status_code == 404
    assert Consultation.objects.count() == 1


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_E5_consultation_page_form_records_it_and_the_action_and_plan_show_it(ew):
    action = draft(ew)
    staff_up(ew, action, consult=False)
    c = _client(ew.org_user)
    page = c.get(action.get_absolute_url()).content.decode()
    assert "尚未参加会商的单位" in page and ew.south_unit.name in page
    r = c.post(
        reverse("enforcement:plan_step", args=[action.pk, "consult"]),
        {
            "held_on": "2026-03-02",
            "form": "site_visit",
            "units": [ew.organiser.pk, ew.north_unit.pk, ew.south_unit.pk],
            "conclusions": "联合踏勘，确定检查路线",
        },
    )
    assert r.status_code == 302
    consultation = Consultation.objects.get()
    assert consultation.form == "site_visit"
    page = c.get(action.get_absolute_url()).content.decode()
    assert "联合踏勘，确定检查路线" in page
    assert "尚未参加会商的单位" not in page
    services.action_approve(actor=ew.org_leader.user, action=action)
    r = c.get(reverse("enforcement:plan_docx", args=[action.pk]))
    doc = Document(io.BytesIO(r.content))
    assert "五、沟通会商" in [p.text for p in doc.paragraphs]
    rows = [[cell.text for cell in row.cells] for t in doc.tables for row in t.rows]
    assert [
        "2026-03-02",
        "联合踏勘",
        "、".join(u.name for u in consultation.units.all()),
        "联合踏勘，确定检查路线",
    ] in rows


def test_E5_page_refuses_a_bad_consultation_date_without_writing(ew):
    action = draft(ew)
    c = _client(ew.org_user)
    r = c.post(
        reverse("enforcement:plan_step", args=[action.pk, "consult"]),
        {
            "held_on": "2026-13-45",
            "form": "meeting",
            "units": [ew.organiser.pk],
            "conclusions": "x",
        },
        follow=True,
    )
    assert r.status_code == 200
    assert "会商日期格式应为" in r.content.decode()
    assert not Consultation.objects.exists()


# -- proficiency (业务熟练) -----------------------------------------------------------------


def test_E5_officer_below_the_training_minimum_is_refused_naming_the_gap(ew):
    action = draft(ew)
    novice = make_person(ew.north_unit, "北新执法员", cert=CERT, training=False)
    TrainingRecord.objects.create(
        person=novice,
        kind="training",
        course="执法入门",
        hours=12,
        held_on=dt.date(2026, 1, 10),
        result="passed",
    )
    with pytest.raises(ApplicationError) as exc:
        services.officer_assign(actor=ew.north_staff.user, action=action, person=novice)
    assert exc.value.code == "proficiency_insufficient"
    assert "北新执法员" in exc.value.message
    assert "12学时" in exc.value.message and "差28学时" in exc.value.message
    assert "没有合格的业务考核记录" in exc.value.message
    assert not ActionOfficer.objects.filter(person=novice).exists()


def test_E5_failed_voided_and_old_records_do_not_count(ew):
    action = draft(ew)
    officer = make_person(ew.north_unit, "北老执法员", cert=CERT, training=False)
    for kind, hours, day, result in (
        ("training", 40, dt.date(2025, 2, 1), "passed"),  # more than 12 months before
        ("assessment", 8, dt.date(2026, 2, 1), "failed"),
        ("training", 40, dt.date(2026, 2, 2), "passed"),
    ):
        TrainingRecord.objects.create(
            person=officer, kind=kind, course="课程", hours=hours, held_on=day, result=result
        )
    with pytest.raises(ApplicationError) as exc:
        services.officer_assign(actor=ew.north_staff.user, action=action, person=officer)
    assert "没有合格的业务考核记录" in exc.value.message
    assert "差" not in exc.value.message  # 40 hours in the window: only the assessment lacks
    passed = TrainingRecord.objects.create(
        person=officer,
        kind="assessment",
        course="年度考核",
        hours=4,
        held_on=dt.date(2026, 2, 3),
        result="passed",
    )
    services.officer_assign(actor=ew.north_staff.user, action=action, person=officer)
    # Voiding the assessment afterwards: the approval checks again and names the officer.
    training_record_void(actor=ew.w.office_staff.user, record=passed, reason="录入错误")
    staff_up(ew, action)
    with pytest.raises(ApplicationError) as exc:
        services.action_approve(actor=ew.org_leader.user, action=action)
    assert exc.value.code == "proficiency_insufficient"
    assert "北老执法员" in exc.value.message


def test_E5_proficiency_minimum_is_configurable(ew, settings):
    settings.ENVGRID_PROFICIENCY = {"MIN_HOURS": 10, "ASSESSMENT_REQUIRED": False}
    action = draft(ew)
    officer = make_person(ew.north_unit, "北执法员丙", cert=CERT, training=False)
    TrainingRecord.objects.create(
        person=officer,
        kind="training",
        course="课程",
        hours=12,
        held_on=dt.date(2026, 1, 10),
        result="passed",
    )
    officer_row = services.officer_assign(actor=ew.north_staff.user, action=action, person=officer)
    assert officer_row.person == officer


def test_E5_proficiency_window_is_the_twelve_months_before_the_action_starts(ew):
    officer = make_person(ew.north_unit, "北执法员丁", cert=CERT, training=False)
    for kind, hours in (("training", 36), ("assessment", 4)):
        TrainingRecord.objects.create(
            person=officer,
            kind=kind,
            course="课程",
            hours=hours,
            held_on=dt.date(2025, 3, 14),
            result="passed",
        )
    # An action starting 13 March 2026 still sees the course (365 days, both ends in)...
    early = draft(ew, start_date=dt.date(2026, 3, 13), end_date=dt.date(2026, 3, 20))
    services.officer_assign(actor=ew.north_staff.user, action=early, person=officer)
    # ...one starting the next day no longer does.
    late = draft(ew, start_date=dt.date(2026, 3, 14), end_date=dt.date(2026, 3, 20))
    with pytest.raises(ApplicationError) as exc:
        services.officer_assign(actor=ew.north_staff.user, action=late, person=officer)
    assert exc.value.code == "proficiency_insufficient"
    assert "2025-03-15至2026-03-14" in exc.value.message


def test_E5_api_officer_below_minimum_is_a_400_with_the_gap(ew, api):
    action = draft(ew)
    novice = make_person(ew.north_unit, "北新执法员", cert=CERT, training=False)
    api.force_authenticate(ew.north_staff.user)
    r = api.post(f"{BASE}/actions/{action.pk}/officers/", {"person": novice.pk})
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "proficiency_insufficient"
    assert body["fields"]["gap"][0]["hours_short"] == "40"
    assert not ActionOfficer.objects.filter(person=novice).exists()


def test_E5_proficiency_is_judged_today_once_the_action_has_started(ew):
    action = draft(ew)
    officer = make_person(ew.north_unit, "北执法员戊", cert=CERT, training=False)
    for kind, hours in (("training", 36), ("assessment", 4)):
        TrainingRecord.objects.create(
            person=officer,
            kind=kind,
            course="课程",
            hours=hours,
            held_on=dt.date(2025, 3, 3),
            result="passed",
        )
    # On the first day (2 March) the records of 3 March 2025 count...
    services.officer_assign(actor=ew.north_staff.user, action=action, person=officer)
    services.officer_remove(actor=ew.north_staff.user, officer=action.officers.get(person=officer))
    # ...a week into the action, judged on that day, they no longer do.
    with time_machine.travel(at(2026, 3, 9, 9, 0), tick=False):
        with pytest.raises(ApplicationError) as exc:
            services.officer_assign(actor=ew.north_staff.user, action=action, person=officer)
    assert exc.value.code == "proficiency_insufficient"
