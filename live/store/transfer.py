"""Moving a whole installation from one database to another (SQLite to PostgreSQL and back).

``copy_all(source, target)`` copies every row of every table, ids included, in the order the
foreign keys need, in one transaction on the target: all or nothing. The source is read in one
consistent snapshot, so it may stay in use meanwhile (what is written after the snapshot is
not copied). The target must hold no data yet: only its ``meta`` rows (tokens made when a
server opened it) may be there, and they are replaced by the source's, so the teacher's and the
projector's links keep working after the move. On PostgreSQL the id sequences are moved past
the copied ids. The servers' heartbeats are not data and stay behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)

from live.errors import Conflict
from live.store.database import Database
from live.store.tables import meta, metadata, servers

TABLES = [t for t in metadata.sorted_tables if t is not servers]
"""What is copied, in the order the foreign keys need."""

__all__ = ["TABLES", "copy_all", "row_counts"]

BATCH = 1000


def row_counts(store: Database) -> dict[str, int]:
    """The number of rows of every table, by name, in the tables' dependency order."""
    with store.snapshot(), store._reader() as conn:
        return {t.name: _count(conn, t) for t in TABLES}


def copy_all(source: Database, target: Database) -> dict[str, int]:
    """Copy every row of ``source`` into the empty ``target``; the rows copied, per table.

    ``Conflict`` when the target already holds data (and nothing is written)."""
    copied: dict[str, int] = {}
    with source.snapshot(), source._reader() as read, target.transaction() as write:
        busy = [t.name for t in TABLES if t is not meta and _count(write, t)]
        if busy:
            raise Conflict(
                f"{target.describe()} already holds data (in {', '.join(busy)}); "
                "copy into a new, empty database"
            )
        write.execute(delete(meta))
        later: list[tuple[Table, list[dict[str, object]]]] = []
        for table in TABLES:
            copied[table.name] = 0
            cyclic = _cyclic_columns(table)
            for batch in _batches(read, table):
                if cyclic:
                    # a key into a table not copied yet (classes.live_session): set afterwards
                    later.append((table, [{k: row[k] for k in ("id", *cyclic)} for row in batch]))
                    batch = [{**row, **dict.fromkeys(cyclic)} for row in batch]
                write.execute(insert(table), batch)
                copied[table.name] += len(batch)
        for table, rows in later:
            values: dict[str, Any] = {c: bindparam(f"v_{c}") for c in rows[0] if c != "id"}
            write.execute(
                update(table).where(table.c.id == bindparam("v_id")).values(**values),
                [{f"v_{k}": v for k, v in row.items()} for row in rows],
            )
        if target.dialect == "postgresql":
            _move_sequences(write)
    return copied


def _cyclic_columns(table: Table) -> list[str]:
    """Columns of ``table`` whose foreign key closes a cycle (declared ``use_alter``)."""
    return [c.name for k in table.foreign_key_constraints if k.use_alter for c in k.columns]


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _batches(conn: Connection, table: Table) -> Iterator[list[dict[str, object]]]:
    order = list(table.primary_key.columns)
    result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
    for part in result.mappings().partitions(BATCH):
        yield [dict(row) for row in part]


def _move_sequences(conn: Connection) -> None:
    """Each serial ``id`` continues after the largest id copied."""
    for table in TABLES:
        if "id" not in table.c or not isinstance(table.c.id.type, Integer):
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                f' coalesce(max(id), 1), max(id) IS NOT NULL) FROM "{table.name}"'
            )
        )
