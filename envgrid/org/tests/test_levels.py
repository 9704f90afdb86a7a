"""Several leading groups (issue 25 part 5): a city-level group above the district's.
Who sees what across levels, both ways, for every scoped model: each app's policies
module is walked and every Policy in it is checked (no list of models is kept here)."""

from __future__ import annotations

import importlib
import pkgutil
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import models

import envgrid
from envgrid.cases.services import case_create
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.policies import Policy
from envgrid.obligations.services import obligation_open
from envgrid.org.models import LeadingGroup, PersonRole, Unit, UnitKind
from envgrid.testing import make_person, make_unit

pytestmark = pytest.mark.django_db

POLICY_MODULES = sorted(
    f"envgrid.{m.name}.policies"
    for m in pkgutil.iter_modules(envgrid.__path__)
    if m.ispkg and importlib.util.find_spec(f"envgrid.{m.name}.policies") is not None
)


def _policies(module: str) -> list[Policy]:
    mod = importlib.import_module(module)
    return [v for v in vars(mod).values() if isinstance(v, Policy)]


@pytest.fixture
def levels(world):
    """The test world's district group under a city group with its own office, leader and
    member unit; one obligation and one case at each level."""
    city_office = make_unit("市生态环境局（演示）", kind=UnitKind.BUREAU)
    city_gov = make_unit("市人民政府（演示）", kind=UnitKind.GOVERNMENT)
    city_member = make_unit("市住建局（演示）")
    city_leader = make_person(city_gov, "副市长", role=PersonRole.LEADER)
    city_director = make_person(city_office, "市办主任", role=PersonRole.OFFICE)
    city_staff = make_person(city_member, "市住建局工作人员")
    city = LeadingGroup.objects.create(
        name="（演示）市网格化环境监管工作领导小组",
        leader=city_leader,
        office_unit=city_office,
        office_director=city_director,
    )
    city.member_units.set([city_office, city_gov, city_member])
    world.group.parent = city
    world.group.save(update_fields=["parent"])
    rule = DeadlineRule(RuleKind.DAYS, 5)
    obs = {}
    for key, unit in (("district", world.members[0]), ("city", city_member)):
        obs[key] = obligation_open(
            unit=unit,
            kind="meeting.decision",
            title=f"{key} 事项",
            rule=rule,
            start_at=world.members[0].created_at,
            start_event="会议",
        )
    cases = {
        "district": case_create(actor=world.member_staff[0].user, title="区案件", source="patrol"),
        "city": case_create(actor=city_staff.user, title="市案件", source="patrol"),
    }
    return SimpleNamespace(
        city=city,
        city_units={city_office.pk, city_gov.pk, city_member.pk},
        district_units=set(world.group.member_units.values_list("id", flat=True))
        | {world.office_unit.pk},
        city_leader=city_leader,
        city_director=city_director,
        city_staff=city_staff,
        obligations=obs,
        cases=cases,
    )


def _unit_fields(model: type[models.Model]) -> list[str]:
    if model is Unit:
        return ["pk"]
    return [
        f.name
        for f in model._meta.get_fields()
        if getattr(f, "many_to_one", False) and f.related_model is Unit and f.concrete
    ]


def _ids(policy: Policy, user: Any) -> set[Any]:
    return set(policy.scope(user).values_list("pk", flat=True))


@pytest.mark.parametrize("module", POLICY_MODULES)
def test_levels_city_sees_down_district_never_sees_up(module, world, levels):
    checked = 0
    for policy in _policies(module):
        model = policy.model
        city_office = _ids(policy, levels.city_director.user)
        city_leader = _ids(policy, levels.city_leader.user)
        district_office = _ids(policy, world.director.user)
        district_leader = _ids(policy, world.leader.user)
        # Down: whatever the district's office or leader sees, the city's sees too.
        assert district_office <= city_office, (model, district_office - city_office)
        assert district_leader <= city_leader, (model, district_leader - city_leader)
        # Up: nothing of the city's own units reaches a district viewer, and a city
        # member unit sees nothing of the district's units.
        for field in _unit_fields(model):
            for user in (world.director.user, world.leader.user, world.member_staff[0].user):
                leak = policy.scope(user).filter(**{f"{field}__in": levels.city_units})
                assert not leak.exists(), (model, field, user)
            across = policy.scope(levels.city_staff.user).filter(
                **{f"{field}__in": levels.district_units}
            )
            assert not across.exists(), (model, field)
        checked += 1
    assert checked == len(_policies(module))


def test_levels_city_office_sees_district_records_and_not_the_reverse(world, levels):
    from envgrid.cases.policies import case_policy
    from envgrid.obligations.policies import obligation_policy

    district_ob, city_ob = levels.obligations["district"], levels.obligations["city"]
    district_case, city_case = levels.cases["district"], levels.cases["city"]
    assert obligation_policy.can_view(levels.city_director.user, district_ob)
    assert obligation_policy.can_view(levels.city_leader.user, district_ob)
    assert not obligation_policy.can_view(world.director.user, city_ob)
    assert case_policy.can_view(levels.city_director.user, district_case)
    assert not case_policy.can_view(world.director.user, city_case)
    assert not case_policy.can_view(levels.city_staff.user, district_case)


def test_levels_overview_at_each_level(world, levels):
    from envgrid.reporting.dashboard import dashboard_scope

    city = dashboard_scope(levels.city_leader.user)
    district = dashboard_scope(world.leader.user)
    assert city.group == levels.city
    assert world.members[0].pk in city.unit_ids
    assert district.group == world.group
    assert not (set(district.unit_ids) & levels.city_units)
    # The city's viewer may narrow the overview to the district's group.
    narrowed = dashboard_scope(levels.city_director.user, group_id=world.group.pk)
    assert narrowed.group == world.group


def test_levels_assessment_metric_answers_for_units_of_each_level(world, levels):
    from envgrid.assessment.indicators import metric_get

    metric = metric_get("accountability.no_serious")
    unit_ids = [world.members[0].pk, *sorted(levels.city_units)]
    values = metric.compute(2026, unit_ids)
    assert set(values) == set(unit_ids)
