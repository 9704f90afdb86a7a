"""Every command the README names works exactly as written, in both forms it documents:
`envgrid <command>` and `python manage.py <command>` — hyphenated names included
(`python manage.py grid-import` used to fail with "Unknown command")."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from envgrid.__main__ import command_argv

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    """The command names the README uses: the **Commands** list, plus every
    `envgrid X` / `manage.py X` written in its code spans and blocks."""
    bullet = re.search(r"- \*\*Commands\*\*(.*?)(?=\n- \*\*|\n\n)", README, re.S)
    assert bullet is not None, "README lost its **Commands** list"
    names = {
        span.split()[0]
        for span in re.findall(r"`([^`]+)`", bullet.group(1))
        if not span.startswith(("envgrid ", "python "))
    }
    fences = re.findall(r"```.*?```", README, re.S)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", README, flags=re.S))
    for text in [*fences, *spans]:
        for m in re.finditer(
            r"(?:^|bin/|python )(?:envgrid|manage\.py) ([a-z][a-z0-9_-]*)", text, re.M
        ):
            names.add(m.group(1))
    return sorted(names)


COMMANDS = readme_commands()


def test_readme_lists_the_hyphenated_commands():
    for name in ("grid-import", "audit-verify", "entity-import", "patrol-ingest", "sweep"):
        assert name in COMMANDS


def test_command_argv_spells_hyphenated_names_as_modules():
    assert command_argv(["manage.py", "grid-import", "f.geojson", "--user", "a-b"]) == [
        "manage.py",
        "grid_import",
        "f.geojson",
        "--user",
        "a-b",
    ]
    assert command_argv(["manage.py", "help", "audit-verify"])[2] == "audit_verify"
    assert command_argv(["manage.py", "--version"]) == ["manage.py", "--version"]


def _run_help(argv: list[str], entry) -> None:
    old = sys.argv
    sys.argv = argv
    try:
        entry()
    except SystemExit as exc:
        assert exc.code in (0, None), f"{' '.join(argv)} exited {exc.code}"
    finally:
        sys.argv = old


@pytest.mark.parametrize("name", COMMANDS)
def test_every_readme_command_runs_as_written_with_manage_py_and_envgrid(name, capsys):
    from envgrid.__main__ import main

    module = name.replace("-", "_")
    _run_help(
        ["manage.py", name, "--help"],
        lambda: runpy.run_path(str(ROOT / "manage.py"), run_name="__main__"),
    )
    out = capsys.readouterr()
    assert f"manage.py {module}" in out.out, out.err
    assert "Unknown command" not in out.err
    _run_help(["envgrid", name, "--help"], main)
    out = capsys.readouterr()
    assert f"envgrid {module}" in out.out, out.err


def test_manage_py_grid_import_hyphenated_in_a_real_shell():
    """The reported failure, exactly as a user types it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "config.settings"}
    r = subprocess.run(
        [sys.executable, "manage.py", "grid-import", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "--crs" in r.stdout
    assert "Unknown command" not in r.stderr
