"""Several app servers that agree (issue 18 part 3): two real gunicorn processes on two
loopback ports, serving the test PostgreSQL database (committed data: a transactional
test) and one shared cache (Redis when ENVGRID_REDIS_URL is set, as `.ci/run` does, else
the database cache). What one server changes, the other acts on at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import connections

from envgrid.core.models import AuditEvent
from envgrid.entities.models import SupervisedEntity
from envgrid.entities.tests.test_g4_entities import good_rows, workbook
from envgrid.grids.testing import X1, XM, Y1, YM, build_square_tree, square
from envgrid.security.tokens import token_issue
from envgrid.testing import make_user

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "pw-Test-12345"

pytestmark = [
    pytest.mark.multiserver,
    pytest.mark.django_db(transaction=True),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if requests.get(f"{self.url}/healthz", timeout=20).status_code < 500:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError(
            f"gunicorn on {self.url} did not start: {self.log.read_text()[-3000:]}"
        )

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def _server_pair(django_db_setup, tmp_path_factory):
    """Started once for the module: they serve the test database, which each test fills
    and empties (transactional tests)."""
    db = connections["default"]
    if db.vendor != "postgresql":
        pytest.skip("several app servers need one shared PostgreSQL database")
    s = db.settings_dict
    tmp = tmp_path_factory.mktemp("servers")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}",
        # DEBUG only so that pages find their static files without a collectstatic run.
        "ENVGRID_DEBUG": "1",
        "ENVGRID_ALLOWED_HOSTS": "127.0.0.1",
        "ENVGRID_MEDIA_ROOT": str(tmp / "media"),
        "ENVGRID_DB_CONN_MAX_AGE": "0",
        "ENVGRID_LOG_LEVEL": "WARNING",
        # No task worker runs beside these two servers: tasks run inline in the request.
        "ENVGRID_TASKS_IMMEDIATE": "1",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    pair = [Server(env, tmp / "a.log"), Server(env, tmp / "b.log")]
    try:
        for server in pair:
            server.wait()
        yield pair
    finally:
        for server in pair:
            server.stop()


@pytest.fixture
def servers(_server_pair, transactional_db):
    from django.core.cache import cache

    cache.clear()  # rate-limit and lockout counters of an earlier test
    return _server_pair


@pytest.fixture
def admin_token():
    admin = make_user("ms_admin", superuser=True, password=PASSWORD)
    _token, key = token_issue(user=admin, ip="127.0.0.1")
    return admin, {"Authorization": f"Token {key}"}


def test_a_grid_change_through_one_server_is_resolved_by_the_other_at_once(servers, admin_token):
    a, b = servers
    admin, auth = admin_token
    tree = build_square_tree(admin)
    corner = {"lon": X1 - 0.001, "lat": Y1 - 0.001}
    for server in (a, b):  # both build their index now
        r = requests.get(
            f"{server.url}/api/grids/resolve/", params=corner, headers=auth, timeout=30
        )
        assert r.status_code == 200, r.text
        assert r.json()["grid"]["code"] == "B2"
    r = requests.post(
        f"{a.url}/api/grids/{tree['B2'].pk}/boundary/",
        json={"boundary": square(XM, YM, XM + 0.01, Y1)},
        headers=auth,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    r = requests.get(f"{b.url}/api/grids/resolve/", params=corner, headers=auth, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["grid"]["code"] == "B"


def test_the_petition_rate_limit_counts_across_servers(servers):
    a, b = servers
    statuses = []
    for i in range(6):  # the default limit: 5 submissions per address per hour
        server = (a, b)[i % 2]
        r = requests.post(f"{server.url}/open311/v2/requests.json", data={}, timeout=10)
        statuses.append(r.status_code)
    # Each server alone saw 3: only a shared count refuses the sixth.
    assert statuses == [400, 400, 400, 400, 400, 429]


def test_the_login_lockout_holds_on_every_server(servers):
    a, b = servers
    make_user("ms_clerk", password=PASSWORD)
    statuses = []
    for i in range(5):  # AXES_FAILURE_LIMIT wrong passwords, alternating servers
        server = (a, b)[i % 2]
        r = requests.post(
            f"{server.url}/api/auth/token/",
            json={"username": "ms_clerk", "password": "wrong-password-1"},
            timeout=10,
        )
        statuses.append(r.status_code)
    assert 429 not in statuses[:4]
    # Now locked on both, even with the right password.
    for server in (a, b):
        r = requests.post(
            f"{server.url}/api/auth/token/",
            json={"username": "ms_clerk", "password": PASSWORD},
            timeout=10,
        )
        assert r.status_code == 429, r.text


def _wait_job(server: Server, job_id: int, auth: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = requests.get(f"{server.url}/api/entity-import-jobs/{job_id}/", headers=auth, timeout=30)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["status"] in ("done", "refused", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError("the import job did not finish")


def test_an_import_job_started_on_one_server_is_seen_and_finished_once(servers, admin_token):
    a, b = servers
    admin, auth = admin_token
    build_square_tree(admin)
    rows = good_rows(200)
    r = requests.post(
        f"{a.url}/api/entities/import/",
        files={"file": ("entities.xlsx", workbook(rows))},
        headers=auth,
        timeout=60,
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    seen_on_b = requests.get(f"{b.url}/api/entity-import-jobs/{job_id}/", headers=auth, timeout=30)
    assert seen_on_b.status_code == 200
    assert seen_on_b.json()["id"] == job_id
    done = _wait_job(b, job_id, auth)
    assert done["status"] == "done", done
    # Let any second run (there must be none) have its chance, then count.
    time.sleep(1)
    assert SupervisedEntity.objects.count() == 200
    audited = sum(
        len(ev.after["entities"]) for ev in AuditEvent.objects.filter(action="entity.import")
    )
    assert audited == 200
