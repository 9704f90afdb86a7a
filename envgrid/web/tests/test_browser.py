"""Browser tests: headless Debian Chromium (Playwright) against the live server. A user
logs in, sees the obligations page in Chinese, switches to English; the API docs page
renders from local assets with every outside request blocked. Screenshots go to
test-artifacts/."""

import datetime as dt
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.obligations.services import obligation_open
from envgrid.testing import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def item(world):
    return obligation_open(
        unit=world.members[0],
        person=world.member_staff[0],
        kind="test.feedback",
        title="反馈查处结果（浏览器测试）",
        rule=DeadlineRule(RuleKind.DAYS, 10),
        start_at=timezone.now() - dt.timedelta(days=1),
        start_event="查处完成",
    )


def test_login_shows_obligations_page_in_chinese_then_english(
    browser_page, world, item, artifacts_dir
):
    page = browser_page
    browser_login(page, world.member_staff[0].user.username)
    assert page.url.rstrip("/") == page.base.rstrip("/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "我的待办"
    assert page.get_by_role("link", name="反馈查处结果（浏览器测试）").is_visible()
    assert page.locator(".synthetic").inner_text().startswith("演示数据均为合成数据")
    page.screenshot(path=str(artifacts_dir / "home-zh.png"), full_page=True)

    # The menu submits itself on change: wait for that navigation, not just for quiet.
    with page.expect_navigation():
        page.select_option("#lang-select", "en")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "My tasks"
    page.screenshot(path=str(artifacts_dir / "home-en.png"), full_page=True)

    with page.expect_navigation():
        page.get_by_role("link", name="反馈查处结果（浏览器测试）").click()
    page.wait_for_load_state("networkidle")
    assert "Clock started" in page.locator(".timeline").inner_text()
    page.screenshot(path=str(artifacts_dir / "obligation-detail-en.png"), full_page=True)


def test_office_person_list_and_register(browser_page, world, item, artifacts_dir):
    page = browser_page
    browser_login(page, world.office_staff.user.username)
    with page.expect_navigation():
        page.get_by_role("link", name="人员", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("table.list tbody tr").count() >= len(world.member_staff)
    page.screenshot(path=str(artifacts_dir / "person-list.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("link", name="逾期登记", exact=True).first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "逾期登记"
    page.screenshot(path=str(artifacts_dir / "register.png"), full_page=True)


def test_api_docs_render_with_local_assets_only(browser_page, world, artifacts_dir):
    page = browser_page
    own = urlparse(page.base).netloc
    outside = []  # URLs the page tried to fetch from anywhere but the live server

    def guard(route):
        url = route.request.url
        if urlparse(url).netloc not in (own, "") and not url.startswith(("data:", "blob:")):
            outside.append(url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    browser_login(page, world.member_staff[0].user.username)
    page.goto(page.base + "/api/docs/")
    # The schema of the whole API takes a while to build; tags render as it arrives.
    page.wait_for_selector(".swagger-ui .info .title", timeout=60000)
    assert "envgrid API" in page.locator(".swagger-ui .info .title").inner_text()
    page.wait_for_selector(".opblock-tag", timeout=60000)
    page.screenshot(path=str(artifacts_dir / "api-docs.png"))
    # Swagger UI renders only the tags inside the viewport: make it tall to see them all.
    page.set_viewport_size({"width": 1366, "height": 40000})
    page.locator(".opblock-tag").nth(2).wait_for(timeout=30000)  # no eval: the CSP forbids it
    tags = {t.split()[0] for t in page.locator(".opblock-tag").all_inner_texts() if t.strip()}
    assert {"org", "obligations", "calendar", "auth"} <= tags
    assert outside == []


def test_phone_width_menu_folds_behind_one_button(browser_page, world, item, artifacts_dir):
    """At 390 px the main navigation is hidden until the 菜单 button is pressed, so the
    page's own content starts near the top; nothing overflows sideways."""
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, world.office_staff.user.username)
    nav = page.locator("nav.main-nav")
    assert not nav.is_visible()
    assert page.locator("h1").bounding_box()["y"] < 260
    page.screenshot(path=str(artifacts_dir / "home-phone.png"))
    page.get_by_text("菜单").click()
    assert nav.is_visible()
    assert nav.get_by_role("link").count() >= 3
    page.screenshot(path=str(artifacts_dir / "home-phone-menu.png"), full_page=True)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390


@pytest.mark.parametrize("width", [1280, 390])
def test_404_page_in_the_layout_at_desktop_and_phone_width(
    browser_page, world, artifacts_dir, width
):
    """Issue 20: an unknown URL shows the site's 404 page with a way back, not Django's
    bare English "Not Found"; nothing overflows sideways on a phone."""
    page = browser_page
    page.set_viewport_size({"width": width, "height": 800})
    browser_login(page, world.office_staff.user.username)
    response = page.goto(page.base + "/no/such/page/")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "页面不存在"
    assert page.get_by_role("link", name="返回上一页").is_visible()
    assert page.locator("header.top").is_visible()
    page.screenshot(path=str(artifacts_dir / f"error-404-{width}.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    with page.expect_navigation():
        page.get_by_role("link", name="返回上一页").click()
    assert page.url.rstrip("/") == page.base.rstrip("/")


@pytest.mark.parametrize("width", [1280, 390])
def test_leader_lands_on_the_overview_and_office_on_its_tasks(
    browser_page, world, item, artifacts_dir, width
):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, world.leader.user.username)
    assert urlparse(page.url).path == "/reporting/"
    page.screenshot(path=str(artifacts_dir / f"home-leader-{width}.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    page.context.clear_cookies()
    browser_login(page, world.office_staff.user.username)
    assert page.locator("h1").inner_text() == "今日工作"
    assert page.get_by_role("link", name="信息公开门户").is_visible()
    page.screenshot(path=str(artifacts_dir / f"home-office-{width}.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


@pytest.fixture
def busy(world):
    """Tasks across the units: overdue in three member units (swept), and for member unit
    0 tasks due today and later, of several kinds."""
    from envgrid.disclosure.models import Publication, PublicationKind, PublicationStatus
    from envgrid.obligations.services import sweep

    now = timezone.now()
    long_ago = now - dt.timedelta(days=30)
    kinds = ["report.due", "transfer.feedback.jurisdiction", "meeting.decision"]
    for i, unit in enumerate(world.members[:3]):
        for j in range(3 - i):
            obligation_open(
                unit=unit,
                person=world.member_staff[i] if i < len(world.member_staff) else None,
                kind=kinds[j % 3],
                title=f"逾期事项 {unit.name} {j + 1}",
                rule=DeadlineRule(RuleKind.DAYS, 5),
                start_at=long_ago,
                start_event="起算",
            )
    sweep()
    for days, kind, title in [
        (0, "report.due", "报送本月工作信息"),
        (12, "meeting.decision", "落实第3次会议议定事项：河道清障"),
        (20, "enforcement.assignment.report", "报告联合执法结果：西河流域专项检查"),
        (40, "test.free", "整理网格员名册"),
    ]:
        obligation_open(
            unit=world.members[0],
            person=world.member_staff[0],
            kind=kind,
            title=title,
            rule=DeadlineRule(RuleKind.DAYS, days),
            start_at=now,
            start_event="起算",
        )
    Publication.objects.create(
        kind=PublicationKind.DUTIES,
        title="职责清单",
        unit=world.office_unit,
        status=PublicationStatus.REVIEWED,
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_office_home_and_unit_home_group_and_count_at_desktop_and_phone_width(
    browser_page, world, busy, artifacts_dir, width
):
    """Issue 20 part 6: the office sees what needs it today (to approve, overdue by unit,
    counted); a unit sees its tasks by kind and due date. Screenshots for review."""
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, world.office_staff.user.username)
    assert page.locator("h1").inner_text() == "今日工作"
    overdue = page.locator('[data-queue="overdue"]')
    assert overdue.locator("li").count() == 3
    assert overdue.locator("li").first.locator(".num").inner_text() == "3"
    assert page.locator('[data-queue="approve"]').get_by_text("公开信息待发布").is_visible()
    page.screenshot(path=str(artifacts_dir / f"home-office-today-{width}.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    page.context.clear_cookies()
    browser_login(page, world.member_staff[0].user.username)
    assert page.locator("h1").inner_text() == "我的待办"
    kinds = page.locator("table.kinds tbody tr")
    assert kinds.count() >= 4
    assert page.locator('[data-bucket="overdue"] h3 .num').inner_text() == "3"
    assert page.get_by_text("落实会议议定事项").first.is_visible()
    page.screenshot(path=str(artifacts_dir / f"home-unit-{width}.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
