"""`envgrid assessment_bench`: time the full annual assessment on synthetic data (a scratch
PostgreSQL database only — it adds units, a leading group and millions of obligations)."""

from django.core.management.base import BaseCommand

from envgrid.assessment.benchmark import run


class Command(BaseCommand):
    help = "Benchmark the annual assessment (scoreboard and finalisation) on a scratch database."

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=200)
        parser.add_argument("--cases", type=int, default=1_000_000)
        parser.add_argument("--year", type=int, default=2025)

    def handle(self, *args, **options):
        result = run(
            units=options["units"],
            cases=options["cases"],
            year=options["year"],
            log=lambda m: self.stdout.write(m),
        )
        self.stdout.write(self.style.SUCCESS(str(result)))
