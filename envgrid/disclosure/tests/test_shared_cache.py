"""One rate limit for all servers (public form limits; issue 17 part 3): the cache is shared — the
database cache by default, Redis when ENVGRID_REDIS_URL is set — so three worker
processes together allow exactly the configured number of submissions; a 429 says when
to come back (Retry-After)."""

from __future__ import annotations

import concurrent.futures
import os
import random
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from envgrid.disclosure.models import Petition

from .conftest import WEST_POINT

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("ENVGRID_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
OPEN311 = "/disclosure/open311/v2/requests.json"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _post(data: dict) -> dict:
    return {
        "service_code": "air",
        "lat": str(WEST_POINT[1]),
        "long": str(WEST_POINT[0]),
        "description": "夜间异味",
        **data,
    }


@pytest.mark.django_db
def test_database_cache_is_the_default_and_holds_the_rate_count(client, district, settings):
    from django.conf import settings as live

    assert live.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    settings.ENVGRID_PETITION_RATE = "3/3600"
    assert client.post(OPEN311, _post({})).status_code == 200
    table = live.CACHES["default"]["LOCATION"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {table}")  # noqa: S608 - fixed table name
        keys = [row[0] for row in cursor.fetchall()]
    assert any("envgrid:rate:petition:127.0.0.1:" in k for k in keys)


@pytest.mark.django_db
def test_429_carries_retry_after_on_the_form_and_open311(client, district, settings):
    import time_machine

    settings.ENVGRID_PETITION_RATE = "1/600"
    start = 1_800_000_000 - 1_800_000_000 % 600 + 100  # 100 s into a 600 s window
    with time_machine.travel(start, tick=False):
        assert client.post(OPEN311, _post({})).status_code == 200
        api = client.post(OPEN311, _post({"description": "又一次"}))
        assert api.status_code == 429
        assert api["Retry-After"] == "500"
        assert api.json() == [{"code": 429, "description": api.json()[0]["description"]}]
        xml = client.post(OPEN311.replace(".json", ".xml"), _post({}))
        assert xml.status_code == 429 and xml["Retry-After"] == "500"
        assert b"<errors><error><code>429</code>" in xml.content
        form = client.post(
            "/disclosure/petition/new/",
            {"category": "air", "description": "烟", "lon": WEST_POINT[0], "lat": WEST_POINT[1]},
        )
        assert form.status_code == 429 and form["Retry-After"] == "500"
    assert Petition.objects.count() == 1


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
@pytest.mark.django_db
def test_redis_cache_when_url_is_set(client, district, settings):
    # The settings module picks Redis from the environment ...
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'])",
        ],
        env={**os.environ, "ENVGRID_REDIS_URL": REDIS_URL, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.split() == ["django.core.cache.backends.redis.RedisCache", REDIS_URL]
    # ... and the rate limit counts in Redis.
    prefix = f"envgrid-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.ENVGRID_PETITION_RATE = "2/3600"
    try:
        assert client.post(OPEN311, _post({})).status_code == 200
        assert client.post(OPEN311, _post({"description": "二"})).status_code == 200
        third = client.post(OPEN311, _post({"description": "三"}))
        assert third.status_code == 429 and int(third["Retry-After"]) > 0
        import redis

        r = redis.Redis.from_url(REDIS_URL)
        keys = r.keys(f"{prefix}:*envgrid:rate:petition:127.0.0.1:*")
        assert len(keys) == 1 and int(r.get(keys[0])) == 3
        r.delete(*keys)
    finally:
        cache.close()
    assert Petition.objects.count() == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _three_workers_allow(tmp_path: Path, extra_env: dict[str, str]) -> tuple[list[int], set[str]]:
    """Start gunicorn with 3 worker processes on a loopback port and send 15 Open311
    submissions from one address, concurrently. Returns the statuses and the worker pids
    that answered (from gunicorn's access log). The submissions lack a service_code, so
    each is counted by the rate limit and then refused with a 400 without writing."""
    db = tmp_path / "workers.sqlite3"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{db}",
        "ENVGRID_PETITION_RATE": "5/3600",
        "ENVGRID_VAR_DIR": str(tmp_path),
        **extra_env,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    subprocess.run(
        [sys.executable, "manage.py", "createcachetable"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    port = _free_port()
    log = tmp_path / "access.log"
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            "3",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(log),
            "--access-logformat",
            "%(p)s %(s)s",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}{OPEN311}"
        deadline = time.time() + 90
        while True:  # ready when a GET answers
            try:
                urllib.request.urlopen(url.replace("requests", "services"), timeout=30).read()  # noqa: S310
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
        time.sleep(1.0)  # let all three workers boot

        def one(i: int) -> int:
            req = urllib.request.Request(
                url, data=f"description=x{i}&lat=40.66&long=122.22".encode(), method="POST"
            )
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
                    return int(resp.status)
            except urllib.error.HTTPError as exc:
                return int(exc.code)

        with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(one, range(15)))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    lines = [ln.split() for ln in log.read_text().splitlines() if ln.strip()]
    pids = {pid for pid, status in lines if status in ("400", "429")}
    return statuses, pids


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_three_worker_processes_share_one_rate_limit(tmp_path, backend):
    if backend == "redis" and not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    extra = {"ENVGRID_REDIS_URL": REDIS_URL} if backend == "redis" else {}
    if backend == "redis":  # a window of its own: other runs share this Redis
        extra["ENVGRID_PETITION_RATE"] = f"5/{random.randint(3000, 3999)}"
        import redis

        r = redis.Redis.from_url(REDIS_URL)
        for key in r.scan_iter(match="*envgrid:rate:*"):  # counts left by earlier runs
            r.delete(key)
    statuses, pids = _three_workers_allow(tmp_path, extra)
    assert sorted(statuses) == [400] * 5 + [429] * 10  # 5 an hour from one address, in all
    assert len(pids) >= 2  # answered by more than one worker process
