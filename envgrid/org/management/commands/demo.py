"""`envgrid demo`: build the synthetic demo district (all data synthetic; no real person).

It lives in org, not core: it asks whether units exist, and core imports no domain app.
The steps themselves come from core's demo registry (each app's `demo.py`)."""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from envgrid.core.demo import DemoContext, demo_steps
from envgrid.org.models import Unit


class Command(BaseCommand):
    help = "Load the synthetic demo district. Refuses to run twice unless --force on an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing when data exists")

    def handle(self, *args, **options):
        if Unit.objects.exists():
            if options["if_empty"]:
                self.stdout.write("demo data already present; nothing to do")
                return
            self.stderr.write("database already has units; run on an empty database")
            return
        ctx = DemoContext(log=lambda m: self.stdout.write(m))
        steps = demo_steps()
        with transaction.atomic():
            for i, (_order, name, fn) in enumerate(steps, 1):
                t0 = time.monotonic()
                fn(ctx)
                self.stdout.write(f"[{i}/{len(steps)}] {name} ({time.monotonic() - t0:.1f}s)")
        self.stdout.write(self.style.SUCCESS("synthetic demo district loaded"))
