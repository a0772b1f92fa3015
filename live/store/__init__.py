"""The store: the whole domain in one SQLite file (WAL, one writer, migrations in code).

``Store`` is assembled from one part per concern, each in its own module:
``live.store.database`` (the file, transactions, migrations, tokens), ``live.store.classroom`` (classes,
students, groups, goals), ``live.store.library`` (questions and sets) and ``live.store.sessionlog``
(sessions, responses, the event log). Rows come back as plain ``dict``s ready for JSON. Bad
references raise ``NotFound``, broken constraints ``Conflict``; callers validate shapes first.

Student names are personal data and live in one column, ``students.name``: everything else
refers to a student by id, so a purge removes every trace.
"""

from __future__ import annotations

from live.store.classroom import GROUP_COLOURS, import_roster
from live.store.database import Row
from live.store.sessionlog import SessionRecords

__all__ = ["GROUP_COLOURS", "Row", "Store", "import_roster"]


class Store(SessionRecords):
    """The database of one cardcheck installation. Thread-safe; one writer at a time."""
