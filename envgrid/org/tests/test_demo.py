"""The org demo step: the synthetic district's leading group, people and role logins."""

import pytest
from django.contrib.auth import authenticate
from django.utils import timezone

from envgrid.core.calendar import WorkCalendar
from envgrid.core.demo import DemoContext, _steps
from envgrid.org import demo
from envgrid.org.models import LeadingGroup, Person, UnitKind
from envgrid.org.selectors import actor_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx():
    context = DemoContext(log=lambda m: None)
    demo.calendar_placeholder_year(context)
    demo.organisations(context)
    return context


def test_org_demo_is_registered_at_order_10():
    # Read the registry directly: demo_steps() would import every app's demo module.
    orders = {name: order for order, name, _fn in _steps}
    assert orders["envgrid.org.demo.organisations"] == 10


def test_demo_builds_the_leading_group_with_its_member_units(ctx):
    # The district's group; the demo also holds a synthetic city group above it.
    group = LeadingGroup.objects.get(parent__isnull=False)
    city = ctx.objects["city_group"]
    assert group.parent == city
    assert LeadingGroup.objects.count() == 2
    assert city.name.startswith("（演示）")
    assert not (set(city.member_units.all()) & set(group.member_units.all()))
    assert group.office_unit == ctx.units["生态环境局"] == ctx.objects["leading_group"].office_unit
    members = set(group.member_units.values_list("short_name", flat=True))
    assert len(members) >= 15
    for key in ("区政府", "住建局", "八田地街道", "纬华街道", "工业园区", "公安分局", "纪委监委"):
        assert key in members
    kinds = set(group.member_units.values_list("kind", flat=True))
    assert {UnitKind.POLICE, UnitKind.DISCIPLINE, UnitKind.JUDICIAL, UnitKind.SUBDISTRICT} <= kinds
    assert group.leader == ctx.persons["leader"]
    assert set(group.deputies.all()) == {ctx.persons["deputy"], ctx.persons["deputy2"]}
    # Keys equal short names, so later steps can look units up either way.
    assert all(unit.short_name == key for key, unit in ctx.units.items())


def test_demo_has_a_login_for_every_role(ctx):
    roles = {}
    for username in ("admin", "director", "office", "leader", "deputy", "unit", "grid"):
        user = authenticate(username=username, password=demo.DEMO_PASSWORD)
        assert user is not None, username
        roles[username] = actor_for(user)
    assert roles["admin"].is_admin
    assert roles["office"].is_office and roles["director"].is_office
    assert roles["leader"].is_leader and roles["deputy"].is_leader
    assert roles["unit"].role == "unit" and not roles["unit"].overseen_group_ids
    assert roles["grid"].role == "grid"
    assert roles["unit"].person.unit == ctx.units["住建局"]


def test_demo_certificates_include_expired_missing_and_valid(ctx):
    today = timezone.localdate()
    officers = [p for k, p in ctx.persons.items() if ".officer" in k]
    expired = [p for p in officers if p.cert_valid_to and p.cert_valid_to < today]
    valid = [p for p in officers if p.cert_valid_on(today)]
    assert len(expired) == 2 and not ctx.persons["住建局.officer2"].cert_number
    assert len(valid) >= 10
    assert all(p.cert_number.startswith("演示") for p in officers if p.cert_number)


def test_demo_leaves_one_information_officer_gap_and_delegation_is_live(ctx):
    gaps = [k for k, u in ctx.units.items() if u.information_officer_id is None]
    assert gaps == ["纬华街道"]
    assert ctx.objects["delegation"].covers(day=timezone.localdate(), scope="meeting.convene")


def test_demo_names_are_synthetic_and_unique(ctx):
    names = list(Person.objects.values_list("name", flat=True))
    assert len(names) == len(set(names))
    assert all(p.phone.startswith("0417-000") for p in Person.objects.all())


def test_demo_calendar_knows_next_year(ctx):
    assert timezone.localdate().year + 1 in WorkCalendar().known_years()
