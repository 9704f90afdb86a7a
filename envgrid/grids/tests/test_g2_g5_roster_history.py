"""G2 (named responsibility, visible gaps) and G5 (history, major adjustments); the
escalation resolver that sends overdue items up the grid tree."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.errors import ApplicationError
from envgrid.core.models import AuditEvent
from envgrid.grids import hooks
from envgrid.grids.models import (
    GridAssignment,
    GridHistory,
    GridRole,
    MajorAdjustment,
    StaffingRule,
)
from envgrid.grids.selectors import grid_gaps, major_adjustments_pending
from envgrid.grids.services import (
    grid_assign,
    grid_set_boundary,
    grid_unassign,
    grid_update,
    staffing_rule_set,
)
from envgrid.grids.testing import X0, XM, Y0, Y1, YM, build_square_tree, square
from envgrid.obligations.services import obligation_open, sweep
from envgrid.org.models import PersonRole
from envgrid.testing import make_person

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def tree(world):
    return build_square_tree(world.admin, world)


def staff_up(world, grid, n_staff=2, skip=()):
    unit = grid.owner_unit
    people = {}
    for role in (GridRole.LEADER, GridRole.HEAD, GridRole.SUPERVISOR):
        if role in skip:
            continue
        people[role] = make_person(unit, f"{grid.code}{role}", role=PersonRole.GRID, login=False)
        grid_assign(actor=world.admin, grid=grid, role=role, person=people[role])
    for i in range(n_staff):
        p = make_person(unit, f"{grid.code}网格员{i}", role=PersonRole.GRID, login=False)
        grid_assign(actor=world.admin, grid=grid, role=GridRole.STAFF, person=p, duties="巡查")
    grid_update(actor=world.admin, grid=grid, duties="日常巡查，问题上报。")
    return people


def gaps_by_code(user):
    return {g.grid.code: g for g in grid_gaps(user=user)}


def test_G2_gaps_list_empty_roles_too_few_staff_and_missing_duties(world, tree):
    for code in ("R", "A", "B", "A2", "B2"):
        staff_up(world, tree[code])
    staff_up(world, tree["A1"], skip=(GridRole.HEAD,))
    staff_up(world, tree["B1"], n_staff=1)
    gaps = gaps_by_code(world.admin)
    assert set(gaps) == {"A1", "B1"}
    assert gaps["A1"].missing_roles == ["head"] and not gaps["A1"].staff_short
    assert gaps["B1"].staff_short and gaps["B1"].staff_count == 1 and gaps["B1"].min_staff == 2
    assert "缺网格长" in gaps["A1"].describe()
    grid_update(actor=world.admin, grid=tree["A2"], duties="")
    assert gaps_by_code(world.admin)["A2"].duties_missing


def test_G2_minimum_staff_is_configurable_by_level_and_per_grid(world, tree):
    for code in tree:
        staff_up(world, tree[code], n_staff=1)
    assert set(gaps_by_code(world.admin)) == set(tree)  # default minimum is 2
    staffing_rule_set(actor=world.admin, level=4, min_staff=1)
    assert set(gaps_by_code(world.admin)) == {"R", "A", "B"}
    assert StaffingRule.objects.get(level=4).min_staff == 1
    grid_update(actor=world.admin, grid=tree["A"], min_staff=1)
    grid_update(actor=world.admin, grid=tree["A1"], min_staff=3)
    assert set(gaps_by_code(world.admin)) == {"R", "B", "A1"}


def test_G2_gaps_page_and_xlsx_export(world, tree, client):
    staff_up(world, tree["A1"], skip=(GridRole.SUPERVISOR,))
    client.force_login(world.admin)
    page = client.get("/grids/gaps/").content.decode()
    assert "缺监管员" in page and tree["B2"].name in page
    r = client.get("/grids/gaps/?format=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "网格编码"
    a1 = next(row for row in rows if row[0] == "A1")
    assert "缺监管员" in a1[4]


def test_G2_single_holder_roles_are_replaced_and_the_change_kept(world, tree):
    grid = tree["A1"]
    first = make_person(grid.owner_unit, "老网格长", login=False)
    second = make_person(grid.owner_unit, "新网格长", login=False)
    grid_assign(actor=world.admin, grid=grid, role=GridRole.HEAD, person=first)
    grid_assign(actor=world.admin, grid=grid, role=GridRole.HEAD, person=second)
    active = GridAssignment.objects.filter(grid=grid, role=GridRole.HEAD, ended_at__isnull=True)
    assert [a.person for a in active] == [second]
    old = GridAssignment.objects.get(grid=grid, person=first)
    assert old.ended_at is not None and "新网格长" in old.end_reason
    row = GridHistory.objects.filter(grid=grid, kind="people").order_by("-id").first()
    assert row.before["persons"][0]["name"] == "老网格长"
    assert row.after["persons"][0]["name"] == "新网格长"
    assert row.actor == world.admin
    with pytest.raises(ApplicationError) as exc:
        grid_assign(actor=world.admin, grid=grid, role=GridRole.HEAD, person=second)
    assert exc.value.code == "already_assigned"


def test_G2_owner_of_a_parent_grid_names_people_others_may_not(world, tree, api):
    a_user = world.member_staff[0].user  # owner unit of A, parent of A1
    person = make_person(tree["A1"].owner_unit, "社区网格员", login=False)
    api.force_authenticate(a_user)
    r = api.post(
        f"/api/grids/{tree['A1'].pk}/roster/",
        {"role": "staff", "person": person.pk, "duties": "巡查"},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["person_name"] == "社区网格员"
    api.force_authenticate(world.member_staff[1].user)  # owner of B: cannot see A1
    r = api.post(
        f"/api/grids/{tree['A1'].pk}/roster/", {"role": "staff", "person": person.pk}, format="json"
    )
    assert r.status_code == 404


def test_G5_roster_change_ending_is_recorded_with_reason(world, tree, api):
    people = staff_up(world, tree["B1"])
    assignment = GridAssignment.objects.get(grid=tree["B1"], person=people[GridRole.SUPERVISOR])
    api.force_authenticate(world.admin)
    r = api.post(f"/api/grid-assignments/{assignment.pk}/end/", {"reason": "调离"}, format="json")
    assert r.status_code == 200 and r.json()["ended_at"]
    row = GridHistory.objects.filter(grid=tree["B1"], kind="people").order_by("-id").first()
    assert "调离" in row.summary and row.after["persons"] == []
    assert "supervisor" in gaps_by_code(world.admin)["B1"].missing_roles
    with pytest.raises(ApplicationError):
        grid_unassign(actor=world.admin, assignment=assignment, reason="again")


def test_G5_boundary_change_history_before_after_and_major_adjustment(world, tree, monkeypatch):
    # Only this test's listener: the contract of grids, whatever other apps do with it.
    monkeypatch.setattr(hooks, "_major", [])
    seen = []
    hooks.register_major_adjustment_listener(seen.append)
    old = tree["A1"].boundary
    audit_before = AuditEvent.objects.count()
    # Move the A1|A2 line north: both change, so the tree stays tiled.
    grid_set_boundary(
        actor=world.admin,
        grid=tree["A2"],
        boundary=square(X0, YM + 0.002, XM, Y1),
        major=True,
        summary="甲二社区南部划归甲一社区",
    )
    grid_set_boundary(actor=world.admin, grid=tree["A1"], boundary=square(X0, Y0, XM, YM + 0.002))
    rows = GridHistory.objects.filter(grid=tree["A1"], kind="boundary")
    assert rows.count() == 1
    assert rows[0].before == {"boundary": old} and rows[0].after["boundary"] != old
    assert rows[0].actor_repr and not rows[0].is_major
    adj = MajorAdjustment.objects.get()
    assert adj.grid == tree["A2"] and adj.summary == "甲二社区南部划归甲一社区"
    assert adj.made_by == world.admin and adj.reported_at is None and adj.disclosed_at is None
    assert adj.history.is_major and adj.before["boundary"] == square(X0, YM, XM, Y1)
    assert seen == [adj]
    assert list(major_adjustments_pending("report")) == [adj]
    assert list(major_adjustments_pending("disclosure")) == [adj]
    assert AuditEvent.objects.count() > audit_before


def test_G5_major_adjustment_needs_a_summary(world, tree):
    with pytest.raises(ApplicationError) as exc:
        grid_update(actor=world.admin, grid=tree["A"], duties="新职责", major=True)
    assert exc.value.code == "major_summary_required"
    assert MajorAdjustment.objects.count() == 0


def test_G5_duties_change_marked_major_creates_the_record(world, tree, api):
    api.force_authenticate(world.office_staff.user)
    r = api.patch(
        f"/api/grids/{tree['B'].pk}/",
        {"duties": "新增餐饮油烟巡查", "major": True, "summary": "职责调整：增加油烟巡查"},
        format="json",
    )
    assert r.status_code == 200, r.content
    adj = MajorAdjustment.objects.get()
    assert adj.kind == "duties" and adj.after == {"duties": "新增餐饮油烟巡查"}
    r = api.get("/api/grid-major-adjustments/")
    assert r.json()["results"][0]["summary"] == "职责调整：增加油烟巡查"


def test_G5_grid_page_shows_roster_duties_and_history(world, tree, client):
    staff_up(world, tree["A1"], skip=(GridRole.HEAD,))
    client.force_login(world.admin)
    page = client.get(f"/grids/{tree['A1'].pk}/").content.decode()
    assert "A1supervisor" in page  # the named supervisor
    assert "日常巡查，问题上报。" in page
    assert "空缺" in page  # the missing grid head is shown, not hidden
    assert "任命监管员" in page  # history
    client.force_login(world.member_staff[1].user)
    assert client.get(f"/grids/{tree['A1'].pk}/").status_code == 404


def test_G5_ui_forms_change_roster_and_duties(world, tree, client):
    client.force_login(world.member_staff[0].user)  # owner of A
    person = make_person(tree["A2"].owner_unit, "表单网格员", login=False)
    r = client.post(
        f"/grids/{tree['A2'].pk}/assign/", {"role": "staff", "person": person.pk, "duties": "巡查"}
    )
    assert r.status_code == 302
    assert GridAssignment.objects.filter(grid=tree["A2"], person=person).exists()
    client.post(f"/grids/{tree['A2'].pk}/edit/", {"duties": "表单职责", "min_staff": ""})
    tree["A2"].refresh_from_db()
    assert tree["A2"].duties == "表单职责"


def test_map_page_and_geojson_feed(world, tree, client):
    client.force_login(world.office_staff.user)
    page = client.get("/grids/").content.decode()
    assert "leaflet/leaflet.js" in page and "甲一社区" in page
    fc = client.get("/grids/geojson/").json()
    assert {f["properties"]["code"] for f in fc["features"]} == set(tree)
    r = client.get("/grids/?format=xlsx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")


def test_overdue_item_escalates_to_the_owner_of_the_parent_grid(world, tree):
    community = tree["A1"].owner_unit
    ob = obligation_open(
        unit=community,
        kind="test.grid_escalation",
        title="巡查发现问题的处置反馈",
        rule=DeadlineRule(RuleKind.DAYS, 1),
        start_at=dt.datetime(2025, 6, 2, 9, 0, tzinfo=SH),
        start_event="发现问题",
    )
    with time_machine.travel(dt.datetime(2025, 6, 10, 9, 0, tzinfo=SH), tick=False):
        sweep()
    ob.refresh_from_db()
    assert ob.escalated_to == tree["A"].owner_unit  # the sub-district above the community
