"""Start-up is safe when several processes open one new database at the same moment."""

from __future__ import annotations

from pathlib import Path

from live.store import Store
from live.store.migrations import head
from tests.support.databases import fresh_database
from tests.support.racing import race


def open_and_close(db: str) -> int:
    store = Store(db)
    try:
        return store.schema_version
    finally:
        store.close()


def test_processes_starting_at_once_on_a_new_sqlite_file_all_start(tmp_path: Path) -> None:
    """Regression: 5 processes opening one new file at once; before, about one start in 30
    ended in ``database is locked`` at ``PRAGMA journal_mode=WAL``."""
    files = [str(tmp_path / f"new-{i}" / "cardcheck.sqlite3") for i in range(30)]
    results = race(5, open_and_close, files)
    assert [r for per in results for r in per if r != ("ok", head())] == []


def test_workers_starting_at_once_on_an_empty_postgresql_database_migrate_it_once() -> None:
    """4 workers on one empty database: one migrates under the advisory lock, the others find
    the schema there; no worker fails on a table another is creating."""
    with fresh_database("cardcheck_startup") as a, fresh_database("cardcheck_startup") as b:
        results = race(4, open_and_close, [a, b])
        assert [r for per in results for r in per if r != ("ok", head())] == []
        store = Store(a)
        assert store.query("SELECT count(*) AS n FROM alembic_version") == [{"n": 1}]
        store.close()
