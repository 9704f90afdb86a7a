"""Bulk track ingest (issue 10 §6): a day of GPS points from a CSV file, all or nothing.

Input format — CSV, UTF-8 (optionally gzip-compressed, name ending in ``.gz``), one point
per line after a header row naming the columns (any order, extra columns ignored)::

    staff,patrol,time,lon,lat
    812,app-7f3a,2026-03-02T08:00:05+08:00,122.2051,40.6652
    812,app-7f3a,1772409610,122.2052,40.6653

- ``staff``  — the grid staff's person id (``org.Person``), required;
- ``patrol`` — optional: the client's reference of the patrol (≤ 64 characters). Points
  with the same staff and reference belong to one patrol (``Patrol.external_ref``);
  without a reference a staff's points are cut into patrols where they pause for more
  than ``SPLIT_GAP_SECONDS``, and each piece joins the staff's existing patrol that it
  overlaps in time (the one the app started, say), or becomes a new patrol;
- ``time``   — ISO 8601 *with* an offset (``Z`` or ``+08:00``) or Unix seconds; a time
  without an offset is refused (an 8-hour mistake is worse than a refused file);
- ``lon``, ``lat`` — WGS84 degrees.

The whole file is parsed and checked before anything is written; any bad line refuses
the file with every problem listed by line number. The writes happen in one transaction.
Points merge by time exactly like the API's track parts: a point whose (patrol, time)
is already stored is skipped, so running the same file again adds nothing (a file cut
off by a crash can simply be run again). Points are assigned to grids in one vectorised
call to ``grid_resolve_many``; rows are inserted with COPY (PostgreSQL) or executemany
(SQLite), never one ORM save per point.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import itertools
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record
from envgrid.core.errors import ApplicationError
from envgrid.core.params import maybe_int
from envgrid.grids.models import Grid
from envgrid.grids.selectors import grid_resolve_many
from envgrid.org.models import Person

from .models import Patrol, PatrolStatus, TrackPoint
from .services import MAX_GAP_SECONDS, staff_grids, subtree_ids, track_refresh

# Without a patrol reference, a pause longer than this starts another patrol.
SPLIT_GAP_SECONDS = 3600
CHUNK_ROWS = 100_000
MAX_LISTED_ERRORS = 50
US = 1_000_000

Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


class IngestError(ApplicationError):
    """The file is refused; nothing was written. `problems` are (line, message)."""

    def __init__(self, problems: list[tuple[int, str]], total: int | None = None) -> None:
        self.problems = problems
        self.total = total if total is not None else len(problems)
        super().__init__(
            _("轨迹文件有 %(n)d 处错误，未写入任何数据。") % {"n": self.total},
            code="ingest_invalid",
            fields={"file": [f"{line}: {msg}" if line else msg for line, msg in problems]},
        )


@dataclass
class Parsed:
    """The points of a file as arrays, in file order."""

    staff: np.ndarray  # int64 person id
    ref: np.ndarray  # int32 index into refs
    t_us: np.ndarray  # int64 microseconds since the epoch, UTC
    lon: np.ndarray
    lat: np.ndarray
    line: np.ndarray  # int64 line number in the file (header = 1)
    refs: list[str]
    name: str = ""
    sha256: str = ""

    def __len__(self) -> int:
        return len(self.t_us)


@dataclass
class GridSummary:
    grid: Grid
    patrols: set[int] = field(default_factory=set)
    points: int = 0
    added: int = 0
    inside_seconds: int = 0
    outside_seconds: int = 0


@dataclass
class IngestResult:
    points: int
    added: int
    duplicates: int
    patrols_created: int
    patrols_merged: int
    grids: list[GridSummary]
    seconds: dict[str, float]


# --------------------------------------------------------------------------- reading
class _Hashing(io.RawIOBase):
    """Counts and hashes the bytes read (for the progress bar and the audit log)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.raw.read(len(b))
        n = len(data)
        b[:n] = data
        self.count += n
        self.sha.update(data)
        return n


def _parse_times(col: list[str], first_line: int, problems: list[tuple[int, str]]) -> np.ndarray:
    try:
        secs = np.array(col, dtype=np.float64)
    except ValueError:
        secs = None
    if secs is not None:
        bad = ~np.isfinite(secs)
        for i in np.flatnonzero(bad)[:MAX_LISTED_ERRORS]:
            problems.append((first_line + int(i), _("时间无效：%(v)s") % {"v": col[i][:40]}))
        return np.round(np.nan_to_num(secs) * US).astype(np.int64)
    out = np.zeros(len(col), dtype=np.int64)
    fromiso = dt.datetime.fromisoformat
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    for i, text in enumerate(col):
        try:
            t = fromiso(text)
        except ValueError:
            try:
                out[i] = round(float(text) * US)
                continue
            except ValueError:
                problems.append((first_line + i, _("时间格式错误：%(v)s") % {"v": text[:40]}))
                continue
        if t.tzinfo is None:
            problems.append(
                (first_line + i, _("时间须带时区（如 +08:00 或 Z）：%(v)s") % {"v": text[:40]})
            )
            continue
        delta = t - epoch
        out[i] = (delta.days * 86400 + delta.seconds) * US + delta.microseconds
    return out


def _floats(col: list[str], what: str, first_line: int, problems: list) -> np.ndarray:
    try:
        return np.array(col, dtype=np.float64)
    except ValueError:
        out = np.full(len(col), np.nan)
        for i, v in enumerate(col):
            try:
                out[i] = float(v)
            except ValueError:
                problems.append(
                    (first_line + i, _("%(what)s不是数字：%(v)s") % {"what": what, "v": v[:40]})
                )
        return out


def _rows(reader: Iterator[list[str]], n: int) -> list[list[str]]:
    return list(itertools.islice(reader, n))


def read_csv(
    path: str | Path, *, progress: Progress = _no_progress, now: dt.datetime | None = None
) -> Parsed:
    """Parse and check the whole file; raise IngestError listing every bad line."""
    path = Path(path)
    size = path.stat().st_size
    problems: list[tuple[int, str]] = []
    n_problems = 0
    with path.open("rb") as raw_fh:
        hashing = _Hashing(raw_fh)
        buffered = io.BufferedReader(hashing, 1 << 20)
        binary: Any = gzip.GzipFile(fileobj=buffered) if path.suffix == ".gz" else buffered
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise IngestError([(0, _("文件为空"))]) from None
        except (UnicodeDecodeError, OSError, csv.Error) as exc:
            raise IngestError([(1, _("无法读取：%(e)s") % {"e": exc})]) from None
        missing = [c for c in ("staff", "time", "lon", "lat") if c not in header]
        if missing:
            raise IngestError([(1, _("表头缺少列：%(cols)s") % {"cols": ", ".join(missing)})])
        ci = {c: header.index(c) for c in ("staff", "time", "lon", "lat")}
        ci_ref = header.index("patrol") if "patrol" in header else None
        width = max([*ci.values(), ci_ref or 0]) + 1
        refs: dict[str, int] = {"": 0}
        parts: dict[str, list[np.ndarray]] = defaultdict(list)
        line = 2
        while True:
            try:
                rows = _rows(reader, CHUNK_ROWS)
            except (UnicodeDecodeError, OSError, EOFError, csv.Error) as exc:
                raise IngestError(
                    [*problems, (line, _("无法读取：%(e)s") % {"e": exc})], n_problems + 1
                ) from None
            if not rows:
                break
            local: list[tuple[int, str]] = []
            short = [i for i, r in enumerate(rows) if len(r) < width]
            for i in short:
                local.append((line + i, _("列数不足")))
            if short:
                for i in short:
                    rows[i] = (rows[i] + [""] * width)[:width]
            staff_col = [r[ci["staff"]].strip() for r in rows]
            try:
                staff = np.array(staff_col, dtype=np.int64)
            except ValueError:
                staff = np.zeros(len(rows), dtype=np.int64)
                for i, v in enumerate(staff_col):
                    if (n := maybe_int(v, lo=0)) is not None:
                        staff[i] = n
                    else:
                        local.append((line + i, _("人员编号无效：%(v)s") % {"v": v[:40]}))
            if ci_ref is not None:
                ref_col = [r[ci_ref].strip() for r in rows]
                for i in (i for i, v in enumerate(ref_col) if len(v) > 64):
                    local.append((line + i, _("巡查编号超过 64 个字符")))
                ref = np.array([refs.setdefault(v, len(refs)) for v in ref_col], dtype=np.int32)
            else:
                ref = np.zeros(len(rows), dtype=np.int32)
            t_us = _parse_times([r[ci["time"]].strip() for r in rows], line, local)
            lon = _floats([r[ci["lon"]] for r in rows], _("经度"), line, local)
            lat = _floats([r[ci["lat"]] for r in rows], _("纬度"), line, local)
            out_of_range = np.flatnonzero(
                ~(np.isfinite(lon) & np.isfinite(lat))
                | (lon < -180)
                | (lon > 180)
                | (lat < -90)
                | (lat > 90)
            )
            bad_lines = {ln for ln, _m in local}
            for i in out_of_range.tolist():
                if line + int(i) not in bad_lines:
                    local.append(
                        (
                            line + int(i),
                            _("坐标超出范围：%(x)s, %(y)s")
                            % {
                                "x": rows[i][ci["lon"]][:20],
                                "y": rows[i][ci["lat"]][:20],
                            },
                        )
                    )
            if local:
                n_problems += len(local)
                problems.extend(sorted(local)[: max(0, MAX_LISTED_ERRORS - len(problems))])
            parts["staff"].append(staff)
            parts["ref"].append(ref)
            parts["t_us"].append(t_us)
            parts["lon"].append(lon)
            parts["lat"].append(lat)
            parts["line"].append(np.arange(line, line + len(rows), dtype=np.int64))
            line += len(rows)
            progress("read", hashing.count, size)
    if line == 2:
        raise IngestError([(0, _("文件中没有轨迹点"))])
    arrays = {k: np.concatenate(v) for k, v in parts.items()}
    parsed = Parsed(
        refs=[k for k, _v in sorted(refs.items(), key=lambda kv: kv[1])],
        name=path.name,
        sha256=hashing.sha.hexdigest(),
        **arrays,
    )
    if not n_problems:
        problems, n_problems = _check_time_and_staff(parsed, now)
    if n_problems:
        raise IngestError(problems, n_problems)
    return parsed


def _check_time_and_staff(
    parsed: Parsed, now: dt.datetime | None
) -> tuple[list[tuple[int, str]], int]:
    problems: list[tuple[int, str]] = []
    now = now or timezone.now()
    limit = int((now + dt.timedelta(minutes=5)).timestamp() * US)
    future = np.flatnonzero(parsed.t_us > limit)
    for i in future[:MAX_LISTED_ERRORS]:
        problems.append((int(parsed.line[i]), _("轨迹时间晚于当前时间")))
    n = len(future)
    ids = np.unique(parsed.staff)
    known = {
        p.pk: p
        for p in Person.objects.filter(pk__in=ids.tolist(), is_active=True).select_related("unit")
    }
    for pid in ids.tolist():
        if pid in known and staff_grids(known[pid]):
            continue
        where = parsed.line[np.flatnonzero(parsed.staff == pid)]
        first, count = int(where[0]), len(where)
        if pid not in known:
            problems.append(
                (first, _("人员 %(id)s 不存在或已离岗（共 %(n)d 行）") % {"id": pid, "n": count})
            )
            n += count
        elif not staff_grids(known[pid]):
            problems.append(
                (
                    first,
                    _("%(name)s 没有负责的网格（共 %(n)d 行）")
                    % {"name": known[pid].name, "n": count},
                )
            )
            n += count
    return sorted(problems)[:MAX_LISTED_ERRORS], n


# --------------------------------------------------------------------------- writing
def durations(t_us: np.ndarray, inside: np.ndarray) -> tuple[int, int]:
    """(seconds inside, seconds outside) along a time-sorted track: from each point to the
    next, gaps over MAX_GAP_SECONDS (lost signal) counted nowhere — as services does."""
    if len(t_us) < 2:
        return 0, 0
    gaps = np.diff(t_us) / US
    ok = gaps <= MAX_GAP_SECONDS
    head = inside[:-1]
    return int(gaps[ok & head].sum()), int(gaps[ok & ~head].sum())


def _time_strings(t_us: np.ndarray, vendor: str) -> list[str]:
    """Timestamps as the database stores them through the ORM (UTC). SQLite compares
    text, so the text must be exactly Django's: `YYYY-MM-DD HH:MM:SS[.ffffff]`."""
    stamps = t_us.astype("datetime64[us]")
    whole = np.datetime_as_string(stamps, unit="s")
    frac = t_us % US != 0
    if frac.any():
        whole = np.where(frac, np.datetime_as_string(stamps, unit="us"), whole)
    text = np.char.replace(whole.astype(str), "T", " ")
    if vendor == "postgresql":
        text = np.char.add(text, "+00")
    return text.tolist()


def _insert(
    patrol_ids: np.ndarray,
    t_us: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    gid: np.ndarray,
    progress: Progress,
) -> None:
    meta = TrackPoint._meta
    column = {f.name: str(f.column) for f in meta.concrete_fields}
    cols = [column[n] for n in ("patrol", "t", "lon", "lat", "grid_id")]
    table = connection.ops.quote_name(meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in cols)
    total = len(t_us)
    vendor = connection.vendor
    step = 50_000
    with connection.cursor() as cursor:
        for i in range(0, total, step):
            sl = slice(i, i + step)
            rows = zip(
                patrol_ids[sl].tolist(),
                _time_strings(t_us[sl], vendor),
                lon[sl].tolist(),
                lat[sl].tolist(),
                gid[sl].tolist(),
                strict=True,
            )
            if vendor == "postgresql":
                raw = cursor.cursor  # psycopg 3: COPY is the fast path
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            elif vendor == "sqlite":
                cursor.executemany(
                    f"INSERT INTO {table} ({names}) VALUES (%s, %s, %s, %s, %s)",  # noqa: S608
                    list(rows),
                )
            else:
                epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
                TrackPoint.objects.bulk_create(
                    [
                        TrackPoint(
                            patrol_id=p,
                            t=epoch + dt.timedelta(microseconds=int(t)),
                            lon=x,
                            lat=y,
                            grid_id=g,
                        )
                        for p, t, x, y, g in zip(
                            patrol_ids[sl].tolist(),
                            t_us[sl].tolist(),
                            lon[sl].tolist(),
                            lat[sl].tolist(),
                            gid[sl].tolist(),
                            strict=True,
                        )
                    ],
                    batch_size=2000,
                )
            progress("write", min(i + step, total), total)


def _to_us(value: dt.datetime) -> int:
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86400 + delta.seconds) * US + delta.microseconds


def _segments(staff: np.ndarray, ref: np.ndarray, t_us: np.ndarray) -> np.ndarray:
    """Start offsets of the patrol pieces in time-sorted arrays (plus the end)."""
    n = len(t_us)
    if n == 0:
        return np.array([0], dtype=np.int64)
    cut = np.zeros(n, dtype=bool)
    cut[0] = True
    cut[1:] = (staff[1:] != staff[:-1]) | (ref[1:] != ref[:-1])
    cut[1:] |= (ref[1:] == 0) & (np.diff(t_us) > SPLIT_GAP_SECONDS * US)
    return np.append(np.flatnonzero(cut), n)


def ingest(parsed: Parsed, *, actor: Any = None, progress: Progress = _no_progress) -> IngestResult:
    """Write a parsed file in one transaction: resolve grids, merge into patrols by time."""
    clock: dict[str, float] = {}
    t0 = time.monotonic()
    order = np.lexsort((parsed.t_us, parsed.ref, parsed.staff))
    staff = parsed.staff[order]
    ref = parsed.ref[order]
    t_us = parsed.t_us[order]
    lon = parsed.lon[order]
    lat = parsed.lat[order]
    # Identical (staff, patrol, time) repeated in the file: the first one is kept.
    keep = np.ones(len(t_us), dtype=bool)
    keep[1:] = (staff[1:] != staff[:-1]) | (ref[1:] != ref[:-1]) | (t_us[1:] != t_us[:-1])
    staff, ref, t_us, lon, lat = staff[keep], ref[keep], t_us[keep], lon[keep], lat[keep]
    clock["sort"] = time.monotonic() - t0

    t0 = time.monotonic()
    gid = np.asarray(grid_resolve_many(lon, lat), dtype=np.int64)
    clock["resolve"] = time.monotonic() - t0
    progress("resolve", len(gid), len(gid))

    bounds = _segments(staff, ref, t_us)
    with transaction.atomic():
        t0 = time.monotonic()
        persons = Person.objects.in_bulk(np.unique(staff).tolist())
        own_grids = {pid: staff_grids(p) for pid, p in persons.items()}
        subtree_cache: dict[int, np.ndarray] = {}

        def own(grid: Grid) -> np.ndarray:
            if grid.pk not in subtree_cache:
                subtree_cache[grid.pk] = np.array(sorted(subtree_ids(grid)), dtype=np.int64)
            return subtree_cache[grid.pk]

        lo_t = dt.datetime.fromtimestamp(int(t_us.min()) / US, dt.UTC)
        hi_t = dt.datetime.fromtimestamp(int(t_us.max()) / US, dt.UTC)
        pad = dt.timedelta(seconds=SPLIT_GAP_SECONDS)
        candidates: dict[int, list[Patrol]] = defaultdict(list)
        by_ref: dict[tuple[int, str], Patrol] = {}
        used_refs = {parsed.refs[i] for i in np.unique(ref).tolist() if i}
        existing = Patrol.objects.select_for_update(of=("self",)).filter(staff_id__in=list(persons))
        for p in (
            existing.filter(started_at__lte=hi_t + pad)
            .exclude(ended_at__lt=lo_t - pad)
            .select_related("grid")
        ):
            candidates[p.staff_id].append(p)
        for p in existing.filter(external_ref__in=used_refs).select_related("grid"):
            by_ref[(p.staff_id, p.external_ref)] = p

        def span(p: Patrol) -> tuple[int, int]:
            start = min(p.started_at, p.first_point_at or p.started_at)
            end = max(
                p.ended_at or p.started_at,
                p.last_point_at or p.started_at,
                timezone.now() if p.status == PatrolStatus.OPEN else p.started_at,
            )
            return _to_us(start), _to_us(end)

        seg_patrol: list[Patrol] = []
        new: list[tuple[int, Patrol]] = []
        for k in range(len(bounds) - 1):
            a, b = int(bounds[k]), int(bounds[k + 1])
            pid, r = int(staff[a]), parsed.refs[int(ref[a])]
            found: Patrol | None = by_ref.get((pid, r)) if r else None
            if found is None and not r:
                # The patrol this piece overlaps most in time (within SPLIT_GAP_SECONDS),
                # one without a reference first: running a file again finds the same one.
                lo, hi = int(t_us[a]), int(t_us[b - 1])
                best: tuple[int, bool, int] | None = None
                for p in candidates[pid]:
                    s, e = span(p)
                    overlap = min(e, hi) - max(s, lo)
                    if overlap < -SPLIT_GAP_SECONDS * US:
                        continue
                    key = (overlap, not p.external_ref, -p.pk)
                    if best is None or key > best:
                        best, found = key, p
            if found is None:
                grids = own_grids[pid]
                seg_g = gid[a:b]
                grid = max(grids, key=lambda g: (int(np.isin(seg_g, own(g)).sum()), -g.pk))
                found = Patrol(
                    staff=persons[pid],
                    grid=grid,
                    status=PatrolStatus.FINISHED,
                    started_at=dt.datetime.fromtimestamp(int(t_us[a]) / US, dt.UTC),
                    ended_at=dt.datetime.fromtimestamp(int(t_us[b - 1]) / US, dt.UTC),
                    external_ref=r,
                )
                new.append((k, found))
                if r:
                    by_ref[(pid, r)] = found
            seg_patrol.append(found)
        Patrol.objects.bulk_create([p for _k, p in new], batch_size=500)
        created_ids = {p.pk for _k, p in new}
        # Points already stored for a patrol (an earlier part or an earlier run) are skipped.
        merged = {p.pk: p for p in seg_patrol if p.pk not in created_ids}
        stored: dict[int, np.ndarray] = {}
        for pk in merged:
            stored_t = TrackPoint.objects.filter(patrol_id=pk).values_list("t", flat=True)
            stored[pk] = np.array(sorted(_to_us(t) for t in stored_t), dtype=np.int64)
        patrol_col = np.zeros(len(t_us), dtype=np.int64)
        for k, p in enumerate(seg_patrol):
            patrol_col[int(bounds[k]) : int(bounds[k + 1])] = p.pk
        fresh = np.ones(len(t_us), dtype=bool)
        for pk, times in stored.items():
            idx = np.flatnonzero(patrol_col == pk)
            fresh[idx] = ~np.isin(t_us[idx], times)
        clock["patrols"] = time.monotonic() - t0

        t0 = time.monotonic()
        _insert(patrol_col[fresh], t_us[fresh], lon[fresh], lat[fresh], gid[fresh], progress)
        clock["insert"] = time.monotonic() - t0

        t0 = time.monotonic()
        summary: dict[int, GridSummary] = {}
        per_patrol: dict[int, dict[str, Any]] = {}
        for k, p in enumerate(seg_patrol):
            a, b = int(bounds[k]), int(bounds[k + 1])
            inside = np.isin(gid[a:b], own(p.grid))
            ins, outs = durations(t_us[a:b], inside)
            row = summary.setdefault(p.grid_id, GridSummary(grid=p.grid))
            row.patrols.add(p.pk)
            row.points += b - a
            added = int(fresh[a:b].sum())
            row.added += added
            row.inside_seconds += ins
            row.outside_seconds += outs
            acc = per_patrol.setdefault(p.pk, {"received": 0, "added": 0, "outside": 0})
            acc["received"] += b - a
            acc["added"] += added
            acc["outside"] += outs
        to_update = []
        for _k, p in new:
            acc = per_patrol[p.pk]
            p.point_count = acc["received"]
            p.first_point_at = p.started_at
            p.last_point_at = p.ended_at
            p.outside_seconds = acc["outside"]
            to_update.append(p)
        Patrol.objects.bulk_update(
            to_update,
            ["point_count", "first_point_at", "last_point_at", "outside_seconds"],
            batch_size=500,
        )
        for p in merged.values():
            if per_patrol[p.pk]["added"]:  # nothing new: its figures stand
                track_refresh(p)
        for p in [p for _k, p in new] + list(merged.values()):
            acc = per_patrol[p.pk]
            audit_record(
                actor=actor,
                action="patrol.track_ingest",
                obj=p,
                after={
                    "file": parsed.name,
                    "sha256": parsed.sha256,
                    "created": p.pk in created_ids,
                    "received": acc["received"],
                    "added": acc["added"],
                    "total": p.point_count,
                },
            )
        clock["figures"] = time.monotonic() - t0
    added_total = int(fresh.sum())
    return IngestResult(
        points=len(parsed),
        added=added_total,
        duplicates=len(parsed) - added_total,
        patrols_created=len(new),
        patrols_merged=len(merged),
        grids=sorted(summary.values(), key=lambda s: s.grid.code),
        seconds=clock,
    )


# --------------------------------------------------------------------------- synthetic data
def write_synthetic_csv(
    path: str | Path,
    *,
    staff_grids_pairs: Iterable[tuple[int, Any]],
    points: int,
    day: dt.date,
    seed: int = 10,
    step_seconds: int = 5,
) -> int:
    """A synthetic day of tracks (for the benchmark and tests): each (person id, grid
    boundary GeoJSON) walks from a point inside its grid, one point every `step_seconds`,
    in two patrols (morning with a reference, afternoon without), some steps straying out
    of the grid. Rows are written shuffled in blocks, so parts arrive out of order."""
    from shapely.geometry import shape

    from envgrid.grids.synthetic import random_points_inside

    rng = np.random.default_rng(seed)
    pairs = list(staff_grids_pairs)
    per = max(2, math.ceil(points / len(pairs)))
    written = 0
    path = Path(path)
    opener: Any = gzip.open if path.suffix == ".gz" else open
    tz = dt.timezone(dt.timedelta(hours=8))
    with opener(path, "wt", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["staff", "patrol", "time", "lon", "lat"])
        for n, (pid, boundary) in enumerate(pairs):
            take = min(per, points - written)
            if take <= 0:
                break
            geom = shape(boundary)
            centre = random_points_inside(geom, 1, rng, 0.0)[0]
            # Loops of about 150 m around a point of the grid, with a little jitter.
            angle = np.cumsum(rng.normal(0.004, 0.002, size=take))
            radius = 0.0015 * (0.5 + 0.5 * np.abs(np.sin(angle / 7)))
            xy = centre + np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
            xy += rng.normal(0, 0.00002, size=(take, 2))
            if n % 4 == 0:  # a quarter of the staff stray out of the grid for a while
                xy[take // 3 : take // 3 + take // 10, 0] += 0.01
            half = take // 2
            t0 = dt.datetime.combine(day, dt.time(8, 30), tz).timestamp()
            t1 = max(
                dt.datetime.combine(day, dt.time(14, 0), tz).timestamp(),
                t0 + step_seconds * half + 5400,  # after the morning, with a lunch break
            )
            ts = np.concatenate(
                [t0 + step_seconds * np.arange(half), t1 + step_seconds * np.arange(take - half)]
            )
            refs = [f"m{pid}"] * half + [""] * (take - half)
            rows = [
                (pid, r, f"{t:.0f}", f"{x:.6f}", f"{y:.6f}")
                for r, t, (x, y) in zip(refs, ts.tolist(), xy.tolist(), strict=True)
            ]
            blocks = [rows[i : i + 500] for i in range(0, len(rows), 500)]
            rng.shuffle(blocks)
            for block in blocks:
                w.writerows(block)
            written += take
    return written


def bar_progress(write: Callable[[str], None] | None = None) -> Progress:
    """A one-line progress bar per stage (redrawn at most every 1%), on stderr by default."""
    labels = {"read": _("读取"), "resolve": _("定位网格"), "write": _("写入")}
    last: dict[str, int] = {}

    def emit(text: str) -> None:
        if write is None:
            sys.stderr.write(text)
            sys.stderr.flush()
        else:
            write(text)

    def show(stage: str, done: int, total: int) -> None:
        pct = 100 * done // max(total, 1)
        if last.get(stage) == pct and done < total:
            return
        last[stage] = pct
        bar = "#" * (pct * 30 // 100)
        emit(
            f"\r{labels.get(stage, stage)} [{bar:<30}] {pct:3d}%" + ("\n" if done >= total else "")
        )

    return show
