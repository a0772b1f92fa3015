"""Alembic's entry point for cardcheck's migrations, on both dialects.

At start-up ``live.store.migrations.upgrade`` hands in the open connection (already inside the
start-up's locked transaction). From the command line (``alembic -c live/store/alembic.ini``,
to write a new revision with ``--autogenerate``), the database is ``-x db=URL_OR_PATH``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from live.store.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters a table by copying it: batch mode writes that
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    from live.store.database import database_url

    db = context.get_x_argument(as_dictionary=True).get("db")
    if not db:
        raise SystemExit("name the database: alembic -c live/store/alembic.ini -x db=PATH_OR_URL")
    engine = create_engine(database_url(db))
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
