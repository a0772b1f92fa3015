"""A card noticed missing after the reveal: entered by hand, kept, and marked late in the exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from live.reports.export import export
from live.reports.report import read_session
from live.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "late.sqlite3")
    try:
        yield s
    finally:
        s.close()


def test_a_late_correction_is_marked_in_the_long_csv_and_the_json(store: Store) -> None:
    cid = store.create_class("Period 3", now=0)["id"]
    on_time = store.add_student(cid, "Ana Ruiz", card=1, now=0)["id"]
    missed = store.add_student(cid, "Ben Okafor", card=2, now=0)["id"]
    q = store.create_question("3/4 or 5/8?", ["3/4", "5/8"], correct="A", now=0)["id"]
    session, _ = store.start_session(cid, set_id=None, now=1)
    sid = session["id"]
    store.ask(sid, q, now=2)
    store.record(sid, on_time, "A", source="scan", now=3)
    store.reveal(sid, now=4)
    store.record(sid, missed, "A", source="manual", now=5)  # the card the camera missed
    store.end_session(sid, now=6)
    data = read_session(store, sid)

    rows = list(csv.reader(io.StringIO(export(data, "long").decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    late = {r[header.index("Student")]: r[header.index("Late")] for r in body}
    source = {r[header.index("Student")]: r[header.index("Source")] for r in body}
    assert late == {"Ana Ruiz": "FALSE", "Ben Okafor": "TRUE"}
    assert source == {"Ana Ruiz": "scan", "Ben Okafor": "manual"}

    doc = json.loads(export(data, "json"))
    by_student = {r["student_id"]: r for r in doc["responses"]}
    assert by_student[on_time]["late"] is False
    assert by_student[missed]["late"] is True
    assert by_student[missed]["correct"] is True  # a late answer still counts
