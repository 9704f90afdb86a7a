"""The staff shell: Chinese by default with an English switch, the admin site for
administrators only, and the API schema and docs served from local assets."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from envgrid.testing import make_user

pytestmark = pytest.mark.django_db


def test_home_page_is_chinese_by_default(client, world):
    client.force_login(world.member_staff[0].user)
    r = client.get("/")
    page = r.content.decode()
    assert r.status_code == 200
    assert '<html lang="zh-hans">' in page
    assert "我的待办" in page and "逾期登记" in page
    # The nav points at the pages this issue built.
    for name in ("org:unit_list", "org:person_list", "obligations:register"):
        assert f'href="{reverse(name)}"' in page


def test_english_switch_renders_the_page_in_english(client, world):
    client.force_login(world.member_staff[0].user)
    r = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert r.status_code == 302 and r["Location"] == "/"
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "My tasks" in page and "Overdue register" in page and "Log out" in page
    assert "我的待办" not in page
    # The synthetic-data banner is translated too.
    assert "Demo data is synthetic" in page
    # And back.
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "我的待办" in client.get("/").content.decode()


def test_english_pages_of_org_and_register(client, world):
    client.force_login(world.office_staff.user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Certificate status" in client.get(reverse("org:person_list")).content.decode()
    assert "Overdue register" in client.get(reverse("obligations:register")).content.decode()


def test_login_page_is_served_to_anonymous_users(client):
    r = client.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    page = client.get(r["Location"]).content.decode()
    assert '<html lang="zh-hans">' in page and 'id="id_username"' in page


def test_wrong_password_is_refused_with_a_reason(client, world):
    r = client.post(
        "/accounts/login/", {"username": world.member_staff[0].user.username, "password": "x"}
    )
    assert r.status_code == 200 and "用户名或密码不正确" in r.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("who", ["unit", "office", "leader", "staff_flag"])
def test_admin_site_refuses_non_administrators(client, world, who):
    if who == "staff_flag":
        user = make_user("staffer")
        user.is_staff = True  # Django's staff flag alone is not enough
        user.save()
    else:
        user = {
            "unit": world.member_staff[0],
            "office": world.director,
            "leader": world.leader,
        }[who].user
    client.force_login(user)
    for url in ("/admin/", "/admin/org/person/", "/admin/core/calendaryear/add/"):
        assert client.get(url).status_code == 403, url
    r = client.post("/admin/org/unit/add/", {"code": "X", "name": "x", "kind": "bureau"})
    assert r.status_code == 403


def test_admin_site_is_for_administrators(client, world):
    assert client.get("/admin/").status_code == 302  # to the admin login
    client.force_login(world.admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/org/person/").status_code == 200
    # A login links to its person on the user page.
    user = world.member_staff[0].user
    page = client.get(f"/admin/auth/user/{user.pk}/change/").content.decode()
    assert world.member_staff[0].name in page


def test_admin_edit_of_a_person_is_audited(client, world):
    from envgrid.core.models import AuditEvent

    client.force_login(world.admin)
    person = world.member_staff[0]
    r = client.post(
        f"/admin/org/person/{person.pk}/change/",
        {
            "name": person.name,
            "unit": person.unit_id,
            "title": "新职务",
            "phone": "",
            "public_phone": "",
            "is_active": "on",
            "user": person.user_id,
            "role": person.role,
            "cert_number": "",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    ev = AuditEvent.objects.order_by("-seq").first()
    assert ev.action == "admin.org.person.update"
    assert ev.before["title"] == "" and ev.after["title"] == "新职务"
    assert ev.actor == world.admin


def test_api_schema_answers_200_and_lists_the_endpoints(client):
    r = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200
    body = r.content.decode()
    for path in (
        "/api/org/persons/{id}/",
        "/api/obligations/mine/",
        "/api/obligations/{id}/pause/",
        "/api/calendar/years/",
    ):
        assert path in body, path


def test_api_docs_page_uses_local_assets_only(client):
    r = client.get("/api/docs/")
    assert r.status_code == 200
    page = r.content.decode()
    refs = re.findall(r'(?:src|href)="([^"]+)"', page)
    assets = [u for u in refs if u.endswith((".js", ".css", ".png"))]
    assert assets, page[:500]
    for url in refs:
        assert not url.startswith(("http:", "https:", "//")), url
    for url in assets:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")) is not None, url


def test_api_errors_are_json_code_message_fields(client, world):
    client.force_login(world.member_staff[0].user)
    r = client.get("/api/org/persons/999999/")
    assert r.status_code == 404
    # `canonical` is the code in the one vocabulary (core.errors, docs/api.md)
    assert set(r.json()) == {"code", "canonical", "message", "fields"}
    assert r.json()["canonical"] == "not_found"


def test_pages_are_chinese_for_an_english_browser_until_english_is_chosen(client, world):
    client.force_login(world.office_staff.user)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in page and "我的待办" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert 'lang="en"' in page
    # The API still negotiates: a client may ask for English messages.
    anon = client.__class__()
    r = anon.get("/api/cases/?year=x", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code in (401, 403) and r.json()["message"].isascii()


def test_export_sheet_is_named_after_the_list_in_the_users_language(client, world):
    """Issue 20: every export's sheet was named "Sheet1"."""
    import io

    from openpyxl import load_workbook

    client.force_login(world.member_staff[0].user)
    book = load_workbook(io.BytesIO(client.get("/?format=xlsx").content))
    assert book.sheetnames == ["我的待办"]
    assert next(book.active.values)[0] == "事项"
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    book = load_workbook(io.BytesIO(client.get("/?format=xlsx").content))
    assert book.sheetnames == ["My tasks"]
    assert next(book.active.values)[0] == "Item"


def test_sheet_title_drops_characters_excel_refuses():
    from envgrid.core.exports import sheet_title

    assert sheet_title("报送情况 2026/01:[草稿].xlsx") == "报送情况 2026-01--草稿-"
    assert len(sheet_title("很" * 40)) == 31


def test_case_form_styles_live_in_the_shared_stylesheet():
    """Issue 20: the case, transfer and dispute forms were unstyled because their CSS sat in
    cases/_subnav.html, which the form pages do not include."""
    from pathlib import Path

    css = Path(finders.find("web/envgrid.css")).read_text()
    for rule in (".form-grid{", ".form-grid input[type=text]", ".checklist li.missing .mark"):
        assert rule in css, rule
    templates = Path(__file__).resolve().parents[2] / "cases" / "templates" / "cases"
    assert [p.name for p in templates.glob("*.html") if "<style" in p.read_text()] == []


def test_leader_opens_on_the_overview_and_keeps_a_task_list(client, world):
    """Issue 20, part 6: the district head landed on every unit's overdue reports."""
    client.force_login(world.leader.user)
    r = client.get("/")
    assert r.status_code == 302 and r["Location"] == reverse("reporting:dashboard")
    page = client.get("/?view=tasks").content.decode()
    assert "我的待办" in page and 'href="/?view=tasks"' in page


def test_office_and_unit_homes_stay_on_their_tasks_with_portal_and_api_links(client, world):
    for person in (world.director, world.member_staff[0]):
        client.force_login(person.user)
        r = client.get("/")
        assert r.status_code == 200, person.name
        page = r.content.decode()
        assert f'href="{reverse("disclosure:portal")}"' in page
        assert f'href="{reverse("api-docs")}"' in page
        assert 'href="/admin/"' not in page


def test_administrator_home_links_the_admin_site(client, world):
    client.force_login(world.admin)
    page = client.get("/").content.decode()
    assert 'href="/admin/"' in page and "管理后台" in page
