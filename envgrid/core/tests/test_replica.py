"""A streaming read replica (issue 18 part 2, docs/scaling.md §2).

The tests marked `replica` run against a real hot standby of the test PostgreSQL
(`.ci/run` starts one with scripts/replica.sh and sets DATABASE_REPLICA_URL); they pause
the standby's WAL replay so that a row exists on the primary only, then look where each
read went. Without a standby they skip. The router tests below them run everywhere."""

from __future__ import annotations

import os
import time
from typing import Any

import dj_database_url
import pytest
from django.conf import settings as django_settings
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from envgrid.core import db_router
from envgrid.entities.models import SupervisedEntity
from envgrid.entities.services import entity_create
from envgrid.grids import index as grid_index
from envgrid.grids.selectors import grid_resolve_many
from envgrid.grids.services import grid_set_boundary
from envgrid.grids.testing import X0, X1, XM, Y0, Y1, YM, build_square_tree, square
from envgrid.testing import make_user

USCC_1 = "91350100M000100Y43"


class Standby:
    """The replica connection, pointed at the standby's copy of the test database."""

    def __init__(self) -> None:
        self.conn = connections[db_router.REPLICA]

    def _one(self, conn: Any, sql: str) -> Any:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()[0]

    def caught_up(self, timeout: float = 20.0) -> None:
        lsn = self._one(connections["default"], "SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            behind = self._one(
                self.conn, f"SELECT pg_wal_lsn_diff('{lsn}', pg_last_wal_replay_lsn())"
            )
            if behind <= 0:
                return
            time.sleep(0.05)
        raise AssertionError(f"the standby did not replay up to {lsn} in {timeout} s")

    def pause(self) -> None:
        self.caught_up()
        self._one(self.conn, "SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while self._one(self.conn, "SELECT pg_get_wal_replay_pause_state()") != "paused":
            assert time.monotonic() < deadline, "replay did not pause"
            time.sleep(0.02)

    def resume(self) -> None:
        self._one(self.conn, "SELECT pg_wal_replay_resume()")


@pytest.fixture
def standby(transactional_db):
    url = os.environ.get("DATABASE_REPLICA_URL", "")
    if not url or db_router.REPLICA not in django_settings.DATABASES:
        pytest.skip("no standby: .ci/run starts one and sets DATABASE_REPLICA_URL")
    if connections["default"].vendor != "postgresql":
        pytest.skip("the replica is a PostgreSQL hot standby")
    conn = connections[db_router.REPLICA]
    saved = conn.settings_dict
    real = dj_database_url.parse(url)
    conn.close()
    # In tests the alias mirrors the primary (settings: TEST MIRROR); the standby holds a
    # streamed copy of the same test database, so only host and port change.
    conn.settings_dict = {
        **saved,
        "HOST": real["HOST"],
        "PORT": real["PORT"],
        "USER": real["USER"],
        "PASSWORD": real["PASSWORD"],
        "NAME": connections["default"].settings_dict["NAME"],
        "CONN_MAX_AGE": 0,
    }
    s = Standby()
    assert s._one(conn, "SELECT pg_is_in_recovery()") is True
    try:
        yield s
    finally:
        s.resume()
        s.caught_up()
        conn.close()
        conn.settings_dict = saved


@pytest.fixture
def tree(world):
    return build_square_tree(world.admin, world)


def _names(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def _client(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


REPLICA_DB = pytest.mark.django_db(
    transaction=True,
    databases=["default", "replica"] if "replica" in django_settings.DATABASES else ["default"],
)


@pytest.mark.replica
@REPLICA_DB
def test_replica_list_read_goes_to_the_replica(standby, world, tree):
    entity_create(actor=world.admin, name="早登记企业", lon=X0 + 0.004, lat=Y0 + 0.003)
    standby.pause()
    late = entity_create(actor=world.admin, name="晚登记企业", lon=X0 + 0.005, lat=Y0 + 0.003)
    client = _client(world.admin)
    with CaptureQueriesContext(standby.conn) as on_replica:
        names = _names(client.get("/api/entities/"))
    # The standby has not replayed the second entity: the list was read there.
    assert names == {"早登记企业"}
    assert any("entities_supervisedentity" in q["sql"] for q in on_replica.captured_queries)
    assert SupervisedEntity.objects.filter(pk=late.pk).exists()  # it is on the primary
    page = client.get("/entities/")
    assert page.status_code == 200
    assert "早登记企业" in page.content.decode() and "晚登记企业" not in page.content.decode()


@pytest.mark.replica
@REPLICA_DB
def test_replica_a_write_and_its_checks_never_use_the_replica(standby, world, tree):
    standby.pause()
    entity_create(actor=world.admin, name="主库企业", uscc=USCC_1, lon=X0 + 0.004, lat=Y0 + 0.003)
    client = _client(world.admin)
    with CaptureQueriesContext(standby.conn) as on_replica:
        dup = client.post(
            "/api/entities/",
            {"name": "重复代码企业", "uscc": USCC_1, "lon": X0 + 0.006, "lat": Y0 + 0.003},
            format="json",
        )
        new = client.post(
            "/api/entities/",
            {"name": "新企业", "lon": X0 + 0.007, "lat": Y0 + 0.003},
            format="json",
        )
    # The USCC uniqueness check saw the row the replica lacks; the create wrote the primary.
    assert dup.status_code == 409, dup.content
    assert new.status_code == 201, new.content
    assert on_replica.captured_queries == []
    assert SupervisedEntity.objects.filter(name="新企业").count() == 1


@pytest.mark.replica
@REPLICA_DB
def test_replica_a_user_sees_their_own_write_at_once(standby, world, tree, settings):
    settings.ENVGRID_REPLICA_STICKY_SECONDS = 2
    standby.pause()
    writer = _client(world.admin)
    r = writer.post("/api/entities/", {"name": "刚登记企业", "lon": X0 + 0.004, "lat": Y0 + 0.003})
    assert r.status_code == 201, r.content
    assert _names(writer.get("/api/entities/")) == {"刚登记企业"}
    assert writer.get(f"/api/entities/{r.json()['id']}/").status_code == 200
    # Another app server gets no cookie from this browser session: the per-user key in
    # the shared cache pins the same user there too.
    assert _names(_client(world.admin).get("/api/entities/")) == {"刚登记企业"}
    # Somebody else, who wrote nothing, reads the (paused, lagging) replica.
    reader = _client(make_user("replica_reader", superuser=True))
    assert "刚登记企业" not in _names(reader.get("/api/entities/"))
    # After the pin expires the writer reads the replica again.
    time.sleep(2.2)
    assert _names(writer.get("/api/entities/")) == set()


@pytest.mark.replica
@REPLICA_DB
def test_replica_lagging_never_makes_a_service_decide_on_stale_data(standby, world, tree):
    corner = (X1 - 0.001, Y1 - 0.001)
    assert int(grid_resolve_many([corner[0]], [corner[1]])[0]) == tree["B2"].pk
    standby.pause()
    # A grid change the replica does not have yet: B2 shrinks, its corner falls to B.
    grid_set_boundary(actor=world.admin, grid=tree["B2"], boundary=square(XM, YM, XM + 0.01, Y1))
    grid_index._cache.index = None  # as in another app server: nothing cached
    with db_router.replica_reads():
        # The point->grid resolver reads the version and the tree from the primary.
        assert int(grid_resolve_many([corner[0]], [corner[1]])[0]) == tree["B"].pk
        # A service's reads inside its transaction read the primary, even in a list view.
        late = entity_create(actor=world.admin, name="滞后企业", lon=X0 + 0.004, lat=Y0 + 0.003)
        with transaction.atomic():
            assert SupervisedEntity.objects.filter(pk=late.pk).exists()
        # Outside a transaction the same read is the replica's: it does not have the row.
        assert not SupervisedEntity.objects.filter(pk=late.pk).exists()


# ------------------------------------------------------------ router, everywhere
def test_router_without_a_replica_reads_and_writes_the_primary(monkeypatch):
    monkeypatch.setattr(db_router, "replica_configured", lambda: False)
    router = db_router.ReplicaRouter()
    with db_router.replica_reads():
        assert router.db_for_read(SupervisedEntity) == "default"
    assert router.db_for_write(SupervisedEntity) == "default"


def test_router_sends_eligible_reads_to_the_replica_and_the_rest_to_the_primary(monkeypatch):
    from django.contrib.sessions.models import Session

    from envgrid.grids.models import GridIndexVersion

    monkeypatch.setattr(db_router, "replica_configured", lambda: True)
    router = db_router.ReplicaRouter()
    assert router.db_for_read(SupervisedEntity) == "default"  # not opted in
    with db_router.replica_reads():
        assert router.db_for_read(SupervisedEntity) == "replica"
        assert router.db_for_read(GridIndexVersion) == "default"
        assert router.db_for_read(Session) == "default"
        with monkeypatch.context() as m:
            m.setattr(connections["default"], "in_atomic_block", True)
            assert router.db_for_read(SupervisedEntity) == "default"
        with db_router.primary_reads():
            assert router.db_for_read(SupervisedEntity) == "default"
    assert router.db_for_write(SupervisedEntity) == "default"
    assert router.allow_migrate("replica", "entities") is False
