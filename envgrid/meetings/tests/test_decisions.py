"""M5: decisions — owners, due dates as obligations, progress, verification and closure by
the office; overdue → one supervision notice per sweep cycle → escalation after the
notice's own deadline."""

import datetime as dt

import pytest
import time_machine

from envgrid.core.models import Notification
from envgrid.meetings import services
from envgrid.meetings.models import (
    Decision,
    DecisionOwner,
    DecisionProgress,
    DecisionStatus,
)
from envgrid.obligations.models import Obligation, ObligationStatus, Supervision
from envgrid.obligations.services import sweep

from .factories import at, counts, decide, hold, schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(world, march):
    return hold(world, schedule(world))


def decision_obligations(decision):
    return Obligation.objects.filter(kind="meeting.decision", subject_id=str(decision.pk)).order_by(
        "unit_id"
    )


# ---- recording decisions -------------------------------------------------------------


def test_M5_each_owner_owes_the_decision_by_its_due_date(world, meeting):
    a, b, _c = world.members
    d = decide(world, meeting, owners=[a, b], due=dt.date(2026, 3, 20))
    obs = list(decision_obligations(d))
    assert [o.unit for o in obs] == [a, b]
    assert all(o.due_at == at(2026, 3, 20, 23, 59, 59) for o in obs)
    assert all(o.status == ObligationStatus.OPEN for o in obs)
    assert {o.obligation_id for o in d.owners.all()} == {o.pk for o in obs}
    # Owners are told.
    assert (
        Notification.objects.filter(recipient=world.member_staff[0].user)
        .filter(subject__contains="决定事项交办")
        .exists()
    )


def test_M5_decision_without_owner_is_refused_and_writes_nothing(world, api, meeting):
    before = counts(Decision, DecisionOwner, Obligation)
    api.force_authenticate(world.office_staff.user)
    r = api.post(
        "/api/meeting-decisions/",
        {"meeting": meeting.pk, "text": "完成整改", "owners": [], "due_date": "2026-03-31"},
        format="json",
    )
    assert r.status_code == 400
    assert r.json()["code"] == "owner_required"
    assert "承办单位" in r.json()["message"]
    assert counts(Decision, DecisionOwner, Obligation) == before


@pytest.mark.parametrize(
    "change, code",
    [
        ({"text": "  "}, "text_required"),
        ({"due_date": "2026-03-01"}, "due_date_invalid"),
        ({"links": [{"type": "cases.nothing", "id": "1"}]}, "link_invalid"),
    ],
)
def test_M5_bad_decision_input_writes_nothing(world, api, meeting, change, code):
    before = counts(Decision, DecisionOwner, Obligation)
    api.force_authenticate(world.office_staff.user)
    body = {
        "meeting": meeting.pk,
        "text": "完成整改",
        "owners": [world.members[0].pk],
        "due_date": "2026-03-31",
        **change,
    }
    r = api.post("/api/meeting-decisions/", body, format="json")
    assert r.status_code == 400 and r.json()["code"] == code
    assert counts(Decision, DecisionOwner, Obligation) == before


def test_M5_only_the_organiser_records_decisions(world, api, meeting):
    api.force_authenticate(world.member_staff[0].user)
    r = api.post(
        "/api/meeting-decisions/",
        {
            "meeting": meeting.pk,
            "text": "x",
            "owners": [world.members[0].pk],
            "due_date": "2026-03-31",
        },
        format="json",
    )
    assert r.status_code == 403
    assert Decision.objects.count() == 0


def test_M5_decision_links_to_what_it_concerns(world, api, meeting):
    earlier = decide(world, meeting, text="前一项")
    api.force_authenticate(world.office_staff.user)
    r = api.post(
        "/api/meeting-decisions/",
        {
            "meeting": meeting.pk,
            "text": "后一项",
            "owners": [world.members[1].pk],
            "due_date": "2026-03-31",
            "links": [{"type": "meetings.decision", "id": str(earlier.pk)}],
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["links"] == [
        {"type": "meetings.decision", "id": str(earlier.pk), "repr": str(earlier)}
    ]


# ---- progress, verification, closure ---------------------------------------------------


def test_M5_progress_by_a_unit_that_does_not_own_it_is_refused(world, api, meeting):
    d = decide(world, meeting, owners=[world.members[0]])
    before = counts(DecisionProgress)
    # A fellow participant that does not own it does not even see it…
    api.force_authenticate(world.member_staff[1].user)
    r = api.post(f"/api/meeting-decisions/{d.pk}/progress/", {"text": "已完成"}, format="json")
    assert r.status_code == 404
    # …the office sees it, but progress is the owners' to report.
    api.force_authenticate(world.office_staff.user)
    r = api.post(f"/api/meeting-decisions/{d.pk}/progress/", {"text": "已完成"}, format="json")
    assert r.status_code == 403
    assert r.json()["code"] == "not_owner" and "承办单位" in r.json()["message"]
    assert counts(DecisionProgress) == before
    d.refresh_from_db()
    assert d.status == DecisionStatus.OPEN


def test_M5_owners_report_then_the_office_verifies_and_closes(world, api, meeting):
    a, b, _c = world.members
    d = decide(world, meeting, owners=[a, b])
    api.force_authenticate(world.member_staff[0].user)
    r = api.post(f"/api/meeting-decisions/{d.pk}/progress/", {"text": "已摸排12家"}, format="json")
    assert r.status_code == 201 and r.json()["status"] == "open"
    r = api.post(
        f"/api/meeting-decisions/{d.pk}/progress/",
        {"text": "12家全部整改完毕", "completed": True},
        format="json",
    )
    assert r.status_code == 201 and r.json()["status"] == "open"  # b has not reported yet
    owner_a = next(o for o in r.json()["owners"] if o["unit"] == a.pk)
    assert owner_a["obligation_status"] == "done"
    # The office cannot close before every owner has reported.
    api.force_authenticate(world.office_staff.user)
    r = api.post(f"/api/meeting-decisions/{d.pk}/close/", {}, format="json")
    assert r.status_code == 409

    api.force_authenticate(world.member_staff[1].user)
    r = api.post(
        f"/api/meeting-decisions/{d.pk}/progress/",
        {"text": "完成", "completed": True},
        format="json",
    )
    assert r.json()["status"] == "reported"
    r = api.post(f"/api/meeting-decisions/{d.pk}/close/", {}, format="json")
    assert r.status_code == 403  # owners do not close their own decisions

    api.force_authenticate(world.office_staff.user)
    r = api.post(f"/api/meeting-decisions/{d.pk}/close/", {"note": "现场核验属实"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert r.json()["verification_note"] == "现场核验属实"
    assert [h["to"] for h in r.json()["history"]] == ["open", "reported", "closed"]
    r = api.post(f"/api/meeting-decisions/{d.pk}/close/", {}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "transition_not_allowed"


def test_M5_failed_verification_goes_back_with_a_new_due_date(world, api, meeting):
    d = decide(world, meeting)
    services.decision_progress_report(
        actor=world.member_staff[0].user, decision=d, text="完成", completed=True
    )
    api.force_authenticate(world.office_staff.user)
    r = api.post(
        f"/api/meeting-decisions/{d.pk}/reject/",
        {"reason": "现场仍有3家未整改", "due_date": "2026-04-10"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["status"] == "open"
    assert r.json()["due_date"] == "2026-04-10"
    obs = list(decision_obligations(d))
    assert [o.status for o in obs] == [ObligationStatus.DONE, ObligationStatus.OPEN]
    assert obs[1].due_at == at(2026, 4, 10, 23, 59, 59)
    assert d.owners.get().obligation == obs[1]


def test_M5_withdrawal_needs_a_reason_and_cancels_what_is_owed(world, api, meeting):
    d = decide(world, meeting)
    api.force_authenticate(world.office_staff.user)
    r = api.post(f"/api/meeting-decisions/{d.pk}/withdraw/", {"reason": ""}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "reason_required"
    r = api.post(
        f"/api/meeting-decisions/{d.pk}/withdraw/", {"reason": "上级政策调整"}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert decision_obligations(d).get().status == ObligationStatus.CANCELLED
    assert Decision.objects.filter(pk=d.pk).exists()  # never deleted


# ---- overdue → supervision → escalation -------------------------------------------------


def test_M5_overdue_decision_gets_one_supervision_notice_per_sweep_and_escalates(world, meeting):
    a, b, _c = world.members
    d = decide(world, meeting, owners=[a, b], due=dt.date(2026, 3, 20))
    ob_a, ob_b = decision_obligations(d)

    with time_machine.travel(at(2026, 3, 20, 18, 0), tick=False):
        sweep()
    assert Supervision.objects.count() == 0  # due at the end of its day, not before

    # Saturday morning: both owners' obligations are overdue → one notice each.
    with time_machine.travel(at(2026, 3, 21, 9, 0), tick=False):
        first = sweep()
        second = sweep()
    assert first.marked == 2 and second.marked == 0
    notices = list(Supervision.objects.order_by("target__code"))
    assert [(n.target, n.source_obligation) for n in notices] == [(a, ob_a), (b, ob_b)]
    assert all(n.subject == d and n.issuer == world.office_unit for n in notices)
    assert notices[0].number == "测环督〔2026〕1号"
    # The notice's own deadline: 5 working days from Saturday → Friday 27 March.
    response_a = notices[0].response_obligation
    assert response_a.kind == "supervision.respond" and response_a.unit == a
    assert response_a.due_at == at(2026, 3, 27, 23, 59, 59)
    assert (
        Notification.objects.filter(
            recipient=world.member_staff[0].user, subject__startswith="督办通知"
        ).count()
        == 1
    )

    # b answers the notice by reporting progress; a stays silent.
    with time_machine.travel(at(2026, 3, 24, 10, 0), tick=False):
        services.decision_progress_report(
            actor=world.member_staff[1].user, decision=d, text="已完成主体整改，正在验收"
        )
        sweep()
    notices[1].refresh_from_db()
    assert notices[1].status == "responded"
    assert notices[1].response_obligation.status == ObligationStatus.DONE
    assert Supervision.objects.count() == 2  # still one per overdue obligation

    # After the notice's deadline the unanswered one escalates, through the generic sweep.
    d.refresh_from_db()
    assert d.escalated_at is None
    with time_machine.travel(at(2026, 3, 28, 9, 0), tick=False):
        third = sweep()
        fourth = sweep()
    assert third.marked == 1 and third.escalated == 1
    assert fourth.marked == 0 and fourth.escalated == 0
    response_a.refresh_from_db()
    assert response_a.status == ObligationStatus.OVERDUE
    assert response_a.escalated_to == world.office_unit
    d.refresh_from_db()
    assert d.escalated_at == at(2026, 3, 28, 9, 0)
    assert (
        Notification.objects.filter(
            recipient=world.leader.user, subject__startswith="督办逾期未回复"
        ).count()
        == 1
    )
    assert Supervision.objects.count() == 2

    with time_machine.travel(at(2026, 4, 3, 9, 0), tick=False):
        sweep()
    assert Supervision.objects.count() == 2
    assert (
        Notification.objects.filter(
            recipient=world.leader.user, subject__startswith="督办逾期未回复"
        ).count()
        == 1
    )


def test_M5_each_sweep_cycle_supervises_each_newly_overdue_obligation_once(world, meeting):
    """A rejected verification opens a new obligation; when that one goes overdue too it
    is a new cycle with its own notice — never a second notice for the same obligation."""
    d = decide(world, meeting, due=dt.date(2026, 3, 20))
    with time_machine.travel(at(2026, 3, 21, 9, 0), tick=False):
        sweep()
        services.decision_progress_report(
            actor=world.member_staff[0].user, decision=d, text="完成", completed=True
        )
        services.decision_verify_reject(
            actor=world.office_staff.user,
            decision=d,
            reason="未完成",
            due_date=dt.date(2026, 3, 25),
        )
    with time_machine.travel(at(2026, 3, 26, 9, 0), tick=False):
        sweep()
        sweep()
    obs = list(decision_obligations(d))
    assert len(obs) == 2
    assert [Supervision.objects.filter(source_obligation=o).count() for o in obs] == [1, 1]


def test_M5_closed_or_reported_decisions_are_not_chased(world, meeting):
    d = decide(world, meeting, due=dt.date(2026, 3, 20))
    with time_machine.travel(at(2026, 3, 20, 12, 0), tick=False):
        services.decision_progress_report(
            actor=world.member_staff[0].user, decision=d, text="完成", completed=True
        )
    with time_machine.travel(at(2026, 3, 23, 9, 0), tick=False):
        sweep()
    assert Supervision.objects.count() == 0


def test_M5_closing_closes_the_open_notices(world, meeting):
    d = decide(world, meeting, due=dt.date(2026, 3, 20))
    with time_machine.travel(at(2026, 3, 21, 9, 0), tick=False):
        sweep()
    with time_machine.travel(at(2026, 3, 23, 9, 0), tick=False):
        services.decision_progress_report(
            actor=world.member_staff[0].user, decision=d, text="完成", completed=True
        )
        services.decision_close(actor=world.office_staff.user, decision=d)
    notice = Supervision.objects.get()
    assert notice.status == "closed"
    # Completed after its due date: recorded as late (assessment reads this).
    assert decision_obligations(d).get().completed_late is True


# ---- tracker -------------------------------------------------------------------------


def test_M5_tracker_filters_owner_status_overdue(world, api, client, meeting):
    a, b, _c = world.members
    late = decide(world, meeting, owners=[a], due=dt.date(2026, 3, 20), text="甲")
    later = decide(world, meeting, owners=[b], due=dt.date(2026, 4, 30), text="乙")
    with time_machine.travel(at(2026, 3, 23, 9, 0), tick=False):
        api.force_authenticate(world.office_staff.user)

        def ids(q):
            return [row["id"] for row in api.get(f"/api/meeting-decisions/?{q}").json()["results"]]

        assert ids("") == [late.pk, later.pk]
        assert ids("overdue=true") == [late.pk]
        assert ids("overdue=false") == [later.pk]
        assert ids(f"owner={b.pk}") == [later.pk]
        assert ids("status=closed") == []
        # An owner sees only what it owns.
        api.force_authenticate(world.member_staff[0].user)
        assert ids("") == [late.pk]

        client.force_login(world.office_staff.user)
        page = client.get("/meetings/decisions/?overdue=1").content.decode()
        assert "甲" in page and "乙" not in page
        r = client.get("/meetings/decisions/?overdue=1&format=xlsx")
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")


def test_M5_ui_progress_and_close(world, client, meeting):
    d = decide(world, meeting)
    client.force_login(world.member_staff[1].user)
    assert client.post(f"/meetings/decisions/{d.pk}/progress/", {"text": "x"}).status_code == 404
    client.force_login(world.office_staff.user)
    r = client.post(f"/meetings/decisions/{d.pk}/progress/", {"text": "x"})
    assert r.status_code == 403 and "承办单位" in r.content.decode()
    client.force_login(world.member_staff[0].user)
    r = client.post(f"/meetings/decisions/{d.pk}/progress/", {"text": "完成", "completed": "1"})
    assert r.status_code == 302
    client.force_login(world.office_staff.user)
    assert client.post(f"/meetings/decisions/{d.pk}/close/", {"note": "ok"}).status_code == 302
    d.refresh_from_db()
    assert d.status == DecisionStatus.CLOSED
    r = client.post(f"/meetings/decisions/{d.pk}/close/", {"note": "ok"})
    assert r.status_code == 409 and "已核验办结" in r.content.decode()


def test_M5_supervision_deadline_in_an_unknown_year_is_refused_not_counted_in_days(
    world, meeting, caplog
):
    """Issue 15, part 5: the response deadline (5 working days) of a notice issued on
    29 December 2026 falls in 2027, which the calendar does not know. No notice with a
    7-calendar-day deadline is issued: the sweep refuses it and logs the year."""
    from envgrid.core.calendar import WorkCalendar

    assert 2027 not in WorkCalendar().known_years()
    a, _b, _c = world.members
    decide(world, meeting, owners=[a], due=dt.date(2026, 12, 28))
    with time_machine.travel(at(2026, 12, 29, 9, 0), tick=False):
        sweep()
    assert Supervision.objects.count() == 0
    assert not Obligation.objects.filter(kind="supervision.respond").exists()
    assert "UnknownCalendarYear" in caplog.text
    assert "2027" in caplog.text
