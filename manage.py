#!/usr/bin/env python
"""Django's command-line utility; like `envgrid`, it accepts the README's hyphenated
command names (`python manage.py grid-import ...`)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from envgrid.__main__ import command_argv

    execute_from_command_line(command_argv(sys.argv))
