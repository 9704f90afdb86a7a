"""Staff pages of joint enforcement: what each user sees, forms, exports and documents."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from envgrid.enforcement import services
from envgrid.enforcement.models import EnforcementAction, Inspection
from envgrid.testing import official_layout_problems

from .factories import END, START, at, deployed, draft, upload

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_list_page_filters_and_exports_only_visible_actions(ew):
    campaign = deployed(ew)
    incident = draft(
        ew,
        title="突发水污染事件应急处置",
        category="incident",
        campaign_level="",
        campaign_doc_ref="",
        incident_at=at(2026, 3, 1, 22, 0),
        incident_place="北街道河段",
        incident_type="water",
        incident_level="4",
    )
    c = client_for(ew.org_user)
    page = c.get(reverse("enforcement:list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert campaign.title in html and "联合执法行动" in html
    assert incident.title in html
    filtered = c.get(reverse("enforcement:list"), {"category": "incident"}).content.decode()
    assert incident.title in filtered and campaign.title not in filtered
    export = c.get(reverse("enforcement:list"), {"format": "xlsx"})
    ws = load_workbook(io.BytesIO(export.content)).active
    rows = list(ws.values)
    assert rows[0][1] == "行动名称"
    assert {r[1] for r in rows[1:]} == {campaign.title, incident.title}
    outsider = client_for(ew.w.outsider.user).get(reverse("enforcement:list"), {"format": "xlsx"})
    assert len(list(load_workbook(io.BytesIO(outsider.content)).active.values)) == 1


def test_detail_page_for_each_role_and_404_for_others(ew):
    action = deployed(ew)
    url = reverse("enforcement:detail", args=[action.pk])
    org = client_for(ew.org_user).get(url).content.decode()
    assert "录入现场检查" in org and "下级网格任务与签收" in org
    north = client_for(ew.north_staff.user).get(url).content.decode()
    assert "签收" in north and ew.north_unit.name in north
    assert client_for(ew.w.outsider.user).get(url).status_code == 404
    assert client_for(ew.w.director.user).get(url).status_code == 200


def test_create_form_creates_a_draft_and_refuses_not_joint_with_reason(ew):
    c = client_for(ew.org_user)
    form = c.get(reverse("enforcement:create"))
    assert form.status_code == 200 and "行动方案" in form.content.decode()
    data = {
        "title": "区直属单位检查",
        "category": "key_problem",
        "mode": "grid",
        "organiser_grid": ew.district.pk,
        "objectives": "整治",
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "target_entities": [ew.plant_d.pk],
    }
    refused = c.post(reverse("enforcement:create"), data)
    assert refused.status_code == 200
    assert "不属于联合执法" in refused.content.decode()
    assert not EnforcementAction.objects.exists()
    data["target_entities"] = [ew.plant_d.pk, ew.plant_n.pk]
    data["key_entities"] = [ew.plant_n.pk]
    made = c.post(reverse("enforcement:create"), data)
    action = EnforcementAction.objects.get()
    assert made.status_code == 302 and made["Location"] == action.get_absolute_url()
    assert action.targets.get(entity=ew.plant_n).is_key


def test_plan_docx_carries_the_document_number_and_division_of_labour(ew):
    action = deployed(ew)
    r = client_for(ew.north_staff.user).get(reverse("enforcement:plan_docx", args=[action.pk]))
    assert r.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
    assert action.number in text and "行动方案" in text and "一、行动目标" in text
    cells = [
        c.text for t in Document(io.BytesIO(r.content)).tables for row in t.rows for c in row.cells
    ]
    assert ew.north_unit.name + "（下级网格）" in cells and ew.north_staff.name in cells
    assert official_layout_problems(r.content) == []


def test_summary_xlsx_lists_assignments_inspections_and_findings(ew):
    action = deployed(ew)
    officers = list(action.officers.filter(person__in=ew.north_officers))
    with time_machine.travel(at(2026, 3, 3, 11, 0), tick=True):
        services.inspection_create(
            actor=ew.north_staff.user,
            action=action,
            entity=ew.plant_n,
            inspected_at=at(2026, 3, 3, 10, 0),
            officers=officers,
            summary="检查",
            photos=[upload()],
            findings=[services.FindingSpec(title="超标排放", description="COD超标")],
        )
    r = client_for(ew.org_user).get(reverse("enforcement:summary_xlsx", args=[action.pk]))
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["概况", "任务签收", "现场检查", "发现问题"]
    assert [row[1] for row in wb["发现问题"].iter_rows(min_row=2, values_only=True)] == ["超标排放"]
    assert wb["任务签收"].max_row == 3


def test_ui_acknowledge_and_refusal_messages(ew):
    action = deployed(ew)
    a = action.assignments.get(unit=ew.north_unit)
    c = client_for(ew.north_staff.user)
    r = c.post(reverse("enforcement:assignment_step", args=[a.pk, "acknowledge"]), follow=True)
    assert "任务已签收" in r.content.decode()
    a.refresh_from_db()
    assert a.status == "acknowledged"
    # There is no decline route in the UI at all.
    r = c.post(reverse("enforcement:assignment_step", args=[a.pk, "decline"]))
    assert r.status_code == 404


def test_inspection_form_rejects_a_fake_photo_and_writes_nothing(ew):
    action = deployed(ew)
    officers = list(action.officers.filter(person__in=ew.north_officers))
    with time_machine.travel(at(2026, 3, 3, 11, 0), tick=True):
        c = client_for(ew.north_staff.user)  # sessions last a working day
        r = c.post(
            reverse("enforcement:inspection_create", args=[action.pk]),
            {
                "entity": ew.plant_n.pk,
                "inspected_at": "2026-03-03T10:00",
                "officers": [o.pk for o in officers],
                "summary": "检查",
                "photos": [upload("photo.png", b"<?php echo 1; ?>" * 20)],
            },
        )
    assert r.status_code == 200 and "不是允许的类型" in r.content.decode()
    assert not Inspection.objects.exists()


def test_finding_case_is_linked_only_for_viewers_who_may_open_the_case(ew):
    """Issue 20: a participant unit (the police in the report) saw the finding's case as a
    link that led to a 404; it now sees the case number without a link."""
    from envgrid.cases.policies import case_policy
    from envgrid.enforcement.services import FindingSpec

    action = deployed(ew)
    with time_machine.travel(at(2026, 3, 3, 12, 0), tick=True):
        inspection = services.inspection_create(
            actor=ew.north_staff.user,
            action=action,
            entity=ew.plant_n,
            inspected_at=at(2026, 3, 3, 10, 0),
            officers=list(action.officers.filter(person__in=ew.north_officers)),
            summary="现场检查发现废水直排",
            photos=[upload()],
            findings=[FindingSpec(title="废水直排", description="经暗管直排雨水管网")],
        )
        case = services.finding_to_case(actor=ew.org_user, finding=inspection.findings.get())
    url = reverse("enforcement:detail", args=[action.pk])
    link = f'href="{case.get_absolute_url()}"'
    organiser = client_for(ew.org_user)
    assert link in organiser.get(url).content.decode()
    assert organiser.get(case.get_absolute_url()).status_code == 200
    south = ew.south_staff.user
    assert not case_policy.scope(south).filter(pk=case.pk).exists()
    participant = client_for(south)
    page = participant.get(url).content.decode()
    assert case.number in page and link not in page
    assert participant.get(case.get_absolute_url()).status_code == 404


def test_action_and_inspection_forms_have_no_ascii_colons_in_labels(ew):
    """Issue 20: the enforcement forms' labels ended in ASCII ":" unlike every other form."""
    import re

    action = deployed(ew)
    c = client_for(ew.org_user)
    for url in (
        reverse("enforcement:create"),
        reverse("enforcement:inspection_create", args=[action.pk]),
    ):
        page = c.get(url).content.decode()
        labels = re.findall(r"<label[^>]*>(.*?)</label>", page, flags=re.S)
        assert len(labels) > 3, url
        assert [x for x in labels if ":" in x] == [], url
