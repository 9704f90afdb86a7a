"""Org staff pages: scoped lists and pages (unseen = 404), .xlsx exports, edit forms that
refuse bad input with a reason and write nothing."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from envgrid.core.models import AuditEvent
from envgrid.org.models import Delegation, Person, Unit

pytestmark = pytest.mark.django_db


def state():
    return (Unit.objects.count(), Person.objects.count(), AuditEvent.objects.count())


def sheet(response):
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    ws = load_workbook(io.BytesIO(response.content)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_unit_user_gets_404_for_another_units_person_page(client, world):
    client.force_login(world.member_staff[0].user)
    other = world.member_staff[1]
    r = client.get(reverse("org:person_detail", args=[other.pk]))
    assert r.status_code == 404
    assert other.name not in r.content.decode()
    assert client.get(reverse("org:person_edit", args=[other.pk])).status_code == 404
    own = client.get(reverse("org:person_detail", args=[world.member_staff[0].pk]))
    assert own.status_code == 200 and world.member_staff[0].name in own.content.decode()


def test_unit_user_person_list_and_export_hold_only_its_own_people(client, world):
    client.force_login(world.member_staff[0].user)
    page = client.get(reverse("org:person_list")).content.decode()
    assert world.member_staff[0].name in page
    for other in [*world.member_staff[1:], world.director, world.outsider]:
        assert other.name not in page
    rows = sheet(client.get(reverse("org:person_list") + "?format=xlsx"))
    assert rows[0][0] == "姓名"
    assert [r[0] for r in rows[1:]] == [world.member_staff[0].name]


def test_unit_page_of_another_unit_shows_directory_facts_but_not_its_people(client, world):
    client.force_login(world.member_staff[0].user)
    r = client.get(reverse("org:unit_detail", args=[world.members[1].pk]))
    assert r.status_code == 200
    assert world.members[1].name in r.content.decode()
    assert world.member_staff[1].name not in r.content.decode()
    assert client.get(reverse("org:unit_detail", args=[world.outsider_unit.pk])).status_code == 404


def test_office_person_list_filters_and_exports_certificate_status(client, world):
    today = dt.date.today()
    p = world.member_staff[1]
    p.cert_number = "演示执9"
    p.cert_valid_from = today - dt.timedelta(days=900)
    p.cert_valid_to = today - dt.timedelta(days=1)
    p.save()
    client.force_login(world.office_staff.user)
    page = client.get(reverse("org:person_list") + "?cert=expired").content.decode()
    assert p.name in page and world.member_staff[0].name not in page
    rows = sheet(client.get(reverse("org:person_list") + "?cert=expired&format=xlsx"))
    assert len(rows) == 2 and rows[1][0] == p.name and rows[1][9] == "已过期"


def test_bad_filter_on_a_page_is_400_with_reason(client, world):
    client.force_login(world.office_staff.user)
    r = client.get(reverse("org:person_list") + "?role=pope")
    assert r.status_code == 400
    assert "errorlist" in r.content.decode()


def test_unit_list_shows_missing_information_officer_as_a_gap_and_exports(client, world):
    client.force_login(world.office_staff.user)
    page = client.get(reverse("org:unit_list")).content.decode()
    assert 'class="gap"' in page
    rows = sheet(client.get(reverse("org:unit_list") + "?format=xlsx"))
    names = {r[1] for r in rows[1:]}
    assert {u.name for u in world.members} <= names
    assert world.outsider_unit.name not in names


def test_office_adds_a_person_through_the_form(client, world):
    client.force_login(world.office_staff.user)
    url = reverse("org:person_new")
    assert client.get(url).status_code == 200
    r = client.post(
        url,
        {
            "name": "新网格员",
            "unit": world.members[2].pk,
            "role": "grid",
            "cert_number": "",
            "is_active": "on",
        },
    )
    person = Person.objects.get(name="新网格员")
    assert r.status_code == 302 and r["Location"] == reverse("org:person_detail", args=[person.pk])
    assert AuditEvent.objects.filter(action="person.create", object_id=str(person.pk)).exists()


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "unit": "M", "role": "unit"},
        {"name": "某人", "unit": "OUT", "role": "unit"},
        {"name": "某人", "unit": "M", "role": "unit", "cert_number": "X1"},
        {
            "name": "某人",
            "unit": "M",
            "role": "unit",
            "cert_number": "X1",
            "cert_valid_from": "2026-05-01",
            "cert_valid_to": "2026-01-01",
        },
        {"name": "某人", "unit": "M", "role": "wizard"},
    ],
)
def test_person_form_bad_input_is_400_with_reason_and_writes_nothing(client, world, data):
    client.force_login(world.office_staff.user)
    subst = {"M": world.members[0].pk, "OUT": world.outsider_unit.pk}
    data = {k: subst.get(v, v) for k, v in data.items()}
    before = state()
    r = client.post(reverse("org:person_new"), data)
    assert r.status_code == 400
    assert "errorlist" in r.content.decode()
    assert state() == before


def test_unit_staff_cannot_open_the_person_form(client, world):
    client.force_login(world.member_staff[0].user)
    before = state()
    assert client.get(reverse("org:person_new")).status_code == 403
    r = client.post(reverse("org:person_new"), {"name": "x", "unit": world.members[0].pk})
    assert r.status_code == 403
    assert state() == before


def test_office_edits_a_unit_and_a_refused_rule_shows_on_the_field(client, world):
    client.force_login(world.office_staff.user)
    unit = world.members[0]
    url = reverse("org:unit_edit", args=[unit.pk])
    form = {
        "code": unit.code,
        "name": unit.name,
        "short_name": "成员一",
        "kind": unit.kind,
        "is_active": "on",
    }
    r = client.post(url, form)
    assert r.status_code == 302
    unit.refresh_from_db()
    assert unit.short_name == "成员一"
    before = state()
    r = client.post(url, {**form, "code": world.members[1].code})
    assert r.status_code == 400 and "errorlist" in r.content.decode()
    assert state() == before


def test_group_page_shows_delegations_to_overseers_only(client, world):
    Delegation.objects.create(
        leading_group=world.group,
        grantor=world.leader,
        grantee=world.director,
        purpose="召集联席会议（测试）",
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2026, 12, 31),
    )
    url = reverse("org:group_detail", args=[world.group.pk])
    client.force_login(world.director.user)
    assert "召集联席会议（测试）" in client.get(url).content.decode()
    client.force_login(world.member_staff[0].user)
    r = client.get(url)
    assert r.status_code == 200 and "召集联席会议（测试）" not in r.content.decode()
    client.force_login(world.outsider.user)
    assert client.get(url).status_code == 404


def test_group_list_exports(client, world):
    client.force_login(world.director.user)
    rows = sheet(client.get(reverse("org:group_list") + "?format=xlsx"))
    assert rows[1][0] == world.group.name and rows[1][4] == world.group.member_units.count()


def test_pages_require_login(client, world):
    for name in ("org:unit_list", "org:person_list", "org:group_list"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]
