"""The store's side of explicit sessions: a class's live session, sessions interrupted by a server
stop (and resumed), idle sessions, the servers' heartbeats, and the migration that adds them."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from live.errors import Conflict, NotFound
from live.store import Store
from live.store.migrations import head

LEGACY_V1 = Path(__file__).parent / "fixtures" / "legacy-v1.sqlite3"  # made by cardcheck 0.1


def _class_with_session(store: Store, name: str = "Period 3") -> tuple[int, int, int, int]:
    """A class of one student, a question, a running session asking it: (class, student,
    question, session)."""
    cid = store.create_class(name, now=0)["id"]
    student = store.add_student(cid, "Ada Lovelace", card=1, now=0)["id"]
    q = store.create_question("2+2?", ["4", "5"], correct="A", now=0)["id"]
    sid = store.start_session(cid, set_id=None, now=10)[0]["id"]
    store.ask(sid, q, now=11)
    return cid, student, q, sid


def test_a_file_of_the_first_schema_upgrades_in_place_and_keeps_its_sessions(
    tmp_path: Path,
) -> None:
    """A data folder made before sessions were explicit: its running session stays running
    (the server interrupts it on start), no class has a live session yet."""
    path = tmp_path / "old.sqlite3"
    shutil.copy(LEGACY_V1, path)
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        db.execute("INSERT INTO classes(id, name, created_at) VALUES (10, 'Period 3', 0)")
        db.execute("INSERT INTO sessions(id, class_id, started_at) VALUES (7, 10, 5)")
        db.commit()
    store = Store(path)
    try:
        assert store.schema_version == head() >= 3
        session = store.get_session(7)
        assert (session["status"], session["live"], session["interrupted_at"]) == (
            "running",
            False,
            None,
        )
        assert store.live_session(10) == {"class_id": 10, "class_name": "Period 3", "session": None}
    finally:
        store.close()


def test_starting_a_session_makes_it_its_class_s_live_session(store: Store) -> None:
    cid, _, _, first = _class_with_session(store)
    other = store.create_class("Period 4", now=0)["id"]
    store.start_session(other, set_id=None, now=20)
    assert store.live_session(cid)["session"] == first  # another class's start changes nothing
    second = store.start_session(cid, set_id=None, now=30)[0]["id"]
    assert store.live_session(cid)["session"] == second
    assert store.set_live_session(cid, first)["session"] == first
    assert store.get_session(first)["live"] and not store.get_session(second)["live"]
    assert store.set_live_session(cid, None)["session"] is None


@pytest.mark.parametrize(
    ("which", "error"),
    [("other class", NotFound), ("ended", Conflict), ("unknown", NotFound)],
)
def test_a_live_session_is_a_running_one_of_the_class(
    store: Store, which: str, error: type[Exception]
) -> None:
    cid, _, _, sid = _class_with_session(store)
    other_class = store.create_class("Period 4", now=0)["id"]
    other = store.start_session(other_class, set_id=None, now=20)[0]["id"]
    if which == "ended":
        store.end_session(sid, now=30)
    target = {"other class": other, "ended": sid, "unknown": 999}[which]
    with pytest.raises(error):
        store.set_live_session(cid, target)
    with pytest.raises(NotFound):
        store.set_live_session(999, None)


def test_deleting_a_class_with_a_live_session_purges_both(store: Store) -> None:
    cid, _, _, sid = _class_with_session(store)
    store.delete_class(cid)
    with pytest.raises(NotFound):
        store.get_session(sid)


def test_interrupting_marks_the_running_sessions_and_keeps_their_answers(store: Store) -> None:
    cid, student, _, sid = _class_with_session(store)
    store.record(sid, student, "A", source="scan", card=1, now=12)
    done = store.start_session(cid, set_id=None, now=13)[0]["id"]
    store.end_session(done, now=14)
    events = store.interrupt_running(now=20)
    assert [(e.session, e.type) for e in events] == [(sid, "session.interrupted")]
    assert store.get_session(sid)["status"] == "interrupted"
    assert store.get_session(done)["status"] == "ended"
    assert store.interrupt_running(now=21) == []  # once is enough
    asked = store.asked_rows(sid)[0]
    assert [r["answer"] for r in store.responses(asked["id"])] == ["A"]


COMMANDS: dict[str, Callable[[Store, int, int, int], object]] = {
    "ask": lambda s, sid, q, st: s.ask(sid, q, now=30),
    "close": lambda s, sid, q, st: s.close_question(sid, now=30),
    "reopen": lambda s, sid, q, st: s.reopen(sid, now=30),
    "reveal": lambda s, sid, q, st: s.reveal(sid, now=30),
    "scan": lambda s, sid, q, st: s.record(sid, st, "B", source="scan", now=30),
    "manual": lambda s, sid, q, st: s.record(sid, st, "B", source="manual", now=30),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_interrupted_session_takes_nothing_until_resumed(store: Store, command: str) -> None:
    _, student, q, sid = _class_with_session(store)
    store.interrupt_running(now=20)
    with pytest.raises(Conflict) as refused:
        COMMANDS[command](store, sid, q, student)
    assert refused.value.code == "session_interrupted"
    assert [e.type for e in store.resume_session(sid, now=25)] == ["session.resumed"]
    COMMANDS[command](store, sid, q, student)  # taken now


def test_an_interrupted_session_can_be_ended_or_shown_differently(store: Store) -> None:
    _, _, _, sid = _class_with_session(store)
    store.interrupt_running(now=20)
    assert [e.type for e in store.set_display(sid, show_names=False, now=21)] == ["display.changed"]
    ended = store.end_session(sid, now=22)
    assert [e.type for e in ended] == ["question.closed", "session.ended"]
    assert ended[-1].payload.to_dict() == {"reason": "teacher"}
    with pytest.raises(Conflict):
        store.resume_session(sid, now=23)


def test_resuming_a_running_session_changes_nothing(store: Store) -> None:
    _, _, _, sid = _class_with_session(store)
    assert store.resume_session(sid, now=20) == []


def test_a_session_is_idle_when_nothing_but_the_rules_and_restarts_happened(
    store: Store,
) -> None:
    """Activity: any event but flags and session.interrupted; none at all: since its start."""
    cid, student, _, busy = _class_with_session(store)  # asked at 11
    quiet = store.start_session(cid, set_id=None, now=5)[0]["id"]  # started at 5, nothing since
    store.record(busy, student, "A", source="manual", now=100)
    store.interrupt_running(now=500)  # a restart is not activity
    assert store.idle_sessions(before=50) == [quiet]
    assert store.idle_sessions(before=101) == [busy, quiet]
    store.end_session(quiet, now=600)
    assert store.idle_sessions(before=1000) == [busy]


def test_running_sessions_name_their_class_and_question(store: Store) -> None:
    cid, _, _, sid = _class_with_session(store)
    other = store.create_class("Period 4", now=0)["id"]
    fresh = store.start_session(other, set_id=None, now=20)[0]["id"]
    store.close_question(sid, now=21)
    ended = store.start_session(cid, set_id=None, now=22)[0]["id"]
    store.end_session(ended, now=23)
    store.set_live_session(cid, sid)
    rows = store.running_sessions()
    assert [(r["id"], r["class_name"], r["status"], r["live"]) for r in rows] == [
        (sid, "Period 3", "running", True),
        (fresh, "Period 4", "running", True),
    ]
    assert rows[0]["question"] == {"number": 1, "prompt": "2+2?", "status": "closed"}
    assert rows[1]["question"] is None
    store.interrupt_running(now=30)
    assert [r["status"] for r in store.running_sessions()] == ["interrupted", "interrupted"]


def test_servers_say_they_are_alive_until_they_stop(store: Store) -> None:
    store.server_seen("a", host="laptop", pid=11, now=100)
    store.server_seen("b", host="worker-2", pid=12, now=100)
    assert [(o["id"], o["host"], o["pid"]) for o in store.other_servers("a", since=90)] == [
        ("b", "worker-2", 12)
    ]
    store.server_seen("a", host="laptop", pid=11, now=200)
    assert store.other_servers("a", since=150) == []  # b was not heard from since
    assert [o["id"] for o in store.other_servers("b", since=150)] == ["a"]
    store.server_stopped("a")
    assert store.other_servers("b", since=0) == []
