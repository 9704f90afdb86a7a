"""Benchmark of point → grid resolution (SPEC G3): the raster index's resolve_many against
a shapely STRtree baseline in the same run, on synthetic irregular cells inside the real
站前区 outline (Voronoi cells clipped to their parents, two levels below the district).

    .venv/bin/python bench/bench_resolve.py                 # 5,000 cells, 10M points
    .venv/bin/python bench/bench_resolve.py --cells 500 --points 1000000

Prints throughput, the ratio to the baseline, single-lookup latency and the build time,
and checks exactness against brute force on a sample (exits non-zero on a mismatch).
The index itself needs no database; with --postgis-db the same cells and points also go
into a PostGIS table there (GiST index) and PostGIS's best query form is timed too
(Debian's postgis package is installed when missing). `python -m bench.run` calls
`run()` at each size and writes bench/results/resolve-<size>.json.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from envgrid.grids.index import GridIndex
from envgrid.grids.synthetic import voronoi_split, zhanqian_outline


def build_cells(n_cells: int, seed: int) -> tuple[list, list[str], list[int]]:
    rng = np.random.default_rng(seed)
    root = zhanqian_outline()
    n3 = max(1, round(math.sqrt(n_cells) / 1.4))
    per = max(1, round(n_cells / n3))
    geoms, codes, levels = [root], ["R"], [2]
    for i, c3 in enumerate(voronoi_split(root, n3, rng)):
        geoms.append(c3)
        codes.append(f"A{i:04d}")
        levels.append(3)
        for j, c4 in enumerate(voronoi_split(c3, per, rng)):
            geoms.append(c4)
            codes.append(f"A{i:04d}{j:04d}")
            levels.append(4)
    return geoms, codes, levels


def strtree_baseline(geoms: list, rank: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """What one would write without the index: STRtree query + the same rule."""
    tree = shapely.STRtree(geoms)
    pi, gi = tree.query(shapely.points(xs, ys), predicate="intersects")
    best = np.full(len(xs), -1, dtype=np.int64)
    np.maximum.at(best, pi, rank[gi])
    by_rank = np.empty(len(rank), dtype=np.int64)
    by_rank[rank] = np.arange(len(rank))
    return np.where(best >= 0, by_rank[np.maximum(best, 0)], -1)


# Query forms tried; the fastest one is the baseline (all give the rule's answer).
POSTGIS_FORMS = {
    "lateral": """
        SELECT p.i, c.pos FROM bench_points p
        LEFT JOIN LATERAL (
          SELECT pos FROM bench_cells c WHERE ST_Covers(c.geom, p.geom)
          ORDER BY c.level DESC, c.code LIMIT 1) c ON true""",
    "join+distinct-on": """
        SELECT DISTINCT ON (p.i) p.i, c.pos FROM bench_points p
        JOIN bench_cells c ON ST_Covers(c.geom, p.geom)
        ORDER BY p.i, c.level DESC, c.code""",
    # Cells outer, points found through their GiST index: each polygon is tested against
    # its points one after another, so PostGIS prepares it once (its prepared-geometry cache).
    "cells-outer+distinct-on": """
        SELECT DISTINCT ON (p.i) p.i, c.pos FROM bench_cells c
        CROSS JOIN LATERAL (
          SELECT i FROM bench_points p WHERE ST_Covers(c.geom, p.geom)) p
        ORDER BY p.i, c.level DESC, c.code""",
    # Leaf level first (most points end there, and the big upper polygons are never tested
    # for them), then the general form for the rest.
    "leaf-first": """
        WITH leaf AS (
          SELECT DISTINCT ON (p.i) p.i, c.pos FROM bench_cells c
          JOIN bench_points p ON ST_Covers(c.geom, p.geom)
          WHERE c.level = (SELECT max(level) FROM bench_cells)
          ORDER BY p.i, c.code)
        SELECT i, pos FROM leaf
        UNION ALL
        SELECT p.i, (array_agg(c.pos ORDER BY c.level DESC, c.code))[1] FROM bench_points p
        JOIN bench_cells c ON ST_Covers(c.geom, p.geom)
        WHERE NOT EXISTS (SELECT 1 FROM leaf WHERE leaf.i = p.i) GROUP BY p.i""",
    "join+group": """
        SELECT p.i, (array_agg(c.pos ORDER BY c.level DESC, c.code))[1] FROM bench_points p
        JOIN bench_cells c ON ST_Covers(c.geom, p.geom) GROUP BY p.i""",
}


def postgis_baseline(
    db: str, geoms: list, codes: list[str], levels: list[int], xs: np.ndarray, ys: np.ndarray
) -> tuple[float, str, np.ndarray]:
    """PostGIS at its best of POSTGIS_FORMS: points and cells as tables with GiST indexes
    (ST_Covers: the boundary counts as inside, as in our rule; highest level, then smallest
    code wins). Times the query only, not the loading. Points outside every cell are
    simply absent from the join forms' answers, which the caller reads as outside."""
    import psycopg

    from bench.common import PG

    with psycopg.connect(f"{PG}/{db}", autocommit=True) as conn:
        conn.execute("SET jit = off")
        conn.execute("DROP TABLE IF EXISTS bench_cells, bench_points")
        conn.execute(
            "CREATE UNLOGGED TABLE bench_cells (pos int, code text, level int, geom geometry)"
        )
        conn.execute("CREATE UNLOGGED TABLE bench_points (i int, geom geometry)")
        with conn.cursor() as cur:
            with cur.copy("COPY bench_cells (pos, code, level, geom) FROM STDIN") as cp:
                for i, g in enumerate(geoms):
                    cp.write_row((i, codes[i], levels[i], "SRID=4326;" + g.wkt))
            with cur.copy("COPY bench_points (i, geom) FROM STDIN") as cp:
                for i, (x, y) in enumerate(zip(xs.tolist(), ys.tolist(), strict=True)):
                    cp.write_row((i, f"SRID=4326;POINT({x!r} {y!r})"))
        conn.execute("CREATE INDEX ON bench_cells USING gist (geom)")
        conn.execute("CREATE INDEX ON bench_points USING gist (geom)")
        conn.execute("ANALYZE bench_cells")
        conn.execute("ANALYZE bench_points")
        best: tuple[float, str, list] | None = None
        for name, q in POSTGIS_FORMS.items():
            conn.execute(q).fetchall()  # warm the cache
            t = time.perf_counter()
            rows = conn.execute(q).fetchall()
            took = time.perf_counter() - t
            print(f"  PostGIS form {name}: {took:.3f}s")
            if best is None or took < best[0]:
                best = (took, name, rows)
        conn.execute("DROP TABLE bench_cells, bench_points")
    assert best is not None
    out = np.full(len(xs), -1, dtype=np.int64)
    for i, pos in best[2]:
        out[i] = -1 if pos is None else pos
    return best[0], best[1], out


def run(
    *,
    cells: int = 5000,
    points: int = 10_000_000,
    baseline_points: int = 200_000,
    check_points: int = 200_000,
    max_cells: int = 4_000_000,
    seed: int = 2026,
    postgis_db: str | None = None,
) -> dict:
    args = argparse.Namespace(
        cells=cells,
        points=points,
        baseline_points=baseline_points,
        check_points=check_points,
        max_cells=max_cells,
        seed=seed,
    )
    t = time.perf_counter()
    geoms, codes, levels = build_cells(args.cells, args.seed)
    n_leaf = sum(1 for lv in levels if lv == 4)
    print(
        f"cells: {len(geoms)} grids ({n_leaf} level-4), "
        f"{shapely.get_num_coordinates(geoms).sum():,} vertices, made in {time.perf_counter() - t:.1f}s"
    )

    t = time.perf_counter()
    index = GridIndex(list(range(len(geoms))), codes, levels, geoms, max_cells=args.max_cells)
    print(f"index build: {time.perf_counter() - t:.2f}s  {index.stats()}")

    rng = np.random.default_rng(args.seed + 1)
    minx, miny, maxx, maxy = geoms[0].bounds
    xs = rng.uniform(minx, maxx, args.points)
    ys = rng.uniform(miny, maxy, args.points)
    index.resolve_many_pos(xs[:1000], ys[:1000])  # warm up

    runs = []
    for _ in range(3):
        t = time.perf_counter()
        fast = index.resolve_many_pos(xs, ys)
        runs.append(time.perf_counter() - t)
    best = min(runs)
    fast_rate = args.points / best
    print(
        f"resolve_many: {args.points:,} points in {best:.3f}s (best of 3) = {fast_rate / 1e6:.2f} M points/s"
    )

    nb = min(args.baseline_points, args.points)
    t = time.perf_counter()
    base = strtree_baseline(geoms, index.rank, xs[:nb], ys[:nb])
    base_time = time.perf_counter() - t
    base_rate = nb / base_time
    print(f"STRtree baseline: {nb:,} points in {base_time:.3f}s = {base_rate / 1e6:.3f} M points/s")
    print(f"ratio resolve_many / STRtree: {fast_rate / base_rate:.1f}x")
    pg_rate = None
    pg_agree = None
    pg_form = None
    if postgis_db:
        from bench.common import ensure_postgis

        if ensure_postgis(postgis_db):
            pg_time, pg_form, pg = postgis_baseline(
                postgis_db, geoms, codes, levels, xs[:nb], ys[:nb]
            )
            pg_rate = nb / pg_time
            pg_agree = float((fast[:nb] == pg).mean())  # both are positions in `geoms`
            print(
                f"PostGIS baseline ({pg_form}): {nb:,} points in {pg_time:.3f}s"
                f" = {pg_rate / 1e6:.3f} M points/s; agrees on {pg_agree:.4%} of points"
            )
            print(f"ratio resolve_many / PostGIS: {fast_rate / pg_rate:.1f}x")
        else:
            print("PostGIS baseline: not available (package could not be installed)")

    pts = list(zip(xs[:20000].tolist(), ys[:20000].tolist(), strict=True))
    samples = []
    for _ in range(5):
        t = time.perf_counter()
        for x, y in pts:
            index.resolve_pos(x, y)
        samples.append((time.perf_counter() - t) / len(pts) * 1e6)
    print(f"single lookup (resolve_pos): median {statistics.median(samples):.2f} µs")

    nc = min(args.check_points, args.points)
    edge = np.concatenate([shapely.get_coordinates(g) for g in geoms[: min(len(geoms), 400)]])
    cx = np.concatenate([xs[:nc], edge[:, 0]])
    cy = np.concatenate([ys[:nc], edge[:, 1]])
    ref = index.reference(cx, cy)
    got = index.resolve_many_pos(cx, cy)
    bad = int((got != ref).sum())
    agree_base = bool((fast[:nb] == base).all())
    print(
        f"exactness: {len(cx):,} points (incl. {len(edge):,} vertices) vs brute force: "
        f"{bad} mismatches; agrees with the STRtree baseline: {agree_base}"
    )
    return {
        "cells": len(geoms),
        "points": args.points,
        "ours_points_per_s": fast_rate,
        "strtree_points_per_s": base_rate,
        "postgis_points_per_s": pg_rate,
        "ratio_vs_strtree": fast_rate / base_rate,
        "ratio_vs_postgis": (fast_rate / pg_rate) if pg_rate else None,
        "postgis_agreement": pg_agree,
        "postgis_form": pg_form,
        "single_lookup_us": statistics.median(samples),
        "exact_mismatches": bad,
        "agrees_with_strtree": agree_base,
        "goal": ">= 10M points/s; single lookup <= 20 us",
        "goal_met": fast_rate >= 10e6 and statistics.median(samples) <= 20,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=5000)
    ap.add_argument("--points", type=int, default=10_000_000)
    ap.add_argument("--baseline-points", type=int, default=200_000)
    ap.add_argument("--check-points", type=int, default=200_000)
    ap.add_argument("--max-cells", type=int, default=4_000_000, help="raster size cap")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--postgis-db", help="also time PostGIS in this database")
    a = ap.parse_args()
    r = run(
        cells=a.cells,
        points=a.points,
        baseline_points=a.baseline_points,
        check_points=a.check_points,
        max_cells=a.max_cells,
        seed=a.seed,
        postgis_db=a.postgis_db,
    )
    return 1 if r["exact_mismatches"] or not r["agrees_with_strtree"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
