"""docs/scaling.md's Citus plan stays true as the code changes (issue 18 part 5): every
table it names as distributed exists with the columns it names, and the hot paths (the
list selectors, the sweep, the assessment's metrics) join two distributed tables only
along a co-located join (a foreign key the plan keeps on one shard)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

PLAN_DOC = Path(settings.BASE_DIR) / "docs" / "scaling.md"


def plan() -> dict[str, Any]:
    text = PLAN_DOC.read_text(encoding="utf-8")
    m = re.search(r"```yaml citus-plan\n(.*?)```", text, re.S)
    assert m, "docs/scaling.md lost its ```yaml citus-plan block"
    return yaml.safe_load(m.group(1))


JOIN = re.compile(
    r'JOIN "(\w+)"(?: (\w+))? ON \((.*?)\)(?= (?:INNER|LEFT|WHERE|GROUP|ORDER|LIMIT)|\)|$)'
)
FROM = re.compile(r'FROM "(\w+)"(?: (\w+))?')
EQ = re.compile(r'"?(\w+)"?\."(\w+)" = "?(\w+)"?\."(\w+)"')


def distributed_joins(sql: str) -> list[tuple[str, str, str, str]]:
    """(table, column, table, column) of every equality a JOIN of `sql` joins on."""
    alias: dict[str, str] = {}
    for m in FROM.finditer(sql):
        alias[m.group(2) or m.group(1)] = m.group(1)
    for m in JOIN.finditer(sql):
        alias[m.group(2) or m.group(1)] = m.group(1)
    out = []
    for m in JOIN.finditer(sql):
        for a, ca, b, cb in EQ.findall(m.group(3)):
            out.append((alias.get(a, a), ca, alias.get(b, b), cb))
    return out


def colocated(p: dict[str, Any], t1: str, c1: str, t2: str, c2: str) -> bool:
    dist = p["distributed"]
    return (c2 == "id" and dist[t1]["colocated"].get(c1) == t2) or (
        c1 == "id" and dist[t2]["colocated"].get(c2) == t1
    )


@pytest.mark.django_db
def test_every_distributed_table_exists_with_the_columns_the_plan_names():
    p = plan()
    assert p["distribution_key"] == "region_id"
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cur:
        for table, spec in p["distributed"].items():
            assert table in tables, table
            columns = {c.name for c in connection.introspection.get_table_description(cur, table)}
            assert spec["region_from"] in columns, (table, spec["region_from"])
            for column, target in spec["colocated"].items():
                assert column in columns, (table, column)
                assert target in p["distributed"], (table, column, target)


def test_the_join_check_sees_a_join_on_another_column():
    # The checker itself: an equality that is not a co-located FK is reported.
    p = plan()
    sql = (
        'SELECT 1 FROM "cases_case" INNER JOIN "cases_transfer" T3 '
        'ON ("cases_case"."owner_unit_id" = T3."receiver_unit_id") WHERE 1'
    )
    (join,) = distributed_joins(sql)
    assert join == ("cases_case", "owner_unit_id", "cases_transfer", "receiver_unit_id")
    assert not colocated(p, *join)
    ok = 'SELECT 1 FROM "cases_transfer" INNER JOIN "cases_case" ON ("cases_transfer"."case_id" = "cases_case"."id")'
    assert colocated(p, *distributed_joins(ok)[0])


@pytest.mark.django_db
def test_hot_paths_join_distributed_tables_only_on_colocated_keys(world):
    from envgrid.assessment.indicators import compute_metrics, metrics
    from envgrid.cases.selectors import case_list, overdue_register, transfer_list
    from envgrid.entities.selectors import entity_list
    from envgrid.grids.testing import build_square_tree
    from envgrid.obligations.services import sweep

    grids = build_square_tree(world.admin, world)
    users = [world.admin, world.director.user, world.member_staff[0].user]
    with CaptureQueriesContext(connection) as ctx:
        for user in users:
            list(entity_list(user=user)[:20])
            list(case_list(user=user)[:20])
            list(case_list(user=user, grid=grids["A"], overdue=True)[:20])
            list(transfer_list(user=user)[:20])
            overdue_register(user=user)
        sweep(now=dt.datetime(2026, 12, 7, tzinfo=dt.UTC))
        unit_ids = [u.pk for u in world.members]
        compute_metrics(2026, unit_ids, [m.code for m in metrics()])
    p = plan()
    dist = p["distributed"]
    checked = bad = 0
    problems = []
    for q in ctx.captured_queries:
        for t1, c1, t2, c2 in distributed_joins(q["sql"]):
            if t1 in dist and t2 in dist:
                checked += 1
                if not colocated(p, t1, c1, t2, c2):
                    bad += 1
                    problems.append(f"{t1}.{c1} = {t2}.{c2}: {q['sql'][:300]}")
    assert len(ctx.captured_queries) > 20  # the hot paths ran
    print(f"distributed joins checked: {checked}")
    assert problems == []
    assert bad == 0
