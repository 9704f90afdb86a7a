"""`manage.py entity_import FILE.xlsx`: import supervised entities with a progress bar.
Every bad row is listed with its row number and reason; a file with any bad row writes
nothing (G4)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from envgrid.entities.services import import_write, validate_import
from envgrid.grids.coords import UnknownCRS, normalize_crs


class Command(BaseCommand):
    help = (
        "Import supervised entities from an .xlsx file (template: /entities/import/template.xlsx)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--crs", default="wgs84", help="wgs84 (default), gcj02 or bd09")
        parser.add_argument("--user", help="username recorded as the importer (default: system)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(f"no such file: {path}")
        try:
            crs = normalize_crs(options["crs"])
        except UnknownCRS:
            raise CommandError(f"unknown coordinate system: {options['crs']}") from None
        actor = None
        if options.get("user"):
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"no such user: {options['user']}")
        out = self.stdout

        def progress(done: int, total: int) -> None:
            width = 30
            filled = width * done // max(total, 1)
            out.write(f"\r校验 [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
            out.flush()
            if done == total:
                out.write("")

        rows, errors = validate_import(
            path.read_bytes(), actor=actor, default_crs=crs, progress=progress
        )
        if errors:
            for e in errors:
                self.stderr.write(f"第 {e.row} 行 [{e.field}]：{e.message}")
            raise CommandError(f"{len(errors)} 处错误，未导入任何数据")
        created = import_write(actor=actor, rows=rows)
        out.write(self.style.SUCCESS(f"已导入 {len(created)} 个监管对象"))
        sys.stdout.flush()
