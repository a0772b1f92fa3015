"""``cardcheck copy``: a laptop's SQLite data to a school's PostgreSQL and back, checked by row
counts and by an export of each class before and after."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import pytest

from live.cli import main
from live.reports.export import json_export
from live.reports.report import read_class
from live.store import Store
from live.store.transfer import row_counts
from tests.support.databases import fresh_database
from tests.support.export_support import T0, build

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


def exports(store: Store) -> dict[str, object]:
    return {
        c["name"]: json.loads(json_export(read_class(store, c["id"], tz=UTC), tz=UTC))
        for c in store.list_classes(include_archived=True)
    }


def laptop(path: Path) -> tuple[dict[str, int], dict[str, object], str]:
    """A laptop's file: two classes with sessions, flags and check-ins, an image, an archived
    class and the folder's tokens; its row counts, exports and teacher token."""
    store = Store(path)
    build(store)
    store.create_question("Which?", ["L", "R"], correct="A", image=(PNG, "image/png"), now=T0)
    old = store.create_class("6A", now=T0)
    store.add_student(old["id"], "Ola Nordmann", card=3, now=T0)
    store.update_class(old["id"], archived=True, now=T0 + 1)
    token = store.token("teacher")
    out = row_counts(store), exports(store), token
    store.close()
    return out


def test_sqlite_to_postgresql_and_back_keeps_every_row_and_every_class(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    counts, before, token = laptop(tmp_path / "laptop.sqlite3")
    assert counts["responses"] > 10 and counts["events"] > 20
    with fresh_database("cardcheck_copy") as school:
        assert main(["copy", "--from", str(tmp_path / "laptop.sqlite3"), "--to", school]) == 0
        printed = capsys.readouterr().out
        assert "row counts equal; 3 of 3 class export(s) identical" in printed
        moved = Store(school)
        assert row_counts(moved) == counts
        assert exports(moved) == before
        assert moved.token("teacher") == token  # the teacher's links keep working
        # the school goes on using it: new rows get new ids
        cls = moved.create_class("9D", now=T0 + 9000)
        assert cls["id"] == 4
        session, _ = moved.start_session(cls["id"], set_id=None, now=T0 + 9001)
        assert session["id"] == counts["sessions"] + 1
        moved.close()

        back = tmp_path / "back.sqlite3"
        assert main(["copy", "--from", school, "--to", str(back)]) == 0
        again = Store(back)
        assert exports(again)["7B"] == before["7B"]
        assert row_counts(again)["classes"] == counts["classes"] + 1
        again.close()


def test_a_target_that_holds_data_is_refused_and_left_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    laptop(tmp_path / "laptop.sqlite3")
    other = Store(tmp_path / "other.sqlite3")
    other.create_class("Someone else's", now=1)
    other.close()
    code = main(
        [
            "copy",
            "--from",
            str(tmp_path / "laptop.sqlite3"),
            "--to",
            str(tmp_path / "other.sqlite3"),
        ]
    )
    assert code == 1
    assert "already holds data (in classes)" in capsys.readouterr().err
    other = Store(tmp_path / "other.sqlite3")
    assert [c["name"] for c in other.list_classes()] == ["Someone else's"]
    other.close()
