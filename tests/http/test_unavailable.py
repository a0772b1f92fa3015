"""No request waits on the event loop for the database: a bounded wait, then a 503 with
``Retry-After`` in the one error shape (never a 500), while reads go on."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from starlette.testclient import TestClient

from live.errors import Unavailable
from live.http.app import create_app
from live.settings import Settings
from live.store import Store
from live.store.calls import StoreCalls
from tests.conftest import TEACHER
from tests.support.errors import assert_error

WAIT_S = 0.5


@contextmanager
def another_process_writing(database: str) -> Iterator[None]:
    """Hold what a write of classes needs, as another process in a long transaction would:
    SQLite's write lock, or a PostgreSQL table lock that lets plain reads through."""
    if "://" not in database:
        raw = sqlite3.connect(database, isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            raw.execute("ROLLBACK")
            raw.close()
        return
    with psycopg.connect(database) as conn:
        conn.execute("LOCK TABLE classes IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()


@pytest.fixture
def busy_client(tmp_path: Path, database: str) -> Iterator[TestClient]:
    settings = Settings.load(
        {"data_dir": tmp_path / "data", "token": TEACHER, "db": database, "store_wait_s": WAIT_S},
        env={},
    )
    with TestClient(create_app(settings)) as c:
        c.headers["Authorization"] = f"Bearer {TEACHER}"
        yield c


def test_a_write_that_waits_too_long_for_the_database_is_a_503_and_reads_go_on(
    busy_client: TestClient, database: str
) -> None:
    cls = busy_client.post("/api/classes", json={"name": "7B"}).json()
    with another_process_writing(database):
        start = time.monotonic()
        refused = busy_client.post("/api/classes", json={"name": "8C"})
        waited = time.monotonic() - start
        assert_error(refused, 503, "unavailable")
        assert refused.headers["Retry-After"] == "1"
        assert waited < WAIT_S + 5  # bounded: the store's wait, not a hang
        assert busy_client.get(f"/api/classes/{cls['id']}").status_code == 200
    names = [c["name"] for c in busy_client.get("/api/classes").json()]
    assert names == ["7B"]  # the refused write left nothing behind
    assert busy_client.post("/api/classes", json={"name": "8C"}).status_code == 201


async def test_no_free_worker_within_the_wait_is_unavailable(store: Store) -> None:
    calls = StoreCalls(store, threads=1, wait_s=0.2)
    release = threading.Event()
    busy = asyncio.ensure_future(calls.run(release.wait, 10))
    await asyncio.sleep(0.05)
    with pytest.raises(Unavailable, match="no worker"):
        await calls.list_classes()
    release.set()
    assert await busy is True
    assert await calls.list_classes() == []  # the worker is free again
    calls.close()


async def test_the_service_store_refuses_a_call_on_the_event_loop(database: str) -> None:
    """The app turns this guard on: a store call left on the loop fails every test that
    reaches it, instead of stalling a real server."""
    store = Store(database)
    store.loop_guard = True
    with pytest.raises(RuntimeError, match="event loop"):
        store.list_classes()
    assert await StoreCalls(store).list_classes() == []
    store.close()
