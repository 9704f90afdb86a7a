"""`manage.py grid-import FILE.geojson --user NAME [--crs gcj02]`: all-or-nothing grid
import (G1) from the shell; the coordinates' system is the file's `crs` member or --crs
(G3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from envgrid.grids.services import GridImportError, grid_import_geojson


class Command(BaseCommand):
    help = "Import a GeoJSON FeatureCollection of grids (code, name, level, parent, owner)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--user", required=True, help="an administrator's username")
        parser.add_argument("--major", default="", help="mark as a major adjustment: its summary")
        parser.add_argument(
            "--crs",
            default=None,
            help="coordinate system of the file when it declares none: wgs84 (default), "
            "cgcs2000, gcj02 or bd09; must agree with the file's own crs member",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no such user: {options['user']}")
        try:
            result = grid_import_geojson(
                actor=user,
                data=Path(options["path"]).read_bytes(),
                major=bool(options["major"]),
                summary=options["major"],
                crs=options["crs"],
            )
        except GridImportError as exc:
            for e in exc.errors:
                self.stderr.write(f"{e['feature']} [{e['code']}]：{e['message']}")
            raise CommandError(f"{len(exc.errors)} 个问题，未写入任何数据") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"新增 {len(result.created)}，更新 {len(result.updated)}，未变 {len(result.unchanged)}"
                f"（坐标系 {result.crs.upper()}，已转换为 WGS84 存储）"
            )
        )
