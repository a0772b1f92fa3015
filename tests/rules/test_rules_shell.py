"""The rule engine's shell on a real store: flags stored with their events, rebuilt from the log."""

from __future__ import annotations

from typing import Any

import pytest

from live.errors import Conflict
from live.events import Event
from live.rules.flags import RuleEngine
from live.store import Store
from tests.support.rules_support import RacingStore


def _class(store: Store) -> dict[str, Any]:
    cls = store.create_class("7B", now=0)
    students = [store.add_student(cls["id"], f"S{i}", card=i, now=0)["id"] for i in range(1, 9)]
    blue = store.create_group(cls["id"], "Blue", students=students[:4], now=0)
    red = store.create_group(cls["id"], "Red", students=students[4:], now=0)
    q = store.create_question(
        "1/2 + 1/3?", ["5/6", "2/5", "1/5"], correct="A", skills=["fraction-addition"], now=0
    )
    session, _ = store.start_session(cls["id"], set_id=None, now=0)
    return {
        "class": cls["id"],
        "students": students,
        "blue": blue["id"],
        "red": red["id"],
        "question": q["id"],
        "session": session["id"],
    }


def _misconception(store: Store, engine: RuleEngine, d: dict[str, Any]) -> list[Any]:
    sid = d["session"]
    out = list(engine.handle(store.ask(sid, d["question"], now=1), 1))
    for i, s in enumerate(d["students"]):
        letter = "B" if i < 4 else "A"
        out += engine.handle(store.record(sid, s, letter, source="scan", now=2), 2)
    out += engine.handle(store.close_question(sid, now=3), 3)
    return out


def test_flags_are_stored_with_their_events(store: Store) -> None:
    d = _class(store)
    events = _misconception(store, RuleEngine(store), d)
    raised = [e for e in events if e.type == "flag.raised"]
    rows = store.flags(session_id=d["session"], open_only=True)
    assert {e.payload.flag for e in raised} >= {r["id"] for r in rows}  # type: ignore[attr-defined]
    (row,) = [r for r in rows if r["rule"] == "shared-misconception"]
    assert row["group_id"] == d["blue"]
    assert row["message"].startswith("4 of 4 in Blue chose B (2/5) on question 1")
    logged = store.events_since(d["session"], 0)
    assert [e.seq for e in logged] == list(range(1, len(logged) + 1))
    assert {e.seq for e in raised} <= {e.seq for e in logged}


def test_a_restarted_engine_rebuilds_from_the_log_and_raises_nothing_twice(store: Store) -> None:
    d = _class(store)
    _misconception(store, RuleEngine(store), d)
    before = store.flags(session_id=d["session"])
    again = RuleEngine(store)  # a new process
    out = again.handle(store.record(d["session"], d["students"][7], "C", source="manual", now=4), 4)
    assert not [
        e for e in out if e.type == "flag.raised" and e.payload.rule == "shared-misconception"
    ]  # type: ignore[attr-defined]
    assert len(store.flags(session_id=d["session"])) >= len(before)
    open_rules = [r["rule"] for r in store.flags(session_id=d["session"], open_only=True)]
    assert open_rules.count("shared-misconception") == 1


def test_events_appended_without_hooks_are_caught_up(store: Store) -> None:
    d = _class(store)
    engine = RuleEngine(store)
    sid = d["session"]
    engine.handle(store.ask(sid, d["question"], now=1), 1)
    for i, s in enumerate(d["students"]):
        store.record(sid, s, "B" if i < 4 else "A", source="scan", now=2)  # no hook
    out = engine.handle(store.close_question(sid, now=3), 3)
    assert any(
        e.type == "flag.raised" and e.payload.rule == "shared-misconception"  # type: ignore[attr-defined]
        for e in out
    )


def test_moving_a_student_rebuilds_the_engine(store: Store) -> None:
    d = _class(store)
    engine = RuleEngine(store)
    _misconception(store, engine, d)
    first = engine.engine(d["session"])
    store.update_group(d["red"], students=[*d["students"][4:], d["students"][0]], now=5)
    rebuilt = engine.engine(d["session"])
    assert rebuilt is not first
    assert rebuilt.context.students[d["students"][0]] == d["red"]
    assert rebuilt.open == first.open  # the flags come back from the log


def test_a_checkin_resolves_and_ending_the_session_clears_everything(store: Store) -> None:
    from live.store.checkins import end_checkin, start_checkin

    d = _class(store)
    engine = RuleEngine(store)
    _misconception(store, engine, d)
    sid = d["session"]
    out = engine.handle(start_checkin(store, sid, d["blue"], now=10), 10)
    assert out and all(
        e.type == "flag.resolved" and e.payload.reason == "checkin"  # type: ignore[attr-defined]
        for e in out
    )
    engine.handle(end_checkin(store, sid, 1, note="n", goal="Common denominators", now=70), 70)
    assert store.get_group(d["blue"])["goal"] == "Common denominators"
    engine.handle(store.end_session(sid, now=100), 100)
    assert not store.flags(session_id=sid, open_only=True)


def test_two_processes_dismissing_one_flag_append_one_resolved_event(database: str) -> None:
    """The loser saw the flag open, but the winner resolved it first: a Conflict, no event."""
    path = database
    first = Store(path)
    d = _class(first)
    sid = d["session"]
    one = RuleEngine(first)
    _misconception(first, one, d)
    (flag,) = [
        r["id"]
        for r in first.flags(session_id=sid, open_only=True)
        if r["rule"] == "shared-misconception"
    ]
    won: list[Event] = []
    second = RacingStore(path, lambda: won.extend(one.dismiss(sid, flag, 10)))
    try:
        other = RuleEngine(second)
        with pytest.raises(Conflict) as lost:
            other.dismiss(sid, flag, 11)
        assert lost.value.code == "flag_resolved"
        assert flag not in other.engine(sid).by_id  # it still catches up from the log
    finally:
        second.close()
    try:
        resolved = [
            e
            for e in first.events_since(sid, 0)
            if e.type == "flag.resolved" and e.payload.flag == flag  # type: ignore[attr-defined]
        ]
        assert [e.seq for e in resolved] == [e.seq for e in won]
        assert len(resolved) == 1 and resolved[0].payload.reason == "dismissed"  # type: ignore[attr-defined]
        (row,) = [r for r in first.flags(session_id=sid) if r["id"] == flag]
        assert row["resolution"] == "dismissed" and row["resolved_at"] == 10
    finally:
        first.close()
