"""The store: the whole domain in one SQLite file (WAL, one writer, migrations in code).

Every SQL statement of the service is in this package. ``Store`` is assembled from one part
per concern, each in its own module: ``database`` (the file, transactions, migrations,
tokens), ``schema`` (the tables), ``classroom`` (classes, students, groups, goals),
``library`` (questions and sets), ``sessionlog`` (sessions, responses, the event log),
``flags`` (what the rule engine reads, and its flags), ``reporting`` (rows for reports,
exports and grouping), ``checkins`` (the check-in commands) and ``servers`` (the processes
sharing the store, alive or not). Rows come back as plain
``dict``s ready for JSON. Bad references raise ``NotFound``, broken constraints ``Conflict``;
callers validate shapes first.

Student names are personal data and live in one column, ``students.name``: everything else
refers to a student by id, so a purge removes every trace.
"""

from __future__ import annotations

from live.store.classroom import GROUP_COLOURS, import_roster
from live.store.database import Row
from live.store.flags import FlagRecords
from live.store.reporting import ReportRecords
from live.store.servers import ServerRecords

__all__ = ["GROUP_COLOURS", "Row", "Store", "import_roster"]


class Store(FlagRecords, ReportRecords, ServerRecords):
    """The database of one cardcheck installation. Thread-safe; one writer at a time."""
