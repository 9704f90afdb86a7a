"""The staff pages: what the office and a unit see, exports, the permission-checked file
download, and rules refused with a 4xx and nothing written."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from envgrid.assessment import services
from envgrid.assessment.models import EvidenceFile, IndicatorScore, ScoreAdjustment, UnitEvaluation
from envgrid.testing import official_layout_problems

from .conftest import at, owe

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%synthetic\n%%EOF\n"


def client_for(person):
    c = Client()
    c.force_login(person.user)
    return c


@pytest.fixture
def running(world, small_plan):
    a, _b, _c = world.members
    owe(a, "transfer.feedback", start=at(2025, 3, 3, 9), done=at(2025, 3, 4, 9))
    owe(a, "transfer.feedback", start=at(2025, 4, 1, 9), done=at(2025, 5, 20, 9))
    assessment = services.assessment_open(
        actor=world.director.user, plan=small_plan, at=at(2026, 1, 5, 9)
    )
    ev = UnitEvaluation.objects.get(assessment=assessment, unit=a)
    user = world.member_staff[0].user
    scores = {i.pk: {"score": "20"} for i in small_plan.indicators.all()}
    services.evaluation_self_evaluate(actor=user, evaluation=ev, summary="总结", scores=scores)
    services.evidence_add(
        actor=user,
        evaluation=ev,
        upload=SimpleUploadedFile("建设方案.pdf", PDF),
        indicator=small_plan.indicators.get(code="P"),
    )
    services.evaluation_submit(actor=user, evaluation=ev, at=at(2026, 1, 12, 9))
    return assessment, ev


def test_A3_office_sees_all_units_a_unit_only_its_own(world, running):
    assessment, ev = running
    office = client_for(world.director)
    page = office.get(f"/assessment/{assessment.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    for unit in world.members:
        assert unit.name in html
    unit_client = client_for(world.member_staff[0])
    # The unit's view of the assessment is its own evaluation.
    r = unit_client.get(f"/assessment/{assessment.pk}/")
    assert r.status_code == 302 and r["Location"] == ev.get_absolute_url()
    page = unit_client.get(ev.get_absolute_url())
    assert page.status_code == 200 and "按时反馈" in page.content.decode()
    other = UnitEvaluation.objects.get(assessment=assessment, unit=world.members[1])
    assert unit_client.get(other.get_absolute_url()).status_code == 404
    assert unit_client.get(f"/assessment/{assessment.pk}/ranking/").status_code == 404
    assert client_for(world.outsider).get(ev.get_absolute_url()).status_code == 404
    assert client_for(world.outsider).get(f"/assessment/{assessment.pk}/").status_code == 404
    # The leader reads every unit's line but runs nothing.
    page = client_for(world.leader).get(f"/assessment/{assessment.pk}/")
    assert page.status_code == 200 and "只读" in page.content.decode()
    r = client_for(world.leader).post(f"/assessment/{assessment.pk}/", {"op": "review"})
    assert r.status_code == 200
    assessment.refresh_from_db()
    assert assessment.status == "self_evaluation"


def test_A2_drilldown_page_lists_the_records(world, running):
    assessment, ev = running
    t = assessment.plan.indicators.get(code="T")
    page = client_for(world.director).get(f"/assessment/evaluations/{ev.pk}/drilldown/{t.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("按时</td>") == 1 and html.count("逾期</td>") == 1
    xlsx = client_for(world.director).get(
        f"/assessment/evaluations/{ev.pk}/drilldown/{t.pk}/?format=xlsx"
    )
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3


def test_A3_adjust_on_the_page_without_reason_is_refused(world, running):
    assessment, ev = running
    services.assessment_review_start(actor=world.director.user, assessment=assessment)
    p = assessment.plan.indicators.get(code="P")
    office = client_for(world.director)
    r = office.post(ev.get_absolute_url(), {"op": "adjust", "indicator": p.pk, "score": "5"})
    assert r.status_code == 400 and "调整评分须写明理由" in r.content.decode()
    assert ScoreAdjustment.objects.count() == 0
    assert IndicatorScore.objects.get(evaluation=ev, indicator=p).office_score is None
    r = office.post(
        ev.get_absolute_url(),
        {"op": "adjust", "indicator": p.pk, "score": "5", "reason": "材料不全"},
    )
    assert r.status_code == 302
    assert IndicatorScore.objects.get(evaluation=ev, indicator=p).office_score == Decimal("5")
    # Garbage ids are a clean 404, not a 500.
    r = office.post(ev.get_absolute_url(), {"op": "adjust", "indicator": "x", "score": "5"})
    assert r.status_code == 404


def test_A2_plan_in_use_refused_on_the_page(world, running):
    assessment, _ev = running
    plan = assessment.plan
    r = client_for(world.director).post(
        f"/assessment/plans/{plan.pk}/",
        {"op": "rules", "name": "改名", "self_eval_workdays": "10"},
    )
    assert r.status_code == 409
    plan.refresh_from_db()
    assert plan.name == "测试方案" and plan.self_eval_workdays == 15


def test_evidence_is_served_only_to_who_may_see_it(world, running):
    _assessment, ev = running
    evidence = EvidenceFile.objects.get(evaluation=ev)
    url = f"/assessment/evidence/{evidence.pk}/"
    r = client_for(world.member_staff[0]).get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    assert r["Content-Type"] == "application/pdf"
    assert client_for(world.director).get(url).status_code == 200
    assert client_for(world.member_staff[1]).get(url).status_code == 404
    assert client_for(world.outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page
    # The same through the API, for token clients.
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.member_staff[1].user)
    assert api.get(f"/api/assessment/evidence/{evidence.pk}/download/").status_code == 404
    api.force_authenticate(world.member_staff[0].user)
    r = api.get(f"/api/assessment/evidence/{evidence.pk}/download/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    # Stored under MEDIA_ROOT with a name of ours, not the client's.
    assert evidence.file.name.startswith(f"assessment/evidence/{ev.assessment_id}/")
    assert "建设方案" not in evidence.file.name


def test_A3_exports_ranking_xlsx_and_result_docx(world, running):
    from docx import Document

    assessment, ev = running
    director = world.director.user
    services.assessment_review_start(actor=director, assessment=assessment)
    p = assessment.plan.indicators.get(code="P")
    for unit in (world.members[1], world.members[2], world.government):
        other = UnitEvaluation.objects.get(assessment=assessment, unit=unit)
        services.score_adjust(
            actor=director, evaluation=other, indicator=p, score="10", reason="未提交"
        )
    with time_machine.travel(at(2026, 2, 2, 10), tick=False):
        services.assessment_finalise(actor=director, assessment=assessment)
    office = client_for(world.director)
    r = office.get(f"/assessment/{assessment.pk}/ranking/?format=xlsx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("名次", "单位", "总分", "得分率（%）", "等次")
    by_unit = {row[1]: row for row in rows[1:]}
    # A: T 1 of 2 on time → 20 of 40; R nothing owed → 0; P self 20.
    assert by_unit[world.members[0].name][2] == 40.0
    assert len(rows) == 5
    # After finalisation the unit sees the ranking and downloads its result notice.
    unit_client = client_for(world.member_staff[0])
    assert unit_client.get(f"/assessment/{assessment.pk}/ranking/").status_code == 200
    r = unit_client.get(f"/assessment/evaluations/{ev.pk}/result.docx")
    assert r.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
    assert world.members[0].name in text and "测环考〔2025〕1号" in text
    cells = [
        c.text for t in Document(io.BytesIO(r.content)).tables for row in t.rows for c in row.cells
    ]
    assert "40.00 / 100.00" in cells
    assert official_layout_problems(r.content) == []


def test_list_and_plan_pages_render_with_exports(world, running):
    office = client_for(world.director)
    for url in ("/assessment/", "/assessment/plans/", f"/assessment/plans/{running[0].plan_id}/"):
        assert office.get(url).status_code == 200
    for url in ("/assessment/?format=xlsx", "/assessment/plans/?format=xlsx"):
        r = office.get(url)
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd")
    # A unit sees its own assessment in the list and the plan it is assessed under.
    unit_client = client_for(world.member_staff[0])
    assert "2025" in unit_client.get("/assessment/").content.decode()
    assert unit_client.get(f"/assessment/plans/{running[0].plan_id}/").status_code == 200


def test_pages_in_english_from_the_catalogue(world, running):
    """Chinese is the source language; the app's English catalogue covers its pages and
    its rule messages."""
    import shutil
    import subprocess
    from pathlib import Path

    from django.utils.translation import trans_real

    locale = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES"
    mo = locale / "django.mo"
    if not mo.exists() or mo.stat().st_mtime < (locale / "django.po").stat().st_mtime:
        if shutil.which("msgfmt") is None:
            pytest.skip("msgfmt (gettext) is not installed: run `make messages`")
        subprocess.run(["msgfmt", "-o", str(mo), str(locale / "django.po")], check=True)  # noqa: S603,S607
    trans_real._translations = {}
    trans_real._default = None
    assessment, ev = running
    services.assessment_review_start(actor=world.director.user, assessment=assessment)
    c = client_for(world.director)
    c.post("/i18n/setlang/", {"language": "en", "next": "/assessment/"})
    page = c.get(ev.get_absolute_url()).content.decode()
    assert "Annual work summary" in page and "Reason for adjustment (required)" in page
    p = assessment.plan.indicators.get(code="P")
    r = c.post(ev.get_absolute_url(), {"op": "adjust", "indicator": p.pk, "score": "5"})
    assert r.status_code == 400
    assert "A score adjustment needs a written reason." in r.content.decode()


def _ops(html: str) -> set[str]:
    """The assessment's step forms on the page, by their hidden `op` value."""
    import re

    return set(re.findall(r'name="op" value="(review|finalise)"', html))


def test_assessment_page_buttons_are_the_tables_and_a_forbidden_step_is_refused_409(world, running):
    """Issue 15 part 1: the review/finalise buttons come from `actions_available` (table
    and policy); a step the table forbids is not shown and is refused 409 if posted."""
    from envgrid.core.workflow import actions_available

    assessment, _ev = running
    url = f"/assessment/{assessment.pk}/"
    office, unit = client_for(world.director), client_for(world.member_staff[0])
    assert _ops(office.get(url).content.decode()) == {"review"}
    assert {t.action for t in actions_available(assessment, world.director.user)} == {
        "assessment.review_start"
    }
    assert _ops(unit.get(url).content.decode()) == set()
    assert actions_available(assessment, world.member_staff[0].user) == []
    r = office.post(url, {"op": "finalise"})
    assert r.status_code == 409
    assessment.refresh_from_db()
    assert assessment.status == "self_evaluation"
    assert office.post(url, {"op": "review"}).status_code == 302
    assert _ops(office.get(url).content.decode()) == {"finalise"}
    assert office.post(url, {"op": "review"}).status_code == 409
    assessment.refresh_from_db()
    assert assessment.status == "reviewing"
