"""Shared pytest fixtures. Browser tests drive Debian's /usr/bin/chromium through Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"


def pytest_configure(config):
    # Tasks run inline in the suite (ENVGRID_TASKS_IMMEDIATE; Huey's immediate mode keeps
    # its queue in memory): a test sees a task's effect when the call returns. Settings
    # are loaded before this file, so both are switched here; a test that starts a real
    # consumer (entities/tests/test_worker_kill.py) gives it its own environment.
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    settings.ENVGRID_TASKS_IMMEDIATE = True
    HUEY.immediate = True


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Django 5.2's PBKDF2 costs ~1M iterations per user created: a fast hasher keeps
    # fixture building cheap; production hashing is unchanged.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Every test starts in the default language: a test that switched to English must
    # not leak it into the next one's messages.
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _rules_cache():
    # Rule overrides are cached per process (envgrid.core.rules); a test's rows are rolled
    # back, so no test may see the previous one's cached values.
    from envgrid.core import rules

    rules.clear_cache()
    yield
    rules.clear_cache()


@pytest.fixture
def world(db):
    from envgrid.testing import World

    return World()


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def browser_page(live_server):
    """A Playwright page in headless Chromium, with the live server's URL as `page.base`."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("ENVGRID_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        pytest.fail(f"Chromium not found at {chromium}: `make test` installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-quic",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.base = live_server.url  # type: ignore[attr-defined]
        # A script or handler the Content-Security-Policy blocks fails silently for the
        # user; every browser test fails instead.
        blocked: list[str] = []
        page.on(
            "console",
            lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
        )
        try:
            yield page
        finally:
            context.close()
            browser.close()
        assert blocked == [], f"blocked by the CSP: {blocked[:3]}"


def _uses_db(item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    return (
        bool(names & {"db", "transactional_db", "live_server"})
        or item.get_closest_marker("django_db") is not None
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After every database test, the audit hash chain must still verify (issue 12, item 5):
    a service that wrote audit rows any other way than core.audit would break it here."""
    result = yield
    if _uses_db(item) and item.get_closest_marker("audit_tamper") is None:
        from envgrid.core.audit import audit_verify

        problems = audit_verify()
        if problems:
            raise AssertionError(f"audit chain broken after test: {problems[:5]}")
    return result


@pytest.fixture(scope="session", autouse=True)
def _cache_table(django_db_setup, django_db_blocker):
    """The shared database cache (settings.CACHES) needs its table, as after `migrate`."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def _no_stray_connections_at_teardown(django_db_setup, django_db_blocker):
    """Threads of the concurrency and live-server tests can leave a PostgreSQL session
    open; dropping the test database at the end then fails with a warning and leaves the
    database behind. End those sessions first (the suite is over: nobody needs them)."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
