"""Joint enforcement rules E1–E6 at the service layer, against the real database."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.core.models import AuditEvent, Notification
from envgrid.enforcement import selectors, services
from envgrid.enforcement.models import (
    ActionStatus,
    ActionStatusChange,
    Assignment,
    AssignmentStatus,
    EnforcementAction,
    Finding,
    Inspection,
    InspectionPhoto,
    ParticipantRole,
)
from envgrid.enforcement.services import FindingSpec, ParticipantSpec, TargetSpec
from envgrid.enforcement.workflow import ASSIGNMENT_TRANSITIONS
from envgrid.obligations.models import Obligation, ObligationStatus, Supervision
from envgrid.obligations.services import sweep
from envgrid.testing import make_person, make_unit

from .factories import CERT, END, START, at, deployed, draft, staff_up, upload

pytestmark = pytest.mark.django_db


# -- E1 -----------------------------------------------------------------------------


def test_E1_action_with_one_unit_and_one_grid_is_refused_as_not_joint(ew):
    before = (EnforcementAction.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ApplicationError) as exc:
        draft(ew, targets=[TargetSpec(entity=ew.plant_d)])
    assert exc.value.code == "not_joint"
    assert "E1" in exc.value.message
    assert (EnforcementAction.objects.count(), AuditEvent.objects.count()) == before


def test_E1_two_units_in_one_grid_is_joint(ew):
    police = make_unit("区公安分局")
    action = draft(
        ew,
        targets=[TargetSpec(entity=ew.plant_d)],
        participants=[ParticipantSpec(unit=police, duties="涉嫌犯罪线索研判")],
    )
    assert set(action.participants.values_list("unit_id", flat=True)) == {
        ew.organiser.pk,
        police.pk,
    }


def test_E1_one_unit_in_two_grids_is_joint(ew):
    from envgrid.entities.models import SupervisedEntity

    from .factories import make_grid

    # The organiser also owns a lower grid of its own: one unit, two grids — still joint
    # (cross-area).
    west = make_grid(
        "D01-W", "西片区", 3, ew.organiser, ew.district, bounds=(122.0, 40.0, 122.2, 40.5)
    )
    depot = SupervisedEntity.objects.create(name="西片区物流园", lon=122.1, lat=40.3, grid=west)
    action = draft(ew, targets=[TargetSpec(entity=ew.plant_d), TargetSpec(entity=depot)])
    assert list(action.participants.values_list("unit_id", flat=True)) == [ew.organiser.pk]
    assert set(action.targets.values_list("grid_id", flat=True)) == {ew.district.pk, west.pk}


def test_E1_removing_the_second_unit_is_refused(ew):
    police = make_unit("区公安分局")
    action = draft(
        ew,
        targets=[TargetSpec(entity=ew.plant_d)],
        participants=[ParticipantSpec(unit=police, duties="配合")],
    )
    p = action.participants.get(unit=police)
    with pytest.raises(ApplicationError) as exc:
        services.participant_remove(actor=ew.org_user, participant=p)
    assert exc.value.code == "not_joint"
    assert action.participants.filter(unit=police).exists()


# -- E2 -----------------------------------------------------------------------------


def test_E2_campaign_must_name_level_and_deploying_document(ew):
    with pytest.raises(ApplicationError) as exc:
        draft(ew, campaign_doc_ref="")
    assert exc.value.code == "campaign_document_required"
    assert "campaign_doc_ref" in exc.value.fields
    assert not EnforcementAction.objects.exists()


def test_E2_incident_must_state_time_place_type_and_level(ew):
    with pytest.raises(ApplicationError) as exc:
        draft(
            ew,
            category="incident",
            incident_at=at(2026, 3, 1, 22, 30),
            incident_place="北街道河段",
            incident_type="water",
        )
    assert exc.value.code == "incident_facts_required"
    assert list(exc.value.fields) == ["incident_level"]
    action = draft(
        ew,
        category="incident",
        incident_at=at(2026, 3, 1, 22, 30),
        incident_place="北街道河段",
        incident_type="water",
        incident_level="4",
    )
    assert action.get_incident_level_display() == "一般（Ⅳ级）"


@pytest.mark.parametrize("category", ["key_problem", "linkage", "campaign", "incident"])
def test_E2_each_category_can_be_planned(ew, category):
    extra = {
        "incident": {
            "incident_at": at(2026, 3, 1, 8, 0),
            "incident_place": "南街道",
            "incident_type": "air",
            "incident_level": "3",
        },
        "linkage": {"linkage_ref": "站环移〔2026〕5号"},
    }.get(category, {})
    action = draft(ew, category=category, **extra)
    assert action.category == category


# -- E3 -----------------------------------------------------------------------------


def test_E3_organiser_must_own_the_grid_it_organises_from(ew):
    with pytest.raises(ApplicationError) as exc:
        draft(ew, actor=ew.north_staff.user, organiser_grid=ew.district)
    assert exc.value.code == "organiser_not_grid_owner"


def test_E3_organiser_grid_must_be_at_or_above_the_targets(ew):
    # The north street office organises from its grid but targets the south.
    with pytest.raises(ApplicationError) as exc:
        draft(
            ew,
            actor=ew.north_staff.user,
            organiser_grid=ew.north,
            targets=[TargetSpec(entity=ew.plant_n), TargetSpec(entity=ew.plant_s)],
        )
    assert exc.value.code == "target_outside_organiser_grid"
    assert "南街道" in exc.value.message


def test_E3_plan_makes_lower_grid_owners_participants(ew):
    action = draft(ew)
    roles = dict(action.participants.values_list("unit_id", "role"))
    assert roles == {
        ew.organiser.pk: ParticipantRole.ORGANISER,
        ew.north_unit.pk: ParticipantRole.LOWER_GRID,
        ew.south_unit.pk: ParticipantRole.LOWER_GRID,
    }
    assert action.leading_group == ew.w.group
    assert action.status == ActionStatus.DRAFT


def test_E3_approval_only_by_organiser_leadership_or_office(ew):
    action = draft(ew)
    staff_up(ew, action)
    for who in (ew.org_staff, ew.north_staff):
        with pytest.raises(PermissionDeniedError):
            services.action_approve(actor=who.user, action=action)
    services.action_approve(actor=ew.w.director.user, action=action)
    action.refresh_from_db()
    assert action.status == ActionStatus.APPROVED
    assert action.approved_by == ew.w.director
    assert action.number.endswith("号") and "联执〔2026〕" in action.number


def test_E3_organiser_leader_approves_and_number_counts_up(ew):
    numbers = []
    for _ in range(2):
        action = draft(ew)
        staff_up(ew, action)
        services.action_approve(actor=ew.org_leader.user, action=action)
        action.refresh_from_db()
        numbers.append(action.number)
    assert numbers[0] != numbers[1]
    assert numbers[1].endswith("2号")


def test_E3_approval_needs_division_of_labour_for_every_unit(ew):
    action = draft(ew)
    staff_up(ew, action, duties=False)
    with pytest.raises(ApplicationError) as exc:
        services.action_approve(actor=ew.org_leader.user, action=action)
    assert exc.value.code == "duties_missing"
    assert ew.north_unit.name in exc.value.message


def test_E3_deploy_puts_key_targets_under_supervision(ew):
    action = deployed(ew)
    key = action.targets.get(entity=ew.plant_n)
    assert key.supervision is not None
    sup = Supervision.objects.get(pk=key.supervision_id)
    assert sup.issuer == ew.organiser and sup.target == ew.north_unit
    assert sup.response_obligation.unit == ew.north_unit
    assert action.targets.get(entity=ew.plant_s).supervision is None


def test_E3_status_changes_leave_history_and_audit(ew):
    action = deployed(ew)
    changes = list(ActionStatusChange.objects.filter(action=action).order_by("id"))
    assert [(c.from_status, c.to_status) for c in changes] == [
        ("", "draft"),
        ("draft", "approved"),
        ("approved", "deployed"),
    ]
    actions = set(
        AuditEvent.objects.filter(object_type="enforcement.enforcementaction").values_list(
            "action", flat=True
        )
    )
    assert {
        "enforcement.action.create",
        "enforcement.action.approve",
        "enforcement.action.deploy",
    } <= actions


def test_E3_cannot_deploy_before_approval(ew):
    action = draft(ew)
    staff_up(ew, action)
    with pytest.raises(ApplicationError) as exc:
        services.action_deploy(actor=ew.org_user, action=action)
    assert exc.value.code == "wrong_status"


# -- E4 -----------------------------------------------------------------------------


def test_E4_deploy_assigns_lower_grids_with_ack_deadline_of_2_working_days(ew):
    with time_machine.travel(at(2026, 3, 5, 16, 0), tick=False):  # Thursday
        action = deployed(ew)
    assignments = {a.unit_id: a for a in action.assignments.all()}
    assert set(assignments) == {ew.north_unit.pk, ew.south_unit.pk}
    a = assignments[ew.north_unit.pk]
    assert a.status == AssignmentStatus.PENDING
    # Thursday + 2 working days = Monday 9 March (the weekend does not count).
    assert a.ack_due_at == at(2026, 3, 9, 23, 59, 59)
    ob = Obligation.objects.get(pk=a.ack_obligation_id)
    assert (ob.rule_kind, ob.rule_amount, ob.unit_id) == ("workdays", 2, ew.north_unit.pk)
    assert ob.person == ew.north_staff  # the unit's liaison is responsible


def test_E4_ack_rule_is_data_per_action(ew):
    from envgrid.core.deadlines import DeadlineRule

    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        action = draft(ew, ack_rule=DeadlineRule("hours", 4))
        staff_up(ew, action)
        services.action_approve(actor=ew.org_leader.user, action=action)
        services.action_deploy(actor=ew.org_user, action=action)
    a = action.assignments.first()
    assert a.ack_due_at == at(2026, 3, 2, 13, 0)


def test_E4_assignment_can_be_acknowledged_and_carried_out(ew):
    action = deployed(ew)
    a = action.assignments.get(unit=ew.north_unit)
    services.assignment_acknowledge(actor=ew.north_staff.user, assignment=a, note="收到，立即落实")
    a.refresh_from_db()
    assert a.status == AssignmentStatus.ACKNOWLEDGED and not a.ack_late
    assert Obligation.objects.get(pk=a.ack_obligation_id).status == ObligationStatus.DONE
    services.assignment_complete(actor=ew.north_staff.user, assignment=a, report="已检查2家")
    a.refresh_from_db()
    assert a.status == AssignmentStatus.COMPLETED
    assert Obligation.objects.get(pk=a.report_obligation_id).status == ObligationStatus.DONE
    assert [e.action for e in a.events.all()] == ["issue", "acknowledge", "complete"]


def test_E4_there_is_no_decline_transition_and_declining_is_refused(ew):
    assert not any("decline" in t.action for t in ASSIGNMENT_TRANSITIONS.values())
    assert all(to != "declined" for (_f, to) in ASSIGNMENT_TRANSITIONS)
    action = deployed(ew)
    a = action.assignments.get(unit=ew.north_unit)
    with pytest.raises(ApplicationError) as exc:
        services.assignment_move(actor=ew.north_staff.user, assignment=a, to="declined")
    assert exc.value.code == "transition_not_allowed"
    assert "E4" in exc.value.message
    a.refresh_from_db()
    assert a.status == AssignmentStatus.PENDING


def test_E4_only_the_assigned_unit_acknowledges(ew):
    action = deployed(ew)
    a = action.assignments.get(unit=ew.north_unit)
    with pytest.raises(PermissionDeniedError):
        services.assignment_acknowledge(actor=ew.south_staff.user, assignment=a)


def test_E4_silence_past_the_deadline_is_escalated_by_the_sweep(ew):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        action = deployed(ew)
    north = action.assignments.get(unit=ew.north_unit)
    south = action.assignments.get(unit=ew.south_unit)
    with time_machine.travel(at(2026, 3, 3, 10, 0), tick=False):
        services.assignment_acknowledge(actor=ew.south_staff.user, assignment=south)
    # Due end of Wednesday 4 March: nothing happens that day.
    with time_machine.travel(at(2026, 3, 4, 23, 0), tick=False):
        sweep()
    north.refresh_from_db()
    assert north.escalated_at is None
    with time_machine.travel(at(2026, 3, 5, 8, 0), tick=False):
        result = sweep()
        again = sweep()
    north.refresh_from_db()
    ob = Obligation.objects.get(pk=north.ack_obligation_id)
    assert ob.status == ObligationStatus.OVERDUE
    assert ob.escalated_to == ew.organiser
    assert north.escalated_at == at(2026, 3, 5, 8, 0)
    assert north.escalated_to == ew.organiser
    assert north.events.filter(action="escalate").count() == 1
    assert result.escalated >= 1 and again.escalated == 0
    assert Notification.objects.filter(
        recipient=ew.org_staff.user, subject__contains="逾期升级"
    ).exists()
    # The south unit acknowledged in time: not escalated.
    south.refresh_from_db()
    assert south.escalated_at is None


def test_E4_ack_record_per_unit_per_year_for_assessment(ew):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        first = deployed(ew)
        second = deployed(ew, title="第二次行动")
    with time_machine.travel(at(2026, 3, 3, 9, 0), tick=False):
        services.assignment_acknowledge(
            actor=ew.north_staff.user, assignment=first.assignments.get(unit=ew.north_unit)
        )
    with time_machine.travel(at(2026, 3, 6, 9, 0), tick=False):
        services.assignment_acknowledge(
            actor=ew.north_staff.user, assignment=second.assignments.get(unit=ew.north_unit)
        )
        stats = selectors.assignment_ack_stats(year=2026)
    north = stats[ew.north_unit.pk]
    south = stats[ew.south_unit.pk]
    assert north.counts == {"received": 2, "on_time": 1, "late": 1, "pending": 0}
    assert south.counts == {"received": 2, "on_time": 0, "late": 2, "pending": 0}
    assert north.late == [second.assignments.get(unit=ew.north_unit).pk]
    assert selectors.assignment_ack_stats(year=2025) == {}


# -- E5 -----------------------------------------------------------------------------


def test_E5_officer_whose_certificate_expires_the_day_before_the_action_ends_is_refused(ew):
    action = draft(ew)
    short = make_person(
        ew.north_unit, "证件将到期执法员", cert=(dt.date(2024, 1, 1), END - dt.timedelta(days=1))
    )
    with pytest.raises(ApplicationError) as exc:
        services.officer_assign(actor=ew.north_staff.user, action=action, person=short)
    assert exc.value.code == "certificate_not_valid"
    assert "证件将到期执法员" in exc.value.message
    assert "2026-03-12" in exc.value.message
    assert not action.officers.exists()


def test_E5_officer_without_certificate_is_refused(ew):
    action = draft(ew)
    plain = make_person(ew.north_unit, "无证人员")
    with pytest.raises(ApplicationError) as exc:
        services.officer_assign(actor=ew.north_staff.user, action=action, person=plain)
    assert "无证人员" in exc.value.message


def test_E5_officer_certificate_valid_on_every_day_is_accepted(ew):
    action = draft(ew)
    exact = make_person(ew.north_unit, "恰好有效执法员", cert=(START, END))
    officer = services.officer_assign(actor=ew.north_staff.user, action=action, person=exact)
    assert officer.cert_valid_to == END


def test_E5_officer_must_belong_to_a_participating_unit(ew):
    action = draft(ew)
    stranger = make_person(ew.w.outsider_unit, "外单位执法员", cert=CERT)
    with pytest.raises(ApplicationError) as exc:
        services.officer_assign(actor=ew.org_user, action=action, person=stranger)
    assert exc.value.code == "unit_not_participating"


def test_E5_a_unit_cannot_staff_another_unit(ew):
    action = draft(ew)
    with pytest.raises(PermissionDeniedError):
        services.officer_assign(
            actor=ew.south_staff.user, action=action, person=ew.north_officers[0]
        )


def test_E5_second_liaison_for_a_unit_is_refused(ew):
    action = draft(ew)
    p = action.participants.get(unit=ew.north_unit)
    services.liaison_assign(actor=ew.north_staff.user, participant=p, person=ew.north_staff)
    with pytest.raises(ConflictError) as exc:
        services.liaison_assign(
            actor=ew.north_staff.user, participant=p, person=ew.north_officers[0]
        )
    assert exc.value.code == "liaison_exists"
    assert ew.north_staff.name in exc.value.message
    p.refresh_from_db()
    assert p.liaison == ew.north_staff


def test_E5_liaison_can_be_replaced_with_a_reason(ew):
    action = draft(ew)
    p = action.participants.get(unit=ew.north_unit)
    services.liaison_assign(actor=ew.north_staff.user, participant=p, person=ew.north_staff)
    services.liaison_replace(
        actor=ew.north_staff.user, participant=p, person=ew.north_officers[0], reason="人员调整"
    )
    p.refresh_from_db()
    assert p.liaison == ew.north_officers[0]


def test_E5_unit_without_a_liaison_cannot_be_deployed(ew):
    action = draft(ew)
    staff_up(ew, action)
    services.action_approve(actor=ew.org_leader.user, action=action)
    p = action.participants.get(unit=ew.south_unit)
    p.liaison = None
    p.save()
    with pytest.raises(ApplicationError) as exc:
        services.action_deploy(actor=ew.org_user, action=action)
    assert exc.value.code == "liaison_missing"
    assert ew.south_unit.name in exc.value.message
    action.refresh_from_db()
    assert action.status == ActionStatus.APPROVED
    assert not Assignment.objects.exists()


def test_E5_certificates_are_checked_again_when_the_dates_change(ew):
    action = draft(ew)
    staff_up(ew, action)
    services.action_update(actor=ew.org_user, action=action, end_date=dt.date(2028, 1, 31))
    action.refresh_from_db()
    with pytest.raises(ApplicationError) as exc:
        services.action_approve(actor=ew.org_leader.user, action=action)
    assert exc.value.code == "certificate_not_valid"
    assert "2027-12-31" in exc.value.message


# -- E6 -----------------------------------------------------------------------------


def test_E6_member_units_among_themselves_use_the_same_workflow(ew):
    police = make_unit("区公安分局")
    ew.w.group.member_units.add(police)
    bystander_user = ew.south_staff.user  # owns the target's grid, but is no participant
    action = services.action_create(
        actor=ew.north_staff.user,
        mode="members",
        title="成员单位联合检查",
        category="linkage",
        linkage_ref="站环移〔2026〕7号",
        objectives="联合查处涉嫌非法倾倒危险废物",
        start_date=START,
        end_date=END,
        targets=[TargetSpec(entity=ew.plant_s)],
        participants=[ParticipantSpec(unit=police, duties="侦查取证")],
    )
    assert action.leading_group == ew.w.group
    assert set(action.participants.values_list("unit_id", flat=True)) == {
        ew.north_unit.pk,
        police.pk,
    }
    police_staff = make_person(police, "公安联络员")
    police_officers = [make_person(police, f"民警{i}", cert=CERT) for i in (1, 2)]
    services.participant_set_duties(
        actor=ew.north_staff.user,
        participant=action.participants.get(unit=ew.north_unit),
        duties="组织",
    )
    services.liaison_assign(
        actor=ew.north_staff.user,
        participant=action.participants.get(unit=ew.north_unit),
        person=ew.north_staff,
    )
    services.liaison_assign(
        actor=police_staff.user,
        participant=action.participants.get(unit=police),
        person=police_staff,
    )
    for o in police_officers:
        services.officer_assign(actor=police_staff.user, action=action, person=o)
    services.consultation_record(
        actor=police_staff.user,
        action=action,
        held_on=START,
        form="call",
        units=[ew.north_unit, police],
        conclusions="公安提前介入，联合取证",
    )
    # North street has no leader of its own here: the office approves.
    services.action_approve(actor=ew.w.office_staff.user, action=action)
    services.action_deploy(actor=ew.north_staff.user, action=action)
    # Assignments go to the participants only, not to the bystander owning the grid.
    assert list(action.assignments.values_list("unit_id", flat=True)) == [police.pk]
    assert not selectors.action_list(user=bystander_user).filter(pk=action.pk).exists()
    assert selectors.action_list(user=police_staff.user).filter(pk=action.pk).exists()


def test_E6_non_member_unit_is_refused(ew):
    with pytest.raises(ApplicationError) as exc:
        services.action_create(
            actor=ew.north_staff.user,
            mode="members",
            title="成员单位联合检查",
            category="key_problem",
            objectives="x",
            start_date=START,
            end_date=END,
            targets=[TargetSpec(entity=ew.plant_s)],
            participants=[ParticipantSpec(unit=ew.w.outsider_unit, duties="配合")],
        )
    assert exc.value.code == "not_member_unit"
    assert ew.w.outsider_unit.name in exc.value.message


# -- visibility ----------------------------------------------------------------------


def test_visibility_units_see_what_they_join_office_sees_all_others_nothing(ew):
    police = make_unit("区公安分局")
    action = draft(
        ew,
        targets=[TargetSpec(entity=ew.plant_n)],
        participants=[ParticipantSpec(unit=police, duties="配合")],
    )
    visible = lambda user: selectors.action_list(user=user).filter(pk=action.pk).exists()  # noqa: E731
    assert visible(ew.org_user)
    assert visible(ew.north_staff.user)
    assert visible(ew.w.director.user) and visible(ew.w.leader.user)
    assert not visible(ew.south_staff.user)  # not a target grid, not a participant
    assert not visible(ew.w.outsider.user)


# -- inspections and findings --------------------------------------------------------


def _inspect(ew, action, **kw):
    data = {
        "actor": ew.north_staff.user,
        "action": action,
        "entity": ew.plant_n,
        "inspected_at": at(2026, 3, 3, 10, 0),
        "officers": list(action.officers.filter(person__in=ew.north_officers)),
        "summary": "现场检查发现废水直排",
        "photos": [upload()],
        "findings": [FindingSpec(title="废水直排", description="经暗管直排雨水管网")],
    }
    data.update(kw)
    with time_machine.travel(at(2026, 3, 3, 12, 0), tick=True):
        return services.inspection_create(**data)


def test_inspection_by_two_certified_officers_with_photo_and_finding(ew):
    action = deployed(ew)
    inspection = _inspect(ew, action)
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS  # the first inspection starts it
    photo = inspection.photos.get()
    assert photo.content_type == "image/png" and photo.file.name.endswith(".png")
    finding = inspection.findings.get()
    assert list(finding.photos.all()) == [photo]


def test_inspection_needs_at_least_two_officers(ew):
    action = deployed(ew)
    with pytest.raises(ApplicationError) as exc:
        _inspect(ew, action, officers=list(action.officers.filter(person=ew.north_officers[0])))
    assert exc.value.code == "officers_too_few"
    assert not Inspection.objects.exists() and not Finding.objects.exists()


def test_inspection_photo_content_is_checked_and_nothing_is_written(ew, settings):
    action = deployed(ew)
    fake = upload("伪装.jpg", b"MZ\x90\x00 this is not an image at all" * 10)
    with pytest.raises(ApplicationError) as exc:
        _inspect(ew, action, photos=[upload(), fake])
    assert exc.value.code == "file_type_not_allowed"
    assert "伪装.jpg" in exc.value.message
    assert not Inspection.objects.exists() and not InspectionPhoto.objects.exists()
    media = settings.MEDIA_ROOT
    assert not any(p.is_file() for p in media.rglob("*")) if media.exists() else True


def test_inspection_photo_size_limit(ew, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 40
    action = deployed(ew)
    with pytest.raises(ApplicationError) as exc:
        _inspect(ew, action)
    assert exc.value.code == "file_too_large" and exc.value.status == 413


def test_inspection_only_of_target_entities(ew):
    action = deployed(ew)
    with pytest.raises(ApplicationError) as exc:
        _inspect(ew, action, entity=ew.plant_d)
    assert exc.value.code == "entity_not_targeted"


def test_key_finding_is_supervised(ew):
    action = deployed(ew)
    inspection = _inspect(ew, action)
    finding = inspection.findings.get()
    services.finding_supervise(actor=ew.org_user, finding=finding)
    finding.refresh_from_db()
    assert finding.is_key and finding.supervision.target == ew.north_unit


def test_complete_and_cancel_close_the_deadlines_not_yet_due(ew):
    action = deployed(ew)
    _inspect(ew, action)
    action.refresh_from_db()
    services.action_complete(actor=ew.org_user, action=action, summary="共检查1家，发现问题1个")
    live = Obligation.objects.filter(
        kind__startswith="enforcement.", status__in=["open", "overdue"]
    )
    assert not live.exists()
    other = deployed(ew, title="另一行动")
    services.action_cancel(actor=ew.org_user, action=other, reason="上级通知暂停")
    assert set(other.assignments.values_list("status", flat=True)) == {"cancelled"}


def test_E4_silence_stays_on_record_after_the_action_ends(ew):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        action = deployed(ew)
        services.assignment_acknowledge(
            actor=ew.south_staff.user, assignment=action.assignments.get(unit=ew.south_unit)
        )
    with time_machine.travel(at(2026, 3, 6, 9, 0), tick=False):
        sweep()
        _inspect_at = at(2026, 3, 5, 10, 0)
        services.inspection_create(
            actor=ew.south_staff.user,
            action=action,
            entity=ew.plant_s,
            inspected_at=_inspect_at,
            officers=list(action.officers.filter(person__in=ew.south_officers)),
            summary="检查",
        )
        action.refresh_from_db()
        services.action_complete(actor=ew.org_user, action=action, summary="结束")
    north = action.assignments.get(unit=ew.north_unit)
    ack = Obligation.objects.get(pk=north.ack_obligation_id)
    # The north unit never acknowledged: its overdue item is kept, not cancelled, so the
    # assessment (which ignores cancelled items) still counts it late.
    assert ack.status == ObligationStatus.OVERDUE
    report = Obligation.objects.get(pk=north.report_obligation_id)
    assert report.status == ObligationStatus.CANCELLED  # not yet due when the action ended
    stats = selectors.assignment_ack_stats(year=2026, now=at(2026, 3, 6, 10, 0))
    assert stats[ew.north_unit.pk].late == [north.pk]


def test_finding_becomes_a_case_with_its_evidence_in_one_step(ew):
    from envgrid.cases.models import Case

    action = deployed(ew)
    inspection = _inspect(ew, action)
    finding = inspection.findings.get()
    with pytest.raises(PermissionDeniedError):
        services.finding_to_case(actor=ew.north_staff.user, finding=finding)
    with time_machine.travel(at(2026, 3, 3, 15, 0), tick=True):
        case = services.finding_to_case(actor=ew.org_user, finding=finding)
    case = Case.objects.get(pk=case.pk)
    assert case.source == "joint_enforcement"
    assert case.entity == ew.plant_n and case.facts == "经暗管直排雨水管网"
    assert case.discovered_at == inspection.inspected_at
    assert case.owner_unit == ew.organiser
    evidence = list(case.evidence.all())
    assert len(evidence) == 1 and evidence[0].sha256 == inspection.photos.get().sha256
    finding.refresh_from_db()
    assert finding.status == "case_created" and finding.case == case
    assert finding.case_number == case.number
    with pytest.raises(ConflictError):
        services.finding_to_case(actor=ew.org_user, finding=finding)
    assert Case.objects.count() == 1
