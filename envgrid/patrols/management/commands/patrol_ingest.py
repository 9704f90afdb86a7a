"""`envgrid patrol-ingest FILE.csv[.gz]`: ingest a day of GPS tracks (issue 10 §6).

The file format is documented in envgrid/patrols/ingest.py (columns staff, patrol, time,
lon, lat). The whole file is checked first; any bad line refuses it and nothing is
written. Progress goes to stderr, the summary per grid to stdout. Running the same file
again adds nothing (points already stored are skipped), so an interrupted run is simply
run again."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from envgrid.patrols.ingest import IngestError, bar_progress, ingest, read_csv


def _hm(seconds: int) -> str:
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    return f"{hours}小时{minutes:02d}分" if hours else f"{minutes}分"


class Command(BaseCommand):
    help = (
        "Ingest a day of patrol tracks from CSV (staff,patrol,time,lon,lat; .gz accepted): "
        "all or nothing, merged into patrols by time, with a summary per grid."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--user", help="username recorded in the audit log (default: system)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        actor = None
        if options.get("user"):
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"no such user: {options['user']}")

        def write(text: str) -> None:
            self.stderr.write(text, ending="")
            self.stderr.flush()

        progress = (lambda *a: None) if options["no_progress"] else bar_progress(write)
        started = time.monotonic()
        try:
            parsed = read_csv(path, progress=progress)
            read_s = time.monotonic() - started
            result = ingest(parsed, actor=actor, progress=progress)
        except IngestError as exc:
            for line, message in exc.problems:
                self.stderr.write(f"第 {line} 行：{message}" if line else message)
            if exc.total > len(exc.problems):
                self.stderr.write(f"……另有 {exc.total - len(exc.problems)} 处错误未列出")
            raise CommandError(f"{exc.total} 处错误，未写入任何数据") from None
        elapsed = time.monotonic() - started
        out = self.stdout
        for g in result.grids:
            out.write(
                f"{g.grid.code} {g.grid.name}：巡查 {len(g.patrols)} 次，轨迹点 {g.points}"
                f"（新增 {g.added}），网格内 {_hm(g.inside_seconds)}，"
                f"网格外 {_hm(g.outside_seconds)}"
            )
        if options["verbosity"] >= 2:
            stages = "，".join(f"{k} {v:.1f}s" for k, v in result.seconds.items())
            out.write(f"读取 {read_s:.1f}s，{stages}")
        rate = result.points / elapsed if elapsed else 0.0
        out.write(
            self.style.SUCCESS(
                f"{result.points} 个轨迹点，新增 {result.added}，重复跳过 {result.duplicates}；"
                f"新建巡查 {result.patrols_created}，并入已有巡查 {result.patrols_merged}；"
                f"用时 {elapsed:.1f} 秒（{rate:,.0f} 点/秒）"
            )
        )
