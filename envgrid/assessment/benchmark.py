"""Benchmark of the full annual assessment: N member units, obligations of M cases (each
case owes a transfer and its feedback; meetings, enforcement and reports add their own),
spread over three years. Measures the live scoreboard (every computed indicator for every
unit, what the office's review page shows) and the finalisation.

Data are synthetic; rows are generated inside the database (generate_series on
PostgreSQL) so a million cases load in seconds. Run with
`python manage.py assessment_bench --units 200 --cases 1000000` against a scratch database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

KINDS_PER_CASE = ("transfer.make", "transfer.feedback")
# (kind, rows per 1,000 cases): the other workflows' obligations in proportion.
OTHER_KINDS = (
    ("transfer.decide", 300),
    ("meeting.decision", 20),
    ("meeting.task_report", 30),
    ("enforcement.assignment.ack", 15),
    ("report.due", 60),
    ("supervision.respond", 10),
)


@dataclass
class BenchResult:
    units: int
    cases: int
    obligations: int
    load_seconds: float
    scoreboard_seconds: float
    finalise_seconds: float
    queries_scoreboard: int


def _insert_obligations(unit_ids: list[int], cases: int, years: tuple[int, ...]) -> int:
    """Obligations for `cases` cases and the other kinds, on PostgreSQL, in one statement
    per kind. ~8 % are late, ~2 % still overdue, ~1 % cancelled."""
    ids = "ARRAY[" + ",".join(str(u) for u in unit_ids) + "]::bigint[]"
    first, last = min(years), max(years)
    total = 0
    plan = [(k, cases) for k in KINDS_PER_CASE] + [
        (k, max(1, cases * per // 1000)) for k, per in OTHER_KINDS
    ]
    with connection.cursor() as cur:
        for kind, n in plan:
            cur.execute(
                f"""
                INSERT INTO obligations_obligation
                  (kind, title, unit_id, subject_id, link, rule_kind, rule_amount, start_event,
                   started_at, due_at, status, completed_at, completed_late, created_at)
                SELECT %s, %s || g, ({ids})[1 + (g::bigint * 7919) %% {len(unit_ids)}], '', '',
                       'workdays', 15, 'bench', d - interval '21 days', d,
                       CASE WHEN r < 0.01 THEN 'cancelled' WHEN r < 0.03 THEN 'overdue'
                            ELSE 'done' END,
                       CASE WHEN r < 0.03 THEN NULL
                            WHEN r < 0.11 THEN d + interval '3 days'
                            ELSE d - interval '2 days' END,
                       (r >= 0.03 AND r < 0.11),
                       d - interval '21 days'
                FROM (
                  SELECT g, random() AS r,
                         make_timestamptz({first}, 1, 1, 0, 0, 0, 'Asia/Shanghai')
                           + (random() * ({last - first + 1} * 365)) * interval '1 day' AS d
                  FROM generate_series(1, %s) AS g
                ) s
                """,  # noqa: S608 — only integers and fixed strings are interpolated
                [kind, f"bench {kind} ", n],
            )
            total += n
        cur.execute("ANALYZE obligations_obligation")
    return total


def run(
    *, units: int = 200, cases: int = 1_000_000, year: int = 2025, log: Any = print
) -> BenchResult:
    from django.db import reset_queries
    from django.test.utils import CaptureQueriesContext

    from envgrid.org.models import LeadingGroup, Person, PersonRole, Unit
    from envgrid.testing import make_user

    from . import services
    from .selectors import scoreboard

    if connection.vendor != "postgresql":
        raise SystemExit("assessment_bench needs PostgreSQL (it generates rows with SQL)")
    t0 = time.perf_counter()
    with transaction.atomic():
        office_unit = Unit.objects.create(code="BENCH-OFF", name="基准测试办公室", kind="bureau")
        director = Person.objects.create(
            name="基准测试主任", unit=office_unit, role=PersonRole.OFFICE, user=make_user()
        )
        Unit.objects.bulk_create(
            [
                Unit(code=f"BENCH-{i:04d}", name=f"基准测试单位{i}", kind="bureau")
                for i in range(units)
            ]
        )
        members = list(Unit.objects.filter(code__startswith="BENCH-0").values_list("pk", flat=True))
        group = LeadingGroup.objects.create(
            name="基准测试领导小组", leader=director, office_unit=office_unit, doc_prefix="基"
        )
        group.member_units.set([office_unit.pk, *members])
        n = _insert_obligations(members, cases, (year - 1, year, year + 1))
    load = time.perf_counter() - t0
    log(f"loaded {units} units, {n} obligations ({cases} cases) in {load:.1f}s")

    user = director.user
    plan = services.plan_create(actor=user, leading_group=group, year=year)
    assessment = services.assessment_open(actor=user, plan=plan)
    services.assessment_review_start(actor=user, assessment=assessment)
    # Review indicators need a score to finalise: give each unit its self-score by adjustment
    # would be 4 × units writes; instead every unit self-scores them (the usual case).
    from .models import IndicatorScore, IndicatorSource

    IndicatorScore.objects.filter(
        evaluation__assessment=assessment, indicator__source=IndicatorSource.REVIEW
    ).update(self_score=5)

    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        t1 = time.perf_counter()
        rows = scoreboard(assessment)
        board = time.perf_counter() - t1
    log(
        f"scoreboard: {len(rows)} units × {len(rows[0].lines)} indicators in {board:.2f}s, {len(ctx)} queries"
    )
    t2 = time.perf_counter()
    services.assessment_finalise(actor=user, assessment=assessment)
    fin = time.perf_counter() - t2
    log(f"finalise (freeze, rank, grade, notify, audit) in {fin:.2f}s")
    return BenchResult(
        units=units,
        cases=cases,
        obligations=n,
        load_seconds=load,
        scoreboard_seconds=board,
        finalise_seconds=fin,
        queries_scoreboard=len(ctx),
    )
