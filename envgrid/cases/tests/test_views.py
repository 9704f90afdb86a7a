"""Staff pages render for who may see them, answer 404 to others, and the forms call the
services (errors shown, nothing written)."""

from __future__ import annotations

import pytest
from django.test import Client

from envgrid.cases import services as S
from envgrid.cases.models import Case, Transfer, TransferStatus

from .conftest import complete_case

pytestmark = pytest.mark.django_db


def _client(person):
    c = Client()
    c.force_login(person.user)
    return c


def test_pages_render_and_scope(tree):
    case = complete_case(tree.ca_staff, point=tree.p_cc, suspected_crime=True)
    t = S.transfer_create(
        actor=tree.ca_staff.user, case=case, transfer_type="jurisdiction", receiver_unit=tree.cc
    )
    c = _client(tree.ca_staff)
    for url in [
        "/cases/",
        "/cases/?status=transferred&flag=suspected_crime&overdue=0&q=偷排",
        f"/cases/?grid={tree.g_root.pk}",
        "/cases/new/",
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/edit/",
        "/cases/transfers/out/",
        "/cases/transfers/in/",
        f"/cases/transfers/{t.pk}/",
        "/cases/disputes/",
        "/cases/overdue/",
    ]:
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code)
    assert case.number.encode() in c.get("/cases/").content
    for url in [
        "/cases/?format=xlsx",
        "/cases/transfers/register.xlsx",
        "/cases/overdue/?format=xlsx",
    ]:
        r = c.get(url)
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml"), url
    other = _client(tree.cb_staff)
    assert other.get(f"/cases/{case.pk}/").status_code == 404
    assert other.get(f"/cases/transfers/{t.pk}/").status_code == 404
    assert other.get(f"/cases/transfers/{t.pk}/letter.docx").status_code == 404
    assert case.number.encode() not in other.get("/cases/").content


def test_case_form_registers_with_evidence_and_shows_rule_errors(tree):
    c = _client(tree.ca_staff)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import PNG

    r = c.post(
        "/cases/new/",
        {
            "title": "表单登记的案件",
            "source": "patrol",
            "discovered_at": "2026-01-05T09:30",
            "input_crs": "wgs84",
            "lon": str(tree.p_ca[0]),
            "lat": str(tree.p_ca[1]),
            "facts": "事实",
            "evidence": [SimpleUploadedFile("a.png", PNG, content_type="image/png")],
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get(title="表单登记的案件")
    assert case.evidence.count() == 1 and case.occurrence_grid == tree.g_ca
    n = Case.objects.count()
    bad = c.post(
        "/cases/new/",
        {
            "title": "x",
            "source": "patrol",
            "discovered_at": "2999-01-01T00:00",
            "input_crs": "wgs84",
        },
    )
    assert bad.status_code == 400 and "时间不能晚于当前时间".encode() in bad.content
    assert Case.objects.count() == n


def test_transfer_form_refuses_incomplete_case_with_checklist(tree):
    case = complete_case(tree.ca_staff, point=tree.p_cc, evidence_count=0)
    c = _client(tree.ca_staff)
    page = c.get(f"/cases/{case.pk}/transfer/")
    assert "附有证据材料".encode() in page.content
    r = c.post(
        f"/cases/{case.pk}/transfer/",
        {"transfer_type": "jurisdiction", "receiver_unit": tree.cc.pk, "feedback_required": "on"},
    )
    assert r.status_code == 400 and "证据".encode() in r.content
    assert not Transfer.objects.exists()


def test_transfer_actions_through_pages(tree):
    case = complete_case(tree.ca_staff, point=tree.p_cc)
    t = S.transfer_create(
        actor=tree.ca_staff.user, case=case, transfer_type="jurisdiction", receiver_unit=tree.cc
    )
    rc = _client(tree.cc_staff)
    r = rc.post(f"/cases/transfers/{t.pk}/action/return/", {"explanation": ""}, follow=True)
    assert "退回须书面说明理由".encode() in r.content
    t.refresh_from_db()
    assert t.status == TransferStatus.SENT
    rc.post(f"/cases/transfers/{t.pk}/action/accept/", {})
    rc.post(f"/cases/transfers/{t.pk}/action/complete/", {"result": "已查处"})
    rc.post(f"/cases/transfers/{t.pk}/action/feedback/", {"text": "结果如下"})
    t.refresh_from_db()
    assert t.status == TransferStatus.FED_BACK


def test_pages_in_english_from_the_catalogue(tree):
    """Chinese is the source language; the English catalogue covers the UI and the
    rule messages (the official documents stay Chinese by design)."""
    import shutil
    import subprocess
    from pathlib import Path

    locale = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES"
    mo = locale / "django.mo"
    if not mo.exists() or mo.stat().st_mtime < (locale / "django.po").stat().st_mtime:
        if shutil.which("msgfmt") is None:
            pytest.skip("msgfmt (gettext) is not installed: run `make messages`")
        subprocess.run(["msgfmt", "-o", str(mo), str(locale / "django.po")], check=True)  # noqa: S603,S607
    from django.utils.translation import trans_real

    trans_real._translations = {}
    trans_real._default = None
    case = complete_case(tree.ca_staff, point=tree.p_cc, suspected_crime=True)
    c = _client(tree.ca_staff)
    c.post("/i18n/setlang/", {"language": "en", "next": "/cases/"})
    page = c.get("/cases/").content.decode()
    assert "Register a case" in page and "Transfers received" in page
    detail = c.get(f"/cases/{case.pk}/").content.decode()
    assert "Jurisdiction (T5)" in detail and "Suspected crime" in detail
    r = c.post(
        f"/cases/{case.pk}/action/close/", {"outcome": "administrative_penalty"}, follow=True
    )
    assert "an administrative penalty may not replace criminal punishment" in r.content.decode()


def test_transfer_confirmations_say_what_happened_with_the_number(tree):
    """Issue 20: accept and return both said "已办理。"."""
    case = complete_case(tree.ca_staff, point=tree.p_cc)
    t = S.transfer_create(
        actor=tree.ca_staff.user, case=case, transfer_type="jurisdiction", receiver_unit=tree.cc
    )
    rc = _client(tree.cc_staff)
    page = rc.post(f"/cases/transfers/{t.pk}/action/accept/", {}, follow=True).content.decode()
    assert f"已受理移送 {t.number}。" in page and "已办理。" not in page
    other = complete_case(tree.ca_staff, point=tree.p_cc)
    t2 = S.transfer_create(
        actor=tree.ca_staff.user, case=other, transfer_type="jurisdiction", receiver_unit=tree.cc
    )
    page = rc.post(
        f"/cases/transfers/{t2.pk}/action/return/", {"explanation": "不属本单位管辖"}, follow=True
    ).content.decode()
    assert f"已退回移送 {t2.number}。" in page


def test_case_timeline_shows_a_return_from_the_receiver_to_the_sender(tree):
    """Issue 20: the timeline said a return went sender → receiver."""
    from envgrid.cases.selectors import case_timeline

    case = complete_case(tree.ca_staff, point=tree.p_cc)
    t = S.transfer_create(
        actor=tree.ca_staff.user, case=case, transfer_type="jurisdiction", receiver_unit=tree.cc
    )
    S.transfer_return(actor=tree.cc_staff.user, transfer=t, explanation="不属本单位管辖")
    texts = [i.text for i in case_timeline(case) if i.kind == "transfer"]
    sent = f"（{tree.ca.name} → {tree.cc.name}）"
    back = f"（{tree.cc.name} → {tree.ca.name}）"
    assert [x for x in texts if "退回" in x] == [f"移送 {t.number}：退回{back}"]
    assert [x for x in texts if "退回" not in x] == [f"移送 {t.number}：移送{sent}"]
