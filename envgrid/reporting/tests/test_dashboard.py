"""The overview (issue 7 §4): every figure equals an independent brute-force count over
the demo data; figures drill down to exactly their rows; the page renders in a browser.

The brute force walks every row in Python: visibility comes from each app's own policy,
and the period, unit, month, grid, open and overdue rules are re-stated here as plain
Python predicates — none of the dashboard's query code is reused."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from envgrid.grids.models import Grid
from envgrid.obligations.models import Obligation
from envgrid.org.models import LeadingGroup, Person
from envgrid.reporting.dashboard import Period, dashboard_scope, overview
from envgrid.reporting.metrics import metrics
from envgrid.reporting.models import ReportType
from envgrid.reporting.services import dues_generate, report_act, report_create, schedule_create

LIVE = {"open", "overdue"}
SENT = {"submitted", "fed_back", "published", "archived"}
YEAR = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def _walk(obj: Any, path: str) -> list[Any]:
    """Follow a__b__c through FKs and reverse/many relations; a list of leaf values."""
    values = [obj]
    for part in path.split("__"):
        nxt: list[Any] = []
        for v in values:
            if v is None:
                continue
            got = getattr(v, part)
            if hasattr(got, "all") and callable(got.all):
                nxt.extend(got.all())
            else:
                nxt.append(got)
        values = nxt
    return [v for v in values if v is not None]


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date()
    return value


def _policy(module: str, name: str) -> Callable[[Any], Any]:
    from importlib import import_module

    return getattr(import_module(module), name).scope


def _rules(now: dt.datetime) -> dict[str, dict[str, Any]]:
    """Independent statement of what each figure counts (see reporting.metric_defs)."""
    overdue_subjects = {
        (o.subject_type_id, o.subject_id)
        for o in Obligation.objects.all()
        if o.status in LIVE and o.due_at < now and o.subject_type_id
    }

    def has_overdue_obligation(model_label: str) -> Callable[[Any], bool]:
        ct = ContentType.objects.get_for_model(apps.get_model(model_label))
        return lambda obj: (ct.pk, str(obj.pk)) in overdue_subjects

    today = timezone.localtime(now).date()
    return {
        "reports": {
            "policy": ("envgrid.reporting.policies", "report_policy"),
            "model": "reporting.Report",
            "include": lambda r: r.status in SENT,
            "open": lambda r: r.status == "submitted",
            "overdue": lambda r: r.due is not None and r.due.obligation.completed_late,
        },
        "overdue": {
            "policy": ("envgrid.obligations.policies", "obligation_policy"),
            "model": "obligations.Obligation",
            "include": lambda o: (o.status in LIVE and o.due_at < now) or o.completed_late,
            "open": lambda o: o.status in LIVE,
            "overdue": lambda o: o.status in LIVE and o.due_at < now,
        },
        "timeliness": {
            "policy": ("envgrid.obligations.policies", "obligation_policy"),
            "model": "obligations.Obligation",
            "include": lambda o: (
                o.kind in ("adjustment.report", "adjustment.publish")
                or o.kind.startswith("disclosure.refresh.")
            ),
            "open": lambda o: o.status in LIVE,
            "overdue": lambda o: (o.status in LIVE and o.due_at < now) or o.completed_late,
        },
        "cases": {
            "policy": ("envgrid.cases.policies", "case_policy"),
            "model": "cases.Case",
            "include": lambda c: True,
            "open": lambda c: c.status not in ("closed", "withdrawn"),
            "overdue": has_overdue_obligation("cases.Case"),
        },
        "transfers": {
            "policy": ("envgrid.cases.policies", "transfer_policy"),
            "model": "cases.Transfer",
            "include": lambda t: True,
            "open": lambda t: t.status in ("sent", "accepted", "handled"),
            "overdue": has_overdue_obligation("cases.Transfer"),
        },
        "decisions": {
            "policy": ("envgrid.meetings.policies", "decision_policy"),
            "model": "meetings.Decision",
            "include": lambda d: True,
            "open": lambda d: d.status in ("open", "reported"),
            "overdue": lambda d: d.status == "open" and d.due_date < today,
        },
        "enforcement": {
            "policy": ("envgrid.enforcement.policies", "action_policy"),
            "model": "enforcement.EnforcementAction",
            "include": lambda a: True,
            "open": lambda a: a.status in ("draft", "approved", "deployed", "in_progress"),
            "overdue": lambda a: any(
                x.status == "pending" and x.ack_due_at < now for x in a.assignments.all()
            ),
        },
        "petitions": {
            "policy": ("envgrid.disclosure.policies", "petition_policy"),
            "model": "disclosure.Petition",
            "include": lambda p: True,
            "open": lambda p: p.status in ("received", "accepted", "objected"),
            "overdue": has_overdue_obligation("disclosure.Petition"),
        },
    }


def _scope_units(user: Any, group: LeadingGroup | None) -> set[int] | None:
    if user.is_superuser and group is None:
        return None
    if group is not None:
        ids: set[int] = set()
        for g in _with_children(group):  # a city group answers for the district's below it
            ids |= set(g.member_units.values_list("id", flat=True)) | {g.office_unit_id}
        return ids
    return {Person.objects.get(user=user).unit_id}


def _with_children(group: LeadingGroup) -> list[LeadingGroup]:
    out, todo = [], [group]
    while todo:
        g = todo.pop()
        out.append(g)
        todo.extend(LeadingGroup.objects.filter(parent=g))
    return out


def _scope_grids(units: set[int] | None, group: LeadingGroup | None) -> list[Grid]:
    grids = [g for g in Grid.objects.all() if g.is_active]
    if units is None:
        return grids
    roots = [
        g
        for g in grids
        if g.owner_unit_id in units
        or (group is not None and g.leading_group_id in {x.pk for x in _with_children(group)})
    ]
    return [g for g in grids if any(g.path.startswith(r.path) for r in roots)]


def brute_force(
    metric: Any, rule: dict[str, Any], user: Any, group: Any, now: dt.datetime, level: Any
):
    model = apps.get_model(rule["model"])
    visible = set(_policy(*rule["policy"])(user).values_list("pk", flat=True))
    units = _scope_units(user, group)
    rows = []
    for obj in model._default_manager.all():
        if obj.pk not in visible or not rule["include"](obj):
            continue
        unit_ids = {u.pk for f in metric.unit_fields for u in _walk(obj, f)}
        if units is not None and not unit_ids & units:
            continue
        dates = _walk(obj, metric.date_field)
        day = _day(dates[0]) if dates else None
        if day is None or not (YEAR.start <= day <= YEAR.end):
            continue
        rows.append(obj)
    out: dict[str, Any] = {
        "total": len(rows),
        "open": sum(1 for o in rows if rule["open"](o)),
        "overdue": sum(1 for o in rows if rule["overdue"](o)),
        "month": Counter(_day(_walk(o, metric.date_field)[0]).replace(day=1) for o in rows),
        "unit": Counter(
            uid for o in rows for uid in {u.pk for u in _walk(o, metric.unit_fields[0])}
        ),
        "grid": {},
    }
    if metric.grid_field and level is not None:
        for g in _scope_grids(units, group):
            if g.level != level:
                continue
            inside = [
                o
                for o in rows
                if any(x.path.startswith(g.path) for x in _walk(o, metric.grid_field))
            ]
            out["grid"][g.pk] = (
                len(inside),
                sum(1 for o in inside if rule["open"](o)),
                sum(1 for o in inside if rule["overdue"](o)),
            )
    return out


def _check(user: Any, group: Any, now: dt.datetime) -> dict[str, Any]:
    scope = dashboard_scope(user, group.pk if group else None)
    ov = overview(scope, period=YEAR, now=now)
    rules = _rules(now)
    totals = {}
    for metric in ov.metrics:
        expected = brute_force(metric, rules[metric.key], user, group, now, ov.level)
        got = ov.totals[metric.key]
        where = f"{metric.key} for {user.username}"
        assert got["total"] == expected["total"], where
        assert got["open"] == expected["open"], where
        assert got["overdue"] == expected["overdue"], where
        assert {k: v for k, v in ov.by_month[metric.key].items() if v} == dict(expected["month"]), (
            where
        )
        assert ov.by_unit[metric.key] == dict(expected["unit"]), where
        if metric.grid_field:
            mine = {
                g["id"]: (
                    g["figures"][metric.key]["n"],
                    g["figures"][metric.key]["open"],
                    g["figures"][metric.key]["overdue"],
                )
                for g in ov.grids
            }
            assert mine == expected["grid"], where
        totals[metric.key] = got["total"]
    return totals


@pytest.mark.django_db
def test_I3_every_dashboard_figure_equals_a_brute_force_count_over_the_demo(client):
    call_command("demo", stdout=io.StringIO())
    now = timezone.now()
    User = apps.get_model("auth", "User")
    group = LeadingGroup.objects.order_by("id").first()
    admin = User.objects.get(username="admin")
    director = User.objects.get(username="director")
    leader = User.objects.get(username="leader")
    unit_user = User.objects.get(username="unit")

    as_admin = _check(admin, None, now)
    as_admin_group = _check(admin, group, now)
    as_office = _check(director, group, now)
    as_leader = _check(leader, group, now)
    as_unit = _check(unit_user, None, now)

    # The demo's reports and overdue items are there, so the comparison is not 0 == 0.
    assert as_admin["reports"] > 100 and as_admin["overdue"] > 0
    assert as_office == as_leader == as_admin_group
    assert 0 < as_unit["reports"] < as_office["reports"]
    assert {m.key for m in metrics()} >= {"reports", "overdue"}

    # A figure drills down to exactly its rows, and the export carries the same figures.
    client.force_login(director)
    page = client.get(
        reverse("reporting:drill", args=["reports"]) + "?from=2026-01-01&to=2026-12-31"
    )
    shown = int(re.search(r"共 (\d+) 条", page.content.decode()).group(1))
    assert shown == as_office["reports"]
    xlsx = client.get(reverse("reporting:dashboard") + "?from=2026-01-01&to=2026-12-31&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    exported = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert exported["报送信息"] == as_office["reports"]
    # The API gives the same figures.
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(unit_user)
    body = api.get("/api/reporting/dashboard/?year=2026").json()
    assert {m["key"]: m["total"] for m in body["metrics"]} == as_unit


def _square(x: float, y: float, size: float) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def _grid(
    code: str,
    name: str,
    level: int,
    unit: Any,
    boundary: dict,
    parent: Any = None,
    group: Any = None,
) -> Grid:
    g = Grid.objects.create(
        code=code,
        name=name,
        level=level,
        owner_unit=unit,
        boundary=boundary,
        parent=parent,
        leading_group=group,
    )
    g.path = f"{parent.path if parent else '/'}{g.pk}/"
    xs = [p[0] for p in boundary["coordinates"][0]]
    ys = [p[1] for p in boundary["coordinates"][0]]
    g.min_lon, g.max_lon, g.min_lat, g.max_lat = min(xs), max(xs), min(ys), max(ys)
    g.save()
    return g


@pytest.mark.browser
def test_I3_dashboard_in_a_browser(transactional_db, browser_page, artifacts_dir):
    from envgrid.testing import World, browser_login

    world = World(n_members=4)
    district = _grid(
        "D", "测试区", 2, world.government, _square(122.0, 40.0, 0.2), group=world.group
    )
    for i, unit in enumerate(world.members):
        _grid(
            f"D-{i}",
            f"{unit.name}网格",
            3,
            unit,
            _square(122.0 + 0.1 * (i % 2), 40.0 + 0.1 * (i // 2), 0.1),
            parent=district,
        )
    office = world.director.user
    schedule_create(
        actor=office,
        leading_group=world.group,
        name="月度工作信息",
        report_type=ReportType.WORK_INFO,
        frequency="monthly",
        due_workdays=5,
        valid_from=dt.date(timezone.localdate().year, 1, 1),
        units=world.members,
    )
    dues_generate()
    for i, person in enumerate(world.member_staff):
        for due in person.unit.report_dues.order_by("due_at")[: 3 + 2 * i]:
            report = report_create(
                actor=person.user,
                report_type=ReportType.WORK_INFO,
                title=f"工作信息{due.period_key}",
                content="巡查情况（测试）",
                due=due,
            )
            for action in ("screen", "process", "submit"):
                report = report_act(actor=person.user, report=report, action=action)

    page = browser_page
    browser_login(page, office.username)
    page.goto(page.base + reverse("reporting:dashboard"))
    page.wait_for_selector(".leaflet-interactive")
    total = page.locator('[data-metric="reports"] [data-figure="total"]').inner_text()
    page.screenshot(path=str(artifacts_dir / "reporting-dashboard.png"), full_page=True)
    assert int(total) == sum(3 + 2 * i for i in range(4))
    # Overdue items (the months nobody reported) show on the tile and on the map.
    overdue = page.locator('[data-metric="overdue"] [data-figure="total"]').inner_text()
    assert int(overdue) > 0
    assert page.locator(".leaflet-interactive").count() == 4
    page.locator('[data-metric="reports"] [data-figure="total"]').click()
    page.wait_for_load_state("networkidle")
    assert f"共 {total} 条" in page.content()
