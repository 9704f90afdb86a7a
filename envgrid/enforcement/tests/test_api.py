"""The REST API of joint enforcement: the whole flow, refusals as 4xx with a reason and
nothing written, and scoping (unseen answers 404)."""

from __future__ import annotations

import json

import pytest
import time_machine

from envgrid.core.models import AuditEvent
from envgrid.enforcement.models import (
    ActionOfficer,
    Assignment,
    EnforcementAction,
    Inspection,
)
from envgrid.testing import make_person

from .factories import END, START, at, deployed, draft, png_bytes, staff_up, upload

pytestmark = pytest.mark.django_db
BASE = "/api/enforcement"


def counts():
    return (
        EnforcementAction.objects.count(),
        Assignment.objects.count(),
        Inspection.objects.count(),
        ActionOfficer.objects.count(),
        AuditEvent.objects.count(),
    )


def payload(ew, **kw):
    data = {
        "title": "化工企业专项执法检查",
        "category": "campaign",
        "campaign_level": "city",
        "campaign_doc_ref": "营环发〔2026〕9号",
        "objectives": "排查化工企业违法排污",
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "organiser_grid": ew.district.pk,
        "targets": [{"entity": ew.plant_n.pk, "is_key": True}, {"entity": ew.plant_s.pk}],
    }
    data.update(kw)
    return data


def test_api_full_flow_plan_approve_deploy_acknowledge_inspect_case(ew, api):
    api.force_authenticate(ew.org_user)
    r = api.post(f"{BASE}/actions/", payload(ew), format="json")
    assert r.status_code == 201, r.json()
    action = r.json()
    assert action["status"] == "draft" and len(action["participants"]) == 3
    people = {
        ew.organiser.pk: (ew.org_staff, ew.org_officers),
        ew.north_unit.pk: (ew.north_staff, ew.north_officers),
        ew.south_unit.pk: (ew.south_staff, ew.south_officers),
    }
    for p in action["participants"]:
        liaison, officers = people[p["unit"]]
        api.force_authenticate(ew.org_user)
        if p["role"] != "organiser":
            r = api.post(f"{BASE}/participants/{p['id']}/duties/", {"duties": "辖区检查"})
            assert r.status_code == 200, r.json()
        api.force_authenticate(liaison.user)
        r = api.post(f"{BASE}/participants/{p['id']}/liaison/", {"person": liaison.pk})
        assert r.status_code == 200, r.json()
        for o in officers:
            r = api.post(f"{BASE}/actions/{action['id']}/officers/", {"person": o.pk})
            assert r.status_code == 201, r.json()
    # E5: the participating units consult before the plan is approved.
    api.force_authenticate(ew.org_user)
    r = api.post(
        f"{BASE}/consultations/",
        {
            "action": action["id"],
            "held_on": "2026-03-02",
            "form": "meeting",
            "units": [p["unit"] for p in action["participants"]],
            "conclusions": "明确分工",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    api.force_authenticate(ew.org_leader.user)
    r = api.post(f"{BASE}/actions/{action['id']}/approve/", {"note": "同意"})
    assert r.status_code == 200 and r.json()["number"]
    api.force_authenticate(ew.org_user)
    r = api.post(f"{BASE}/actions/{action['id']}/deploy/")
    assert r.status_code == 200 and r.json()["status"] == "deployed"

    api.force_authenticate(ew.north_staff.user)
    r = api.get(f"{BASE}/assignments/", {"action": action["id"]})
    mine = [a for a in r.json()["results"] if a["unit"] == ew.north_unit.pk]
    assert len(mine) == 1 and mine[0]["status"] == "pending"
    r = api.post(f"{BASE}/assignments/{mine[0]['id']}/acknowledge/", {"note": "收到"})
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"

    officer_ids = list(
        ActionOfficer.objects.filter(person__in=ew.north_officers).values_list("pk", flat=True)
    )
    with time_machine.travel(at(2026, 3, 3, 11, 0), tick=True):
        r = api.post(
            f"{BASE}/inspections/",
            {
                "action": action["id"],
                "entity": ew.plant_n.pk,
                "inspected_at": "2026-03-03T10:00:00+08:00",
                "officers": officer_ids,
                "summary": "雨水排口有废水排出",
                "photos": [upload()],
                "findings": json.dumps([{"title": "废水直排", "description": "暗管直排"}]),
            },
            format="multipart",
        )
    assert r.status_code == 201, r.json()
    inspection = r.json()
    assert len(inspection["photos"]) == 1 and len(inspection["findings"]) == 1
    photo_url = inspection["photos"][0]["url"]

    api.force_authenticate(ew.org_user)
    finding_id = inspection["findings"][0]["id"]
    with time_machine.travel(at(2026, 3, 3, 15, 0), tick=True):
        r = api.post(f"{BASE}/findings/{finding_id}/case/")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "case_created" and r.json()["case_number"]
    r = api.post(f"{BASE}/findings/{finding_id}/case/")
    assert r.status_code == 409

    # The photo is served only through the permission-checked view.
    from django.test import Client

    c = Client()
    c.force_login(ew.north_staff.user)
    got = c.get(photo_url)
    assert got.status_code == 200 and got["Content-Type"] == "image/png"
    assert b"".join(got.streaming_content) == png_bytes()
    c.force_login(ew.w.outsider.user)
    assert c.get(photo_url).status_code == 404


def test_E1_api_not_joint_answers_400_with_reason_and_writes_nothing(ew, api):
    api.force_authenticate(ew.org_user)
    before = counts()
    r = api.post(
        f"{BASE}/actions/", payload(ew, targets=[{"entity": ew.plant_d.pk}]), format="json"
    )
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "not_joint" and "联合执法" in body["message"]
    assert counts() == before


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"title": ""}, "invalid"),
        ({"category": "party"}, "invalid"),
        ({"end_date": "2026-03-01"}, "period_invalid"),
        ({"targets": [{"entity": 999999}]}, "invalid"),
        ({"targets": []}, "targets_required"),
        ({"campaign_doc_ref": ""}, "campaign_document_required"),
        ({"organiser_grid": None}, "organiser_grid_required"),
    ],
)
def test_api_bad_plan_input_answers_400_and_writes_nothing(ew, api, change, code):
    api.force_authenticate(ew.org_user)
    before = counts()
    r = api.post(f"{BASE}/actions/", payload(ew, **change), format="json")
    assert r.status_code == 400, r.json()
    assert r.json()["code"] == code and r.json()["message"]
    assert counts() == before


def test_E4_api_attempt_to_decline_answers_4xx(ew, api):
    action = deployed(ew)
    a = action.assignments.get(unit=ew.north_unit)
    api.force_authenticate(ew.north_staff.user)
    before = counts()
    r = api.post(f"{BASE}/assignments/{a.pk}/decline/", {"note": "人手不足"})
    assert 400 <= r.status_code < 500
    assert r.json()["code"] == "transition_not_allowed" and "E4" in r.json()["message"]
    r = api.post(f"{BASE}/assignments/{a.pk}/move/", {"to": "declined"})
    assert r.status_code == 409 and r.json()["code"] == "transition_not_allowed"
    r = api.post(f"{BASE}/assignments/{a.pk}/move/", {"to": "cancelled"})
    assert r.status_code == 400
    a.refresh_from_db()
    assert a.status == "pending" and counts() == before


def test_E5_api_officer_certificate_refused_names_officer_and_expiry(ew, api):
    import datetime as dt

    action = draft(ew)
    short = make_person(
        ew.south_unit, "到期前一日执法员", cert=(dt.date(2024, 1, 1), dt.date(2026, 3, 12))
    )
    api.force_authenticate(ew.south_staff.user)
    r = api.post(f"{BASE}/actions/{action.pk}/officers/", {"person": short.pk})
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "certificate_not_valid"
    assert "到期前一日执法员" in body["message"] and "2026-03-12" in body["message"]
    assert not ActionOfficer.objects.filter(person=short).exists()


def test_E5_api_second_liaison_is_refused(ew, api):
    action = draft(ew)
    p = action.participants.get(unit=ew.south_unit)
    api.force_authenticate(ew.south_staff.user)
    assert (
        api.post(f"{BASE}/participants/{p.pk}/liaison/", {"person": ew.south_staff.pk}).status_code
        == 200
    )
    r = api.post(f"{BASE}/participants/{p.pk}/liaison/", {"person": ew.south_officers[0].pk})
    assert r.status_code == 409 and r.json()["code"] == "liaison_exists"
    p.refresh_from_db()
    assert p.liaison == ew.south_staff


def test_api_scoping_unseen_answers_404(ew, api):
    action = deployed(ew)
    a = action.assignments.first()
    api.force_authenticate(ew.w.outsider.user)
    assert api.get(f"{BASE}/actions/{action.pk}/").status_code == 404
    assert api.get(f"{BASE}/assignments/{a.pk}/").status_code == 404
    assert api.post(f"{BASE}/actions/{action.pk}/deploy/").status_code == 404
    assert api.get(f"{BASE}/actions/").json()["count"] == 0
    api.force_authenticate(ew.w.director.user)  # the office sees its leading group's actions
    assert api.get(f"{BASE}/actions/{action.pk}/").status_code == 200


def test_api_unit_cannot_approve_its_own_plan_without_leadership(ew, api):
    action = draft(ew)
    staff_up(ew, action)
    api.force_authenticate(ew.org_user)
    r = api.post(f"{BASE}/actions/{action.pk}/approve/")
    assert r.status_code == 403 and r.json()["code"] == "not_approver"


def test_E4_api_ack_stats_for_assessment(ew, api):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        deployed(ew)
    with time_machine.travel(at(2026, 3, 10, 9, 0), tick=False):
        api.force_authenticate(ew.w.director.user)
        rows = api.get(f"{BASE}/ack-stats/", {"year": 2026}).json()
    by_unit = {r["unit"]: r for r in rows}
    assert by_unit[ew.north_unit.pk]["late"] == 1
    assert by_unit[ew.north_unit.pk]["received"] == 1


def test_api_schema_for_enforcement_builds_without_warnings():
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/", include("envgrid.enforcement.api_urls"))])
    schema = generator.get_schema(request=None, public=True)
    assert "/api/enforcement/assignments/{id}/acknowledge/" in schema["paths"]
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache


def test_api_project_schema_has_no_enforcement_name_collisions(client):
    """The whole /api/schema/ answers 200 and no component of this app collides with
    another app's (component names are global in OpenAPI)."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    ours = [w for w in GENERATOR_STATS._warn_cache if "enforcement" in str(w)]
    assert ours == []
    from envgrid.testing import make_user

    client.force_login(make_user(superuser=True))
    assert client.get("/api/schema/").status_code == 200
