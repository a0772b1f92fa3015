"""One score everywhere: a session with every awkward case, exported in every format, read back
the way a gradebook reads it, and every figure agrees with ``live.reports.score``."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from live.errors import Conflict
from live.reports.export import export
from live.reports.report import read_session, read_session_scores
from live.reports.report_html import render_report
from live.reports.score import student_scores
from live.store import Store

T0 = 1725271200.0

# name -> (answers to Q1 key A, Q2 key B, Q3 poll, Q4 key C); None: no answer
PLAN: dict[str, tuple[str | None, ...]] = {
    "Priya Shah": ("A", "B", "C", None),  # skipped Q4: 2 right of 3 asked, 2 answered
    "Zara Khan": ("A", "C", "A", "D"),  # answered all: 1 of 3
    "Jack Moss": ("A", None, "B", "C"),  # no card on Q2: 2 of 3, 2 answered
    "Nia Oduya": ("B", "B", None, "C"),  # Q1 typed in by hand after close: 2 of 3
    "Mo Diaz": ("A", "B", "D", None),  # Q4: a scan after the reveal is refused, the teacher
    # types in C by hand (a late correction, which counts): 3 of 3
    "Lee Chen": ("C", "B", "A", "C"),  # moved from Blue to Red after Q2: 2 of 3
}
LATE = "Omar Aziz"  # added to the roster after Q1 was asked; answers Q2 B, Q4 C: 2 of 2

EXPECTED = {  # name -> (right, answered, asked)
    "Priya Shah": (2, 2, 3),
    "Zara Khan": (1, 3, 3),
    "Jack Moss": (2, 2, 3),
    "Nia Oduya": (2, 3, 3),
    "Mo Diaz": (3, 3, 3),
    "Lee Chen": (2, 3, 3),
    LATE: (2, 2, 2),
}


@pytest.fixture
def session(tmp_path: Path) -> Iterator[tuple[Store, int]]:
    store = Store(tmp_path / "score.sqlite3")
    try:
        yield store, _build(store)
    finally:
        store.close()


def _build(store: Store) -> int:
    t = T0 - 3600
    cid = store.create_class("9A", now=t)["id"]
    ids = {n: store.add_student(cid, n, card=i + 1, now=t)["id"] for i, n in enumerate(PLAN)}
    blue = store.create_group(cid, "Blue", students=[ids["Lee Chen"], ids["Priya Shah"]], now=t)
    red = store.create_group(cid, "Red", students=[ids["Zara Khan"]], now=t)
    keys = ["A", "B", None, "C"]
    qids = [
        store.create_question(f"Question {i + 1}", ["w", "x", "y", "z"], correct=k, now=t)["id"]
        for i, k in enumerate(keys)
    ]
    sid = store.start_session(cid, set_id=None, now=T0)[0]["id"]
    now = T0
    for qi, qid in enumerate(qids):
        now += 60
        store.ask(sid, qid, now=now)
        for name, answers in PLAN.items():
            a = answers[qi]
            if a is None or (name == "Nia Oduya" and qi == 0):
                continue
            now += 1
            store.record(sid, ids[name], a, source="scan", now=now)
        if qi >= 1:
            now += 1
            store.record(sid, ids[LATE], "B" if qi == 1 else "C", source="scan", now=now)
        store.close_question(sid, now=now + 1)
        if qi == 0:
            store.record(sid, ids["Nia Oduya"], "B", source="manual", now=now + 2)
            ids[LATE] = store.add_student(cid, LATE, card=len(PLAN) + 1, now=now + 3)["id"]
        if qi == 1:
            store.update_group(blue["id"], students=[ids["Priya Shah"]], now=now + 3)
            store.update_group(red["id"], students=[ids["Zara Khan"], ids["Lee Chen"]], now=now + 3)
        store.reveal(sid, now=now + 4)
        if qi == 3:
            with pytest.raises(Conflict):
                store.record(sid, ids["Mo Diaz"], "C", source="scan", now=now + 5)
            store.record(sid, ids["Mo Diaz"], "C", source="manual", now=now + 5)
        now += 5
    store.end_session(sid, now=now + 30)
    return sid


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_every_format_shows_the_same_score(session: tuple[Store, int]) -> None:
    store, sid = session
    data = read_session(store, sid)
    names = {s.id: s.name for s in data.students}
    assert [names[r.student_id] for r in data.responses if r.late] == ["Mo Diaz"]
    scores = student_scores(data)
    assert {names[k]: (v.correct, v.answered, v.asked) for k, v in scores.items()} == EXPECTED
    percent = {n: round(100 * r / a) for n, (r, _, a) in EXPECTED.items()}

    # the scoresheet CSV: a row per student, the key in the headings
    sheet = _csv(export(data, "csv", tz=UTC))
    assert [f"{r['First name']} {r['Last name']}" for r in sheet] == list(EXPECTED)
    for r in sheet:
        name = f"{r['First name']} {r['Last name']}"
        right, answered, asked = EXPECTED[name]
        assert (r["Score %"], r["Correct"], r["Answered"], r["Asked"]) == (
            str(percent[name]),
            str(right),
            str(answered),
            str(asked),
        )
    assert [h for h in sheet[0] if h.startswith("Q")] == [
        "Q1 (key A)",
        "Q2 (key B)",
        "Q3 (poll)",
        "Q4 (key C)",
    ]

    # the workbook's Scores sheet: the same numbers, and no answer-key row
    book = openpyxl.load_workbook(io.BytesIO(export(data, "xlsx", tz=UTC)), read_only=True)
    rows = list(book["Scores"].iter_rows(values_only=True))
    book.close()
    head = list(rows[0])
    got = {
        f"{r[head.index('First name')]} {r[head.index('Last name')]}": (
            r[head.index("Correct")],
            r[head.index("Answered")],
            r[head.index("Asked")],
        )
        for r in rows[1:]
    }
    assert got == EXPECTED

    # JSON
    doc = json.loads(export(data, "json", tz=UTC))
    assert {
        s["name"]: (s["correct"], s["answered"], s["asked"]) for s in doc["students"]
    } == EXPECTED
    assert {s["name"]: s["percent"] for s in doc["students"]} == {
        n: pytest.approx(100 * r / a) for n, (r, _, a) in EXPECTED.items()
    }

    # Canvas: its percent (points / points possible) is the score
    canvas = _csv(export(data, "canvas", tz=UTC))
    column = next(h for h in canvas[0] if h.startswith("Card check"))
    possible = float(canvas[0][column])
    assert canvas[0]["Student"] == "Points Possible" and possible == 3
    for r in canvas[1:]:
        last, first = r["Student"].split(", ")
        right, _, asked = EXPECTED[f"{first} {last}"]
        assert float(r[column]) / possible == pytest.approx(right / asked, abs=0.005)

    # OneRoster: score / resultValueMax is the score, the comment has the counts
    with zipfile.ZipFile(io.BytesIO(export(data, "oneroster", tz=UTC))) as z:
        items = _csv(z.read("lineItems.csv"))
        results = _csv(z.read("results.csv"))
    top = float(items[0]["resultValueMax"])
    assert len(results) == len(EXPECTED)
    by_name = {s.id: s.name for s in data.students}
    for r in results:
        student = int(r["studentSourcedId"].rsplit("-", 1)[1])
        right, answered, asked = EXPECTED[by_name[student]]
        assert float(r["score"]) / top == pytest.approx(right / asked, abs=0.005)
        assert r["comment"] == f"{right} right of {asked} asked, {answered} answered"

    # the printable report: each row's right/asked and answered, and the session's score
    html = render_report(data, tz=UTC)
    for name, (right, answered, asked) in EXPECTED.items():
        assert re.search(
            rf"{re.escape(name)}</td><td>[^<]*</td><td>{percent[name]}%</td>"
            rf"<td>{right}/{asked}</td><td>{answered}</td>",
            html,
        ), name
    right = sum(r for r, _, _ in EXPECTED.values())
    answered = sum(n for _, n, _ in EXPECTED.values())
    asked = sum(a for _, _, a in EXPECTED.values())
    assert f"score {round(100 * right / asked)}% ({right} right of {asked} asked" in html

    # History's figure for the session is the same total
    history = read_session_scores(store, [sid])[sid]
    assert (history.correct, history.answered, history.asked) == (right, answered, asked)


def test_a_student_asked_nothing_has_no_score_and_no_gradebook_cell(tmp_path: Path) -> None:
    """Someone added after the session ended is on the scoresheet with no score, and Canvas
    and OneRoster leave their grade alone rather than record a zero."""
    store = Store(tmp_path / "s.sqlite3")
    try:
        sid = _build(store)
        cid = store.get_session(sid)["class_id"]
        store.add_student(cid, "Newcomer Last", card=30, now=T0 + 10_000)
        data = read_session(store, sid)
        row = next(r for r in _csv(export(data, "csv", tz=UTC)) if r["First name"] == "Newcomer")
        assert (row["Score %"], row["Asked"]) == ("", "0")
        canvas = _csv(export(data, "canvas", tz=UTC))
        cells: dict[str, Any] = next(r for r in canvas if r["Student"].startswith("Last"))
        assert [v for k, v in cells.items() if k.startswith("Card check")] == [""]
    finally:
        store.close()
