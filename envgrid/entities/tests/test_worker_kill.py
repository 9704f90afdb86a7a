"""A worker killed halfway through a large entity import (issue 18, must-show): a real
Huey consumer (`manage.py run_huey`, SqliteHuey in a temporary file) runs the job against
the PostgreSQL test database; it is SIGKILLed while it writes; nothing is half-written; a
new consumer's reaper finds the stale heartbeat and re-runs the job to completion, once,
and the audit chain verifies.

Default size: 50,000 rows (ENVGRID_KILL_TEST_ROWS overrides). It takes about a minute on
the shared 2-core machine, so it is marked `slow`: `make test-slow` runs it."""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from huey import SqliteHuey
from openpyxl import Workbook

from envgrid.core.audit import audit_verify
from envgrid.entities import services
from envgrid.entities.models import EntityImportJob, ImportJobStatus, SupervisedEntity
from envgrid.entities.uscc import uscc_generate
from envgrid.grids.testing import X0, X1, Y0, Y1, build_square_tree

ROOT = Path(settings.BASE_DIR)
ROWS = int(os.environ.get("ENVGRID_KILL_TEST_ROWS", "50000"))

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only]


def big_file(n: int) -> bytes:
    rng = random.Random(18)
    codes: set[str] = set()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("监管对象")
    ws.append(
        ["名称", "统一社会信用代码", "地址", "经度", "纬度", "坐标系", "类别", "行业", "状态"]
    )
    for i in range(n):
        code = uscc_generate(rng)
        while code in codes:
            code = uscc_generate(rng)
        codes.add(code)
        lon = rng.uniform(X0 + 0.0005, X1 - 0.0005)
        lat = rng.uniform(Y0 + 0.0005, Y1 - 0.0005)
        ws.append([f"压测企业{i}", code, "示例路", lon, lat, "", "一般排污单位", "化工", "在产"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def consumer(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # One worker thread, no periodic scheduler: the test enqueues the reaper itself, as
    # the scheduler would at its next minute.
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_huey",
            "--workers",
            "1",
            "--no-periodic",
            "--max-delay",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def wait_for(predicate, timeout: float, what: str, log: Path) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; consumer log:\n{log.read_text()[-3000:]}")


@pytest.mark.django_db(transaction=True)
def test_killed_worker_import_is_rerun_to_completion_with_nothing_half_written(world, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("a consumer process shares the database: PostgreSQL (DATABASE_URL)")
    build_square_tree(world.admin, world)
    before = SupervisedEntity.objects.count()
    job = services.import_job_create(actor=world.admin, filename="big.xlsx", content=big_file(ROWS))
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "ENVGRID_TASKS_IMMEDIATE": "0",
        "ENVGRID_TASK_REDIS_URL": "",
        "ENVGRID_TASK_SQLITE_PATH": str(tmp_path / "tasks.sqlite3"),
        "ENVGRID_JOB_STALE_SECONDS": "3",
        "ENVGRID_JOB_MAX_ATTEMPTS": "3",
    }
    # The test process's own queue is in memory (immediate mode): it enqueues into the
    # consumers' SQLite queue through a second Huey on the same file.
    from huey.contrib.djhuey import HUEY

    from envgrid.entities.tasks import entity_import, import_jobs_reap

    queue = SqliteHuey("envgrid", filename=env["ENVGRID_TASK_SQLITE_PATH"], utc=True)

    def enqueue(task: Any) -> None:
        queue.storage.enqueue(HUEY.serialize_task(task), task.priority)

    enqueue(entity_import.s(job.pk))

    log = tmp_path / "consumer.log"
    first = consumer(env, log)
    try:

        def halfway() -> bool:
            j = EntityImportJob.objects.get(pk=job.pk)
            assert j.status not in (ImportJobStatus.DONE, ImportJobStatus.FAILED), j.message
            return j.status == ImportJobStatus.WRITING and j.written_rows >= ROWS // 4

        wait_for(halfway, 300, "the first worker to be writing", log)
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()

    killed = EntityImportJob.objects.get(pk=job.pk)
    assert killed.status == ImportJobStatus.WRITING  # what a dead worker leaves behind
    assert killed.attempts == 1
    assert 0 < killed.written_rows < ROWS  # the page and the API showed the write going on
    assert SupervisedEntity.objects.count() == before  # nothing half-written

    time.sleep(3.5)  # the heartbeat goes stale
    second = consumer(env, log)
    try:
        enqueue(import_jobs_reap.s())

        def finished() -> bool:
            return EntityImportJob.objects.get(pk=job.pk).finished

        wait_for(finished, 600, "the re-run to finish", log)
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(30)
        except subprocess.TimeoutExpired:
            second.kill()

    done = EntityImportJob.objects.get(pk=job.pk)
    assert done.status == ImportJobStatus.DONE, done.message
    assert done.attempts == 2
    assert done.created_count == done.written_rows == ROWS
    imported = SupervisedEntity.objects.filter(name__startswith="压测企业")
    assert imported.count() == ROWS
    assert imported.values("uscc").distinct().count() == ROWS  # no row twice
    assert SupervisedEntity.objects.count() == before + ROWS
    assert audit_verify() == []
