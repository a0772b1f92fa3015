"""The database the store tests run on: an SQLite file per test, or, with ``--store=postgresql``
(``make test`` runs the store, API, socket and rules tests that way a second time), one
PostgreSQL database per run at ``CARDCHECK_TEST_PG`` (default ``postgresql://postgres@127.0.0.1:5432``),
created with a unique name, emptied before each test and dropped at the end.

PostgreSQL that does not answer fails the run: it is never skipped.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

SERVER = os.environ.get("CARDCHECK_TEST_PG", "postgresql://postgres@127.0.0.1:5432")

__all__ = ["SERVER", "empty", "fresh_database", "server_url"]


def server_url(database: str) -> str:
    return f"{SERVER.rstrip('/')}/{database}"


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(server_url("postgres"), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        raise RuntimeError(
            f"PostgreSQL at {SERVER} does not answer ({e}); the PostgreSQL half of the suite "
            "needs it (apt-get install postgresql; or set CARDCHECK_TEST_PG)"
        ) from e


@contextmanager
def fresh_database(prefix: str = "cardcheck_test") -> Iterator[str]:
    """A new, empty database with a unique name; its URL. Dropped (connections and all) after."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    with _admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        # a test database need not survive a power cut: commits skip the wait for the disk
        admin.execute(
            sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name))
        )
    try:
        yield server_url(name)
    finally:
        with _admin() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def empty(url: str) -> None:
    """Delete every row of every cardcheck table and restart the ids, keeping the schema."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename <> 'alembic_version'"
            )
        ]
        if tables:
            conn.execute("SET lock_timeout = '10s'")  # a test left a transaction open: say so
            conn.execute(
                sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                    sql.SQL(", ").join(sql.Identifier(t) for t in tables)
                )
            )
