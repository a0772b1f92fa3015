"""The store: migrations, constraints, group history, session commands and purge."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from live.errors import BadRequest, Conflict, NotFound
from live.store import Store
from live.store.migrations import head, head_revision


def test_migrates_an_empty_file_to_the_current_schema(tmp_path: Path) -> None:
    """A new file gets every table; opening it again changes nothing."""
    path = tmp_path / "new.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert db.execute("PRAGMA user_version").fetchone()[0] == head()
    assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    assert {
        "classes",
        "students",
        "groups",
        "group_members",
        "goals",
        "questions",
        "question_sets",
        "question_set_items",
        "sessions",
        "asked",
        "responses",
        "response_history",
        "flags",
        "checkins",
        "events",
        "meta",
    } <= tables
    again = Store(path)
    assert again.schema_version == head()
    again.close()


def test_refuses_a_file_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {head() + 1}")
    db.close()
    with pytest.raises(RuntimeError, match="newer"):
        Store(path)


def test_tokens_are_random_and_kept_per_data_folder(tmp_path: Path) -> None:
    a = Store(tmp_path / "a.sqlite3")
    t1, p1 = a.token("teacher"), a.token("projector")
    a.close()
    a = Store(tmp_path / "a.sqlite3")
    assert (a.token("teacher"), a.token("projector")) == (t1, p1)
    a.close()
    b = Store(tmp_path / "b.sqlite3")
    assert b.token("teacher") != t1 and t1 != p1
    b.close()


def test_card_numbers_are_unique_within_a_class_only(store: Store) -> None:
    c1 = store.create_class("7A", now=1)["id"]
    c2 = store.create_class("7B", now=1)["id"]
    store.add_student(c1, "Ada", card=5, now=1)
    store.add_student(c2, "Ben", card=5, now=1)
    with pytest.raises(Conflict, match="card 5"):
        store.add_student(c1, "Cy", card=5, now=1)
    with pytest.raises(BadRequest):
        store.add_student(c1, "Cy", card=65, now=1)


def test_missing_cards_are_assigned_in_order_and_archiving_frees_them(store: Store) -> None:
    cid = store.create_class("7A", now=1)["id"]
    store.add_student(cid, "Ada", card=1, now=1)
    ben = store.add_student(cid, "Ben", now=1)
    assert ben["card"] == 2
    store.update_student(ben["id"], active=False, now=2)
    assert store.add_student(cid, "Cy", now=3)["card"] == 2
    with pytest.raises(Conflict):  # Ben cannot come back onto a card that is now Cy's
        store.update_student(ben["id"], active=True, now=4)


def test_group_membership_keeps_its_history(store: Store) -> None:
    cid = store.create_class("7A", now=0)["id"]
    a, b = (store.add_student(cid, n, now=0)["id"] for n in ("Ada", "Ben"))
    blue = store.create_group(cid, "Blue", students=[a, b], now=10)["id"]
    red = store.create_group(cid, "Red", now=10)["id"]
    store.update_group(red, students=[b], now=20)  # Ben moves from Blue to Red
    store.update_group(blue, students=[], now=30)  # Ada leaves Blue
    assert store.get_group(blue)["students"] == []
    assert store.get_group(red)["students"] == [b]
    history = [
        (h["group_id"], h["student_id"], h["joined_at"], h["left_at"])
        for h in store.membership_history(cid)
    ]
    assert history == [(blue, a, 10, 30), (blue, b, 10, 20), (red, b, 20, None)]


def test_group_goal_changes_are_kept(store: Store) -> None:
    cid = store.create_class("7A", now=0)["id"]
    g = store.create_group(cid, "Blue", goal="Add fractions", skill="fractions", now=1)["id"]
    store.update_group(g, goal="Subtract fractions", now=2)
    assert [x["text"] for x in store.goals(g)] == ["Add fractions", "Subtract fractions"]
    assert store.get_group(g)["goal"] == "Subtract fractions"


def test_a_student_from_another_class_cannot_join_a_group(store: Store) -> None:
    c1 = store.create_class("7A", now=0)["id"]
    c2 = store.create_class("7B", now=0)["id"]
    other = store.add_student(c2, "Zed", now=0)["id"]
    with pytest.raises(NotFound):
        store.create_group(c1, "Blue", students=[other], now=1)
    assert store.list_groups(c1) == []  # nothing half-created


def _session(store: Store) -> tuple[int, int, int, int]:
    cid = store.create_class("7A", now=0)["id"]
    sid_student = store.add_student(cid, "Ada Lovelace", now=0)["id"]
    q = store.create_question("2+2?", ["4", "5"], correct="A", now=0)["id"]
    session, events = store.start_session(cid, set_id=None, now=1)
    assert [e.type for e in events] == ["session.started"]
    return cid, sid_student, q, session["id"]


def test_responses_keep_the_latest_answer_and_every_change(store: Store) -> None:
    _, student, q, sid = _session(store)
    store.ask(sid, q, now=2)
    first = store.record(sid, student, "B", source="scan", now=3)
    again = store.record(sid, student, "B", source="scan", now=4)
    changed = store.record(sid, student, "A", source="manual", now=5)
    assert [e.payload.to_dict()["changed_from"] for e in first + changed] == [None, "B"]
    assert again == []  # the same answer twice is recorded once
    asked = store.asked_rows(sid)[0]
    (latest,) = store.responses(asked["id"])
    assert (latest["answer"], latest["source"], latest["changes"], latest["first_at"]) == (
        "A",
        "manual",
        1,
        3,
    )
    assert [(h["answer"], h["previous"]) for h in store.response_history(asked["id"])] == [
        ("B", None),
        ("A", "B"),
    ]


def test_event_seq_rises_by_one_with_no_gaps(store: Store) -> None:
    _, student, q, sid = _session(store)
    store.ask(sid, q, now=2)
    store.record(sid, student, "A", source="scan", now=3)
    store.ask(sid, q, now=4)  # closes question 1, opens 2
    store.reveal(sid, now=5)
    store.end_session(sid, now=6)
    events = store.events_since(sid, 0)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [e.type for e in events] == [
        "session.started",
        "question.asked",
        "response.recorded",
        "question.closed",
        "question.asked",
        "question.closed",
        "question.revealed",
        "session.ended",
    ]
    assert [e.seq for e in store.events_since(sid, 5)] == [6, 7, 8]


@pytest.mark.parametrize(
    ("steps", "source", "error"),
    [
        ([], "scan", "no question"),
        (["ask", "close"], "scan", "closed"),
        (["ask", "reveal"], "scan", "revealed"),
        (["ask", "end"], "manual", "ended"),
    ],
)
def test_answers_are_refused_when_no_question_takes_them(
    store: Store, steps: list[str], source: str, error: str
) -> None:
    _, student, q, sid = _session(store)
    for step in steps:
        {
            "ask": lambda: store.ask(sid, q, now=2),
            "close": lambda: store.close_question(sid, now=3),
            "reveal": lambda: store.reveal(sid, now=3),
            "end": lambda: store.end_session(sid, now=3),
        }[step]()
    with pytest.raises(Conflict, match=error):
        store.record(sid, student, "A", source=source, now=4)


def test_a_manual_answer_fills_in_after_close(store: Store) -> None:
    _, student, q, sid = _session(store)
    store.ask(sid, q, now=2)
    store.close_question(sid, now=3)
    assert len(store.record(sid, student, "A", source="manual", now=4)) == 1


def test_a_manual_answer_after_the_reveal_is_a_late_correction(store: Store) -> None:
    _, student, q, sid = _session(store)
    store.ask(sid, q, now=2)
    store.reveal(sid, now=3)
    [event] = store.record(sid, student, "A", source="manual", now=4)
    assert event.type == "response.recorded"
    assert event.payload.to_dict()["late"] is True and event.payload.to_dict()["source"] == "manual"
    assert (
        store.events_since(sid, event.seq - 1)[0].payload.to_dict()["late"] is True
    )  # the log keeps it
    [row] = store.report_responses([sid])
    assert row["late"]


def test_an_answer_before_the_reveal_is_not_late(store: Store) -> None:
    _, student, q, sid = _session(store)
    store.ask(sid, q, now=2)
    [event] = store.record(sid, student, "A", source="scan", now=3)
    store.reveal(sid, now=4)
    assert event.payload.to_dict()["late"] is False
    [row] = store.report_responses([sid])
    assert not row["late"]


def test_reopen_after_the_reveal_opens_the_question_again(store: Store) -> None:
    _, student, q, sid = _session(store)
    store.ask(sid, q, now=2)
    store.reveal(sid, now=3)
    [event] = store.reopen(sid, now=4)
    assert event.type == "question.asked"
    [row] = store.asked_rows(sid)
    assert row["revealed_at"] is None and row["closed_at"] is None
    [answer] = store.record(sid, student, "B", source="scan", now=5)  # the scanner records again
    assert answer.payload.to_dict()["late"] is False
    assert [e.type for e in store.reveal(sid, now=6)] == ["question.closed", "question.revealed"]


def test_purging_a_student_removes_the_name_everywhere(tmp_path: Path) -> None:
    """Names live in one column; after a purge the file holds no trace of them."""
    path = tmp_path / "purge.sqlite3"
    store = Store(path)
    _, student, q, sid = _session(store)
    store.ask(sid, q, now=2)
    store.record(sid, student, "A", source="scan", now=3)
    store.delete_student(student)
    assert store.responses(store.asked_rows(sid)[0]["id"]) == []
    raw = store.engine.raw_connection()
    raw.cursor().execute("VACUUM")
    raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("purge"))
    assert b"Lovelace" not in raw


def test_purging_a_class_removes_everything_of_it(store: Store) -> None:
    cid, student, q, sid = _session(store)
    store.ask(sid, q, now=2)
    store.record(sid, student, "A", source="scan", now=3)
    store.delete_class(cid)
    for table in ("students", "sessions", "asked", "responses", "events", "groups"):
        assert store.query(f"SELECT count(*) AS n FROM {table}")[0]["n"] == 0
    assert store.get_question(q)["prompt"] == "2+2?"  # the library is not the class's
