"""`envgrid meeting-task-reports`: open each member unit's task-report obligation for the
current period of every active schedule (M6). Idempotent; cron-safe beside the sweep."""

from django.core.management.base import BaseCommand

from envgrid.meetings.services import task_reports_generate


class Command(BaseCommand):
    help = "Open the current period's task-report obligations (idempotent)."

    def handle(self, *args, **options):
        result = task_reports_generate()
        self.stdout.write(f"meeting task reports: {result.created} opened")
        for line in result.skipped:
            self.stderr.write(f"skipped: {line}")
