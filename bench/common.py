"""Shared plumbing of the province-scale benchmarks: the three sizes, one scratch
PostgreSQL database per size, Django set-up against it, timing helpers and the result
files (bench/results/<figure>-<size>.json).

Everything the benchmarks load is synthetic (bench/generate.py makes it); no real
person, unit, entity or case is in any of these databases.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


@dataclass(frozen=True)
class Size:
    name: str
    grids: int  # grids in four levels (Voronoi cells: the real count comes out a little lower)
    entities: int
    cases: int
    track_points: int
    import_rows: int  # rows of the .xlsx import figure
    sweep_open: int  # open obligations the sweep figure runs over

    @property
    def database(self) -> str:
        return f"envgrid_bench_{self.name}"

    @property
    def url(self) -> str:
        return f"{PG}/{self.database}"


SIZES = {
    "small": Size("small", 500, 5_000, 20_000, 100_000, 5_000, 20_000),
    "medium": Size("medium", 5_000, 50_000, 200_000, 1_000_000, 20_000, 200_000),
    "full": Size("full", 50_000, 500_000, 1_000_000, 10_000_000, 100_000, 1_000_000),
}
MEMBER_UNITS = 200
ASSESSMENT_YEAR = 2025


def psql(db: str, sql: str) -> str:
    out = subprocess.run(
        ["psql", f"{PG}/{db}", "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def ensure_database(size: Size) -> None:
    """Create the size's database when missing and bring its schema up to date."""
    if psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{size.database}'") != "1":
        psql("postgres", f"CREATE DATABASE {size.database}")
    env = dict(os.environ, DATABASE_URL=size.url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def setup_django(size: Size) -> None:
    """Point Django at the size's database (before django.setup())."""
    os.environ["DATABASE_URL"] = size.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_postgis(db: str) -> bool:
    """PostGIS for the point→grid baseline: Debian's package for the running major version,
    installed when missing, then the extension in `db`. False when it cannot be had."""
    major = psql("postgres", "SHOW server_version_num")[:2]
    have = psql("postgres", "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
    if have != "1" and shutil.which("apt-get"):
        pkg = f"postgresql-{major}-postgis-3"
        print(f"installing {pkg} (PostGIS baseline) …", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", pkg], env=env, check=False)
        have = psql("postgres", "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
    if have != "1":
        return False
    psql(db, "CREATE EXTENSION IF NOT EXISTS postgis")
    return True


def p95(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0] if samples else 0.0
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def best_of(fn: Callable[[], Any], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


@contextmanager
def timer() -> Iterator[list[float]]:
    box: list[float] = []
    t = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - t)


def save(figure: str, size: Size, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "figure": figure,
        "size": size.name,
        "host": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **result,
    }
    path = RESULTS / f"{figure}-{size.name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def line(figure: str, what: str, ours: float, base: float, unit: str, goal: str = "") -> str:
    """One printed figure: our time, the baseline's, their ratio (lower is better)."""
    ratio = ours / base if base else float("inf")
    tail = f"  goal {goal}" if goal else ""
    return (
        f"[{figure}] {what}: ours {ours:.4g} {unit}, baseline {base:.4g} {unit}, "
        f"ratio {ratio:.2f}x{tail}"
    )
