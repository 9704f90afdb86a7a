"""Browser: a unit self-evaluates inside its work summary, the office reviews (an
adjustment with its reason), finalises, and the ranking appears — as people see it.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from envgrid.assessment import services
from envgrid.assessment.models import Grade, UnitEvaluation
from envgrid.testing import browser_login

from .conftest import at, owe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n%synthetic demo evidence\n%%EOF\n"


def test_A3_self_evaluation_review_finalise_ranking(
    browser_page, world, small_plan, artifacts_dir, tmp_path
):
    a, b, c = world.members
    # A's feedback record: one of two on time → T = 20 of 40.
    owe(a, "transfer.feedback", start=at(2025, 3, 3, 9), done=at(2025, 3, 4, 9))
    owe(a, "transfer.feedback", start=at(2025, 4, 1, 9), done=at(2025, 5, 20, 9))
    owe(a, "report.due", start=at(2025, 5, 6, 9), done=at(2025, 5, 7, 9))
    assessment = services.assessment_open(
        actor=world.director.user, plan=small_plan, at=at(2026, 1, 5, 9)
    )
    # B self-evaluates through the services; C and the government never do.
    ev_b = UnitEvaluation.objects.get(assessment=assessment, unit=b)
    b_user = world.member_staff[1].user
    services.evaluation_self_evaluate(
        actor=b_user,
        evaluation=ev_b,
        summary="乙单位年度工作总结",
        scores={i.pk: {"score": str(i.weight)} for i in small_plan.indicators.all()},
    )
    services.evidence_add(
        actor=b_user,
        evaluation=ev_b,
        upload=SimpleUploadedFile("方案.pdf", PDF),
        indicator=small_plan.indicators.get(code="P"),
    )
    services.evaluation_submit(actor=b_user, evaluation=ev_b)

    page = browser_page
    page.on("dialog", lambda d: d.accept())
    ev_a = UnitEvaluation.objects.get(assessment=assessment, unit=a)
    t, r, p = (small_plan.indicators.get(code=x) for x in ("T", "R", "P"))

    # 1. Unit A writes its work summary with its self-scores, saves, uploads its evidence.
    browser_login(page, world.member_staff[0].user.username)
    page.goto(page.base + ev_a.get_absolute_url())
    assert page.locator("#line-T").get_by_text("1 / 2").is_visible()
    page.fill("#summary", "甲单位2025年度网格化环境监管工作总结：已印发建设方案……")
    page.fill(f"#score_{t.pk}", "20")
    page.fill(f"#score_{r.pk}", "30")
    page.fill(f"#score_{p.pk}", "28")
    page.click("button[name=op][value=save]")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("自评已暂存").is_visible()
    pdf = tmp_path / "建设方案.pdf"
    pdf.write_bytes(PDF)
    page.select_option("#ev-indicator", str(p.pk))
    page.set_input_files("#ev-file", str(pdf))
    page.click("#evidence-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#line-P").get_by_text("建设方案.pdf").is_visible()
    page.screenshot(path=str(artifacts_dir / "assessment-self-evaluation.png"), full_page=True)
    page.click("#submit-self")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("自评已提交").is_visible()
    ev_a.refresh_from_db()
    assert ev_a.submitted_at is not None and str(ev_a.self_total) == "78.00"

    # 2. The office starts the review and scores what is missing, with its reasons.
    page.context.clear_cookies()
    browser_login(page, world.director.user.username)
    page.goto(page.base + assessment.get_absolute_url())
    page.click("button:has-text('进入审核')")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("已进入审核阶段").is_visible()
    # Finalising now is refused: C and the government have no score on P.
    page.click("#finalise")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("alert").get_by_text("尚无得分").is_visible()
    for unit, score in ((a, "25"), (c, "12"), (world.government, "6")):
        ev = UnitEvaluation.objects.get(assessment=assessment, unit=unit)
        page.goto(page.base + ev.get_absolute_url())
        page.fill(f"#adj-score-{p.pk}", score)
        # Without a reason the page refuses it and says why.
        page.locator("#line-P form.adjust-form button").click()
        page.wait_for_load_state("networkidle")
        assert page.get_by_role("alert").get_by_text("调整评分须写明理由").is_visible()
        page.fill(f"#adj-score-{p.pk}", score)
        page.fill(
            f"#adj-reason-{p.pk}", "方案未正式印发，按细则扣分" if unit == a else "未提交自评"
        )
        page.locator("#line-P form.adjust-form button").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#line-P").get_by_text("已调整").is_visible()
    page.goto(page.base + ev_a.get_absolute_url())
    page.screenshot(path=str(artifacts_dir / "assessment-review.png"), full_page=True)

    # 3. Finalise and read the ranking.
    page.goto(page.base + assessment.get_absolute_url())
    page.click("#finalise")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("考核结果已定档").first.is_visible()
    page.goto(page.base + f"/assessment/{assessment.pk}/ranking/")
    rows = page.locator("#ranking tbody tr")
    assert rows.count() == 4
    # A: T 20 (1 of 2 on time) + R 30 (1 of 1) + P 25 = 75; B: T 40 (nothing owed) + R 0
    # (nothing owed scores zero in this plan) + P 30 = 70; C: 40 + 0 + 12 = 52; gov: 46.
    expected = [(a, "75.00", "合格"), (b, "70.00", "合格"), (c, "52.00", "不合格")]
    for i, (unit, total, grade) in enumerate(expected):
        text = rows.nth(i).inner_text()
        assert text.startswith(str(i + 1)) and unit.name in text, text
        assert total in text and grade in text, text
    assert world.government.name in rows.nth(3).inner_text()
    page.screenshot(path=str(artifacts_dir / "assessment-ranking.png"), full_page=True)
    grades = dict(assessment.evaluations.values_list("unit_id", "grade"))
    assert (grades[a.pk], grades[c.pk]) == (Grade.PASS, Grade.FAIL)

    # 4. The unit now sees its result and the ranking.
    page.context.clear_cookies()
    browser_login(page, world.member_staff[0].user.username)
    page.goto(page.base + ev_a.get_absolute_url())
    assert page.locator("#total").inner_text() == "75.00"
    page.click("a:has-text('排名')")
    page.wait_for_load_state("networkidle")
    assert page.locator("#ranking tr.mine").inner_text().startswith("1")
