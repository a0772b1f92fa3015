"""Exports label each response with the group the student was in at that session, not today's.

The fixed class of tests/export_support.py, then Ada is moved from Blue to Red and a second
session runs: her first session's answers stay Blue, her second session's are Red.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from live.reports.export import export
from live.reports.report import (
    SessionInfo,
    Stay,
    read_class,
    read_session,
    read_set,
    session_groups,
)
from live.store import Store
from tests.support.export_support import T0, build

MOVED_AT = T0 + 3600  # after the fixed session ended, before the second one


@pytest.fixture
def moved(tmp_path: Path) -> Iterator[tuple[Store, dict[str, Any]]]:
    """The fixed class, Ada moved from Blue to Red, then a second 7B session she answers in."""
    store = Store(tmp_path / "groups.sqlite3")
    try:
        ids = build(store)
        ada = ids["students"][0]
        red = store.get_group(ids["groups"]["Red"])
        store.update_group(ids["groups"]["Red"], students=[*red["students"], ada], now=MOVED_AT)
        second, _ = store.start_session(ids["class"], set_id=None, now=T0 + 7200)
        store.ask(second["id"], ids["questions"][0], now=T0 + 7210)
        store.record(second["id"], ada, "A", source="scan", now=T0 + 7211)
        store.record(second["id"], ids["students"][1], "B", source="scan", now=T0 + 7212)
        store.end_session(second["id"], now=T0 + 7300)
        yield store, {**ids, "ada": ada, "second": second["id"]}
    finally:
        store.close()


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8").lstrip("\ufeff"), newline="")))


def _ada_groups_by_session(rows: list[dict[str, str]], ada: int) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in rows:
        if r["cardcheck student no."] == str(ada):
            out.setdefault(r["Session"], set()).add(r["Group"])
    return out


def test_current_groups_really_moved(moved: tuple[Store, dict[str, Any]]) -> None:
    store, ids = moved
    assert ids["ada"] in store.get_group(ids["groups"]["Red"])["students"]
    assert ids["ada"] not in store.get_group(ids["groups"]["Blue"])["students"]


def test_long_csv_of_a_class_shows_the_group_at_each_session(
    moved: tuple[Store, dict[str, Any]],
) -> None:
    store, ids = moved
    rows = _csv(export(read_class(store, ids["class"], tz=UTC), "long"))
    assert _ada_groups_by_session(rows, ids["ada"]) == {
        str(ids["session"]): {"Blue"},
        str(ids["second"]): {"Red"},
    }
    # a student who never moved keeps their group in both sessions
    other = {r["Group"] for r in rows if r["cardcheck student no."] == str(ids["students"][1])}
    assert other == {"Blue"}


def test_long_csv_of_a_set_uses_the_group_at_the_session(
    moved: tuple[Store, dict[str, Any]],
) -> None:
    store, ids = moved
    rows = _csv(export(read_set(store, ids["set"]), "long"))
    assert _ada_groups_by_session(rows, ids["ada"]) == {str(ids["session"]): {"Blue"}}


def test_each_sessions_long_csv_and_scoresheet_use_that_sessions_group(
    moved: tuple[Store, dict[str, Any]],
) -> None:
    store, ids = moved
    for sid, group in ((ids["session"], "Blue"), (ids["second"], "Red")):
        data = read_session(store, sid)
        assert _ada_groups_by_session(_csv(export(data, "long")), ids["ada"]) == {str(sid): {group}}
        sheet = list(csv.reader(io.StringIO(export(data, "csv").decode().lstrip("\ufeff"))))
        ada_row = next(r for r in sheet[1:] if r[1] == "Ada")
        assert ada_row[sheet[0].index("Group")] == group
        by_name = {g.name: g.students for g in data.groups}
        assert ids["ada"] in by_name[group]
        assert ids["ada"] not in by_name[{"Blue": "Red", "Red": "Blue"}[group]]


def test_class_scoresheet_spanning_sessions_uses_the_current_group(
    moved: tuple[Store, dict[str, Any]],
) -> None:
    store, ids = moved
    data = read_class(store, ids["class"], tz=UTC)
    sheet = list(csv.reader(io.StringIO(export(data, "csv").decode().lstrip("\ufeff"))))
    assert next(r for r in sheet[1:] if r[1] == "Ada")[sheet[0].index("Group")] == "Red"
    assert ids["ada"] in {g.name: g.students for g in data.groups}["Red"]


def test_xlsx_responses_sheet_shows_the_group_at_each_session(
    moved: tuple[Store, dict[str, Any]],
) -> None:
    store, ids = moved
    wb = openpyxl.load_workbook(io.BytesIO(export(read_class(store, ids["class"], tz=UTC), "xlsx")))
    rows = list(wb["Responses"].iter_rows(values_only=True))
    wb.close()
    header = list(rows[0])
    got = {
        (r[header.index("Session")], r[header.index("Group")])
        for r in rows[1:]
        if r[header.index("cardcheck student no.")] == ids["ada"]
    }
    assert got == {(ids["session"], "Blue"), (ids["second"], "Red")}


def test_json_responses_carry_the_group_at_their_session(
    moved: tuple[Store, dict[str, Any]],
) -> None:
    store, ids = moved
    doc = json.loads(export(read_class(store, ids["class"], tz=UTC), "json"))
    session_of = {q["asked_id"]: q["session_id"] for q in doc["questions"]}
    got = {
        (session_of[r["asked_id"]], r["group_id"], r["group"])
        for r in doc["responses"]
        if r["student_id"] == ids["ada"]
    }
    blue, red = ids["groups"]["Blue"], ids["groups"]["Red"]
    assert got == {(ids["session"], blue, "Blue"), (ids["second"], red, "Red")}
    ada = next(s for s in doc["students"] if s["id"] == ids["ada"])
    assert (ada["group_id"], ada["group"]) == (red, "Red")  # the student list: current group


# -- session_groups, pure --------------------------------------------------------------------


def _session(sid: int, start: float, end: float | None) -> SessionInfo:
    return SessionInfo(sid, 1, "C", None, start, end)


@pytest.mark.parametrize(
    ("stays", "expected"),
    [
        # in Blue from before the start: Blue
        ([(10, 0.0, None)], 10),
        # left Blue before the start, joined Red at the very second it started: Red
        ([(10, 0.0, 100.0), (20, 100.0, None)], 20),
        # moved from Blue to Red during the session: the group at the start, Blue
        ([(10, 0.0, 150.0), (20, 150.0, None)], 10),
        # in no group at the start, put in Red then Blue during it: the first, Red
        ([(20, 120.0, 130.0), (10, 130.0, None)], 20),
        # joined a group only after the session ended: none
        ([(10, 300.0, None)], None),
        # left every group before the session: none
        ([(10, 0.0, 50.0)], None),
    ],
)
def test_session_groups_is_the_group_at_the_start_else_the_first_joined_during(
    stays: list[tuple[int, float, float | None]], expected: int | None
) -> None:
    session = _session(1, 100.0, 200.0)
    got = session_groups([session], [Stay(1, g, 7, j, left) for g, j, left in stays])
    assert got.get((1, 7)) == expected


def test_session_groups_of_a_running_session_and_of_another_class() -> None:
    running = _session(1, 100.0, None)
    stays = [Stay(1, 10, 7, 500.0, None), Stay(2, 30, 8, 0.0, None)]
    # a running session takes a group joined at any time after its start
    assert session_groups([running], stays) == {(1, 7): 10}
