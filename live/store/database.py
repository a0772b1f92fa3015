"""The database underneath the store: one SQLite file in WAL mode, one writer.

Every write runs in ``transaction()``: an in-process lock (one writer per process) around
``BEGIN IMMEDIATE`` (one writer across processes sharing the file). Migrations are versioned in
``live.store.schema`` and applied on open.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from live.store.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["Database", "Row"]

Row = dict[str, Any]


class Database:
    """One open SQLite file: transactions, reads, migrations, the meta table and tokens."""

    def __init__(self, path: str | Path, *, max_card: int = 64) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_card = max_card
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=10.0
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=10000")
        self.migrate()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- plumbing --------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolls back on any exception."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, params).fetchall()]

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with self._lock:
            r = self._db.execute(sql, params).fetchone()
        return None if r is None else dict(r)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Read rows with any SELECT: for this package's modules and for tests, never for the rooms
        above (their SQL belongs in a method here)."""
        return self._all(sql, params)

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        """Bring the file to ``SCHEMA_VERSION``; refuses a file from a newer cardcheck."""
        with self.transaction() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has schema {version}, newer than this cardcheck ({SCHEMA_VERSION})"
                )
            for i in range(version, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[i]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {i + 1}")

    # -- meta and tokens -------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def token(self, kind: str) -> str:
        """The ``kind`` token of this data folder ("teacher" or "projector"), made on first use."""
        key = f"{kind}_token"
        with self._lock:
            existing = self.meta(key)
            if existing:
                return existing
            value = secrets.token_urlsafe(24)
            self.set_meta(key, value)
            return value


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (``sqlite3.complete_statement`` knows the grammar)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            buffer = ""
            if statement:
                yield statement
    if buffer.strip():
        raise ValueError(f"incomplete statement in migration: {buffer.strip()[:60]}")
