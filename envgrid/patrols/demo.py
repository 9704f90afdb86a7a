"""Synthetic demo, patrol part (order 70): four weeks of patrols by the grid staff of the
community grids, with GPS tracks and the entities checked, so the coverage page has
something true to show — most plans met, some not (three communities not patrolled in the
last two weeks, one that never visits its construction sites, a few whose only check of an
entity was recorded back at the office, outside the grid, and so not counted), some
findings, and some time spent outside one's own grid.

The demo login "grid" (八田地街道 grid staff) has a patrol of three days ago whose track
arrived in three parts out of order, with a finding turned into a case, and an open patrol
of this morning, interrupted, that "开始/继续巡查" resumes.

Every track and check is invented (合成数据). Bulk tracks go through the same path as
`envgrid patrol-ingest` (grids resolved in one call, audited per patrol); checks through
`services.check_record`; the showcase through the services the phone uses.

Builds on ctx from grids (20) and entities (30): ctx.objects["community_grids"],
ctx.objects["entities"], ctx.persons["八田地街道.grid1"]. What later steps can rely on:
ctx.objects["patrols"] — the Patrol objects made here; ctx.objects["patrol_lagging"] —
codes of the community grids whose plan is deliberately not met.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import numpy as np
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from envgrid.core.demo import DemoContext, demo_step
from envgrid.entities.models import EntityStatus
from envgrid.grids.models import GridAssignment, GridRole

from . import services as S
from .ingest import Parsed, ingest
from .models import CheckResult, Patrol

STEP_SECONDS = 20  # one track point every 20 s
PLAN = {"key": 7, "general": 14, "registered": 28, "site": 14}
FINDINGS = [
    "雨水排口有黄色污水流出（合成）",
    "危废暂存间标识缺失，台账未更新（合成）",
    "露天堆放物料未苫盖，扬尘明显（合成）",
    "油烟净化设施未开启（合成）",
    "施工现场未落实洒水降尘（合成）",
]
_REAL_NOW = timezone.now


@contextmanager
def _clock(moment: dt.datetime) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _png(seed: int) -> bytes:
    """A tiny valid PNG, different per seed."""
    w = h = 8
    raw = b"".join(
        b"\x00" + bytes((seed * 29 + x * 11 + y * 5) % 256 for x in range(w * 3)) for y in range(h)
    )

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _route(
    rng: np.random.Generator,
    stops: list[tuple[float, float]],
    start: dt.datetime,
    detour: tuple[float, float] | None = None,
) -> tuple[list[tuple[dt.datetime, float, float]], list[dt.datetime]]:
    """A walk through `stops` (about 4 km/h, 8 minutes at each), optionally by way of a
    point outside the grid; returns the points and the time at each stop."""
    points: list[tuple[dt.datetime, float, float]] = []
    at_stop: list[dt.datetime] = []
    t = start
    here = np.array(stops[0]) + rng.normal(0, 0.0008, 2)
    legs: list[tuple[tuple[float, float], bool]] = [(s, True) for s in stops]
    if detour is not None:
        legs.insert(len(legs) // 2, (detour, False))
    for target, is_stop in legs:
        goal = np.array(target)
        dist = float(np.hypot(*(goal - here))) * 100_000  # metres, roughly
        n = max(2, int(dist / (1.1 * STEP_SECONDS)))
        for k in range(1, n + 1):
            p = here + (goal - here) * k / n + rng.normal(0, 0.00003, 2)
            points.append((t, float(p[0]), float(p[1])))
            t += dt.timedelta(seconds=STEP_SECONDS)
        here = goal
        if is_stop:
            at_stop.append(t)
        for _k in range(24 if is_stop else 6):  # stay: 8 minutes at a stop, 2 at a detour
            p = goal + rng.normal(0, 0.00002, 2)
            points.append((t, float(p[0]), float(p[1])))
            t += dt.timedelta(seconds=STEP_SECONDS)
    return points, at_stop


def _outside_point(grid: Any) -> tuple[float, float]:
    from shapely.geometry import shape

    _minx, _miny, maxx, _maxy = shape(grid.boundary).bounds
    c = shape(grid.boundary).representative_point()
    return maxx + 0.002, c.y


@demo_step(70)
def patrols(ctx: DemoContext) -> None:
    admin = ctx.users.get("admin") or get_user_model().objects.filter(is_superuser=True).first()
    communities = list(ctx.objects.get("community_grids") or [])
    if not communities:
        ctx.log("patrols: skipped (no community grids)")
        return
    rng = np.random.default_rng(ctx.seed + 70)
    tz = timezone.get_current_timezone()
    today = dt.datetime.combine(timezone.localdate(_REAL_NOW()), dt.time.min, tzinfo=tz)
    month = today - dt.timedelta(days=28)

    by_grid: dict[int, list[Any]] = defaultdict(list)
    for e in ctx.objects.get("entities") or []:
        if e.grid_id is not None and e.status != EntityStatus.CLOSED:
            by_grid[e.grid_id].append(e)
    staff: dict[int, list[Any]] = defaultdict(list)
    for a in (
        GridAssignment.objects.filter(
            grid__in=communities, role=GridRole.STAFF, ended_at__isnull=True
        )
        .select_related("person")
        .order_by("pk")
    ):
        staff[a.grid_id].append(a.person)

    # Three communities were not patrolled in the last two weeks; one never visits its
    # construction sites; five recorded one check back at the office (outside the grid).
    lagging = {communities[k].code for k in (8, 29, 44) if k < len(communities)}
    no_sites = communities[12].code if len(communities) > 12 else ""
    for g in communities:
        if staff[g.pk]:
            S.plan_set(actor=admin, grid=g, staff=staff[g.pk], every_days=PLAN)

    # Tracks: one array per column, written in one go like `envgrid patrol-ingest`.
    cols: dict[str, list[Any]] = defaultdict(list)
    refs = [""]
    checks: list[tuple[str, Any, dt.datetime, str, str, tuple[float, float] | None]] = []
    n_outside_checks = 0
    for gi, g in enumerate(communities):
        outside_here = False
        ents = sorted(by_grid.get(g.pk, []), key=lambda e: e.pk)
        people = staff[g.pk]
        if not ents or not people:
            continue
        for week in range(4):
            if g.code in lagging and week >= 2:  # nobody came in the last two weeks
                continue
            # Each entity in the week its plan asks for: key weekly, others fortnightly,
            # registered units once in the four weeks.
            due = [
                e
                for e in ents
                if week % max(1, PLAN.get(e.category, 14) // 7) == 0
                and not (g.code == no_sites and e.category == "site")
            ]
            if not due:
                continue
            person = people[week % len(people)]
            day = month + dt.timedelta(days=7 * week + int(rng.integers(0, 5)))
            start = day + dt.timedelta(hours=8.5 + float(rng.random()) * 2)
            detour = _outside_point(g) if rng.random() < 0.15 else None
            pts, at_stop = _route(rng, [(e.lon, e.lat) for e in due], start, detour)
            ref = f"demo-{g.code}-{week}"
            refs.append(ref)
            for t, x, y in pts:
                cols["staff"].append(person.pk)
                cols["ref"].append(len(refs) - 1)
                cols["t"].append(int(t.timestamp() * 1_000_000))
                cols["lon"].append(x)
                cols["lat"].append(y)
            for e, t in zip(due, at_stop, strict=True):
                if e.status == EntityStatus.SUSPENDED:
                    result, note = CheckResult.ABSENT, "企业停产，现场无人（合成）"
                elif rng.random() < 0.06:
                    result, note = CheckResult.FINDING, FINDINGS[int(rng.integers(len(FINDINGS)))]
                else:
                    result, note = CheckResult.OK, ""
                where = None
                if gi % 12 == 5 and not outside_here:
                    # recorded back at the office: outside the grid, so not counted
                    where = _outside_point(g)
                    n_outside_checks += 1
                    outside_here = True
                checks.append((ref, e, t, result, note, where))
    if cols["t"]:
        n = len(cols["t"])
        ingested = ingest(
            Parsed(
                staff=np.array(cols["staff"], dtype=np.int64),
                ref=np.array(cols["ref"], dtype=np.int32),
                t_us=np.array(cols["t"], dtype=np.int64),
                lon=np.array(cols["lon"]),
                lat=np.array(cols["lat"]),
                line=np.arange(2, n + 2, dtype=np.int64),
                refs=refs,
                name="demo-month.csv",
            ),
            actor=admin,
        )
        n_patrols = ingested.patrols_created
    else:
        n_patrols = 0
    patrol_by_ref = {p.external_ref: p for p in Patrol.objects.filter(external_ref__in=refs[1:])}
    findings = 0
    for ref, e, t, result_code, note, where in checks:
        lon, lat = where if where else (e.lon, e.lat)
        S.check_record(
            actor=admin,
            patrol=patrol_by_ref[ref],
            entity=e,
            result=result_code,
            notes=note,
            checked_at=t,
            lon=lon,
            lat=lat,
        )
        findings += result_code == CheckResult.FINDING
    showcase = _showcase(ctx, rng, today, by_grid)
    ctx.objects["patrols"] = list(patrol_by_ref.values()) + showcase
    ctx.objects["patrol_lagging"] = sorted(lagging | ({no_sites} if no_sites else set()))
    ctx.log(
        f"patrols: {len(communities)} plans, {n_patrols} patrols over four weeks, "
        f"{len(cols['t'])} track points, {len(checks)} checks ({findings} findings, "
        f"{n_outside_checks} outside the grid), deliberately short in {len(lagging) + 1} grids; "
        f"showcase for login grid: {len(showcase)} patrols"
    )


def _showcase(
    ctx: DemoContext, rng: np.random.Generator, today: dt.datetime, by_grid: dict[int, list]
) -> list[Patrol]:
    """The demo login "grid": a patrol whose track came in three parts out of order, with
    a finding made a case; and this morning's patrol, interrupted and still open."""
    person = ctx.persons.get("八田地街道.grid1")
    user = getattr(person, "user", None)
    if person is None or user is None:
        return []
    grids = S.staff_grids(person)
    if not grids:
        return []
    grid = grids[0]
    ents = [
        e
        for gid, es in by_grid.items()
        for e in es
        if gid in S.subtree_ids(grid) and e.status != EntityStatus.SUSPENDED
    ]
    ents = sorted(ents, key=lambda e: (e.category != "key", e.pk))[:3]
    if len(ents) < 2:
        return []
    made = []
    start = today - dt.timedelta(days=3) + dt.timedelta(hours=9)
    pts, at_stop = _route(rng, [(e.lon, e.lat) for e in ents], start)
    with _clock(start):
        patrol = S.patrol_start(actor=user, grid=grid, started_at=start)
    third = len(pts) // 3
    parts = [pts[2 * third :], pts[:third], pts[third : 2 * third]]  # out of order
    for i, part in enumerate(parts):
        with _clock(part[-1][0] + dt.timedelta(minutes=2 + i)):
            S.track_add(actor=user, patrol=patrol, data=_geojson(part))
    for k, (e, t) in enumerate(zip(ents, at_stop, strict=True)):
        finding = k == 1
        with _clock(t + dt.timedelta(minutes=1)):
            check = S.check_record(
                actor=user,
                patrol=patrol,
                entity=e,
                result=CheckResult.FINDING if finding else CheckResult.OK,
                notes=FINDINGS[0] if finding else "",
                checked_at=t,
            )
            if finding:
                photo = ContentFile(_png(k + 1), name=f"现场照片（演示）{k + 1}.png")
                S.photo_attach(actor=user, patrol=patrol, upload=photo, check=check)
    end = pts[-1][0]
    with _clock(end + dt.timedelta(minutes=5)):
        S.patrol_finish(
            actor=user, patrol=patrol, ended_at=end, notes="例行巡查，发现问题一处（合成）"
        )
    with _clock(end + dt.timedelta(minutes=30)):
        check = patrol.checks.get(result=CheckResult.FINDING)
        S.check_to_case(actor=user, check=check, title="巡查发现：雨水排口排放污水（演示）")
    made.append(patrol)
    # This morning: started, one part of the track sent, then the phone's battery died.
    now = timezone.localtime(_REAL_NOW())
    start = min(today + dt.timedelta(hours=8, minutes=30), now - dt.timedelta(hours=1))
    pts, _stops = _route(rng, [(ents[0].lon, ents[0].lat)], start)
    with _clock(start):
        open_patrol = S.patrol_start(actor=user, grid=grid, started_at=start)
    with _clock(pts[-1][0] + dt.timedelta(minutes=1)):
        S.track_add(actor=user, patrol=open_patrol, data=_geojson(pts))
    made.append(open_patrol)
    return made


def _geojson(points: list[tuple[dt.datetime, float, float]]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"times": [t.isoformat() for t, _x, _y in points]},
        "geometry": {"type": "LineString", "coordinates": [[x, y] for _t, x, y in points]},
    }
