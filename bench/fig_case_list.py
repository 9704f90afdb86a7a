"""Figure 2: a page of the case list API (/api/cases/: filters, sorting, pagination with
its count) under 16 concurrent clients, p95 latency, against the raw SQL of the same page
(the count and the page with its joined names) run by 16 concurrent connections.

The app runs under gunicorn (3 sync workers: the machine has 2 cores), as `make run`
serves it, against the size's database; the clients are 16 threads with `requests`, each
logged in as a different member unit's staff by API token, so every page is scoped by the
policy (own or discovered cases). Each request draws one of three page shapes (20 rows a
page, with the total count, as the list pages show):

  A  status=registered&status=investigating, newest registered first, page 2
  B  source=patrol, ordering=-discovered_at, page 1
  C  registered in the first half of 2025, ordering=-registered_at, page 1

The baseline runs the same sequence of (unit, shape, page) as hand-written SQL over
psycopg, one connection per thread: what the page costs the database alone.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import threading
import time
from typing import Any

from bench.common import ROOT, Size, line, p95

CLIENTS = 16
PAGE = 20
SHAPES = {
    "A": ("status=registered&status=investigating&page_size=20&page=2", 2),
    "B": ("source=patrol&ordering=-discovered_at&page_size=20&page=1", 1),
    "C": (
        "registered_after=2025-01-01T00:00:00%2B08:00&registered_before=2025-07-01T00:00:00"
        "%2B08:00&ordering=-registered_at&page_size=20&page=1",
        1,
    ),
}
_WHERE = {
    "A": ("c.status IN ('registered', 'investigating')", "c.registered_at DESC, c.id DESC"),
    "B": ("c.source = 'patrol'", "c.discovered_at DESC"),
    "C": (
        "c.registered_at >= '2025-01-01T00:00:00+08:00' "
        "AND c.registered_at < '2025-07-01T00:00:00+08:00'",
        "c.registered_at DESC",
    ),
}


def raw_sql(shape: str, unit: int, page: int) -> tuple[str, str]:
    where, order = _WHERE[shape]
    scope = f"(c.owner_unit_id = {unit} OR c.discovered_by_unit_id = {unit})"
    count = f"SELECT count(*) FROM cases_case c WHERE {scope} AND {where}"
    rows = f"""
        SELECT c.id, c.number, c.title, c.source, c.status, c.owner_unit_id, ou.name,
               c.occurrence_grid_id, g.name, c.proposed_unit_id, pu.name, c.discovered_at,
               c.discovered_by_unit_id, du.name, c.reported_at, c.registered_at, c.entity_name,
               c.suspected_crime, c.detention_needed, c.discipline_breach, c.overdue, c.outcome
        FROM cases_case c
        JOIN org_unit ou ON ou.id = c.owner_unit_id
        JOIN org_unit du ON du.id = c.discovered_by_unit_id
        LEFT JOIN org_unit pu ON pu.id = c.proposed_unit_id
        LEFT JOIN grids_grid g ON g.id = c.occurrence_grid_id
        WHERE {scope} AND {where}
        ORDER BY {order} LIMIT {PAGE} OFFSET {(page - 1) * PAGE}
    """
    return count, rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _plan(units: list[tuple[int, str]], per_client: int) -> list[list[tuple[int, str, str]]]:
    rng = random.Random(11)
    return [
        [(*rng.choice(units), rng.choice("ABC")) for _ in range(per_client)] for _ in range(CLIENTS)
    ]


def _run_clients(work: list[list[Any]], fn: Any) -> list[float]:
    lat: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def client(items: list[Any]) -> None:
        mine = []
        try:
            state = fn(None)
            for it in items:
                t = time.perf_counter()
                fn((state, it))
                mine.append(time.perf_counter() - t)
        except BaseException as e:
            errors.append(e)
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=client, args=(w,)) for w in work]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    return lat


def run(size: Size, per_client: int = 25) -> dict[str, Any]:
    import psycopg
    import requests
    from django.contrib.auth import get_user_model

    from envgrid.security.tokens import token_issue

    # Tokens expire (ENVGRID_TOKEN_HOURS) and are stored as digests: issue fresh ones.
    users = (
        get_user_model()
        .objects.filter(username__gt="bench000")
        .select_related("person")
        .order_by("username")
    )
    units = [(u.person.unit_id, token_issue(user=u, ip=None)[1]) for u in users]
    port = _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=size.url,
        ENVGRID_DEBUG="0",
        ENVGRID_ALLOWED_HOSTS="127.0.0.1",
        PYTHONWARNINGS="ignore::UserWarning",  # no collected static files: not served here
    )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}/api/cases/"
    try:
        for _ in range(600):
            try:
                requests.get(base_url, timeout=30)
                break
            except requests.RequestException:
                time.sleep(0.1)
        work = _plan(units, per_client)

        def http(arg: Any) -> Any:
            if arg is None:
                return requests.Session()
            session, (_unit, key, shape) = arg
            r = session.get(
                f"{base_url}?{SHAPES[shape][0]}",
                headers={"Authorization": f"Token {key}"},
                timeout=60,
            )
            if r.status_code != 200:
                raise RuntimeError(f"{r.status_code} {r.text[:300]}")
            r.json()
            return None

        def sql(arg: Any) -> Any:
            if arg is None:
                return psycopg.connect(size.url, autocommit=True)
            conn, (unit, _key, shape) = arg
            count, rows = raw_sql(shape, unit, SHAPES[shape][1])
            conn.execute(count).fetchone()
            conn.execute(rows).fetchall()
            return None

        _run_clients([w[:2] for w in work], http)  # warm every worker and its connection
        # One client alone first: the cost of a page without queueing.
        api1 = _run_clients([work[0]], http)
        base1 = _run_clients([work[0]], sql)
        api = _run_clients(work, http)
        base = _run_clients(work, sql)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ours_p95, base_p95 = p95(api), p95(base)
    ratio = ours_p95 / base_p95
    print(
        f"[case-list] {CLIENTS} clients × {per_client} pages (gunicorn, 3 workers), "
        f"{size.cases:,} cases; medians {sorted(api)[len(api) // 2] * 1e3:.1f} ms vs "
        f"{sorted(base)[len(base) // 2] * 1e3:.1f} ms; one client alone: "
        f"{sorted(api1)[len(api1) // 2] * 1e3:.1f} ms vs {sorted(base1)[len(base1) // 2] * 1e3:.1f} ms"
    )
    print(
        line(
            "case-list",
            "p95 page latency vs raw SQL",
            ours_p95 * 1e3,
            base_p95 * 1e3,
            "ms",
            "<= 2x",
        )
    )
    return {
        "clients": CLIENTS,
        "requests": len(api),
        "server": "gunicorn, 3 sync workers",
        "cases": size.cases,
        "ours_p95_ms": ours_p95 * 1e3,
        "baseline_p95_ms": base_p95 * 1e3,
        "ours_median_ms": sorted(api)[len(api) // 2] * 1e3,
        "baseline_median_ms": sorted(base)[len(base) // 2] * 1e3,
        "single_client_median_ms": sorted(api1)[len(api1) // 2] * 1e3,
        "single_client_baseline_median_ms": sorted(base1)[len(base1) // 2] * 1e3,
        "ratio": ratio,
        "goal": "p95 <= 2x raw SQL",
        "goal_met": ratio <= 2,
    }
