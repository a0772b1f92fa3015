"""The database underneath the store: an SQLite file (the default) or PostgreSQL, through
SQLAlchemy Core, with the Alembic migrations of ``live/store/migrations`` applied on open.

Writes run in ``transaction()``. On SQLite: an in-process lock (one writer per process) around
``BEGIN IMMEDIATE`` (one writer across processes sharing the file, WAL so readers never wait).
On PostgreSQL: the database's own row locks; a command on a session first locks the session's
row (``lock_session``), so commands on one session run one at a time across every worker while
other sessions go on in parallel. Reads run on a pooled connection of their own, or inside the
calling thread's open transaction or snapshot. Thread-safe.

Opening is safe when several processes open one new database at once: the migrations run under
the write lock of the file (SQLite) or a transaction-level advisory lock (PostgreSQL), and each
process re-reads the version once it holds the lock.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, func, make_url, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.sql import Executable

from live.errors import Unavailable
from live.store import migrations
from live.store.tables import meta, sessions

__all__ = ["Database", "Row", "database_url", "describe_url"]

Row = dict[str, Any]

_MIGRATION_LOCK = 0x63617264  # "card": the advisory lock key that serialises start-ups


def database_url(db: str | Path) -> URL:
    """The SQLAlchemy URL of ``db``: ``postgresql://...`` (psycopg 3 is the driver), an
    ``sqlite:///...`` URL, or else a path to an SQLite file."""
    raw = str(db)
    if "://" not in raw:
        return URL.create("sqlite", database=raw)
    url = make_url(raw)
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"cardcheck stores data in SQLite or PostgreSQL, not {url.drivername}")
    return url


def describe_url(url: URL) -> str:
    """The URL for a log line or an error message: the password hidden."""
    return url.render_as_string(hide_password=True)


class Database:
    """One open database: transactions, reads, migrations, the meta table and tokens.

    ``db`` is a path to an SQLite file or a ``postgresql://`` URL (see ``database_url``).
    ``busy_timeout`` bounds every wait on the database: for SQLite's write lock held by another
    process or thread, for a PostgreSQL row lock (``lock_timeout``), for a connection from the
    pool or to the server. A wait that runs out, and a PostgreSQL server that is away, raise
    ``live.errors.Unavailable`` with the transaction rolled back (the caller may retry).
    Raises ``RuntimeError`` for a database written by a newer cardcheck.

    ``loop_guard`` (set by the service) makes a call from a thread running an asyncio event loop
    raise ``RuntimeError``: the service's calls go through ``live.store.calls``.
    """

    def __init__(self, db: str | Path, *, max_card: int = 64, busy_timeout: float = 10.0) -> None:
        self.url = database_url(db)
        self.dialect = self.url.get_backend_name()
        self.max_card = max_card
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._closed = False
        self.loop_guard = False
        if self.dialect == "sqlite":
            if self.url.database not in (None, "", ":memory:"):
                Path(self.url.database or "").parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(self.url, busy_timeout)
            self._writer: threading.RLock | None = threading.RLock()
        else:
            wait_ms = int(busy_timeout * 1000)
            self.engine = create_engine(
                self.url,
                pool_pre_ping=True,  # a worker outlives a restart of the server
                pool_size=8,
                max_overflow=8,
                pool_timeout=busy_timeout,
                connect_args={
                    "connect_timeout": max(1, round(busy_timeout)),
                    "options": f"-c lock_timeout={wait_ms}",
                },
            )
            self._writer = None
        try:
            self.migrate()
        except BaseException:
            self.engine.dispose()
            raise

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None on PostgreSQL."""
        return Path(self.url.database or "") if self.dialect == "sqlite" else None

    def describe(self) -> str:
        """Where the data is, for a message: the SQLite file, or the URL without its password."""
        return str(self.path) if self.path is not None else describe_url(self.url)

    def close(self) -> None:
        """Close every connection; the store cannot be used after (``RuntimeError``)."""
        self._closed = True
        self.engine.dispose()

    def _connect(self) -> Connection:
        if self._closed:
            raise RuntimeError(f"the store of {describe_url(self.url)} is closed")
        if self.loop_guard and _on_event_loop():
            raise RuntimeError("a store call on the event loop: run it through StoreCalls")
        return self.engine.connect()

    @contextmanager
    def _bounded(self) -> Iterator[None]:
        """Turn a wait on the database that ran out, or a server that is away, into
        ``Unavailable``; anything else goes on as it is."""
        try:
            yield
        except PoolTimeout as e:
            raise Unavailable(
                f"the database is busy: no connection free within {self.busy_timeout:g} s"
            ) from e
        except DBAPIError as e:
            if not self._is_wait(e):
                raise
            raise Unavailable(f"the database is busy or away, try again: {_first_line(e)}") from e

    def _is_wait(self, e: DBAPIError) -> bool:
        if e.connection_invalidated:
            return True
        if self.dialect == "sqlite":
            text_ = str(e.orig).lower()
            return isinstance(e.orig, sqlite3.OperationalError) and (
                "locked" in text_ or "busy" in text_
            )
        import psycopg  # the driver of this dialect: loaded already

        return isinstance(e.orig, psycopg.OperationalError)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer per process on SQLite, waited for no longer than ``busy_timeout``."""
        if self._writer is None:
            yield
            return
        if not self._writer.acquire(timeout=self.busy_timeout):
            raise Unavailable(
                f"the database is busy: another write held it for {self.busy_timeout:g} s"
            )
        try:
            yield
        finally:
            self._writer.release()

    # -- plumbing --------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction on one connection, committed at the end and rolled back on any
        exception. Reads of this store on the same thread run inside it; a transaction opened
        inside another joins it."""
        current: Connection | None = getattr(self._local, "conn", None)
        if current is not None and getattr(self._local, "write", False):
            yield current
            return
        with self._bounded(), self._writing(), self._connect() as conn:
            conn.execution_options(cardcheck_write=True)
            with conn.begin():
                self._local.conn, self._local.write = conn, True
                try:
                    yield conn
                finally:
                    self._local.conn, self._local.write = current, False

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads on this thread see one consistent state of the database until the block ends."""
        if getattr(self._local, "conn", None) is not None:
            yield
            return
        with self._bounded(), self._connect() as conn:
            if self.dialect == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            conn.execution_options(cardcheck_snapshot=True)
            with conn.begin():
                self._local.conn = conn
                try:
                    yield
                finally:
                    self._local.conn = None

    @contextmanager
    def _reader(self) -> Iterator[Connection]:
        current: Connection | None = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with self._bounded(), self._connect() as conn:
            yield conn

    def _all(self, statement: Executable) -> list[Row]:
        with self._reader() as conn:
            return [dict(r) for r in conn.execute(statement).mappings()]

    def _one(self, statement: Executable) -> Row | None:
        with self._reader() as conn:
            r = conn.execute(statement).mappings().first()
        return None if r is None else dict(r)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Read rows with any SELECT (named ``:params``): for this package's modules and for
        tests, never for the rooms above (their SQL belongs in a method here)."""
        return self._all(text(sql).bindparams(**(params or {})))

    def lock_session(self, db: Connection, session_id: int) -> Row | None:
        """Lock ``session_id``'s row for the rest of the transaction ``db`` (on SQLite the
        write transaction already holds the whole file) and return its ``id``, ``class_id``,
        ``ended_at``, ``interrupted_at``; None when there is no such session."""
        s = sessions.c
        statement = (
            select(s.id, s.class_id, s.ended_at, s.interrupted_at)
            .where(sessions.c.id == session_id)
            .with_for_update()
        )
        r = db.execute(statement).mappings().first()
        return None if r is None else dict(r)

    # -- migrations ------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        """The number of the newest migration applied (1 is the first)."""
        with self._reader() as conn:
            return migrations.current(conn)

    def migrate(self) -> None:
        """Bring the database to the newest migration; refuses one from a newer cardcheck.

        Runs in one write transaction: on SQLite under ``BEGIN IMMEDIATE``, on PostgreSQL
        (whose DDL is transactional) under an advisory lock, so of several processes starting
        at once one migrates and the others find the work done."""
        if self.dialect == "sqlite":
            _wal(self.engine, self.busy_timeout)
        with self._writing(), self._connect() as conn:
            conn.execution_options(cardcheck_write=True)
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
                migrations.upgrade(conn, where=describe_url(self.url))

    # -- meta and tokens -------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self._one(select(meta.c.value).where(meta.c.key == key))
        return None if row is None else str(row["value"])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(self._upsert_meta(key, value, replace=True))

    def _upsert_meta(self, key: str, value: str, *, replace: bool) -> Executable:
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = insert(meta).values(key=key, value=value)
        if replace:
            return statement.on_conflict_do_update(
                index_elements=[meta.c.key], set_={"value": statement.excluded.value}
            )
        return statement.on_conflict_do_nothing(index_elements=[meta.c.key])

    def token(self, kind: str) -> str:
        """The ``kind`` token of this data folder ("teacher" or "projector"), made on first use;
        of processes making it at once, the first to commit wins and all read its value."""
        key = f"{kind}_token"
        existing = self.meta(key)
        if existing:
            return existing
        with self.transaction() as db:
            db.execute(self._upsert_meta(key, secrets.token_urlsafe(24), replace=False))
        return str(self.meta(key))


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _first_line(e: BaseException) -> str:
    return (
        str(getattr(e, "orig", e)).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    )


def _sqlite_engine(url: URL, busy_timeout: float) -> Engine:
    engine = create_engine(url, connect_args={"timeout": busy_timeout, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # the driver's own transaction handling is off: BEGIN is ours (see _on_begin)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # a write takes the file's write lock up front: a read lock upgraded later fails at
        # once with SQLITE_BUSY, whatever the busy timeout. A snapshot is a deferred BEGIN;
        # a single read needs none (each statement is its own consistent read).
        options = conn.get_execution_options()
        if options.get("cardcheck_write", False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif options.get("cardcheck_snapshot", False):
            conn.exec_driver_sql("BEGIN")

    return engine


def _wal(engine: Engine, busy_timeout: float) -> None:
    """Put the file in WAL mode (it stays so). Changing the mode needs the file to itself, and
    SQLite answers "database is locked" at once, without its busy handler, while another process
    opens or migrates the same new file: retry until ``busy_timeout``."""
    deadline = time.monotonic() + busy_timeout
    delay = 0.01
    while True:
        raw = engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
        finally:
            raw.close()
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
