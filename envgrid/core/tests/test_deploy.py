"""Deployment settings (issue 12, item 6): with the production environment, Django's
`check --deploy` reports nothing at all — no warning silenced."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_production_settings_pass_check_deploy_with_no_warnings(tmp_path):
    env = {
        # The browser fixture sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright in this process;
        # a production environment never has it (check --deploy would rightly refuse).
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ENVGRID_DEBUG": "0",
        "ENVGRID_HTTPS": "1",
        "ENVGRID_SECRET_KEY": secrets.token_urlsafe(64),
        "ENVGRID_ALLOWED_HOSTS": "envgrid.example.org",
        "ENVGRID_VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output


def test_development_defaults_are_flagged_by_check_deploy(tmp_path):
    """The fixed development key and plain HTTP are exactly what the check must catch."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ENVGRID_VAR_DIR": str(tmp_path),
    }
    env.pop("ENVGRID_SECRET_KEY", None)
    env.pop("ENVGRID_HTTPS", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    for warning in ("security.W009", "security.W012", "security.W016", "security.W004"):
        assert warning in output
