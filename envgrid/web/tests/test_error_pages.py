"""Error pages (issue 20, part 2): 400/403/404/405/500 in the site's layout and language
with a way back; the API keeps its JSON errors."""

import json

import pytest
from django.urls import reverse

from envgrid.core import error_views

pytestmark = pytest.mark.django_db

LAYOUT = 'class="top"'  # the staff header of base.html


def _page(r) -> str:
    assert r["Content-Type"].startswith("text/html"), r["Content-Type"]
    return r.content.decode()


def test_unknown_url_is_a_chinese_404_page_in_the_layout_with_a_way_back(client, world):
    client.force_login(world.member_staff[0].user)
    r = client.get("/no/such/page/")
    assert r.status_code == 404
    page = _page(r)
    assert '<html lang="zh-hans">' in page and LAYOUT in page
    assert "页面不存在" in page and "未找到，或无权查看。" in page
    assert "返回上一页" in page and f'href="{reverse("home")}"' in page
    assert "Not Found" not in page
    # The staff navigation is there, so the user can go on from here.
    assert f'href="{reverse("cases:list")}"' in page


def test_404_page_follows_the_english_switch(client, world):
    client.force_login(world.member_staff[0].user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = _page(client.get("/no/such/page/"))
    assert '<html lang="en">' in page
    assert "Page not found" in page and "Back to the previous page" in page
    assert "页面不存在" not in page


def test_anonymous_404_page_offers_login_and_the_public_portal(client):
    r = client.get("/no/such/page/")
    assert r.status_code == 404
    page = _page(r)
    assert "页面不存在" in page and "登录" in page
    assert f'href="{reverse("disclosure:portal")}"' in page


def test_forbidden_page_is_the_403_page(client, world):
    # The admin site refuses a non-administrator with the site's 403 page.
    client.force_login(world.member_staff[0].user)
    r = client.get("/admin/")
    assert r.status_code == 403
    page = _page(r)
    assert LAYOUT in page and "无权访问" in page and "返回上一页" in page


def test_403_handler_renders_the_page_outside_the_api(rf, world):
    request = rf.get("/cases/")
    request.user = world.member_staff[0].user
    r = error_views.permission_denied(request, None)
    assert r.status_code == 403
    page = r.content.decode()
    assert "无权访问" in page and LAYOUT in page and "403" in page


def test_get_on_a_post_only_url_is_a_styled_405_page(client, world):
    client.force_login(world.office_staff.user)
    url = reverse("org:training_void", args=[1])
    r = client.get(url)
    assert r.status_code == 405
    assert r["Allow"] == "POST"
    page = _page(r)
    assert LAYOUT in page and "请求方式不正确" in page and "返回上一页" in page


def test_400_and_500_pages_are_in_the_layout(rf, world):
    request = rf.get("/cases/")
    request.user = world.member_staff[0].user
    bad = error_views.bad_request(request, None)
    assert bad.status_code == 400 and "请求无效" in bad.content.decode()
    failed = error_views.server_error(request)
    assert failed.status_code == 500
    page = failed.content.decode()
    assert "系统出错了" in page and LAYOUT in page and "返回上一页" in page


def test_api_keeps_json_errors_for_404_and_405(client, world):
    client.force_login(world.member_staff[0].user)
    r = client.get("/api/no/such/endpoint/")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    r = client.delete("/api/obligations/mine/")
    assert r.status_code == 405
    assert r["Content-Type"].startswith("application/json")
    assert set(r.json()) == {"code", "canonical", "message", "fields"}


def test_api_500_is_json(rf):
    r = error_views.server_error(rf.get("/api/cases/"))
    assert r.status_code == 500
    assert json.loads(r.content)["code"] == "server_error"
