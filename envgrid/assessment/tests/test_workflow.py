"""A1–A3 end to end through the API: plan versions, self-evaluation inside the work summary
(an obligation), review with reasoned adjustments, finalisation, ranking, objections."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from envgrid.assessment.models import (
    Assessment,
    AssessmentEvent,
    AssessmentPlan,
    EvaluationStatus,
    Grade,
    IndicatorScore,
    PlanStatus,
    ScoreAdjustment,
    UnitEvaluation,
)
from envgrid.core.models import AuditEvent
from envgrid.obligations.models import Obligation, ObligationStatus

from .conftest import at, owe

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OPENED = at(2026, 1, 5, 9, 0)  # Monday; 15 working days → due 26 Jan 2026


def pdf(name="方案.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def login(api, person):
    api.force_authenticate(person.user)
    return api


@pytest.fixture
def opened(world, small_plan, api):
    with time_machine.travel(OPENED, tick=False):
        r = login(api, world.director).post(
            "/api/assessment/assessments/", {"plan": small_plan.pk}, format="json"
        )
    assert r.status_code == 201, r.content
    return Assessment.objects.get(pk=r.json()["id"])


def ev_of(assessment, unit):
    return UnitEvaluation.objects.get(assessment=assessment, unit=unit)


def self_evaluate(api, world, assessment, idx, scores, *, when, summary="全年工作总结……"):
    staff = world.member_staff[idx]
    ev = ev_of(assessment, world.members[idx])
    plan = assessment.plan
    payload = {
        "summary": summary,
        "scores": [
            {"indicator": plan.indicators.get(code=c).pk, "score": str(s)}
            for c, s in scores.items()
        ],
    }
    with time_machine.travel(when, tick=False):
        login(api, staff)
        r = api.post(
            f"/api/assessment/evaluations/{ev.pk}/self-evaluation/", payload, format="json"
        )
        assert r.status_code == 200, r.content
        r = api.post(
            f"/api/assessment/evaluations/{ev.pk}/evidence/",
            {"file": pdf(), "indicator": plan.indicators.get(code="P").pk},
            format="multipart",
        )
        assert r.status_code == 201, r.content
        r = api.post(f"/api/assessment/evaluations/{ev.pk}/submit/")
    return ev, r


def test_A2_plan_in_use_cannot_be_edited(world, small_plan, opened, api):
    small_plan.refresh_from_db()
    assert small_plan.status == PlanStatus.IN_USE
    login(api, world.director)
    ind = small_plan.indicators.get(code="T")
    r = api.patch(
        f"/api/assessment/plans/{small_plan.pk}/", {"grade_excellent": "95"}, format="json"
    )
    assert r.status_code == 409 and r.json()["code"] == "plan_in_use"
    r = api.patch(f"/api/assessment/indicators/{ind.pk}/", {"weight": "50"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "plan_in_use"
    r = api.delete(f"/api/assessment/indicators/{ind.pk}/")
    assert r.status_code == 409
    r = api.post(
        f"/api/assessment/plans/{small_plan.pk}/indicators/",
        {"code": "X", "category": "operation", "name": "新增", "weight": "5", "source": "review"},
        format="json",
    )
    assert r.status_code == 409
    small_plan.refresh_from_db()
    ind.refresh_from_db()
    assert small_plan.grade_excellent == Decimal("90") and ind.weight == Decimal("40")
    assert small_plan.indicators.count() == 3
    # The way to change it: a new version, a draft copy that can be edited.
    r = api.post(f"/api/assessment/plans/{small_plan.pk}/new-version/")
    assert r.status_code == 201
    new = AssessmentPlan.objects.get(pk=r.json()["id"])
    assert (new.version, new.status, new.based_on_id) == (2, PlanStatus.DRAFT, small_plan.pk)
    assert sorted(new.indicators.values_list("code", flat=True)) == ["P", "R", "T"]
    new_t = new.indicators.get(code="T")
    r = api.patch(f"/api/assessment/indicators/{new_t.pk}/", {"weight": "50"}, format="json")
    assert r.status_code == 200 and r.json()["weight"] == "50.00"
    # Adopting it while nobody has submitted retires the old version, which stays unchanged.
    r = api.post(
        f"/api/assessment/assessments/{opened.pk}/adopt-plan/", {"plan": new.pk}, format="json"
    )
    assert r.status_code == 200, r.content
    small_plan.refresh_from_db()
    assert small_plan.status == PlanStatus.RETIRED
    assert (
        IndicatorScore.objects.filter(evaluation__assessment=opened, indicator=new_t).count() == 4
    )


def test_A3_opening_gives_each_unit_a_self_evaluation_obligation(world, opened):
    evs = list(opened.evaluations.select_related("unit"))
    # Member units other than the office itself.
    assert {e.unit_id for e in evs} == {world.government.pk, *(u.pk for u in world.members)}
    obs = Obligation.objects.filter(kind="assessment.self_evaluation")
    assert obs.count() == 4
    ob = obs.get(unit=world.members[0])
    assert ob.due_at == at(2026, 1, 26, 23, 59, 59)
    assert ob.link == ev_of(opened, world.members[0]).get_absolute_url()


def test_A3_submission_needs_summary_scores_and_evidence_and_discharges_obligation(
    world, opened, api
):
    ev = ev_of(opened, world.members[0])
    login(api, world.member_staff[0])
    with time_machine.travel(at(2026, 1, 12, 9), tick=False):
        r = api.post(f"/api/assessment/evaluations/{ev.pk}/submit/")
        assert r.status_code == 400 and r.json()["code"] == "summary_required"
        plan = opened.plan
        api.post(
            f"/api/assessment/evaluations/{ev.pk}/self-evaluation/",
            {
                "summary": "总结",
                "scores": [{"indicator": i.pk, "score": "10"} for i in plan.indicators.all()],
            },
            format="json",
        )
        r = api.post(f"/api/assessment/evaluations/{ev.pk}/submit/")
        assert r.status_code == 400 and r.json()["code"] == "evidence_missing"
        # Content is checked, not the name: an executable called .pdf is refused.
        fake = SimpleUploadedFile("方案.pdf", b"MZ\x90\x00" + b"\x00" * 200)
        r = api.post(
            f"/api/assessment/evaluations/{ev.pk}/evidence/",
            {"file": fake, "indicator": plan.indicators.get(code="P").pk},
            format="multipart",
        )
        assert r.status_code == 400 and r.json()["code"] == "file_type_refused"
        r = api.post(
            f"/api/assessment/evaluations/{ev.pk}/evidence/",
            {"file": pdf(), "indicator": plan.indicators.get(code="P").pk},
            format="multipart",
        )
        assert r.status_code == 201
        r = api.post(f"/api/assessment/evaluations/{ev.pk}/submit/")
    assert r.status_code == 200, r.content
    ev.refresh_from_db()
    assert ev.status == EvaluationStatus.SUBMITTED and ev.self_total == Decimal("30")
    ob = Obligation.objects.get(kind="assessment.self_evaluation", unit=world.members[0])
    assert ob.status == ObligationStatus.DONE and not ob.completed_late
    # Another member unit may not touch it, nor see it.
    login(api, world.member_staff[1])
    assert api.get(f"/api/assessment/evaluations/{ev.pk}/").status_code == 404


def test_A3_late_self_evaluation_is_recorded_late(world, opened, api):
    _ev, r = self_evaluate(
        api, world, opened, 1, {"T": 40, "R": 30, "P": 30}, when=at(2026, 2, 10, 9)
    )
    assert r.status_code == 200
    ob = Obligation.objects.get(kind="assessment.self_evaluation", unit=world.members[1])
    assert ob.completed_late


def test_A3_adjustment_without_reason_is_refused_and_nothing_written(world, opened, api):
    self_evaluate(api, world, opened, 0, {"T": 40, "R": 30, "P": 30}, when=at(2026, 1, 12, 9))
    login(api, world.director)
    assert api.post(f"/api/assessment/assessments/{opened.pk}/review/").status_code == 200
    ev = ev_of(opened, world.members[0])
    p = opened.plan.indicators.get(code="P")
    audit_before = AuditEvent.objects.count()
    for reason in ("", "   "):
        r = api.post(
            f"/api/assessment/evaluations/{ev.pk}/adjust/",
            {"indicator": p.pk, "score": "20", "reason": reason},
            format="json",
        )
        assert r.status_code == 400 and r.json()["code"] == "reason_required"
    r = api.post(
        f"/api/assessment/evaluations/{ev.pk}/adjust/",
        {"indicator": p.pk, "score": "20"},
        format="json",
    )
    assert r.status_code == 400
    assert ScoreAdjustment.objects.count() == 0
    assert IndicatorScore.objects.get(evaluation=ev, indicator=p).office_score is None
    assert AuditEvent.objects.count() == audit_before
    # With a reason it is taken, recorded with before/after.
    r = api.post(
        f"/api/assessment/evaluations/{ev.pk}/adjust/",
        {"indicator": p.pk, "score": "20", "reason": "建设方案未印发，按细则得一半以上"},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["before"] == "30.00" and r.json()["after"] == "20.00"
    # A member unit cannot adjust (it sees its own evaluation, but is not the office).
    login(api, world.member_staff[0])
    r = api.post(
        f"/api/assessment/evaluations/{ev.pk}/adjust/",
        {"indicator": p.pk, "score": "30", "reason": "自己改"},
        format="json",
    )
    assert r.status_code == 403


def test_A3_review_shows_computed_values_with_records_and_finalise_ranks(world, opened, api):
    a, b, c = world.members
    # Records of the year under assessment: A feedback 1 on time + 1 late; B all on time.
    owe(a, "transfer.feedback", start=at(2025, 3, 3, 9), done=at(2025, 3, 4, 9))
    owe(a, "transfer.feedback", start=at(2025, 4, 1, 9), done=at(2025, 5, 20, 9))
    owe(b, "transfer.feedback", start=at(2025, 3, 3, 9), done=at(2025, 3, 4, 9))
    owe(a, "report.due", start=at(2025, 5, 6, 9), done=at(2025, 5, 7, 9))
    owe(b, "report.due", start=at(2025, 5, 6, 9), done=at(2025, 5, 7, 9))
    owe(b, "report.due", start=at(2025, 6, 2, 9), done=at(2025, 6, 30, 9))
    self_evaluate(api, world, opened, 0, {"T": 40, "R": 30, "P": 30}, when=at(2026, 1, 12, 9))
    self_evaluate(api, world, opened, 1, {"T": 40, "R": 30, "P": 25}, when=at(2026, 1, 13, 9))
    # Unit C and the government never submit.
    login(api, world.director)
    with time_machine.travel(at(2026, 1, 28, 9), tick=False):
        assert api.post(f"/api/assessment/assessments/{opened.pk}/review/").status_code == 200
        ev_a = ev_of(opened, a)
        detail = api.get(f"/api/assessment/evaluations/{ev_a.pk}/").json()
        t = next(ln for ln in detail["lines"] if ln["code"] == "T")
        assert (t["numerator"], t["denominator"], t["value"]) == (1, 2, "0.5000")
        assert t["computed_score"] == "20.00"
        drill = api.get(
            f"/api/assessment/evaluations/{ev_a.pk}/drilldown/", {"indicator": t["indicator"]}
        ).json()
        assert drill["total"] == 2 and sorted(r[-1] for r in drill["rows"]) == ["按时", "逾期"]
        # Unscored review indicators (no self-evaluation) block finalisation.
        r = api.post(f"/api/assessment/assessments/{opened.pk}/finalise/")
        assert r.status_code == 400 and r.json()["code"] == "scores_missing"
        p = opened.plan.indicators.get(code="P")
        for unit, score in ((c, "10"), (world.government, "0")):
            r = api.post(
                f"/api/assessment/evaluations/{ev_of(opened, unit).pk}/adjust/",
                {"indicator": p.pk, "score": score, "reason": "未提交自评，按现场检查评分"},
                format="json",
            )
            assert r.status_code == 201
        r = api.post(f"/api/assessment/assessments/{opened.pk}/finalise/")
    assert r.status_code == 200, r.content
    opened.refresh_from_db()
    assert opened.status == "finalised" and opened.document_number == "测环考〔2025〕1号"
    # A: T 20 + R 30 + P 30 = 80; B: 40 + 15 + 25 = 80; C: 40 (nothing owed) + 0 + 10 = 50;
    # government: 40 + 0 + 0 = 40. Ties share a rank.
    got = {e.unit_id: (e.total, e.rank, e.grade) for e in opened.evaluations.all()}
    assert got[a.pk] == (Decimal("80.00"), 1, Grade.GOOD)
    assert got[b.pk] == (Decimal("80.00"), 1, Grade.GOOD)
    assert got[c.pk] == (Decimal("50.00"), 3, Grade.FAIL)
    assert got[world.government.pk] == (Decimal("40.00"), 4, Grade.FAIL)
    ranking = api.get(f"/api/assessment/assessments/{opened.pk}/ranking/").json()
    assert [r["rank"] for r in ranking] == [1, 1, 3, 4]
    # Frozen: a record changing after finalisation does not move the result.
    owe(a, "transfer.feedback", start=at(2025, 6, 2, 9), done=at(2025, 9, 1, 9))
    detail = api.get(f"/api/assessment/evaluations/{ev_a.pk}/").json()
    assert detail["total"] == "80.00"
    assert AssessmentEvent.objects.filter(action="assessment.finalise").count() == 1


def test_A3_grade_thresholds_are_configurable(world, small_plan, api):
    from envgrid.assessment.services import plan_update

    # Defaults (80/60) would make A (70 points) 合格 and B (45) 不合格.
    plan_update(
        actor=world.director.user,
        plan=small_plan,
        grade_good=Decimal("70"),
        grade_pass=Decimal("40"),
    )
    with time_machine.travel(OPENED, tick=False):
        login(api, world.director).post(
            "/api/assessment/assessments/", {"plan": small_plan.pk}, format="json"
        )
    assessment = Assessment.objects.get()
    self_evaluate(api, world, assessment, 0, {"T": 40, "R": 30, "P": 30}, when=at(2026, 1, 12, 9))
    login(api, world.director)
    with time_machine.travel(at(2026, 1, 28, 9), tick=False):
        api.post(f"/api/assessment/assessments/{assessment.pk}/review/")
        p = assessment.plan.indicators.get(code="P")
        for unit in (world.members[1], world.members[2], world.government):
            api.post(
                f"/api/assessment/evaluations/{ev_of(assessment, unit).pk}/adjust/",
                {"indicator": p.pk, "score": "5", "reason": "未提交"},
                format="json",
            )
        assert api.post(f"/api/assessment/assessments/{assessment.pk}/finalise/").status_code == 200
    grades = dict(assessment.evaluations.values_list("unit_id", "grade"))
    # Nothing owed anywhere: T 40 (full) + R 0 (plan says zero when nothing owed) + P.
    assert grades[world.members[0].pk] == Grade.GOOD  # 70
    assert grades[world.members[1].pk] == Grade.PASS  # 45


@pytest.fixture
def finalised(world, opened, api):
    self_evaluate(api, world, opened, 0, {"T": 40, "R": 30, "P": 30}, when=at(2026, 1, 12, 9))
    login(api, world.director)
    with time_machine.travel(at(2026, 1, 28, 9), tick=False):
        api.post(f"/api/assessment/assessments/{opened.pk}/review/")
        p = opened.plan.indicators.get(code="P")
        for unit in (world.members[1], world.members[2], world.government):
            api.post(
                f"/api/assessment/evaluations/{ev_of(opened, unit).pk}/adjust/",
                {"indicator": p.pk, "score": "15", "reason": "未提交自评"},
                format="json",
            )
    # Friday 30 Jan 2026 10:00: the 5-working-day window ends Friday 6 Feb, end of day.
    with time_machine.travel(at(2026, 1, 30, 10), tick=False):
        r = api.post(f"/api/assessment/assessments/{opened.pk}/finalise/")
    assert r.status_code == 200, r.content
    opened.refresh_from_db()
    return opened


def test_A3_objection_window_is_working_days(finalised):
    assert finalised.objection_deadline == at(2026, 2, 6, 23, 59, 59)


def test_A3_objection_after_the_window_is_refused(world, finalised, api):
    ev = ev_of(finalised, world.members[1])
    login(api, world.member_staff[1])
    with time_machine.travel(at(2026, 2, 9, 9), tick=False):
        r = api.post(
            f"/api/assessment/evaluations/{ev.pk}/objections/", {"reason": "有误"}, format="json"
        )
    assert r.status_code == 409 and r.json()["code"] == "objection_window_closed"
    assert ev.objections.count() == 0


def test_A3_objection_within_window_is_decided_and_recorded(world, finalised, api):
    ev_b = ev_of(finalised, world.members[1])
    ev_a = ev_of(finalised, world.members[0])
    # T 40 (nothing owed) + R 0 (nothing owed scores zero in this plan) + P.
    assert (ev_a.total, ev_a.rank) == (Decimal("70.00"), 1)
    assert (ev_b.total, ev_b.rank, ev_b.grade) == (Decimal("55.00"), 2, Grade.FAIL)
    login(api, world.member_staff[1])
    with time_machine.travel(at(2026, 2, 6, 20), tick=False):
        r = api.post(
            f"/api/assessment/evaluations/{ev_b.pk}/objections/",
            {"reason": "我单位建设方案已于2025年3月印发，附件见文号。"},
            format="json",
        )
    assert r.status_code == 201, r.content
    objection_id = r.json()["id"]
    assert Obligation.objects.filter(kind="assessment.objection", unit=world.office_unit).exists()
    # Only the office decides; a decision needs its words.
    r = api.post(
        f"/api/assessment/objections/{objection_id}/decide/",
        {"upheld": True, "decision": "x"},
        format="json",
    )
    assert r.status_code == 403
    login(api, world.director)
    r = api.post(
        f"/api/assessment/objections/{objection_id}/decide/",
        {"upheld": True, "decision": ""},
        format="json",
    )
    assert r.status_code == 400 and r.json()["code"] == "decision_required"
    p = finalised.plan.indicators.get(code="P")
    with time_machine.travel(at(2026, 2, 10, 9), tick=False):
        r = api.post(
            f"/api/assessment/objections/{objection_id}/decide/",
            {
                "upheld": True,
                "decision": "经核，建设方案已印发，P 项改为满分。",
                "adjustments": [{"indicator": p.pk, "score": "30"}],
            },
            format="json",
        )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "upheld" and body["total_before"] == "55.00"
    assert body["total_after"] == "70.00"
    ev_b.refresh_from_db()
    # Re-ranked: now level with A.
    assert (ev_b.total, ev_b.rank, ev_b.grade) == (Decimal("70.00"), 1, Grade.PASS)
    adj = ScoreAdjustment.objects.get(objection_id=objection_id)
    assert (adj.before, adj.after) == (Decimal("15.00"), Decimal("30.00"))
    ob = Obligation.objects.get(kind="assessment.objection")
    assert ob.status == ObligationStatus.DONE
    # A second decision on the same objection is refused.
    r = api.post(
        f"/api/assessment/objections/{objection_id}/decide/",
        {"upheld": False, "decision": "再议"},
        format="json",
    )
    assert r.status_code == 409


def test_A3_visibility_office_all_unit_own_ranking_after_final(world, opened, api):
    ev_a = ev_of(opened, world.members[0])
    ev_b = ev_of(opened, world.members[1])
    login(api, world.member_staff[0])
    ids = {r["id"] for r in api.get("/api/assessment/evaluations/").json()["results"]}
    assert ids == {ev_a.pk}
    assert api.get(f"/api/assessment/evaluations/{ev_b.pk}/").status_code == 404
    # Before finalisation a unit sees no ranking and no office scores.
    assert api.get(f"/api/assessment/assessments/{opened.pk}/ranking/").status_code == 404
    line = api.get(f"/api/assessment/evaluations/{ev_a.pk}/").json()["lines"][0]
    assert "office_score" not in line
    # An outsider sees nothing at all.
    login(api, world.outsider)
    assert api.get(f"/api/assessment/assessments/{opened.pk}/").status_code == 404
    assert api.get(f"/api/assessment/evaluations/{ev_a.pk}/").status_code == 404
    assert api.get("/api/assessment/evaluations/").json()["count"] == 0
    # The office and the leader see every unit.
    login(api, world.director)
    assert api.get("/api/assessment/evaluations/").json()["count"] == 4
    login(api, world.leader)
    assert api.get(f"/api/assessment/assessments/{opened.pk}/ranking/").status_code == 200
    # The leader reads but does not run the assessment.
    assert api.post(f"/api/assessment/assessments/{opened.pk}/review/").status_code == 403


def test_A3_unit_sees_ranking_after_finalisation(world, finalised, api):
    login(api, world.member_staff[2])
    r = api.get(f"/api/assessment/assessments/{finalised.pk}/ranking/")
    assert r.status_code == 200 and len(r.json()) == 4
    evs = api.get("/api/assessment/evaluations/").json()["results"]
    assert len(evs) == 1 and evs[0]["result"]["rank"] == 2


def test_schema_builds_for_the_assessment_api():
    """The app's own part of the OpenAPI schema builds, without warnings (the project-wide
    /api/schema/ is checked by the web app's tests)."""
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    from envgrid.assessment import api_urls

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/", include(api_urls))])
    schema = generator.get_schema(request=None, public=True)
    paths = schema["paths"]
    assert "/api/assessment/evaluations/{id}/adjust/" in paths
    assert "/api/assessment/objections/{id}/decide/" in paths
    assert "/api/assessment/plans/{id}/new-version/" in paths
    assert not GENERATOR_STATS, (
        dict(GENERATOR_STATS._warn_cache),
        dict(GENERATOR_STATS._error_cache),
    )


def test_A2_default_plan_follows_the_seed_and_totals_100(world):
    from envgrid.assessment.indicators import metric_get
    from envgrid.assessment.services import plan_create

    plan = plan_create(actor=world.director.user, leading_group=world.group, year=2025)
    rows = list(plan.indicators.all())
    assert sum(i.weight for i in rows) == Decimal("100")
    cats = {i.category for i in rows}
    assert cats == {"establishment", "operation"}
    metrics_used = {i.metric for i in rows if i.is_computed}
    assert {
        "transfer.on_time",
        "transfer.feedback",
        "meeting.decision",
        "meeting.attendance",
        "enforcement.ack",
        "meeting.task_report",
        "report.due",
        "grids.roles_filled",
    } <= metrics_used
    assert ("patrol.coverage" in metrics_used) == (metric_get("patrol.coverage") is not None)
    # Construction plan, duties, supporting rules: scored in review on evidence.
    assert {i.code for i in rows if i.requires_evidence} == {"A2-1-1", "A2-1-2", "A2-2-1"}
