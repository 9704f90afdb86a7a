"""Fixtures for the shell tests: fast password hashing, and compiled translations (the
English switch needs the .mo files that `make messages` builds; compile them when a
catalogue is newer, so running pytest directly proves the same thing)."""

import contextlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _stale_catalogues() -> list[Path]:
    stale = []
    for po in (ROOT / "envgrid").glob("*/locale/*/LC_MESSAGES/django.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    if _stale_catalogues():
        from django.core.management import call_command
        from django.utils.translation import trans_real

        with contextlib.chdir(ROOT):  # compilemessages walks the current directory
            call_command(
                "compilemessages", ignore_patterns=[".venv", "node_modules", ".git"], verbosity=0
            )
        trans_real._translations = {}  # reload catalogues compiled just now


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # World builds several logins per test; PBKDF2's cost would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
