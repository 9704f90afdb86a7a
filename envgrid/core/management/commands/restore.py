"""`envgrid restore FILE`: load a backup into an empty (freshly migrated or flushed)
database; `--force` replaces whatever the database holds."""

from django.core.management.base import BaseCommand, CommandError

from envgrid.core.audit import audit_verify
from envgrid.core.backup import restore_read
from envgrid.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Restore a backup written by `envgrid backup` into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a backup file written by `envgrid backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the data of a database that is not empty (all of it is lost)",
        )

    def handle(self, *args, **options):
        try:
            summary = restore_read(options["file"], force=options["force"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        problems = audit_verify()
        if problems:
            raise CommandError(f"restored, but the audit chain does not verify: {problems[:3]}")
        self.stdout.write(
            self.style.SUCCESS(
                f"restored {summary.tables} tables, {summary.rows} rows, {summary.files} files; "
                "audit chain intact"
            )
        )
