"""Obligation pages: the overdue register (T6) with .xlsx export, the detail page with its
history, and the hand actions — scoped, refused with a reason, nothing half-written."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.models import AuditEvent
from envgrid.obligations.models import Obligation, ObligationEvent, ObligationExtension
from envgrid.obligations.services import obligation_open, sweep

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # World makes several logins per test; PBKDF2's cost would dominate without testing anything.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def state():
    return (
        ObligationEvent.objects.count(),
        ObligationExtension.objects.count(),
        AuditEvent.objects.count(),
        list(Obligation.objects.order_by("pk").values_list("status", "due_at", "paused_since")),
    )


@pytest.fixture
def obs(world):
    with time_machine.travel(at(2025, 9, 28, 10, 0), tick=False):
        return [
            obligation_open(
                unit=unit,
                person=staff,
                kind="test.feedback",
                title=f"反馈查处结果（{unit.name}）",
                rule=DeadlineRule(RuleKind.WORKDAYS, 15),
                start_at=at(2025, 9, 28, 10, 0),
                start_event="查处完成",
            )
            for unit, staff in zip(world.members, world.member_staff, strict=True)
        ]


@pytest.fixture
def overdue(obs):
    with time_machine.travel(at(2025, 10, 27, 9, 0), tick=False):
        sweep()
    return obs


def test_T6_register_page_lists_overdue_items_with_unit_and_person(client, world, overdue):
    client.force_login(world.office_staff.user)
    r = client.get(reverse("obligations:register"))
    assert r.status_code == 200
    page = r.content.decode()
    for ob, staff in zip(overdue, world.member_staff, strict=True):
        assert ob.title in page and staff.name in page
    assert "已逾期" in page


def test_T6_register_export_is_xlsx_with_the_same_rows(client, world, overdue):
    client.force_login(world.office_staff.user)
    r = client.get(reverse("obligations:register") + "?format=xlsx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("事项", "事项类型", "责任单位", "责任人")
    assert {row[0] for row in rows[1:]} == {o.title for o in overdue}
    late = rows[0].index("逾期")
    assert {row[late] for row in rows[1:]} == {"是"}


def test_register_is_scoped_for_a_unit(client, world, overdue):
    client.force_login(world.member_staff[0].user)
    page = client.get(reverse("obligations:register")).content.decode()
    assert overdue[0].title in page and overdue[1].title not in page


def test_register_bad_filter_is_400(client, world, overdue):
    client.force_login(world.office_staff.user)
    r = client.get(reverse("obligations:register") + "?due_after=someday")
    assert r.status_code == 400 and "errorlist" in r.content.decode()


def test_detail_page_shows_history_and_is_404_for_other_units(client, world, overdue):
    client.force_login(world.member_staff[0].user)
    r = client.get(reverse("obligations:detail", args=[overdue[0].pk]))
    page = r.content.decode()
    assert r.status_code == 200
    assert "开始计时" in page and "逾期并升级督办" in page
    assert world.office_unit.name in page  # escalated to the office
    r = client.get(reverse("obligations:detail", args=[overdue[1].pk]))
    assert r.status_code == 404 and overdue[1].title not in r.content.decode()


def test_unit_sees_complete_but_not_approval_forms(client, world, obs):
    client.force_login(world.member_staff[0].user)
    page = client.get(reverse("obligations:detail", args=[obs[0].pk])).content.decode()
    assert reverse("obligations:complete", args=[obs[0].pk]) in page
    assert reverse("obligations:pause", args=[obs[0].pk]) not in page
    client.force_login(world.office_staff.user)
    page = client.get(reverse("obligations:detail", args=[obs[0].pk])).content.decode()
    assert reverse("obligations:pause", args=[obs[0].pk]) in page


def test_office_extends_from_the_page(client, world, obs):
    client.force_login(world.office_staff.user)
    r = client.post(
        reverse("obligations:extend", args=[obs[0].pk]), {"amount": "2", "reason": "案情复杂"}
    )
    assert r.status_code == 302
    obs[0].refresh_from_db()
    assert obs[0].due_at == at(2025, 10, 28, 23, 59, 59)
    page = client.get(reverse("obligations:detail", args=[obs[0].pk])).content.decode()
    assert "案情复杂" in page


@pytest.mark.parametrize(
    "action, data",
    [
        ("extend", {"amount": "0", "reason": "复杂"}),
        ("extend", {"amount": "abc", "reason": "复杂"}),
        ("extend", {"amount": "2", "reason": ""}),
        ("pause", {"reason": ""}),
        ("pause", {"reason": "长" * 301}),
        ("complete", {"note": ""}),
    ],
)
def test_page_actions_bad_input_400_with_reason_and_nothing_written(
    client, world, obs, action, data
):
    client.force_login(world.office_staff.user)
    before = state()
    r = client.post(reverse(f"obligations:{action}", args=[obs[0].pk]), data)
    assert r.status_code == 400
    assert "error-card" in r.content.decode()
    assert state() == before


def test_unit_cannot_pause_its_own_item_from_the_page(client, world, obs):
    client.force_login(world.member_staff[0].user)
    before = state()
    r = client.post(reverse("obligations:pause", args=[obs[0].pk]), {"reason": "歇一歇"})
    assert r.status_code == 403
    assert state() == before
    r = client.post(reverse("obligations:complete", args=[obs[1].pk]), {"note": "x"})
    assert r.status_code == 404
    assert state() == before


def test_actions_require_post(client, world, obs):
    client.force_login(world.office_staff.user)
    assert client.get(reverse("obligations:complete", args=[obs[0].pk])).status_code == 405


def test_home_page_links_to_the_detail(client, world, obs):
    client.force_login(world.member_staff[0].user)
    page = client.get(reverse("home")).content.decode()
    assert reverse("obligations:detail", args=[obs[0].pk]) in page


def test_list_page_exports(client, world, obs):
    client.force_login(world.office_staff.user)
    r = client.get(reverse("obligations:list") + "?format=xlsx&status=open")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + len(obs)
