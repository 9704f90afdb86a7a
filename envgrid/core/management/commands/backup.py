"""`envgrid backup FILE`: the whole database and the uploaded files in one zip file."""

from django.core.management.base import BaseCommand

from envgrid.core.backup import backup_write


class Command(BaseCommand):
    help = "Write every table (one consistent snapshot) and MEDIA_ROOT to FILE (a zip)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup file to write (replaced if it exists)")

    def handle(self, *args, **options):
        summary = backup_write(options["file"])
        self.stdout.write(
            self.style.SUCCESS(
                f"backup written to {options['file']}: {summary.tables} tables, "
                f"{summary.rows} rows, {summary.files} files"
            )
        )
