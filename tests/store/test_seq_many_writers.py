"""Event seq per session stays gap-free and unique with many processes writing at once."""

from __future__ import annotations

import random
from typing import Any

from live.events import ScannerConnected
from live.store import Store
from tests.support.racing import race

STUDENTS = 24


def write_to_the_session(job: tuple[str, int, list[int]]) -> list[int]:
    """Answers, display changes and appended events, in a random order; the seqs it was given."""
    database, session_id, students = job
    store = Store(database)
    seqs: list[int] = []
    rng = random.Random()
    try:
        for i in range(40):
            what = rng.random()
            if what < 0.7:
                answer = rng.choice("ABCD")
                events = store.record(
                    session_id, rng.choice(students), answer, source="manual", now=10.0 + i
                )
            elif what < 0.85:
                events = store.set_display(session_id, show_names=rng.random() < 0.5, now=10.0)
            else:
                events = store.append_events(session_id, [ScannerConnected("cam")], now=10.0)
            seqs += [e.seq for e in events]
    finally:
        store.close()
    return seqs


def test_four_processes_writing_to_one_session_get_every_seq_once_in_order(
    database: str,
) -> None:
    store = Store(database)
    cid = store.create_class("7B", now=1)["id"]
    students = [store.add_student(cid, f"S{i}", now=1)["id"] for i in range(STUDENTS)]
    q = store.create_question("2+2?", ["4", "5"], correct="A", now=1)["id"]
    session, _ = store.start_session(cid, set_id=None, now=2)
    sid = session["id"]
    store.ask(sid, q, now=3)  # seq 1 and 2 are session.started and question.asked

    results: list[list[Any]] = race(4, write_to_the_session, [(database, sid, students)])

    assert [r for per in results for r in per if r[0] != "ok"] == []
    given = [seq for per in results for _, seqs in per for seq in seqs]
    assert len(given) == len(set(given)), "a seq was handed out twice"
    stored = [e.seq for e in store.events_since(sid, 0)]
    assert stored == list(range(1, len(stored) + 1)), "the log has a gap or is out of order"
    assert sorted(given) == stored[2:]
    assert store.get_session(sid)["seq"] == len(stored)
    assert len(stored) > 4 * 40 * 0.5  # most writes changed something
    store.close()
