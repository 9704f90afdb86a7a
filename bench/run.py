"""Run the province-scale benchmarks at one size: make (or resume) the synthetic data in
the size's own database, then every figure, each printing our time, a baseline measured
in the same run and their ratio, and writing bench/results/<figure>-<size>.json.

    .venv/bin/python -m bench.run                      # small: what `make bench` runs
    nice -n 10 .venv/bin/python -m bench.run --size full
    .venv/bin/python -m bench.run --size medium --figures sweep assessment

Figures: resolve (point→grid), case_list (API page, 16 clients), sweep (overdue marking),
assessment (annual assessment, 200 units), import (.xlsx entities). See each bench/fig_*.py.
"""

from __future__ import annotations

import argparse
import time
import traceback
from typing import Any

from bench.common import SIZES, Size, ensure_database, save, setup_django

FIGURES = ("resolve", "case_list", "sweep", "assessment", "import")
# Point→grid: (cells, points, baseline points) per size; the goal is stated at 5,000 cells.
RESOLVE = {
    "small": (500, 2_000_000, 50_000),
    "medium": (5_000, 10_000_000, 200_000),
    "full": (50_000, 10_000_000, 200_000),
}


def figure(name: str, size: Size) -> dict[str, Any]:
    if name == "resolve":
        from bench.bench_resolve import run as resolve

        cells, points, nb = RESOLVE[size.name]
        r = resolve(
            cells=cells,
            points=points,
            baseline_points=nb,
            check_points=nb,
            postgis_db=size.database,
        )
        print(
            f"[resolve] ours {r['ours_points_per_s'] / 1e6:.2f} M points/s; "
            f"STRtree {r['strtree_points_per_s'] / 1e6:.3f} M/s (ratio {r['ratio_vs_strtree']:.0f}x); "
            + (
                f"PostGIS {r['postgis_points_per_s'] / 1e6:.3f} M/s (ratio {r['ratio_vs_postgis']:.0f}x); "
                if r["postgis_points_per_s"]
                else "PostGIS n/a; "
            )
            + f"single lookup {r['single_lookup_us']:.2f} µs  goal >= 10M/s, <= 20 µs"
        )
        return r
    if name == "case_list":
        from bench.fig_case_list import run as case_list

        return case_list(size)
    if name == "sweep":
        from bench.fig_sweep import run as sweep

        return sweep(size, runs=3 if size.name != "full" else 2)
    if name == "assessment":
        from bench.fig_assessment import run as assessment

        return assessment(size, runs=3 if size.name != "full" else 2)
    if name == "import":
        from bench.fig_import import run as entity_import

        return entity_import(size)
    raise ValueError(name)


def summary_line(name: str, r: dict[str, Any]) -> str:
    if "error" in r:
        return f"  {name:<11} FAILED: {r['error']}"
    if name == "resolve":
        ratio = f"{r['ratio_vs_strtree']:.0f}x STRtree"
        if r.get("ratio_vs_postgis"):
            ratio += f", {r['ratio_vs_postgis']:.0f}x PostGIS (throughput, higher is better)"
        ours = f"{r['ours_points_per_s'] / 1e6:.1f} M points/s, {r['single_lookup_us']:.2f} µs"
    elif name == "case_list":
        ours = f"p95 {r['ours_p95_ms']:.1f} ms vs {r['baseline_p95_ms']:.1f} ms"
        ratio = f"{r['ratio']:.2f}x"
    else:
        ours = f"{r['ours_seconds']:.3f} s vs {r['baseline_seconds']:.3f} s"
        ratio = f"{r['ratio']:.2f}x"
    met = "met" if r.get("goal_met") else "MISSED"
    return f"  {name:<11} {ours:<44} {ratio:<10} goal {r.get('goal', '')}: {met}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), default="small")
    ap.add_argument("--figures", nargs="*", choices=FIGURES, default=list(FIGURES))
    args = ap.parse_args()
    size = SIZES[args.size]
    t0 = time.perf_counter()
    ensure_database(size)
    setup_django(size)
    from bench.generate import generate

    generate(size)
    results: dict[str, dict[str, Any]] = {}
    for name in args.figures:
        print(f"\n=== {name} ({size.name}) ===", flush=True)
        t = time.perf_counter()
        try:
            r = figure(name, size)
        except Exception as exc:  # one broken figure must not hide the others
            traceback.print_exc()
            r = {"error": f"{exc.__class__.__name__}: {exc}"}
        r["wall_seconds"] = round(time.perf_counter() - t, 1)
        results[name] = r
        path = save(name, size, r)
        print(f"  → {path.relative_to(path.parent.parent.parent)} ({r['wall_seconds']}s)")
    print(f"\nsummary, size {size.name} (ratio = ours / baseline unless said):")
    for name, r in results.items():
        print(summary_line(name, r))
    print(f"total {time.perf_counter() - t0:.0f}s")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
