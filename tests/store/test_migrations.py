"""The migrations and the tables agree; a data folder made before Alembic upgrades in place."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from live.reports.export import json_export
from live.reports.report import read_class
from live.store import Store
from live.store.migrations import head, head_revision
from live.store.tables import metadata

FIXTURES = Path(__file__).parent / "fixtures"


def test_the_migrations_build_exactly_the_declared_tables(store: Store) -> None:
    """Alembic's autogenerate finds nothing to add: tables.py and the revisions agree."""
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        if store.dialect == "sqlite":
            # SQLAlchemy reads a foreign key added by ALTER TABLE (classes.live_session) without
            # its ON DELETE: ask SQLite itself, and leave that pair out of the comparison
            keys = conn.exec_driver_sql("PRAGMA foreign_key_list(classes)").fetchall()
            assert [(k[2], k[3], k[6]) for k in keys] == [("sessions", "live_session", "SET NULL")]
            diff = [d for d in diff if not (d[0] in ("add_fk", "remove_fk") and _live_key(d[1]))]
    assert diff == []
    assert store.schema_version == head()


def _live_key(key: object) -> bool:
    return [c.name for c in getattr(key, "columns", ())] == ["live_session"]


@pytest.mark.parametrize("version", [1, 3])
def test_a_data_folder_made_before_alembic_upgrades_in_place_and_keeps_every_class(
    tmp_path: Path, version: int
) -> None:
    """``legacy-v1.sqlite3`` was written by cardcheck 0.1, ``legacy-v3.sqlite3`` by the last
    store with hand-written migrations (``make_legacy.py``): opening either stamps and upgrades
    it, and every class exports exactly as it did then."""
    path = tmp_path / "cardcheck.sqlite3"
    shutil.copy(FIXTURES / f"legacy-v{version}.sqlite3", path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == version
    raw.close()
    before = json.loads((FIXTURES / f"legacy-v{version}.exports.json").read_text())
    store = Store(path)
    assert store.schema_version == head()
    after = {
        str(c["id"]): json.loads(json_export(read_class(store, c["id"], tz=UTC), tz=UTC))
        for c in store.list_classes(include_archived=True)
    }
    assert after == before and len(after) == 3
    image = next(q for q in store.list_questions() if q["has_image"])
    assert store.question_image(image["id"]) is not None
    token = store.token("teacher")
    store.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == head()
        assert (
            raw.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
        )
    raw.close()
    again = Store(path)  # a second open finds nothing to do and keeps the folder's token
    assert again.token("teacher") == token
    again.close()


def test_a_database_from_a_newer_cardcheck_is_refused(store: Store) -> None:
    with store.transaction() as db:
        db.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    try:
        with pytest.raises(RuntimeError, match="newer"):
            Store(store.url.render_as_string(hide_password=False))
    finally:
        with store.transaction() as db:
            db.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{head_revision()}'")
