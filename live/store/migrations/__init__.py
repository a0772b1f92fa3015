"""The versioned migrations of the store (Alembic), shipped inside the package.

Revisions are numbered ``0001``, ``0002``, ..., a name after the number from 0004 on
(``0004_accounts``), so a database's schema version is the number its revision starts with.
Each one takes the schema of ``live.store.tables`` one step on, on SQLite and PostgreSQL alike;
a released revision is never edited.

A data folder made before the store moved to Alembic carries ``PRAGMA user_version = 1`` and
the tables of revision 0001: it is stamped 0001 and upgraded from there. On SQLite the file's
``user_version`` keeps following the revision number, so an older cardcheck refuses a newer file.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

__all__ = ["current", "head", "head_revision", "upgrade"]

_HERE = Path(__file__).resolve().parent


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def _number(revision: str | None) -> int | None:
    """The number ``revision`` starts with ("0004_accounts" is 4); None for another shape."""
    if revision is None:
        return 0
    found = re.fullmatch(r"(\d{4})(_\w+)?", revision)
    return int(found.group(1)) if found else None


def head() -> int:
    """The newest revision this cardcheck knows."""
    return _number(_scripts().get_current_head()) or 0


def head_revision() -> str:
    """The id of the newest revision this cardcheck knows (``0004_accounts``)."""
    return str(_scripts().get_current_head())


def current(connection: Connection) -> int:
    """The revision the database is at: 0 for an empty one."""
    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None:
        return _legacy_version(connection)
    number = _number(revision)
    if number is None:
        raise RuntimeError(f"the database has schema {revision}, unknown to this cardcheck")
    return number


def _legacy_version(connection: Connection) -> int:
    if connection.dialect.name != "sqlite":
        return 0
    return int(connection.exec_driver_sql("PRAGMA user_version").scalar_one())


def upgrade(connection: Connection, *, where: str) -> None:
    """Bring the database on ``connection`` (inside the caller's transaction) to the newest
    revision. ``RuntimeError`` when it was written by a newer cardcheck."""
    newest = head()
    revision = MigrationContext.configure(connection).get_current_revision()
    known = revision is None or revision in {s.revision for s in _scripts().walk_revisions()}
    version = _legacy_version(connection) if revision is None else (_number(revision) or 0)
    if version > newest or not known:
        raise RuntimeError(
            f"{where} has schema {revision or version}, newer than this cardcheck ({newest})"
        )
    if revision is not None and revision == _scripts().get_current_head():
        return
    config = _config(connection)
    if revision is None and version > 0 and inspect(connection).has_table("classes"):
        # made before Alembic: its tables are those of the revision it counted to
        command.stamp(config, f"{version:04d}")
    command.upgrade(config, "head")
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA user_version = {newest}")
