"""The joint enforcement flow in a real browser: the organiser drafts the plan, its
leadership approves, the organiser deploys, the lower grid acknowledges and inspects
with two certified officers and a photo, and the finding becomes a case in one step."""

from __future__ import annotations

import pytest

from envgrid.enforcement import services
from envgrid.enforcement.models import Assignment, EnforcementAction, Finding
from envgrid.testing import browser_login

from .factories import END, START, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, user) -> None:
    # browser_login clicks the first submit button, which is the header's logout button
    # when someone is logged in: start each login from a fresh session.
    page.context.clear_cookies()
    browser_login(page, user.username)


def _submit(page, selector: str) -> None:
    page.click(selector)
    page.wait_for_load_state("networkidle")


def test_E3_E4_E5_plan_approve_deploy_acknowledge_inspect_case_in_the_browser(
    ew, browser_page, artifacts_dir, tmp_path
):
    page = browser_page
    org, north = ew.org_staff.user, ew.north_staff.user

    # 1. The organising grid owner drafts the plan (E3).
    _login(page, org)
    page.goto(page.base + "/enforcement/")
    _submit(page, "text=起草行动方案")
    page.fill("#id_title", "浏览器测试专项执法")
    page.select_option("#id_category", "campaign")
    page.select_option("#id_campaign_level", "province")
    page.fill("#id_campaign_doc_ref", "辽环执法〔2026〕3号")
    page.select_option("#id_organiser_grid", str(ew.district.pk))
    page.fill("#id_objectives", "排查化工、电镀企业违法排污")
    page.fill("#id_start_date", START.isoformat())
    page.fill("#id_end_date", END.isoformat())
    # The entity lists are searchable selects (issue 20): typed, then picked.
    for field, entities in (
        ("target_entities", [ew.plant_n, ew.plant_s]),
        ("key_entities", [ew.plant_n]),
    ):
        for entity in entities:
            page.fill(f"#id_{field}_search", entity.name)
            page.locator(f"#id_{field}_results li[role=option]", has_text=entity.name).click()
        chosen = page.eval_on_selector_all(
            f"#id_{field} option:checked", "os => os.map(o => o.value)"
        )
        assert sorted(chosen) == sorted(str(e.pk) for e in entities)
    _submit(page, "form.enf-form button.primary")
    action = EnforcementAction.objects.get()
    assert page.url.endswith(action.get_absolute_url())
    assert "草拟" in page.inner_text("#action-status")

    # Division of labour for the two lower grids; the north unit staffed through the UI
    # (liaison and two certified officers); the other units staff themselves.
    for unit in (ew.north_unit, ew.south_unit):
        p = action.participants.get(unit=unit)
        page.fill(f"#duties-{p.pk}", "负责辖区企业现场检查")
        _submit(page, f"#participant-{p.pk} form[action$='/duties/'] button")
    pn = action.participants.get(unit=ew.north_unit)
    page.click(f"#participant-{pn.pk} details summary")
    page.select_option(f"#liaison-{pn.pk}", str(ew.north_staff.pk))
    _submit(page, f"#participant-{pn.pk} form[action$='/liaison/'] button")
    for officer in ew.north_officers:
        page.select_option(f"#officer-{pn.pk}", str(officer.pk))
        _submit(page, f"#participant-{pn.pk} form[action$='/officer/'] button")
    assert all(o.name in page.inner_text(f"#participant-{pn.pk}") for o in ew.north_officers)
    for unit, liaison in ((ew.organiser, ew.org_staff), (ew.south_unit, ew.south_staff)):
        p = action.participants.get(unit=unit)
        services.liaison_assign(actor=liaison.user, participant=p, person=liaison)

    # E5: the participating units have consulted before approval (recorded on the action).
    from django.utils import timezone

    from envgrid.org.models import Unit

    services.consultation_record(
        actor=org,
        action=action,
        held_on=timezone.localdate(),
        form="meeting",
        units=Unit.objects.filter(pk__in=action.participants.values("unit_id")),
        conclusions="明确分工、检查路线和信息共享方式",
    )

    # 2. The organiser's leadership approves; the plan gets its document number.
    _login(page, ew.org_leader.user)
    page.goto(page.base + action.get_absolute_url())
    _submit(page, "#btn-approve")
    action.refresh_from_db()
    assert action.number and action.number in page.content()

    # 3. The organiser deploys: assignments go to the lower grids with a deadline (E4).
    _login(page, org)
    page.goto(page.base + action.get_absolute_url())
    _submit(page, "#btn-deploy")
    assert "已部署" in page.inner_text("#action-status")
    assignment = Assignment.objects.get(action=action, unit=ew.north_unit)

    # 4. The lower grid acknowledges (there is no way to decline).
    _login(page, north)
    page.goto(page.base + action.get_absolute_url())
    assert "拒绝" not in page.inner_text(f"#assignment-{assignment.pk}")
    page.fill(f"#ack-{assignment.pk}", "收到，立即落实")
    _submit(page, f"#assignment-{assignment.pk} button.primary")
    assert "任务已签收" in page.content()
    assignment.refresh_from_db()
    assert assignment.status == "acknowledged"

    # 5. It inspects the target with two certified officers, a photo and a finding.
    _submit(page, "#btn-inspect")
    photo = tmp_path / "现场.png"
    photo.write_bytes(png_bytes())
    page.select_option("#id_entity", str(ew.plant_n.pk))
    page.fill("#id_inspected_at", f"{START.isoformat()}T08:30")
    for officer in action.officers.filter(person__in=ew.north_officers):
        page.check(f"input[name=officers][value='{officer.pk}']")
    page.fill("#id_summary", "雨水排口有黄色废水排出")
    page.set_input_files("#id_photos", str(photo))
    page.fill("#id_finding_title", "废水直排")
    page.fill("#id_finding_description", "经暗管将电镀废水直排雨水管网")
    page.check("#id_finding_is_key")
    _submit(page, "#btn-save-inspection")
    assert "现场检查已记录" in page.content()
    assert "实施中" in page.inner_text("#action-status")
    img = page.locator(".photos img").first
    assert img.evaluate("el => el.naturalWidth") == 1  # served through the checked view

    # 6. The organiser turns the finding into a case in one step.
    _login(page, org)
    page.goto(page.base + action.get_absolute_url())
    finding = Finding.objects.get()
    _submit(page, f"#finding-{finding.pk} .btn-case")
    assert "已转为案件" in page.content()
    finding.refresh_from_db()
    assert finding.case is not None and finding.case.source == "joint_enforcement"
    assert finding.case.evidence.count() == 1
    link = page.locator(f"#finding-{finding.pk} a.case-link")
    assert link.inner_text() == finding.case_number
    page.screenshot(path=str(artifacts_dir / "enforcement_flow.png"), full_page=True)
