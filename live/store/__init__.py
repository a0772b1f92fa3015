"""The store: the whole domain in one database, an SQLite file (the default) or PostgreSQL.

Every SQL statement of the service is in this package, written with SQLAlchemy Core so each is
written once for both. ``Store`` is assembled from one part per concern, each in its own module:
``database`` (connections, transactions, migrations, tokens), ``tables`` (the tables, declared
once; ``migrations`` holds their Alembic revisions), ``classroom`` (classes, students, groups, goals),
``library`` (questions and sets), ``sessionlog`` (sessions, responses, the event log),
``flags`` (what the rule engine reads, and its flags), ``accounts`` (people, their tokens and
sign-ins, who teaches which class), ``links`` (projector and scanner links scoped to one
session), ``audit`` (who did what, when), ``reporting`` (rows for reports,
exports and grouping), ``checkins`` (the check-in commands) and ``servers`` (the processes
sharing the store, alive or not). Rows come back as plain
``dict``s ready for JSON. Bad references raise ``NotFound``, broken constraints ``Conflict``;
callers validate shapes first.

Student names are personal data and live in one column, ``students.name``: everything else
refers to a student by id, so a purge removes every trace.
"""

from __future__ import annotations

from live.store.accounts import AccountRecords
from live.store.audit import AuditRecords
from live.store.classroom import GROUP_COLOURS, import_roster
from live.store.database import Row
from live.store.flags import FlagRecords
from live.store.links import LinkRecords
from live.store.progressions import ProgressionRecords
from live.store.reporting import ReportRecords
from live.store.servers import ServerRecords

__all__ = ["GROUP_COLOURS", "Row", "Store", "import_roster"]


class Store(
    FlagRecords,
    ReportRecords,
    ServerRecords,
    AccountRecords,
    LinkRecords,
    AuditRecords,
    ProgressionRecords,
):
    """The database of one cardcheck installation: ``Store(path_or_url)``. Thread-safe; several
    processes may share it (one writer at a time on SQLite, one per session on PostgreSQL)."""
