"""The `envgrid` command: Django's manage.py, accepting hyphenated names (audit-verify)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    argv[0] = "envgrid"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
