"""The API: bad input answers 4xx with a reason and writes nothing; lists filter, sort
and paginate without a query per row; visibility; the schema builds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from envgrid.cases import services as S
from envgrid.cases.models import Case, CaseStatus, Evidence, Transfer, TransferStatus
from envgrid.core.models import AuditEvent
from envgrid.obligations.models import Obligation

from .conftest import PDF, complete_case, evidence

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        Transfer.objects.count(),
        Evidence.objects.count(),
        Obligation.objects.count(),
        AuditEvent.objects.count(),
    )


def _refused(resp, status_code: int, code: str | None = None) -> dict:
    assert resp.status_code == status_code, resp.content
    body = resp.json()
    assert body["message"], body
    if code:
        assert body["code"] == code, body
    return body


def test_T3_transfer_without_evidence_is_refused_and_writes_nothing(tree, api):
    case = complete_case(tree.ca_staff, point=tree.p_cc, evidence_count=0)
    api.force_authenticate(tree.ca_staff.user)
    before = counts()
    body = _refused(
        api.post(
            "/api/transfers/",
            {"case": case.pk, "transfer_type": "jurisdiction", "receiver_unit": tree.cc.pk},
        ),
        400,
        "transfer_incomplete",
    )
    assert "evidence" in body["fields"] and "证据" in body["message"]
    assert counts() == before


def test_transfer_to_unknown_unit_is_refused_and_writes_nothing(tree, api):
    case = complete_case(tree.ca_staff, point=tree.p_cc)
    api.force_authenticate(tree.ca_staff.user)
    before = counts()
    body = _refused(
        api.post(
            "/api/transfers/",
            {"case": case.pk, "transfer_type": "jurisdiction", "receiver_unit": 987654},
        ),
        400,
        "invalid",
    )
    assert "receiver_unit" in body["fields"]
    assert counts() == before


def test_transfer_to_oneself_is_refused_and_writes_nothing(tree, api):
    case = complete_case(tree.ca_staff, point=tree.p_cc)
    api.force_authenticate(tree.ca_staff.user)
    before = counts()
    _refused(
        api.post(
            "/api/transfers/",
            {"case": case.pk, "transfer_type": "jurisdiction", "receiver_unit": tree.ca.pk},
        ),
        400,
        "transfer_to_self",
    )
    assert counts() == before


def _sent(tree, api):
    case = complete_case(tree.ca_staff, point=tree.p_cc)
    api.force_authenticate(tree.ca_staff.user)
    resp = api.post(
        "/api/transfers/",
        {
            "case": case.pk,
            "transfer_type": "jurisdiction",
            "receiver_unit": tree.cc.pk,
            "reason": "属地",
        },
    )
    assert resp.status_code == 201, resp.content
    return case, resp.json()


def test_T4_accepting_twice_answers_409_and_writes_nothing(tree, api):
    _case, t = _sent(tree, api)
    api.force_authenticate(tree.cc_staff.user)
    assert api.post(f"/api/transfers/{t['id']}/accept/", {}).status_code == 200
    before = counts()
    _refused(api.post(f"/api/transfers/{t['id']}/accept/", {}), 409, "transfer_not_pending")
    assert counts() == before


def test_T4_return_without_explanation_is_refused_and_writes_nothing(tree, api):
    _case, t = _sent(tree, api)
    api.force_authenticate(tree.cc_staff.user)
    before = counts()
    _refused(
        api.post(f"/api/transfers/{t['id']}/return/", {"explanation": "  "}),
        400,
        "explanation_required",
    )
    _refused(api.post(f"/api/transfers/{t['id']}/return/", {}), 400, "invalid")
    assert counts() == before
    resp = api.post(f"/api/transfers/{t['id']}/return/", {"explanation": "不属本社区"})
    assert resp.status_code == 200 and resp.json()["status"] == TransferStatus.RETURNED


def test_only_the_receiver_accepts_and_others_get_404(tree, api):
    _case, t = _sent(tree, api)
    # The sender sees it but may not accept it.
    _refused(api.post(f"/api/transfers/{t['id']}/accept/", {}), 403)
    api.force_authenticate(tree.cb_staff.user)
    _refused(api.get(f"/api/transfers/{t['id']}/"), 404)
    _refused(api.post(f"/api/transfers/{t['id']}/accept/", {}), 404)


def test_T2_close_with_penalty_refused_via_api(tree, api):
    case = complete_case(tree.ca_staff, point=tree.p_ca, suspected_crime=True)
    api.force_authenticate(tree.ca_staff.user)
    before = counts()
    body = _refused(
        api.post(f"/api/cases/{case.pk}/close/", {"outcome": "administrative_penalty"}),
        409,
        "criminal_transfer_required",
    )
    assert "不得以行政处罚代替刑事处罚" in body["message"]
    assert counts() == before


def test_case_visibility_owner_discoverer_office_admin_others_404(tree, api):
    case = complete_case(tree.ca_staff, point=tree.p_ca)
    w = tree.world
    for person, visible in [
        (tree.ca_staff, True),
        (w.office_staff, True),
        (tree.cb_staff, False),
        (w.outsider, False),
    ]:
        api.force_authenticate(person.user)
        assert api.get(f"/api/cases/{case.pk}/").status_code == (200 if visible else 404)
        ids = [c["id"] for c in api.get("/api/cases/").json()["results"]]
        assert (case.pk in ids) is visible
    api.force_authenticate(w.admin)
    assert api.get(f"/api/cases/{case.pk}/").status_code == 200


def test_case_create_via_api_resolves_place_and_T1(tree, api):
    api.force_authenticate(tree.ca_staff.user)
    resp = api.post(
        "/api/cases/",
        {
            "title": "热线反映异味",
            "source": "hotline",
            "lon": tree.p_cc[0],
            "lat": tree.p_cc[1],
            "input_crs": "wgs84",
            "reported_at": "2026-01-05T09:00:00+08:00",
            "discovered_at": "2026-01-05T10:00:00+08:00",
        },
    )
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["proposed_unit"] == tree.cc.pk and data["owner_unit"] == tree.ca.pk
    assert Obligation.objects.filter(
        kind="transfer.make.jurisdiction", subject_id=str(data["id"])
    ).exists()
    bad = api.post("/api/cases/", {"title": "", "source": "nope"})
    assert bad.status_code == 400 and set(bad.json()["fields"]) >= {"title", "source"}


def test_evidence_type_checked_from_content_and_served_only_to_who_may_see(tree, api):
    case = complete_case(tree.ca_staff, point=tree.p_ca, evidence_count=0)
    api.force_authenticate(tree.ca_staff.user)
    before = counts()
    fake = evidence("恶意.pdf", b"MZ\x90\x00 this is not a pdf at all")
    _refused(
        api.post(f"/api/cases/{case.pk}/evidence/", {"file": fake}, format="multipart"),
        415,
        "file_type_not_allowed",
    )
    assert counts() == before
    ok = api.post(
        f"/api/cases/{case.pk}/evidence/",
        {"file": evidence("../../etc/现场 记录\x00.png", PDF), "description": "笔录"},
        format="multipart",
    )
    assert ok.status_code == 201, ok.content
    ev = ok.json()
    # Named by content (a PDF), path and control characters stripped.
    assert ev["ext"] == "pdf" and ev["original_name"] == "现场 记录.pdf"
    import hashlib

    assert ev["sha256"] == hashlib.sha256(PDF).hexdigest()
    got = api.get(ev["download_url"])
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    assert got["X-Content-Type-Options"] == "nosniff"
    api.force_authenticate(tree.cb_staff.user)
    assert api.get(ev["download_url"]).status_code == 404


def test_evidence_size_limit(tree, api, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 100
    case = complete_case(tree.ca_staff, point=tree.p_ca, evidence_count=0)
    api.force_authenticate(tree.ca_staff.user)
    _refused(
        api.post(
            f"/api/cases/{case.pk}/evidence/",
            {"file": evidence("big.pdf", PDF + b"x" * 200)},
            format="multipart",
        ),
        413,
        "file_too_large",
    )


def test_case_list_filters_sorting_pagination_without_n_plus_1(tree, api):
    for i in range(6):
        complete_case(
            tree.ca_staff,
            point=tree.p_cc if i % 2 else tree.p_ca,
            suspected_crime=(i == 0),
            evidence_count=0,
        )
    api.force_authenticate(tree.world.admin)
    api.get("/api/cases/?page_size=1")  # warm: the actor is memoised on the user
    with CaptureQueriesContext(connection) as few:
        r = api.get("/api/cases/?page_size=2")
    with CaptureQueriesContext(connection) as many:
        r2 = api.get("/api/cases/?page_size=6")
    assert len(r.json()["results"]) == 2 and r.json()["count"] == 6
    assert len(r2.json()["results"]) == 6
    assert len(many.captured_queries) == len(few.captured_queries)
    assert api.get("/api/cases/?flag=suspected_crime").json()["count"] == 1
    assert api.get(f"/api/cases/?grid={tree.g_s2.pk}").json()["count"] == 3
    assert api.get(f"/api/cases/?grid={tree.g_root.pk}").json()["count"] == 6
    assert api.get("/api/cases/?status=registered&source=patrol").json()["count"] == 6
    numbers = [c["number"] for c in api.get("/api/cases/?ordering=number").json()["results"]]
    assert numbers == sorted(numbers)
    assert api.get("/api/cases/?overdue=true").json()["count"] == 0


def test_transfer_inbox_outbox_filters(tree, api):
    _case, t = _sent(tree, api)
    api.force_authenticate(tree.ca_staff.user)
    assert [x["id"] for x in api.get("/api/transfers/?direction=out").json()["results"]] == [
        t["id"]
    ]
    assert api.get("/api/transfers/?direction=in").json()["count"] == 0
    api.force_authenticate(tree.cc_staff.user)
    assert [
        x["id"] for x in api.get("/api/transfers/?direction=in&status=sent").json()["results"]
    ] == [t["id"]]


def test_schema_builds(api, world):
    api.force_authenticate(world.admin)
    resp = api.get("/api/schema/")
    assert resp.status_code == 200
    assert b"/api/transfers/{id}/accept/" in resp.content


def test_transfer_rules_listed(api, world):
    api.force_authenticate(world.office_staff.user)
    rules = api.get("/api/transfer-rules/").json()
    fb = [r for r in rules if r["transfer_type"] == "jurisdiction" and r["step"] == "feedback"]
    assert fb and fb[0]["amount"] == 15 and fb[0]["rule_kind"] == "workdays"


def test_withdraw_and_case_status_round_trip(tree, api):
    case, t = _sent(tree, api)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.TRANSFERRED
    r = api.post(f"/api/transfers/{t['id']}/withdraw/", {"reason": "地址有误，需核实"})
    assert r.status_code == 200
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REGISTERED
    assert S  # services imported for symmetry with other tests


def test_case_dated_before_1949_is_refused_and_writes_nothing(tree, api):
    """A typo such as year 365 is refused: before 1901 Asia/Shanghai has a local-mean-time
    offset that no client can parse (found by schemathesis)."""
    api.force_authenticate(tree.ca_staff.user)
    before = counts()
    resp = api.post(
        "/api/cases/",
        {
            "title": "热线反映异味",
            "source": "hotline",
            "lon": tree.p_cc[0],
            "lat": tree.p_cc[1],
            "input_crs": "wgs84",
            "discovered_at": "0365-01-05T10:00:00+08:00",
        },
    )
    body = _refused(resp, 400, "time_too_early")
    assert "discovered_at" in body["fields"]
    assert counts() == before
