"""Load test (issue 18 part 4): simulated staff clients against one gunicorn server (the
baseline) and against two gunicorn servers with a streaming read replica, loopback only.

    python -m bench.load                       # 100 clients × 60 s per setup (the issue's)
    python -m bench.load --clients 40 --seconds 30

Data: the small benchmark set (bench/generate.py) in its own database
(envgrid_bench_load; BENCH_PG sets the server). The replica is a real hot standby started
by scripts/replica.sh on port 5434 (stopped afterwards); the cache is Redis (BENCH_REDIS,
default redis://127.0.0.1:6379/4) in both setups. Every client is one member unit's
staff (API token, so every read is scoped by the policies) and loops over a mix:

- every 20th request a write: registering a case (POST /api/cases/);
- otherwise: case list pages (three shapes, 35 %), entity list (15 %), obligation list
  (10 %), a case detail from the last list (15 %), an entity detail (10 %), point → grid
  (10 %), the grid GeoJSON export (5 %).

The clients run as threads in a few processes (so one Python process's GIL is not the
limit); with two servers each client keeps to one (as a sticky load balancer would).
Results (p50/p95/p99 in ms, error rate, requests/s, per kind) go to
bench/results/load-<setup>.json and a comparison to bench/results/load-summary.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing as mp
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import RESULTS, ROOT, SIZES, Size, ensure_database, setup_django

WRITE_EVERY = 20
CASE_SHAPES = [
    "status=registered&status=investigating&page_size=20&page=2",
    "source=patrol&ordering=-discovered_at&page_size=20&page=1",
    "ordering=-registered_at&page_size=20&page=1",
]
MIX = [
    ("case_list", 35),
    ("entity_list", 15),
    ("obligation_list", 10),
    ("case_detail", 15),
    ("entity_detail", 10),
    ("resolve", 10),
    ("export", 5),
]
REPLICA_PORT = 5434


@dataclasses.dataclass(frozen=True)
class LoadSize(Size):
    @property
    def database(self) -> str:
        return "envgrid_bench_load"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(env: dict[str, str], workers: int, threads: int) -> tuple[Any, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--backlog",
            "2048",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    return proc, f"http://127.0.0.1:{port}"


def _wait(url: str) -> None:
    import requests

    for _ in range(600):
        try:
            if requests.get(f"{url}/healthz", timeout=30).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


def _client_proc(
    clients: list[tuple[str, str]],
    seconds: float,
    seed: int,
    box: Any,
    points: list[tuple[float, float]],
) -> None:
    """One process: a thread per client, each looping until the deadline."""
    import threading

    import requests

    out: list[tuple[str, float, bool]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    kinds = [k for k, w in MIX for _ in range(w)]

    def client(n: int, base: str, key: str) -> None:
        rng = random.Random(seed * 1000 + n)
        s = requests.Session()
        s.headers["Authorization"] = f"Token {key}"
        case_ids: list[int] = []
        entity_ids: list[int] = []
        mine: list[tuple[str, float, bool]] = []
        # Each client starts at a random point of its 20-request cycle, so the writes are
        # one request in 20 overall even when a saturated run gives a client few requests.
        i = rng.randrange(WRITE_EVERY)
        while time.monotonic() < deadline:
            i += 1
            kind = "write" if i % WRITE_EVERY == 0 else rng.choice(kinds)
            if kind == "case_detail" and not case_ids:
                kind = "case_list"
            if kind == "entity_detail" and not entity_ids:
                kind = "entity_list"
            t = time.perf_counter()
            ok = False
            try:
                if kind == "write":
                    r = s.post(
                        f"{base}/api/cases/",
                        json={"title": f"负载测试登记{seed}-{n}-{i}", "source": "patrol"},
                        timeout=120,
                    )
                    ok = r.status_code == 201
                elif kind == "case_list":
                    r = s.get(f"{base}/api/cases/?{rng.choice(CASE_SHAPES)}", timeout=120)
                    ok = r.status_code == 200
                    if ok:
                        case_ids = [row["id"] for row in r.json()["results"]] or case_ids
                elif kind == "entity_list":
                    r = s.get(f"{base}/api/entities/?page_size=20&page=1", timeout=120)
                    ok = r.status_code == 200
                    if ok:
                        entity_ids = [row["id"] for row in r.json()["results"]] or entity_ids
                elif kind == "obligation_list":
                    r = s.get(f"{base}/api/obligations/?page_size=20", timeout=120)
                    ok = r.status_code == 200
                elif kind == "case_detail":
                    r = s.get(f"{base}/api/cases/{rng.choice(case_ids)}/", timeout=120)
                    ok = r.status_code == 200
                elif kind == "entity_detail":
                    r = s.get(f"{base}/api/entities/{rng.choice(entity_ids)}/", timeout=120)
                    ok = r.status_code == 200
                elif kind == "resolve":
                    lon, lat = rng.choice(points)
                    r = s.get(f"{base}/api/grids/resolve/?lon={lon}&lat={lat}", timeout=120)
                    ok = r.status_code == 200
                else:  # export
                    r = s.get(f"{base}/api/grids/export/", timeout=120)
                    ok = r.status_code == 200
                if not ok:
                    sys.stderr.write(f"{kind} {r.status_code} {r.text[:200]}\n")
            except requests.RequestException as exc:
                sys.stderr.write(f"{kind} {exc.__class__.__name__}\n")
            mine.append((kind, time.perf_counter() - t, ok))
        with lock:
            out.extend(mine)

    threads = [
        threading.Thread(target=client, args=(n, base, key))
        for n, (base, key) in enumerate(clients)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    box.put(out)


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))] * 1e3


def _summary(samples: list[tuple[str, float, bool]], seconds: float) -> dict[str, Any]:
    lat = [d for _k, d, _ok in samples]
    errors = sum(1 for *_x, ok in samples if not ok)
    per_kind: dict[str, Any] = {}
    for kind in sorted({k for k, _d, _ok in samples}):
        ds = [d for k, d, _ok in samples if k == kind]
        per_kind[kind] = {
            "requests": len(ds),
            "p50_ms": round(_pct(ds, 0.50), 1),
            "p95_ms": round(_pct(ds, 0.95), 1),
        }
    return {
        "requests": len(samples),
        "errors": errors,
        "error_rate": round(errors / len(samples), 5) if samples else None,
        "throughput_rps": round(len(samples) / seconds, 1),
        "p50_ms": round(_pct(lat, 0.50), 1),
        "p95_ms": round(_pct(lat, 0.95), 1),
        "p99_ms": round(_pct(lat, 0.99), 1),
        "mean_ms": round(statistics.fmean(lat) * 1e3, 1) if lat else None,
        "per_kind": per_kind,
    }


def _run_clients(
    bases: list[str],
    keys: list[str],
    clients: int,
    seconds: float,
    procs: int,
    points: list[tuple[float, float]],
) -> list[tuple[str, float, bool]]:
    plan = [(bases[i % len(bases)], keys[i % len(keys)]) for i in range(clients)]
    ctx = mp.get_context("fork")
    box = ctx.Queue()
    workers = [
        ctx.Process(target=_client_proc, args=(plan[p::procs], seconds, p, box, points))
        for p in range(procs)
    ]
    for w in workers:
        w.start()
    samples: list[tuple[str, float, bool]] = []
    for _ in workers:
        samples.extend(box.get())
    for w in workers:
        w.join()
    return samples


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--procs", type=int, default=4, help="client processes")
    ap.add_argument("--workers", type=int, default=3, help="gunicorn workers per server")
    ap.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--setups", nargs="*", default=["one", "two+replica"])
    args = ap.parse_args()

    size = LoadSize(**dataclasses.asdict(SIZES["small"]))
    ensure_database(size)
    setup_django(size)
    from bench.generate import generate

    generate(size)

    from django.contrib.auth import get_user_model

    from envgrid.grids.models import Grid
    from envgrid.security.tokens import token_issue

    users = list(
        get_user_model()
        .objects.filter(username__gt="bench000", person__isnull=False)
        .order_by("username")[: args.clients]
    )
    keys = [token_issue(user=u, ip=None)[1] for u in users]
    points = []
    for g in Grid.objects.filter(level=4).order_by("pk")[:500]:
        points.append(((g.min_lon + g.max_lon) / 2, (g.min_lat + g.max_lat) / 2))
    if not points:
        points = [(122.22, 40.67)]
    from django.core.management import call_command
    from django.db import connections

    call_command("createcachetable", verbosity=0)  # as `make migrate` does
    connections.close_all()

    env = dict(
        os.environ,
        DATABASE_URL=size.url,
        ENVGRID_DEBUG="0",
        ENVGRID_ALLOWED_HOSTS="127.0.0.1",
        ENVGRID_LOG_LEVEL="WARNING",
        PYTHONWARNINGS="ignore::UserWarning",
        # One shared cache, as several app servers need (rate limits, read-your-writes).
        ENVGRID_REDIS_URL=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/4"),
    )
    env.pop("DATABASE_REPLICA_URL", None)
    results: dict[str, Any] = {}
    for setup in args.setups:
        standby = None
        servers: list[tuple[Any, str]] = []
        try:
            senv = dict(env)
            if setup == "two+replica":
                standby = tempfile.mkdtemp(prefix="envgrid-load-standby.")
                subprocess.run(
                    ["bash", "scripts/replica.sh", "start", standby, str(REPLICA_PORT)],
                    cwd=ROOT,
                    check=True,
                )
                senv["DATABASE_REPLICA_URL"] = (
                    f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/{size.database}"
                )
                n_servers = 2
            else:
                n_servers = 1
            servers = [_start_server(senv, args.workers, args.threads) for _ in range(n_servers)]
            bases = [url for _p, url in servers]
            for url in bases:
                _wait(url)
            print(f"[load] {setup}: warming up {args.warmup:.0f} s", flush=True)
            _run_clients(bases, keys, args.clients, args.warmup, args.procs, points)
            print(
                f"[load] {setup}: {args.clients} clients for {args.seconds:.0f} s "
                f"against {n_servers} server(s)",
                flush=True,
            )
            samples = _run_clients(bases, keys, args.clients, args.seconds, args.procs, points)
        finally:
            for proc, _url in servers:
                proc.terminate()
                proc.wait(timeout=30)
            if standby:
                subprocess.run(["bash", "scripts/replica.sh", "stop", standby], cwd=ROOT)
        r = {
            "figure": "load",
            "setup": setup,
            "servers": n_servers,
            "replica": setup == "two+replica",
            "clients": args.clients,
            "seconds": args.seconds,
            "gunicorn": f"{args.workers} workers × {args.threads} threads per server",
            "client_processes": args.procs,
            "data": "small benchmark set (500 grids, 5,000 entities, 20,000 cases)",
            "host": {"cpus": os.cpu_count(), "loadavg_after": os.getloadavg()},
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **_summary(samples, args.seconds),
        }
        results[setup] = r
        RESULTS.mkdir(parents=True, exist_ok=True)
        name = setup.replace("+", "-")
        Path(RESULTS / f"load-{name}.json").write_text(
            json.dumps(r, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(
            f"[load] {setup}: {r['requests']} requests, {r['errors']} errors, "
            f"{r['throughput_rps']} req/s, p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
            f"p99 {r['p99_ms']} ms",
            flush=True,
        )
    for setup in ("one", "two+replica"):  # the other setup from an earlier run
        saved = RESULTS / f"load-{setup.replace('+', '-')}.json"
        if setup not in results and saved.exists():
            results[setup] = json.loads(saved.read_text(encoding="utf-8"))
    if "one" in results and "two+replica" in results:
        one, two = results["one"], results["two+replica"]
        summary = {
            "figure": "load",
            "clients": args.clients,
            "seconds": args.seconds,
            "p95_ratio_two_replica_vs_one": round(two["p95_ms"] / one["p95_ms"], 3),
            "goal": "p95 ratio <= 0.6 and 0 errors",
            "errors": {"one": one["errors"], "two+replica": two["errors"]},
            "met": two["p95_ms"] <= 0.6 * one["p95_ms"] and two["errors"] == 0,
        }
        (RESULTS / "load-summary.json").write_text(
            json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(f"[load] p95 two+replica / one = {summary['p95_ratio_two_replica_vs_one']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
