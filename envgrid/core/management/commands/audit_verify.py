"""`envgrid audit-verify`: walk the audit hash chain and report tampered rows."""

from django.core.management.base import BaseCommand, CommandError

from envgrid.core.audit import audit_verify_snapshot


class Command(BaseCommand):
    help = "Verify the audit log hash chain; exits non-zero when a row was altered, inserted or deleted."

    def handle(self, *args, **options):
        problems, total = audit_verify_snapshot()
        for p in problems:
            self.stdout.write(f"row {p.seq}: {p.kind} — {p.detail}")
        if problems:
            raise CommandError(f"audit chain broken: {len(problems)} problem(s) in {total} rows")
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {total} rows"))
