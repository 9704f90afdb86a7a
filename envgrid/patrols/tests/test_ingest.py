"""`envgrid patrol-ingest`: a day of tracks from CSV, all or nothing, merged by time,
assigned to grids in bulk, summarised per grid (issue 10 §6)."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import random

import pytest
from django.core.management import CommandError, call_command

from envgrid.core.models import AuditEvent
from envgrid.patrols.ingest import SPLIT_GAP_SECONDS, read_csv, write_synthetic_csv
from envgrid.patrols.models import Patrol, PatrolStatus, TrackPoint
from envgrid.patrols.services import patrol_start

from .conftest import T0

A1 = (122.205, 40.665)
B1 = (122.23, 40.665)


def write(path, rows, header=("staff", "patrol", "time", "lon", "lat")):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("patrol_ingest", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def iso(t):
    return t.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()


def day_rows(w):
    """Staff 甲: a referenced morning patrol (10 points, 4 of them in B1) and, without a
    reference, two pieces split by a long pause; staff 乙: one patrol in B1."""
    rows = []
    for i in range(10):
        x, y = B1 if 3 <= i < 7 else A1
        rows.append([w.staff.pk, "app-1", iso(T0 + dt.timedelta(seconds=60 * i)), x, y])
    pm = T0 + dt.timedelta(hours=5)
    for i in range(6):
        rows.append(
            [w.staff.pk, "", str(int((pm + dt.timedelta(seconds=30 * i)).timestamp())), *A1]
        )
    late = pm + dt.timedelta(seconds=SPLIT_GAP_SECONDS + 600)
    for i in range(4):
        rows.append([w.staff.pk, "", (late + dt.timedelta(seconds=30 * i)).isoformat(), *A1])
    for i in range(5):
        rows.append([w.other_staff.pk, "b-7", iso(T0 + dt.timedelta(seconds=20 * i)), *B1])
    rows.append(rows[0])  # a repeated line
    random.Random(3).shuffle(rows)  # parts arrive in any order
    return rows


def test_ingest_day_merges_by_time_resolves_grids_and_summarises(patrol_world, tmp_path):
    w = patrol_world
    path = write(tmp_path / "day.csv.gz", day_rows(w))
    out, err = run(path)
    mine = list(Patrol.objects.filter(staff=w.staff).order_by("started_at"))
    assert [p.point_count for p in mine] == [10, 6, 4]
    morning = mine[0]
    assert morning.external_ref == "app-1" and morning.grid == w.a1
    assert morning.status == PatrolStatus.FINISHED
    assert morning.first_point_at == T0 and morning.ended_at == T0 + dt.timedelta(minutes=9)
    # Four points in B1, 60 s apart, then back: four minutes outside the own grid.
    assert morning.outside_seconds == 240
    times = list(morning.points.order_by("t").values_list("t", flat=True))
    assert times == [T0 + dt.timedelta(seconds=60 * i) for i in range(10)]
    assert set(morning.points.values_list("grid_id", flat=True)) == {w.a1.pk, w.grids["B1"].pk}
    other = Patrol.objects.get(staff=w.other_staff)
    assert (other.grid, other.point_count, other.outside_seconds) == (w.grids["B1"], 5, 0)
    assert TrackPoint.objects.count() == 25
    # Summary per grid on stdout, the progress bar on stderr.
    assert (
        f"{w.a1.code} {w.a1.name}：巡查 3 次，轨迹点 20（新增 20），网格内 9分，网格外 4分" in out
    )
    assert f"{w.grids['B1'].code}" in out and "26 个轨迹点，新增 25，重复跳过 1" in out
    assert "写入 [" in err and "100%" in err
    assert AuditEvent.objects.filter(action="patrol.track_ingest").count() == 4
    # Running the same file again (say after a crash) adds nothing and creates nothing.
    out, _err = run(path, "--no-progress")
    assert "新增 0" in out and "新建巡查 0，并入已有巡查 4" in out
    assert Patrol.objects.count() == 4 and TrackPoint.objects.count() == 25


def test_ingest_joins_the_patrol_started_in_the_app(patrol_world, tmp_path):
    w = patrol_world
    patrol = patrol_start(actor=w.staff.user, started_at=T0)
    rows = [[w.staff.pk, "", iso(T0 + dt.timedelta(seconds=30 * i)), *A1] for i in range(8)]
    run(write(tmp_path / "d.csv", rows[::-1], header=("staff", "patrol", "time", "lon", "lat")))
    patrol.refresh_from_db()
    assert Patrol.objects.count() == 1
    assert patrol.point_count == 8 and patrol.status == PatrolStatus.OPEN
    assert patrol.last_point_at == T0 + dt.timedelta(seconds=210)


BAD_LINES = [
    (["{staff}", "", "2026-03-02T08:00:00+08:00", "122.205", "91"], "第 3 行：坐标超出范围"),
    (["{staff}", "", "2026-03-02 08:00:00", "122.205", "40.665"], "第 3 行：时间须带时区"),
    (["{staff}", "", "yesterday", "122.205", "40.665"], "第 3 行：时间格式错误"),
    (["{staff}", "", "2026-03-02T08:00:00Z", "east", "40.665"], "第 3 行：经度不是数字"),
    (["{staff}", "", "2099-03-02T08:00:00Z", "122.205", "40.665"], "第 3 行：轨迹时间晚于当前时间"),
    (["999999", "", "2026-03-02T08:00:00Z", "122.205", "40.665"], "第 3 行：人员 999999 不存在"),
    (["{staff}", ""], "第 3 行：列数不足"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_LINES)
def test_bad_file_refused_with_line_and_reason_writes_nothing(patrol_world, tmp_path, bad, reason):
    w = patrol_world
    good = [w.staff.pk, "", "2026-03-02T07:59:00Z", *A1]
    rows = [good, [c.format(staff=w.staff.pk) for c in bad], good]
    audits = AuditEvent.objects.count()
    err = io.StringIO()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("patrol_ingest", str(write(tmp_path / "bad.csv", rows)), stderr=err)
    assert reason in err.getvalue()
    assert not Patrol.objects.exists() and not TrackPoint.objects.exists()
    assert AuditEvent.objects.count() == audits


def test_bad_header_and_grid_less_staff_refused(patrol_world, tmp_path):
    w = patrol_world
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "patrol_ingest",
            str(write(tmp_path / "h.csv", [[1, 2, 3]], header=("who", "when", "where"))),
            stderr=err,
        )
    assert "表头缺少列：staff, time, lon, lat" in err.getvalue()
    err = io.StringIO()
    rows = [[w.a1_unit_person.pk, "", "2026-03-02T08:00:00Z", *A1]]
    with pytest.raises(CommandError):
        call_command("patrol_ingest", str(write(tmp_path / "s.csv", rows)), stderr=err)
    assert "没有负责的网格" in err.getvalue()
    assert not TrackPoint.objects.exists()


def test_synthetic_day_file_reads_back(patrol_world, tmp_path):
    w = patrol_world
    path = tmp_path / "syn.csv"
    pairs = [(w.staff.pk, w.a1.boundary), (w.other_staff.pk, w.grids["B1"].boundary)]
    assert write_synthetic_csv(path, staff_grids_pairs=pairs, points=400, day=T0.date()) == 400
    parsed = read_csv(path)
    assert len(parsed) == 400 and set(parsed.staff.tolist()) == {w.staff.pk, w.other_staff.pk}
    out, _err = run(path, "--no-progress")
    assert "400 个轨迹点，新增 400" in out
    assert Patrol.objects.count() == 4  # a morning and an afternoon patrol each


def test_rerun_finds_the_same_patrols_when_pieces_are_close(patrol_world, tmp_path):
    w = patrol_world
    rows = [[w.staff.pk, "app-9", iso(T0 + dt.timedelta(seconds=60 * i)), *A1] for i in range(10)]
    later = T0 + dt.timedelta(minutes=30)  # close to the referenced patrol, not part of it
    rows += [[w.staff.pk, "", iso(later + dt.timedelta(seconds=60 * i)), *A1] for i in range(5)]
    path = write(tmp_path / "close.csv", rows)
    run(path, "--no-progress")
    before = sorted(Patrol.objects.values_list("external_ref", "point_count"))
    assert before == [("", 5), ("app-9", 10)]
    out, _err = run(path, "--no-progress")
    assert "新增 0" in out
    assert sorted(Patrol.objects.values_list("external_ref", "point_count")) == before
