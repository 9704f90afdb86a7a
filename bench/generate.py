"""Synthetic province-scale data for the benchmarks, in its own PostgreSQL database per
size (envgrid_bench_small / _medium / _full):

    .venv/bin/python -m bench.generate --size small      # ~500 grids, 20k cases: seconds
    .venv/bin/python -m bench.generate --size full       # 50k grids, 500k entities, 1M cases

Stages (each recorded in the table bench_progress when done, so a rerun skips it and an
interrupted run resumes at the stage it was in; --reset drops the database first):

  org          200 member units (and an office) in one leading group; a login with an API
               token per unit
  grids        four levels of irregular cells (random Voronoi cells clipped to their
               parent, inside the real 站前区 outline), written with COPY
  entities     supervised entities at random points, their grid found by the point→grid
               index, valid synthetic USCCs, COPY
  cases        cases at entities' locations over three years (status, source and flags in
               realistic proportions), one INSERT … SELECT in the database
  transfers    one transfer for ~30 % of the cases
  obligations  what the units owed in those years (the assessment's kinds and proportions)
               and `sweep_open` open items, ~2 % of them past due
  tracks       patrols of grid staff and their track points

Everything is synthetic: names say 合成/bench, codes are random, nothing is real except
the district outline the grids are cut from.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

import numpy as np

from bench.common import ASSESSMENT_YEAR, MEMBER_UNITS, SIZES, Size, ensure_database, psql

# Fan-out per level (level 2 count, level 3 per level 2); level 4 fills up to size.grids.
FANOUT = {"small": (4, 5), "medium": (8, 12), "full": (16, 32)}
STAGES = ("org", "grids", "entities", "cases", "transfers", "obligations", "tracks", "analyze")
OPEN_PAST_DUE = 0.02


class Progress:
    """One line per stage, rewritten in place while the stage runs."""

    def __init__(self, stage: str, total: int) -> None:
        self.stage, self.total, self.t0 = stage, max(total, 1), time.perf_counter()
        self.done = 0

    def add(self, n: int) -> None:
        self.done += n
        el = time.perf_counter() - self.t0
        pct = 100 * self.done / self.total
        print(
            f"\r  {self.stage:<12} {self.done:>11,}/{self.total:,} {pct:5.1f}%  {el:7.1f}s",
            end="",
            flush=True,
        )

    def finish(self) -> float:
        el = time.perf_counter() - self.t0
        print(f"\r  {self.stage:<12} {self.done:>11,} rows  done in {el:.1f}s" + " " * 20)
        return el


def _copy(table: str, columns: list[str], rows: list[tuple[Any, ...]], prog: Progress) -> None:
    from django.db import connection

    cols = ", ".join(columns)
    with connection.cursor() as cur:
        step = 20_000
        for i in range(0, len(rows), step):
            chunk = rows[i : i + step]
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                for r in chunk:
                    cp.write_row(r)
            prog.add(len(chunk))


def _sql(sql: str, params: Any = None) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params if params is not None else ())
        return int(cur.rowcount or 0)


def _reset_sequence(table: str) -> None:
    _sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


# ---------------------------------------------------------------------------- stages


def stage_org(size: Size) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from envgrid.org.models import LeadingGroup, Person, PersonRole, Unit, UnitKind

    prog = Progress("org", MEMBER_UNITS + 1)
    User = get_user_model()
    office = Unit.objects.create(code="BENCH-OFFICE", name="合成办公室", kind=UnitKind.BUREAU)
    units = Unit.objects.bulk_create(
        [
            Unit(code=f"BENCH-U{i:03d}", name=f"合成成员单位{i:03d}", kind=UnitKind.BUREAU)
            for i in range(MEMBER_UNITS)
        ]
    )
    # Unusable passwords: the clients authenticate with tokens, and hashing 201 passwords
    # would cost more than the rest of the stage.
    users = []
    for i in range(MEMBER_UNITS + 1):
        u = User(username=f"bench{i:03d}", email=f"bench{i:03d}@example.invalid")
        u.set_unusable_password()
        users.append(u)
    users = User.objects.bulk_create(users)
    director = Person.objects.create(
        name="合成主任", unit=office, role=PersonRole.OFFICE, user=users[0]
    )
    Person.objects.bulk_create(
        [
            Person(name=f"合成人员{i:03d}", unit=u, role=PersonRole.UNIT, user=users[i + 1])
            for i, u in enumerate(units)
        ]
    )
    group = LeadingGroup.objects.create(
        name="合成领导小组", leader=director, office_unit=office, doc_prefix="合"
    )
    group.member_units.set([office, *units])
    prog.add(MEMBER_UNITS + 1)
    prog.finish()
    return {"units": MEMBER_UNITS, "group": group.pk}


def stage_grids(size: Size) -> dict[str, Any]:
    from django.utils import timezone

    from envgrid.grids.geo import to_geojson
    from envgrid.grids.index import bump_version
    from envgrid.grids.synthetic import voronoi_split, zhanqian_outline
    from envgrid.org.models import LeadingGroup, Unit

    rng = np.random.default_rng(2026)
    n2, n3 = FANOUT[size.name]
    n4 = max(1, round((size.grids - 1 - n2 - n2 * n3) / (n2 * n3)))
    units = list(Unit.objects.filter(code__startswith="BENCH-U").values_list("pk", flat=True))
    group = LeadingGroup.objects.get(name="合成领导小组").pk
    now = timezone.now()
    prog = Progress("grids", size.grids)
    rows: list[tuple[Any, ...]] = []
    next_id = int(_sql_scalar("SELECT coalesce(max(id), 0) FROM grids_grid")) + 1

    def add(geom: Any, code: str, level: int, parent: int | None, path: str) -> tuple[int, str]:
        nonlocal next_id
        gid = next_id
        next_id += 1
        p = f"{path}{gid}/"
        minx, miny, maxx, maxy = geom.bounds
        rows.append(
            (
                gid,
                now,
                now,
                code,
                f"合成网格{code}",
                level,
                _json(to_geojson(geom)),
                p,
                minx,
                miny,
                maxx,
                maxy,
                True,
                group,
                units[gid % len(units)],
                parent,
                "",
            )
        )
        return gid, p

    root = zhanqian_outline()
    rid, rpath = add(root, "S", 1, None, "/")
    for i, g2 in enumerate(voronoi_split(root, n2, rng)):
        id2, p2 = add(g2, f"S{i:02d}", 2, rid, rpath)
        for j, g3 in enumerate(voronoi_split(g2, n3, rng)):
            id3, p3 = add(g3, f"S{i:02d}{j:02d}", 3, id2, p2)
            for k, g4 in enumerate(voronoi_split(g3, n4, rng)):
                add(g4, f"S{i:02d}{j:02d}{k:03d}", 4, id3, p3)
        prog.done = len(rows)
        prog.add(0)
    prog.finish()
    prog = Progress("grids copy", len(rows))
    cols = (
        "id created_at updated_at code name level boundary path min_lon min_lat max_lon "
        "max_lat is_active leading_group_id owner_unit_id parent_id duties"
    ).split()
    _copy("grids_grid", cols, rows, prog)
    _reset_sequence("grids_grid")
    bump_version()
    prog.finish()
    return {"grids": len(rows), "fanout": [1, n2, n2 * n3, len(rows) - 1 - n2 - n2 * n3]}


def _sql_scalar(sql: str) -> Any:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql)
        row = cur.fetchone()
    return row[0] if row else None


def _json(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))


def synthetic_entities(n: int, seed: int, start: int = 0) -> list[dict[str, Any]]:
    """n entities at uniform random points inside the outline (the grid is not set)."""
    from envgrid.entities.uscc import uscc_generate
    from envgrid.grids.synthetic import random_points_inside, zhanqian_outline

    rng = np.random.default_rng(seed)
    prng = random.Random(seed)
    pts = random_points_inside(zhanqian_outline(), n, rng)
    cats = ["general"] * 6 + ["key", "registered", "site", "site"]
    inds = ["化学原料和化学制品制造业", "金属制品业", "建筑业", "餐饮业", "机动车维修"]
    out = []
    for i in range(n):
        out.append(
            {
                "name": f"合成企业{start + i:07d}",
                "uscc": uscc_generate(prng),
                "address": f"合成路{(start + i) % 997}号",
                "lon": float(pts[i, 0]),
                "lat": float(pts[i, 1]),
                "category": cats[i % len(cats)],
                "industry": inds[i % len(inds)],
                "status": "operating" if i % 13 else "suspended",
            }
        )
    return out


def stage_entities(size: Size) -> dict[str, Any]:
    from django.utils import timezone

    from envgrid.grids.selectors import grid_resolve_many

    prog = Progress("entities", size.entities)
    ents = synthetic_entities(size.entities, seed=7)
    seen: set[str] = set()
    for e in ents:  # random codes collide now and then: keep the first
        if e["uscc"] in seen:
            e["uscc"] = ""
        seen.add(e["uscc"])
    t = time.perf_counter()
    ids = grid_resolve_many([e["lon"] for e in ents], [e["lat"] for e in ents])
    resolve_s = time.perf_counter() - t
    now = timezone.now()
    rows = [
        (
            now,
            now,
            e["name"],
            e["uscc"],
            e["address"],
            e["lon"],
            e["lat"],
            e["category"],
            e["industry"],
            e["status"],
            int(g) if g >= 0 else None,
            "wgs84",
            e["lat"],
            e["lon"],
        )
        for e, g in zip(ents, ids.tolist(), strict=True)
    ]
    cols = (
        "created_at updated_at name uscc address lon lat category industry status grid_id "
        "input_crs input_lat input_lon"
    ).split()
    _copy("entities_supervisedentity", cols, rows, prog)
    prog.finish()
    return {"entities": len(rows), "resolve_seconds (index build included)": round(resolve_s, 2)}


def stage_cases(size: Size) -> dict[str, Any]:
    """Cases at entities' locations (so the grid is right), three years, in the database."""
    prog = Progress("cases", size.cases)
    y = ASSESSMENT_YEAR
    step = 100_000
    done = 0
    while done < size.cases:
        n = min(step, size.cases - done)
        _sql(
            f"""
            WITH u AS (SELECT array_agg(id ORDER BY id) a FROM org_unit
                       WHERE code LIKE 'BENCH-U%%'),
                 e AS (SELECT count(*) n, min(id) lo FROM entities_supervisedentity)
            INSERT INTO cases_case (created_at, updated_at, number, title, source, status, lon,
              lat, input_crs, address, discovered_at, registered_at, reported_at, description,
              entity_name, entity_uscc, responsible_person, facts, suspected_crime,
              detention_needed, discipline_breach, criminal_decision, criminal_decision_note,
              handling_result, handled_at, outcome, closed_at, close_note, withdraw_reason,
              overdue, discovered_by_unit_id, owner_unit_id, entity_id, occurrence_grid_id)
            SELECT s.reg, s.reg, 'HC' || lpad(s.g::text, 8, '0'), '合成案件' || s.g,
              (ARRAY['patrol','patrol','patrol','petition','hotline','inspection',
                     'joint_enforcement','transfer_received','other'])[1 + (s.g * 7) %% 9],
              s.status, ent.lon, ent.lat, 'wgs84', ent.address, s.reg - interval '2 days', s.reg,
              s.reg - interval '1 day', '', ent.name, ent.uscc, '', '合成违法事实',
              s.r2 < 0.02, s.r2 >= 0.02 AND s.r2 < 0.04, s.r2 >= 0.04 AND s.r2 < 0.05, '', '',
              '', CASE WHEN s.status IN ('handled','closed') THEN s.reg + interval '20 days' END,
              CASE WHEN s.status = 'closed' THEN 'administrative_penalty' ELSE '' END,
              CASE WHEN s.status = 'closed' THEN s.reg + interval '30 days' END, '', '',
              s.r2 > 0.97, s.disc, CASE WHEN s.r < 0.7 THEN s.disc
                                   ELSE u.a[1 + (s.g * 31) %% cardinality(u.a)] END,
              CASE WHEN s.r2 < 0.7 THEN ent.id END, ent.grid_id
            FROM (
              SELECT g, r, r2, u.a[1 + (g::bigint * 7919) %% cardinality(u.a)] AS disc,
                CASE WHEN r < 0.45 THEN 'closed' WHEN r < 0.60 THEN 'handled'
                     WHEN r < 0.80 THEN 'investigating' WHEN r < 0.90 THEN 'registered'
                     WHEN r < 0.97 THEN 'transferred' ELSE 'withdrawn' END AS status,
                make_timestamptz({y - 1}, 1, 1, 0, 0, 0, 'Asia/Shanghai')
                  + (r3 * 3 * 365) * interval '1 day' AS reg,
                e.lo + floor(r4 * e.n)::bigint AS eid
              FROM (SELECT g, random() r, random() r2, random() r3, random() r4
                    FROM generate_series({done + 1}, {done + n}) g) gs, u, e
            ) s CROSS JOIN u JOIN entities_supervisedentity ent ON ent.id = s.eid
            """
        )
        done += n
        prog.add(n)
    prog.finish()
    return {"cases": size.cases}


def stage_transfers(size: Size) -> dict[str, Any]:
    prog = Progress("transfers", int(size.cases * 0.3))
    n = _sql(
        """
        INSERT INTO cases_transfer (created_at, updated_at, number, year, transfer_type, status,
          sent_at, reason, proposal, feedback_required, facts, responsible_person, entity_name,
          case_snapshot, accepted_at, return_explanation, withdraw_reason, handled_at,
          handling_result, fed_back_at, feedback_text, overdue, case_id, receiver_unit_id,
          sender_unit_id)
        SELECT c.registered_at, c.registered_at, '合移〔' || extract(year FROM c.registered_at)
          || '〕' || c.id, extract(year FROM c.registered_at)::int,
          (ARRAY['jurisdiction','jurisdiction','jurisdiction','detention','criminal',
                 'discipline'])[1 + c.id %% 6],
          (ARRAY['fed_back','fed_back','handled','accepted','sent','returned'])[1 + c.id %% 6],
          c.registered_at + interval '3 days', '合成移送理由', '', true, c.facts, '',
          c.entity_name, '{}'::jsonb, c.registered_at + interval '6 days', '', '',
          NULL, '', NULL, '', c.id %% 50 = 0, c.id, u.a[1 + (c.id * 13) %% cardinality(u.a)],
          c.discovered_by_unit_id
        FROM cases_case c,
             (SELECT array_agg(id ORDER BY id) a FROM org_unit WHERE code LIKE 'BENCH-U%%') u
        WHERE c.id %% 10 < 3
        """
    )
    prog.add(n)
    prog.finish()
    return {"transfers": n}


def stage_obligations(size: Size) -> dict[str, Any]:
    """The assessment's kinds in its proportions over three years (as envgrid.assessment.
    benchmark does), plus `sweep_open` open items due around now."""
    from envgrid.assessment.benchmark import _insert_obligations
    from envgrid.org.models import Unit

    prog = Progress("obligations", int(size.cases * 2.435) + size.sweep_open)
    units = list(Unit.objects.filter(code__startswith="BENCH-U").values_list("pk", flat=True))
    y = ASSESSMENT_YEAR
    n = _insert_obligations(units, size.cases, (y - 1, y, y + 1))
    prog.add(n)
    ids = "ARRAY[" + ",".join(str(u) for u in units) + "]::bigint[]"
    # Open items: due from (past_due × 30) days ago to 30 days ahead, so ~2 % are past due
    # now; the sweep figure marks those.
    back = OPEN_PAST_DUE * 30 / (1 - OPEN_PAST_DUE)
    m = _sql(
        f"""
        INSERT INTO obligations_obligation (kind, title, unit_id, subject_id, link, rule_kind,
          rule_amount, start_event, started_at, due_at, status, completed_late, created_at)
        SELECT (ARRAY['transfer.feedback','transfer.handle','meeting.decision',
                      'report.due'])[1 + g %% 4],
               '合成待办' || g, ({ids})[1 + (g::bigint * 7919) %% {len(units)}], '', '',
               'workdays', 15, 'bench', d - interval '21 days', d, 'open', false,
               d - interval '21 days'
        FROM (SELECT g, now() + ((random() * (30 + {back})) - {back}) * interval '1 day' AS d
              FROM generate_series(1, {size.sweep_open}) g) s
        """
    )
    prog.add(m)
    prog.finish()
    return {"obligations": n + m, "open": m}


def stage_tracks(size: Size) -> dict[str, Any]:
    """Patrols of grid staff (one person per level-4 grid's owner) with 500 points each,
    walking inside the grid's bounding box."""
    from envgrid.org.models import Person, PersonRole, Unit

    per = 500
    patrols = max(1, size.track_points // per)
    prog = Progress("tracks", patrols * per)
    unit = Unit.objects.get(code="BENCH-U000")
    staff = Person.objects.create(name="合成网格员", unit=unit, role=PersonRole.GRID)
    _sql(
        f"""
        INSERT INTO patrols_patrol (created_at, updated_at, status, started_at, ended_at, notes,
          external_ref, point_count, first_point_at, last_point_at, outside_seconds, grid_id,
          staff_id)
        SELECT t, t, 'closed', t, t + interval '{per * 10} seconds', '', 'bench-' || g, {per},
               t, t + interval '{per * 10 - 10} seconds', 0, gr.id, {staff.pk}
        FROM (SELECT g, now() - (g %% 700) * interval '1 day' AS t,
                     1 + (g::bigint * 7919) %% (SELECT count(*) FROM grids_grid WHERE level = 4) AS k
              FROM generate_series(1, {patrols}) g) s
        JOIN (SELECT id, row_number() OVER (ORDER BY id) rn FROM grids_grid WHERE level = 4) gr
          ON gr.rn = s.k
        """
    )
    step = max(1, 2_000_000 // per)
    lo = int(_sql_scalar("SELECT min(id) FROM patrols_patrol WHERE external_ref LIKE 'bench-%'"))
    hi = int(_sql_scalar("SELECT max(id) FROM patrols_patrol WHERE external_ref LIKE 'bench-%'"))
    for a in range(lo, hi + 1, step):
        n = _sql(
            f"""
            INSERT INTO patrols_trackpoint (t, lon, lat, grid_id, patrol_id)
            SELECT p.started_at + i * interval '10 seconds',
                   g.min_lon + (g.max_lon - g.min_lon) * (0.5 + 0.4 * sin(i / 40.0 + p.id)),
                   g.min_lat + (g.max_lat - g.min_lat) * (0.5 + 0.4 * cos(i / 55.0 + p.id)),
                   g.id, p.id
            FROM patrols_patrol p JOIN grids_grid g ON g.id = p.grid_id,
                 generate_series(0, {per - 1}) i
            WHERE p.id BETWEEN {a} AND {min(hi, a + step - 1)}
            """
        )
        prog.add(n)
    prog.finish()
    return {"patrols": patrols, "track_points": patrols * per}


def stage_analyze(size: Size) -> dict[str, Any]:
    from django.db import connection

    prog = Progress("analyze", 1)
    old = connection.autocommit
    connection.set_autocommit(True)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    connection.set_autocommit(old)
    prog.add(1)
    prog.finish()
    return {}


# ---------------------------------------------------------------------------- driver


def _done_stages() -> set[str]:
    _sql(
        "CREATE TABLE IF NOT EXISTS bench_progress (stage text PRIMARY KEY, "
        "done_at timestamptz NOT NULL DEFAULT now(), seconds float, info jsonb)"
    )
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT stage FROM bench_progress")
        return {r[0] for r in cur.fetchall()}


def generate(size: Size, *, only: list[str] | None = None) -> None:
    from django.db import transaction

    print(f"generating synthetic data: size {size.name} → database {size.database}")
    done = _done_stages()
    for stage in STAGES:
        if only and stage not in only:
            continue
        if stage in done:
            print(f"  {stage:<12} already done (bench_progress)")
            continue
        fn = globals()[f"stage_{stage}"]
        t = time.perf_counter()
        if stage == "analyze":
            info = fn(size)
        else:
            # One transaction per stage: an interrupted stage leaves nothing behind.
            with transaction.atomic():
                info = fn(size)
                _record(stage, time.perf_counter() - t, info)
            continue
        _record(stage, time.perf_counter() - t, info)


def _record(stage: str, seconds: float, info: dict[str, Any]) -> None:
    _sql(
        "INSERT INTO bench_progress (stage, seconds, info) VALUES (%s, %s, %s::jsonb)",
        [stage, seconds, _json(info)],
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), default="small")
    ap.add_argument("--reset", action="store_true", help="drop the size's database first")
    ap.add_argument("--only", nargs="*", choices=STAGES)
    args = ap.parse_args()
    size = SIZES[args.size]
    if args.reset:
        psql("postgres", f"DROP DATABASE IF EXISTS {size.database} WITH (FORCE)")
    ensure_database(size)
    from bench.common import setup_django

    setup_django(size)
    t = time.perf_counter()
    generate(size, only=args.only)
    print(f"data ready in {time.perf_counter() - t:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
