"""T6 through the API and the staff pages: scoped reads, refusals with stable codes,
the finding form opened from the register, the decision and referral by form, exports."""

from __future__ import annotations

import io

import pytest
import time_machine
from openpyxl import load_workbook

from envgrid.accountability.models import AccountabilityProposal, ConsequenceFinding
from envgrid.cases.models import Transfer

from .conftest import at

pytestmark = pytest.mark.django_db


def _finding_via_api(api, world, late, level="serious"):
    api.force_authenticate(world.director.user)
    return api.post(
        "/api/accountability/findings/",
        {
            "obligation": late.overdue.pk,
            "level": level,
            "facts": "未按期反馈，造成重复投诉。",
            "evidence": "投诉登记表",
        },
        format="json",
    )


def test_T6_api_office_records_then_proposes_leader_decides_office_refers(world, late, api):
    with time_machine.travel(at(2026, 3, 20, 10, 0), tick=False):
        r = _finding_via_api(api, world, late)
        assert r.status_code == 201, r.json()
        fid = r.json()["id"]
        r = api.post(
            "/api/accountability/proposals/",
            {"findings": [fid], "facts": "严重逾期。"},
            format="json",
        )
        assert r.status_code == 201, r.json()
        pid = r.json()["id"]
        assert r.json()["units"] == [world.members[0].pk]
        assert r.json()["items"][0]["delay_days"] == 11
        office_decides = api.post(
            f"/api/accountability/proposals/{pid}/decide/",
            {"decision": "referral", "reason": "x"},
            format="json",
        )
        api.force_authenticate(world.leader.user)
        decided = api.post(
            f"/api/accountability/proposals/{pid}/decide/",
            {"decision": "referral", "reason": "移送纪委监委。"},
            format="json",
        )
        api.force_authenticate(world.director.user)
        referred = api.post(
            f"/api/accountability/proposals/{pid}/refer/",
            {"receiver_unit": late.discipline.pk},
            format="json",
        )
    assert office_decides.status_code == 403
    assert office_decides.json()["code"] == "leader_required"
    assert decided.status_code == 200
    assert decided.json()["decision_number"] == "测环问责决〔2026〕1号"
    assert referred.status_code == 200, referred.json()
    assert referred.json()["status"] == "referred"
    transfer = Transfer.objects.get(pk=referred.json()["referral_transfer"])
    assert transfer.transfer_type == "discipline"


def test_T6_api_refusals_have_stable_codes_and_write_nothing(world, late, api):
    api.force_authenticate(world.member_staff[0].user)
    by_unit = api.post(
        "/api/accountability/findings/",
        {"obligation": late.overdue.pk, "level": "none", "facts": "自己认定"},
        format="json",
    )
    api.force_authenticate(world.director.user)
    bad_level = api.post(
        "/api/accountability/findings/",
        {"obligation": late.overdue.pk, "level": "x", "facts": "f"},
        format="json",
    )
    on_time = api.post(
        "/api/accountability/findings/",
        {"obligation": late.on_time.pk, "level": "none", "facts": "f"},
        format="json",
    )
    missing = api.post(
        "/api/accountability/proposals/", {"findings": [999999], "facts": "f"}, format="json"
    )
    assert (by_unit.status_code, by_unit.json()["code"]) == (403, "office_required")
    assert bad_level.status_code == 400
    assert (on_time.status_code, on_time.json()["code"]) == (409, "not_overdue")
    assert missing.status_code == 404
    assert ConsequenceFinding.objects.count() == 0
    assert AccountabilityProposal.objects.count() == 0


def test_T6_outsider_sees_no_finding_or_proposal(world, late, api, client):
    _finding_via_api(api, world, late)
    fid = ConsequenceFinding.objects.get().pk
    api.force_authenticate(world.outsider.user)
    assert api.get("/api/accountability/findings/").json()["count"] == 0
    assert api.get(f"/api/accountability/findings/{fid}/").status_code == 404
    api.force_authenticate(world.member_staff[1].user)
    assert api.get("/api/accountability/findings/").json()["count"] == 0
    # The unit whose item it is sees the finding about it.
    api.force_authenticate(world.member_staff[0].user)
    assert api.get(f"/api/accountability/findings/{fid}/").status_code == 200
    client.force_login(world.outsider.user)
    assert client.get(f"/accountability/findings/{fid}/").status_code == 404


def test_T6_pages_register_link_form_decision_and_exports(world, late, client):
    client.force_login(world.director.user)
    with time_machine.travel(at(2026, 3, 20, 10, 0), tick=False):
        register = client.get("/obligations/register/").content.decode()
        assert f"/accountability/findings/new/?obligation={late.overdue.pk}" in register
        form = client.get(f"/accountability/findings/new/?obligation={late.overdue.pk}")
        assert form.status_code == 200
        no_evidence = client.post(
            f"/accountability/findings/new/?obligation={late.overdue.pk}",
            {"level": "serious", "facts": "事实"},
        )
        made = client.post(
            f"/accountability/findings/new/?obligation={late.overdue.pk}",
            {"level": "serious", "facts": "事实", "evidence": "证据"},
        )
        finding = ConsequenceFinding.objects.get()
        proposed = client.post(
            "/accountability/proposals/new/", {"findings": finding.pk, "facts": "严重逾期"}
        )
    assert no_evidence.status_code == 400
    assert "须列明证据" in no_evidence.content.decode()
    assert made.status_code == 302
    proposal = AccountabilityProposal.objects.get()
    assert proposed.status_code == 302
    client.force_login(world.leader.user)
    page = client.get(proposal.get_absolute_url()).content.decode()
    assert "领导小组决定" in page
    r = client.post(
        f"/accountability/proposals/{proposal.pk}/decide/",
        {"decision": "interview", "reason": "约谈主要负责人"},
    )
    assert r.status_code == 302
    client.force_login(world.director.user)
    for url, rows in (("/accountability/", 2), ("/accountability/findings/", 2)):
        x = client.get(url + "?format=xlsx")
        assert load_workbook(io.BytesIO(x.content)).active.max_row == rows
    assert "约谈" in client.get("/accountability/").content.decode()
