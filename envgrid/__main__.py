"""The `envgrid` command: Django's manage.py, accepting hyphenated names (audit-verify)."""

from __future__ import annotations

import os
import sys


def command_argv(argv: list[str]) -> list[str]:
    """argv with a hyphenated command name (`grid-import`, also after `help`) spelled as
    Django's module name (`grid_import`): the README writes commands with hyphens, and
    both `envgrid` and `python manage.py` accept them as written."""
    argv = list(argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
        if argv[1] == "help" and len(argv) > 2 and not argv[2].startswith("-"):
            argv[2] = argv[2].replace("-", "_")
    return argv


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    argv = command_argv(sys.argv)
    argv[0] = "envgrid"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
