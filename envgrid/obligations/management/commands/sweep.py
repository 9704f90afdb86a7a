"""`envgrid sweep`: mark overdue obligations, notify, escalate. Idempotent; cron-safe.

`--loop SECONDS` keeps running (what `make run` starts beside the web server)."""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from envgrid.obligations.services import sweep


class Command(BaseCommand):
    help = "Mark overdue obligations, notify the responsible people and escalate (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, **options):
        while True:
            result = sweep()
            self.stdout.write(
                f"sweep: {result.marked} newly overdue, {result.escalated} escalated, "
                f"{result.notified} notifications"
            )
            if not options["loop"]:
                return
            close_old_connections()
            time.sleep(options["loop"])
