"""`envgrid reporting-schedule`: open the due reports (report.due obligations) of every
period that has begun, for every active reporting schedule, and draft the upward reports
of unreported grid major adjustments (G5). Idempotent; cron-safe.

`--loop SECONDS` keeps running (scripts/serve.sh starts it beside the overdue sweep, so a
new month's due reports exist before the sweep can find them missing)."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from envgrid.reporting.services import dues_generate, major_adjustments_sync


class Command(BaseCommand):
    help = "Generate due reports from the reporting schedule (idempotent) and G5 report drafts."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="treat this day (YYYY-MM-DD) as today")
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, **options):
        today = None
        if options.get("date"):
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("--date must be YYYY-MM-DD") from exc
        while True:
            result = dues_generate(today=today)
            drafted = major_adjustments_sync()
            self.stdout.write(
                f"reporting-schedule: {result.created} due reports opened, "
                f"{result.existing} already present, {drafted} major-adjustment drafts"
            )
            for err in result.errors:
                self.stderr.write(err)
            if not options["loop"]:
                return
            close_old_connections()
            time.sleep(options["loop"])
