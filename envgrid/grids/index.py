"""In-process spatial index for point → grid resolution (G3), the system's hot path.

Resolution rule (documented, deterministic, and the one the brute-force reference uses):

    A point belongs to the grid of the highest level whose closed boundary covers it
    (points on a boundary count as inside). Where grids of that level share the point —
    on a shared edge or vertex — the grid with the smallest code wins. A point that no
    active grid covers is "outside".

How it is fast and still exact:

1. A uniform raster over the bounding box of all grids. Every boundary edge is cut into
   pieces no longer than half a raster cell; each piece marks the cells its (slightly
   grown) bounding box touches. This over-approximates the cells an edge passes through,
   so an *unmarked* cell is touched by no boundary at all: every point in it has the same
   answer, found once by a scan-line fill of the cell centres. A lookup there is two
   multiplications and one array read.
2. A marked cell that exactly one distinct edge crosses is split by that edge's line: the
   answer on each side was found once (exactly, with shapely) at a sample corner. A point
   is placed on a side with a floating-point orientation test and its error bound
   (Shewchuk's orient2d filter); only points within that bound of the line go on to 3.
3. Every other point (cells with vertices or several edges, and near-line points) is
   tested exactly with shapely (GEOS) against the few candidate grids of its cell, ranked
   by the rule above; the candidates' prepared geometries make each test cheap.

Cells are marked with a margin far above floating-point rounding, so a point that
rounds into a neighbouring cell still gets that cell's correct answer.

The index is rebuilt when grids change: every grid write bumps GridIndexVersion (service
calls, and a post_save signal for writes that bypass the services), and each process
compares that single row's token with the token its index was built from before a
lookup (see `current_index`).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

log = logging.getLogger(__name__)

OUTSIDE = -1
_FALLBACK = -3
# Shewchuk's ccwerrboundA is (3 + 16ε)ε ≈ 3.33e-16; 1e-15 leaves room for the products.
_ORIENT_BOUND = 1e-15
DEFAULT_MAX_CELLS = 4_000_000
CELLS_PER_GRID = 2048
MIN_CELLS = 65_536


class IndexBuildError(RuntimeError):
    pass


def _unique(a: np.ndarray) -> np.ndarray:
    """Sorted unique values (sort-based: much faster than numpy's hash path here)."""
    a = np.sort(a, kind="stable")
    if len(a) == 0:
        return a
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def _runs(sorted_a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values, first index and length of each run of equal values in a sorted array."""
    if len(sorted_a) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return sorted_a, empty, empty
    starts = np.flatnonzero(np.r_[True, sorted_a[1:] != sorted_a[:-1]])
    counts = np.diff(np.r_[starts, len(sorted_a)])
    return sorted_a[starts], starts, counts


def _rank_order(levels: Sequence[int], codes: Sequence[str]) -> np.ndarray:
    """rank[i]: a larger rank wins (higher level first, then the smaller code)."""
    n = len(levels)
    best_first = sorted(range(n), key=lambda i: (-levels[i], codes[i]))
    rank = np.empty(n, dtype=np.int64)
    rank[np.asarray(best_first, dtype=np.int64)] = np.arange(n - 1, -1, -1, dtype=np.int64)
    return rank


def _segments(geoms: Sequence[BaseGeometry]) -> tuple[np.ndarray, np.ndarray]:
    """All ring edges as an (m, 4) array x1 y1 x2 y2, and the index of the owning grid."""
    ring_arrays = []
    owners = []
    for i, g in enumerate(geoms):
        parts = shapely.get_parts(g)
        rings = shapely.get_rings(parts)
        ring_arrays.append(rings)
        owners.append(np.full(len(rings), i, dtype=np.int64))
    if not ring_arrays:
        return np.zeros((0, 4)), np.zeros(0, dtype=np.int64)
    rings = np.concatenate(ring_arrays)
    ring_owner = np.concatenate(owners)
    coords, ring_idx = shapely.get_coordinates(rings, return_index=True)
    same = ring_idx[:-1] == ring_idx[1:]
    seg = np.hstack([coords[:-1][same], coords[1:][same]])
    owner = ring_owner[ring_idx[:-1][same]]
    keep = (seg[:, 0] != seg[:, 2]) | (seg[:, 1] != seg[:, 3])
    return seg[keep], owner[keep]


def reference_resolve(
    geoms: Sequence[BaseGeometry], rank: np.ndarray, xs: np.ndarray, ys: np.ndarray
) -> np.ndarray:
    """Brute force: test every point against every grid (shapely), apply the rule.
    Returns grid positions, OUTSIDE where none covers the point."""
    xs = np.asarray(xs, dtype=np.float64)
    ys = np.asarray(ys, dtype=np.float64)
    best = np.full(len(xs), -1, dtype=np.int64)
    out = np.full(len(xs), OUTSIDE, dtype=np.int64)
    for i, g in enumerate(geoms):
        hit = shapely.intersects_xy(g, xs, ys) & (rank[i] > best)
        best[hit] = rank[i]
        out[hit] = i
    return out


class GridIndex:
    """Immutable once built; safe to share between threads."""

    def __init__(
        self,
        ids: Sequence[int],
        codes: Sequence[str],
        levels: Sequence[int],
        geoms: Sequence[BaseGeometry],
        *,
        max_cells: int = DEFAULT_MAX_CELLS,
        token: Any = None,
    ) -> None:
        t0 = time.perf_counter()
        self.token = token
        self.n = n = len(ids)
        self.ids = np.asarray(ids, dtype=np.int64)
        self.codes = list(codes)
        self.levels = list(levels)
        self.geoms = np.asarray(list(geoms), dtype=object) if n else np.zeros(0, dtype=object)
        if n:
            shapely.prepare(self.geoms)
        self.rank = _rank_order(self.levels, self.codes)
        self._pos_of_id = {int(v): i for i, v in enumerate(self.ids)}
        if n == 0:
            self.nx = self.ny = 0
            self.build_seconds = 0.0
            return
        self._build(max_cells)
        self.build_seconds = time.perf_counter() - t0

    # ---------------------------------------------------------------- build
    def _build(self, max_cells: int) -> None:
        bounds = shapely.bounds(self.geoms)
        minx, miny = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        maxx, maxy = float(bounds[:, 2].max()), float(bounds[:, 3].max())
        ext = max(maxx - minx, maxy - miny, 1e-9)
        pad = ext * 1e-4
        x0, y0 = minx - pad, miny - pad
        w, h = (maxx + pad) - x0, (maxy + pad) - y0
        target = int(min(max_cells, max(MIN_CELLS, CELLS_PER_GRID * self.n)))
        side = math.sqrt(w * h / target)
        nx, ny = max(1, math.ceil(w / side)), max(1, math.ceil(h / side))
        dx, dy = w / nx, h / ny
        self.x0, self.y0, self.nx, self.ny, self.dx, self.dy = x0, y0, nx, ny, dx, dy
        self.inv_dx, self.inv_dy = 1.0 / dx, 1.0 / dy
        # Margin of a cell (in degrees) far above the rounding of any index computation.
        eps = 1e-6 * min(dx, dy)

        seg, owner = _segments(list(self.geoms))
        norm = seg.copy()
        swap = (seg[:, 0] > seg[:, 2]) | ((seg[:, 0] == seg[:, 2]) & (seg[:, 1] > seg[:, 3]))
        norm[swap] = seg[swap][:, [2, 3, 0, 1]]
        useg, inverse = np.unique(norm, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        nu = len(useg)

        # 1. Mark every cell that an edge (grown by eps) may touch.
        ax, ay, bx, by = useg[:, 0], useg[:, 1], useg[:, 2], useg[:, 3]
        length_cells = np.maximum(np.abs(bx - ax) / dx, np.abs(by - ay) / dy)
        npieces = np.maximum(1, np.ceil(length_cells / 0.5)).astype(np.int64)
        piece_seg = np.repeat(np.arange(nu, dtype=np.int64), npieces)
        k = np.arange(len(piece_seg), dtype=np.int64) - np.repeat(
            np.cumsum(npieces) - npieces, npieces
        )
        t0 = k / npieces[piece_seg]
        t1 = (k + 1) / npieces[piece_seg]
        sx, sy = (bx - ax)[piece_seg], (by - ay)[piece_seg]
        px0, py0 = ax[piece_seg] + t0 * sx, ay[piece_seg] + t0 * sy
        px1, py1 = ax[piece_seg] + t1 * sx, ay[piece_seg] + t1 * sy
        grow = 2 * eps
        ix0 = np.floor((np.minimum(px0, px1) - grow - x0) * self.inv_dx).astype(np.int64)
        ix1 = np.floor((np.maximum(px0, px1) + grow - x0) * self.inv_dx).astype(np.int64)
        iy0 = np.floor((np.minimum(py0, py1) - grow - y0) * self.inv_dy).astype(np.int64)
        iy1 = np.floor((np.maximum(py0, py1) + grow - y0) * self.inv_dy).astype(np.int64)
        if len(ix0) and (int((ix1 - ix0).max()) > 1 or int((iy1 - iy0).max()) > 1):
            raise IndexBuildError("edge piece spans more than two cells")
        np.clip(ix0, 0, nx - 1, out=ix0)
        np.clip(ix1, 0, nx - 1, out=ix1)
        np.clip(iy0, 0, ny - 1, out=iy0)
        np.clip(iy1, 0, ny - 1, out=iy1)
        keys = np.concatenate(
            [
                (iy0 * nx + ix0) * nu + piece_seg,
                (iy0 * nx + ix1) * nu + piece_seg,
                (iy1 * nx + ix0) * nu + piece_seg,
                (iy1 * nx + ix1) * nu + piece_seg,
            ]
        )
        keys = _unique(keys)
        key_cell = keys // nu
        key_seg = keys % nu
        mcell, mstart, mcount = _runs(key_cell)
        n_mixed = len(mcell)

        # 2. Fill every cell centre by scan lines (exact wherever no edge is near, which
        #    is everywhere that matters: marked cells are overwritten below).
        labels = self._scanline_fill(seg, owner)
        flat = labels.ravel()
        flat[mcell] = (-2 - np.arange(n_mixed)).astype(np.int32)
        self.labels = flat
        # Query raster: the same cells inside a one-cell border of OUTSIDE, so a lookup
        # clamps instead of testing bounds (NaN clamps onto the border too).
        bordered = np.full((ny + 2, nx + 2), OUTSIDE, dtype=np.int32)
        bordered[1:-1, 1:-1] = labels
        self._bordered = bordered.ravel()
        self._bx0, self._by0 = x0 - dx, y0 - dy
        self.n_cells = nx * ny
        self.n_mixed = n_mixed

        # 3. Mixed cells: their edges' owners are the candidates; the best grid that covers
        #    the whole cell (contains its centre, owns no edge in it) is the default.
        cell_x = x0 + (mcell % nx + 0.5) * dx
        cell_y = y0 + (mcell // nx + 0.5) * dy
        mixed_of_key = np.repeat(np.arange(n_mixed, dtype=np.int64), mcount)
        uo_pairs = _unique(inverse * self.n + owner)
        uo_seg, uo_owner = uo_pairs // self.n, uo_pairs % self.n
        uo_ptr = np.searchsorted(uo_seg, np.arange(nu + 1))
        per_key = uo_ptr[key_seg + 1] - uo_ptr[key_seg]
        rep = np.repeat(np.arange(len(key_seg), dtype=np.int64), per_key)
        off = np.arange(len(rep), dtype=np.int64) - np.repeat(np.cumsum(per_key) - per_key, per_key)
        cand_owner = uo_owner[uo_ptr[key_seg[rep]] + off]
        cand_keys = _unique(mixed_of_key[rep] * self.n + cand_owner)
        cand_m, cand_g = cand_keys // self.n, cand_keys % self.n

        tree = shapely.STRtree(self.geoms)
        pm, pg = self._exact_pairs(cell_x, cell_y, tree)
        pk = pm.astype(np.int64) * self.n + pg
        at = np.minimum(np.searchsorted(cand_keys, pk), max(len(cand_keys) - 1, 0))
        full = (
            ~((len(cand_keys) > 0) & (cand_keys[at] == pk))
            if len(cand_keys)
            else np.ones(len(pk), bool)
        )
        default = np.full(n_mixed, -1, dtype=np.int64)  # best rank, -1 = none
        np.maximum.at(default, pm[full], self.rank[pg[full]])
        self.by_rank = np.empty(self.n, dtype=np.int64)
        self.by_rank[self.rank] = np.arange(self.n)
        self.mixed_default = np.where(default >= 0, self.by_rank[np.maximum(default, 0)], OUTSIDE)

        # Candidates worth testing: rank above the default, best first.
        cand_rank = self.rank[cand_g]
        keep = cand_rank > default[cand_m]
        cand_m, cand_g, cand_rank = cand_m[keep], cand_g[keep], cand_rank[keep]
        order = np.lexsort((-cand_rank, cand_m))
        self.cand_g = cand_g[order]
        self.cand_ptr = np.searchsorted(cand_m[order], np.arange(n_mixed + 1))

        # 4. Cells crossed by one distinct edge: answer per side, sampled at a corner.
        single = mcount == 1
        s_idx = np.flatnonzero(single)
        s_seg = useg[key_seg[mstart[s_idx]]]
        self.s_seg = np.full((n_mixed, 4), np.nan)
        self.s_seg[s_idx] = s_seg
        self.s_left = np.full(n_mixed, _FALLBACK, dtype=np.int64)
        self.s_right = np.full(n_mixed, _FALLBACK, dtype=np.int64)
        if len(s_idx):
            cx, cy = cell_x[s_idx], cell_y[s_idx]
            hx, hy = dx / 2 + eps, dy / 2 + eps
            corners_x = np.stack([cx - hx, cx + hx, cx - hx, cx + hx], axis=1)
            corners_y = np.stack([cy - hy, cy - hy, cy + hy, cy + hy], axis=1)
            o, bound = _orient(s_seg[:, None, :], corners_x, corners_y)
            rows = np.arange(len(s_idx))
            li = np.argmax(o, axis=1)
            ri = np.argmin(o, axis=1)
            left_ok = o[rows, li] > bound[rows, li]
            right_ok = o[rows, ri] < -bound[rows, ri]
            sample_x = np.concatenate([corners_x[rows, li], corners_x[rows, ri]])
            sample_y = np.concatenate([corners_y[rows, li], corners_y[rows, ri]])
            answer = self._exact(sample_x, sample_y, tree)
            m = len(s_idx)
            self.s_left[s_idx] = np.where(left_ok, answer[:m], _FALLBACK)
            self.s_right[s_idx] = np.where(right_ok, answer[m:], _FALLBACK)

    def _scanline_fill(self, seg: np.ndarray, owner: np.ndarray) -> np.ndarray:
        nx, ny, dx, dy, x0, y0 = self.nx, self.ny, self.dx, self.dy, self.x0, self.y0
        labels = np.full((ny, nx), OUTSIDE, dtype=np.int32)
        x1, y1, x2, y2 = seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3]
        slanted = y1 != y2
        x1, y1, x2, y2, own = x1[slanted], y1[slanted], x2[slanted], y2[slanted], owner[slanted]

        # Rows whose centre y satisfies ylo <= y < yhi. The same float expression maps a
        # shared vertex for both edges meeting there, so every row crosses a closed ring an
        # even number of times.
        def row_of(y: np.ndarray) -> np.ndarray:
            return np.clip(np.ceil((y - y0) / dy - 0.5), 0, ny).astype(np.int64)

        j0, j1 = row_of(np.minimum(y1, y2)), row_of(np.maximum(y1, y2))
        cnt = np.maximum(j1 - j0, 0)
        rep = np.repeat(np.arange(len(cnt), dtype=np.int64), cnt)
        j = j0[rep] + (np.arange(len(rep), dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        yc = y0 + (j + 0.5) * dy
        sx1, sy1, sx2, sy2 = x1[rep], y1[rep], x2[rep], y2[rep]
        xc = sx1 + (yc - sy1) * (sx2 - sx1) / (sy2 - sy1)
        xc = np.clip(xc, np.minimum(sx1, sx2), np.maximum(sx1, sx2))
        g = own[rep]
        order = np.lexsort((xc, j, g))
        g, j, xc = g[order], j[order], xc[order]
        group = g * (ny + 1) + j
        gcount = _runs(group)[2]
        if (gcount % 2).any():
            raise IndexBuildError("odd number of ring crossings on a scan line")
        xa, xb = xc[0::2], xc[1::2]
        gg, jj = g[0::2], j[0::2]
        c0 = np.clip(np.ceil((xa - x0) / dx - 0.5), 0, nx).astype(np.int64)
        c1 = np.clip(np.ceil((xb - x0) / dx - 0.5), 0, nx).astype(np.int64)
        nonempty = c1 > c0
        gg, jj, c0, c1 = gg[nonempty], jj[nonempty], c0[nonempty], c1[nonempty]
        # Paint lower ranks first so the winner of the rule is painted last.
        order = np.argsort(self.rank[gg], kind="stable")
        for gi, row, a, b in zip(
            gg[order].tolist(),
            jj[order].tolist(),
            c0[order].tolist(),
            c1[order].tolist(),
            strict=True,
        ):
            labels[row, a:b] = gi
        return labels

    def _exact_pairs(
        self, xs: np.ndarray, ys: np.ndarray, tree: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """(point, grid) pairs where the grid covers the point: bounding boxes from the
        tree, then one vectorised prepared-geometry test per grid (much faster than the
        tree's own predicate query)."""
        pi, gi = tree.query(shapely.points(xs, ys))
        keep = np.zeros(len(pi), dtype=bool)
        order = np.argsort(gi, kind="stable")
        gs = gi[order]
        cuts = np.flatnonzero(np.diff(gs)) + 1
        for lo, hi in zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(gs)].tolist(), strict=True):
            if lo == hi:
                continue
            sel = order[lo:hi]
            pts = pi[sel]
            keep[sel] = shapely.intersects_xy(self.geoms[int(gs[lo])], xs[pts], ys[pts])
        return pi[keep].astype(np.int64), gi[keep].astype(np.int64)

    def _exact(self, xs: np.ndarray, ys: np.ndarray, tree: Any = None) -> np.ndarray:
        """Exact answer by the rule for arbitrary points (build-time sampling)."""
        tree = tree if tree is not None else shapely.STRtree(self.geoms)
        pi, gi = self._exact_pairs(xs, ys, tree)
        best = np.full(len(xs), -1, dtype=np.int64)
        np.maximum.at(best, pi, self.rank[gi])
        return np.where(best >= 0, self.by_rank[np.maximum(best, 0)], OUTSIDE)

    # ---------------------------------------------------------------- queries
    def resolve_pos(self, x: float, y: float) -> int:
        """Position of the answer in self.ids for one WGS84 point, or OUTSIDE."""
        if self.n == 0:
            return OUTSIDE
        fx = (x - self.x0) * self.inv_dx
        fy = (y - self.y0) * self.inv_dy
        if not (0.0 <= fx < self.nx and 0.0 <= fy < self.ny):
            return OUTSIDE
        lab = int(self.labels[int(fy) * self.nx + int(fx)])
        if lab >= OUTSIDE:
            return lab
        k = -2 - lab
        left = int(self.s_left[k])
        right = int(self.s_right[k])
        if left != _FALLBACK or right != _FALLBACK:
            ax, ay, bx, by = self.s_seg[k].tolist()
            detleft = (ax - x) * (by - y)
            detright = (ay - y) * (bx - x)
            o = detleft - detright
            bound = _ORIENT_BOUND * (abs(detleft) + abs(detright))
            if o > bound and left != _FALLBACK:
                return left
            if o < -bound and right != _FALLBACK:
                return right
        geoms = self.geoms
        for g in self.cand_g[self.cand_ptr[k] : self.cand_ptr[k + 1]].tolist():
            if shapely.intersects_xy(geoms[g], x, y):
                return g
        return int(self.mixed_default[k])

    def resolve_many_pos(self, xs: Any, ys: Any) -> np.ndarray:
        """Positions (int64) of the answers for arrays of WGS84 points; OUTSIDE for none."""
        xs = np.ascontiguousarray(xs, dtype=np.float64)
        ys = np.ascontiguousarray(ys, dtype=np.float64)
        if self.n == 0 or len(xs) == 0:
            return np.full(len(xs), OUTSIDE, dtype=np.int64)
        fx = xs - self._bx0
        fx *= self.inv_dx
        np.fmax(fx, 0.0, out=fx)  # fmax/fmin also map NaN onto the border
        np.fmin(fx, self.nx + 1.0, out=fx)
        fy = ys - self._by0
        fy *= self.inv_dy
        np.fmax(fy, 0.0, out=fy)
        np.fmin(fy, self.ny + 1.0, out=fy)
        cell = fy.astype(np.int32 if self._bordered.size < 2**31 else np.int64)
        cell *= self.nx + 2
        cell += fx.astype(cell.dtype)
        del fx, fy
        out = self._bordered[cell].astype(np.int64)
        mixed = np.flatnonzero(out <= -2)
        if len(mixed):
            out[mixed] = self._resolve_mixed(xs[mixed], ys[mixed], -2 - out[mixed])
        return out

    def _resolve_mixed(self, xs: np.ndarray, ys: np.ndarray, k: np.ndarray) -> np.ndarray:
        res = np.full(len(k), _FALLBACK, dtype=np.int64)
        left, right = self.s_left[k], self.s_right[k]
        single = np.flatnonzero((left != _FALLBACK) | (right != _FALLBACK))
        if len(single):
            o, bound = _orient(self.s_seg[k[single]], xs[single], ys[single])
            lft, rgt = left[single], right[single]
            pick = np.where(o > bound, lft, np.where(o < -bound, rgt, _FALLBACK))
            res[single] = pick
        rest = np.flatnonzero(res == _FALLBACK)
        if len(rest):
            res[rest] = self._resolve_exact(xs[rest], ys[rest], k[rest])
        return res

    def _resolve_exact(self, xs: np.ndarray, ys: np.ndarray, k: np.ndarray) -> np.ndarray:
        start, stop = self.cand_ptr[k], self.cand_ptr[k + 1]
        cnt = stop - start
        rep = np.repeat(np.arange(len(k), dtype=np.int64), cnt)
        off = np.arange(len(rep), dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        g = self.cand_g[start[rep] + off]
        best = np.full(len(k), -1, dtype=np.int64)
        if len(rep):
            order = np.argsort(g, kind="stable")
            g_sorted, rep_sorted = g[order], rep[order]
            bounds = np.flatnonzero(np.diff(g_sorted)) + 1
            for lo, hi in zip(
                np.r_[0, bounds].tolist(), np.r_[bounds, len(g_sorted)].tolist(), strict=True
            ):
                gi = int(g_sorted[lo])
                pts = rep_sorted[lo:hi]
                hit = pts[shapely.intersects_xy(self.geoms[gi], xs[pts], ys[pts])]
                np.maximum.at(best, hit, self.rank[gi])
        default = self.mixed_default[k]
        return np.where(best >= 0, self.by_rank[np.maximum(best, 0)], default)

    def reference(self, xs: Any, ys: Any) -> np.ndarray:
        return reference_resolve(list(self.geoms), self.rank, xs, ys)

    def position_of(self, grid_id: int) -> int | None:
        return self._pos_of_id.get(int(grid_id))

    def stats(self) -> dict[str, Any]:
        return {
            "grids": self.n,
            "raster": [self.nx, self.ny],
            "mixed_cells": int(getattr(self, "n_mixed", 0)),
            "mixed_share": round(getattr(self, "n_mixed", 0) / max(1, self.nx * self.ny), 4),
            "build_seconds": round(self.build_seconds, 3),
        }


def _orient(seg: np.ndarray, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """orient2d(a, b, p) > 0 when p is left of a→b, with its forward error bound."""
    ax, ay, bx, by = seg[..., 0], seg[..., 1], seg[..., 2], seg[..., 3]
    detleft = (ax - px) * (by - py)
    detright = (ay - py) * (bx - px)
    return detleft - detright, _ORIENT_BOUND * (np.abs(detleft) + np.abs(detright))


# -------------------------------------------------------------------- process cache
@dataclass
class _Cache:
    index: GridIndex | None = None
    grids: dict[int, Any] | None = None  # id → Grid (read-only instances)
    chains: dict[int, list[Any]] | None = None
    dirty: bool = True


_cache = _Cache()
_lock = threading.Lock()


def _db_token() -> tuple[int, str]:
    """The version row, read with one plain query: this runs before every lookup, and the
    ORM's query building would cost far more than the lookup itself."""
    from django.db import connection

    from .models import GridIndexVersion

    table = connection.ops.quote_name(GridIndexVersion._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"SELECT counter, token FROM {table} WHERE id = 1")  # noqa: S608
        row = cur.fetchone()
    return (int(row[0]), str(row[1])) if row else (0, "")


def bump_version() -> None:
    """Record that grids changed (call inside the writing transaction)."""
    from django.db import IntegrityError, transaction
    from django.db.models import F

    from .models import GridIndexVersion

    _cache.dirty = True
    token = GridIndexVersion.new_token()
    if GridIndexVersion.objects.filter(pk=1).update(counter=F("counter") + 1, token=token):
        return
    try:
        with transaction.atomic():
            GridIndexVersion.objects.create(pk=1, counter=1, token=token)
    except IntegrityError:  # created concurrently: bump that row instead
        GridIndexVersion.objects.filter(pk=1).update(counter=F("counter") + 1, token=token)


def mark_dirty() -> None:
    _cache.dirty = True


def _load() -> tuple[GridIndex, dict[int, Any], dict[int, list[Any]]]:
    from .models import Grid

    token = _db_token()
    # The tree is read where the version was (the primary), never from a replica that may
    # be behind it: an index must not carry a token newer than its grids.
    grids = {g.pk: g for g in Grid.objects.using("default").select_related("owner_unit")}
    active = [g for g in grids.values() if g.is_active]
    active.sort(key=lambda g: g.code)
    geoms = [shape(g.boundary) for g in active]
    index = GridIndex(
        [g.pk for g in active],
        [g.code for g in active],
        [g.level for g in active],
        geoms,
        token=token,
    )
    chains: dict[int, list[Any]] = {}
    for g in active:
        chain = [g]
        seen = {g.pk}
        node = g
        while node.parent_id is not None and node.parent_id in grids and node.parent_id not in seen:
            node = grids[node.parent_id]
            seen.add(node.pk)
            chain.append(node)
        chains[g.pk] = list(reversed(chain))
    log.info("grid index built: %s", index.stats())
    return index, grids, chains


def current_index() -> tuple[GridIndex, dict[int, Any], dict[int, list[Any]]]:
    """The index for the grids as the database has them now (one single-row query when
    nothing changed; a rebuild when another process or this one changed a grid)."""
    token = _db_token()
    c = _cache
    if c.index is not None and not c.dirty and c.index.token == token:
        return c.index, c.grids or {}, c.chains or {}
    with _lock:
        if c.index is None or c.dirty or c.index.token != token:
            c.dirty = False
            index, grids, chains = _load()
            c.index, c.grids, c.chains = index, grids, chains
        return c.index, c.grids or {}, c.chains or {}
