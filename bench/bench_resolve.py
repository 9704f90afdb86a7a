"""Benchmark of point → grid resolution (SPEC G3): the raster index's resolve_many against
a shapely STRtree baseline in the same run, on synthetic irregular cells inside the real
站前区 outline (Voronoi cells clipped to their parents, two levels below the district).

    .venv/bin/python bench/bench_resolve.py                 # 5,000 cells, 10M points
    .venv/bin/python bench/bench_resolve.py --cells 500 --points 1000000

Prints throughput, the ratio to the baseline, single-lookup latency and the build time,
and checks exactness against brute force on a sample (exits non-zero on a mismatch).
No database: it measures the in-memory index only.
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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=5000)
    ap.add_argument("--points", type=int, default=10_000_000)
    ap.add_argument("--baseline-points", type=int, default=200_000)
    ap.add_argument("--check-points", type=int, default=200_000)
    ap.add_argument("--max-cells", type=int, default=4_000_000, help="raster size cap")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()

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
    return 1 if bad or not agree_base else 0


if __name__ == "__main__":
    raise SystemExit(main())
