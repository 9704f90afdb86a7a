"""Loaded once into the parse fork server (see ``envgrid.core.safeparse``): Django set up
and the readers imported, so each parsing child forks ready, small and with a clean heap.
Nothing here touches the database."""

from __future__ import annotations

import os

import django

if os.environ.get("DJANGO_SETTINGS_MODULE"):
    django.setup()

    from envgrid.core import safeparse  # noqa: F401  (the child's code, imported once)
