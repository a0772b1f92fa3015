"""Time-based rules between answers: the engine's tick (pure), the shell's tick on a store
(two processes included), the background ticker, and a tick's flags on /ws/live."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from live.events import Event, FlagRaised
from live.http.app import create_app
from live.realtime.bus import LocalBus
from live.rules.engine import Engine, Raise, Resolve, Update
from live.rules.flags import TICK_HORIZON_S, RuleEngine
from live.rules.ticker import Ticker
from live.settings import Settings
from live.store import Store
from tests.support.rules_support import RacingStore, Run, make_context

MIN = 60.0
HALF_RIGHT = {1: "A", 2: "C", 3: "C", 4: "C"}  # Blue, at 25%
ALL_RIGHT = {s: "A" for s in range(5, 9)}  # Red


# -- the pure core ---------------------------------------------------------------------------


def below_target(blue: dict[int, str] = HALF_RIGHT, questions: int = 2) -> Callable[[], Run]:
    """Blue answers ``questions`` questions with ``blue``; Red gets all right; then silence."""

    def build() -> Run:
        run = Run(make_context())
        run.start(0.0)
        for asked, q in zip(range(1, questions + 1), (3, 4), strict=False):
            run.question(asked, q, blue | ALL_RIGHT, 10.0 * asked)
        return run

    return build


def low_response_quiet() -> Run:
    """Everyone answered the question before; now 9 of 12 answer in the first second, Red's
    part of the room is not scanned, then silence."""
    run = Run(make_context({"Blue": [1, 2, 3, 4], "Red": [5, 6, 7, 8], "Green": [9, 10, 11, 12]}))
    run.start(-120.0)
    run.question(1, 1, {s: "A" for s in range(1, 13)}, -100.0)
    run.ask(2, 3, 0.0)
    run.answers(2, {s: "A" for s in (1, 2, 3, 4, 9, 10, 11, 12, 5)}, 1.0)
    return run


def _raised(decisions: list[Any], run: Run) -> set[tuple[str, str | None]]:
    return {
        (d.ident.rule, run.context.groups[d.ident.group].name if d.ident.group else None)
        for d in decisions
        if isinstance(d, Raise)
    }


TICKS = [
    (
        "a group below target, 16 quiet minutes",
        below_target(),
        16 * MIN,
        {("checkin-overdue", "Blue")},
        {("checkin-overdue", "Red")},
    ),
    (
        "14 quiet minutes are not overdue",
        below_target(),
        14 * MIN,
        set(),
        {("checkin-overdue", "Blue")},
    ),
    (
        "an hour, but one question: 4 answers are too few",
        below_target(questions=1),
        60 * MIN,
        set(),
        {("checkin-overdue", "Blue")},
    ),
    (
        "an hour, but two students answering are too few",
        below_target({1: "A", 2: "C"}),
        60 * MIN,
        set(),
        {("checkin-overdue", "Blue")},
    ),
    (
        "a question open 46 s with one part of the room silent",
        low_response_quiet,
        46.0,
        {("low-response", "Red")},
        {("low-response", "Blue"), ("low-response", "Green")},
    ),
    ("open 30 s is too soon", low_response_quiet, 30.0, set(), {("low-response", "Red")}),
]


@pytest.mark.parametrize(
    ("build", "at", "raised", "not_raised"),
    [pytest.param(*t[1:], id=t[0]) for t in TICKS],
)
def test_a_tick_raises_time_based_flags_with_no_new_event(
    build: Callable[[], Run],
    at: float,
    raised: set[tuple[str, str]],
    not_raised: set[tuple[str, str]],
) -> None:
    run = build()
    before = len(run.log)
    got = _raised(run.tick(at), run)
    assert raised <= got
    assert not (not_raised & got)
    assert all(e.type.startswith("flag.") for e in run.log[before:])  # no event but its own


def test_a_tick_says_how_long_and_keeps_it_current_without_repeating_itself() -> None:
    run = below_target()()
    (flag,) = [d for d in run.tick(16 * MIN) if isinstance(d, Raise)]
    assert flag.message.startswith("No check-in with Blue for 16 minutes, and they are at 25%")
    assert run.tick(16 * MIN) == []
    (update,) = run.tick(18 * MIN)
    assert isinstance(update, Update) and "for 18 minutes" in update.message
    assert run.tick(18.5 * MIN) == []  # still 18 whole minutes


def test_a_checkin_resets_the_clock_and_resolves_what_a_tick_raised() -> None:
    run = below_target()()
    run.checkin(1, 5 * MIN)
    run.end_checkin(1, 7 * MIN)
    run.question(3, 3, HALF_RIGHT | ALL_RIGHT, 8 * MIN)  # new evidence, still at 25%
    run.question(4, 4, HALF_RIGHT | ALL_RIGHT, 9 * MIN)
    assert ("checkin-overdue", "Blue") not in _raised(run.tick(16 * MIN), run)
    assert ("checkin-overdue", "Blue") in _raised(run.tick(21 * MIN), run)  # 16 after it began
    (overdue,) = [f for f in run.open_flags() if f.rule == "checkin-overdue"]
    run.checkin(1, 22 * MIN)
    assert run.flags[overdue.id].resolved == "checkin"
    run.end_checkin(1, 24 * MIN)
    # heard: 16 minutes on, nothing is raised again from the answers before the check-in
    assert ("checkin-overdue", "Blue") not in _raised(run.tick(38 * MIN), run)
    run.question(5, 3, HALF_RIGHT | ALL_RIGHT, 39 * MIN)
    run.question(6, 4, HALF_RIGHT | ALL_RIGHT, 39.5 * MIN)
    assert ("checkin-overdue", "Blue") in {(f.rule, "Blue") for f in run.open_flags()}


def test_a_question_answered_at_last_resolves_low_response_on_the_next_event() -> None:
    run = low_response_quiet()
    run.tick(46.0)
    (flag,) = [f for f in run.open_flags() if f.rule == "low-response"]
    run.answers(2, {6: "A", 7: "A"}, 50.0)
    assert run.flags[flag.id].resolved == "cleared"
    assert not [d for d in run.tick(60.0) if isinstance(d, Raise | Resolve)]


def test_a_tick_equals_a_fresh_evaluation_and_a_replay_reraises_nothing() -> None:
    run = below_target()()
    run.tick(5 * MIN)
    fresh = Engine(run.context, run.rules, session_id=1).replay(run.log)
    assert run.engine.tick(16 * MIN) == fresh.decide(16 * MIN)
    run = below_target()()
    run.tick(16 * MIN)
    again = Engine(run.context, run.rules, session_id=1).replay(run.log)
    assert again.open == run.engine.open
    assert again.tick(16 * MIN) == []


# -- the shell on a store --------------------------------------------------------------------


def _below_target(store: Store, t0: float = 0.0) -> dict[str, Any]:
    """A class of 8 in Blue and Red; Blue at 25% over two questions, Red all right. The events
    go straight to the store (no hooks ran): a tick catches up from the log."""
    cls = store.create_class("7B", now=t0)
    students = [store.add_student(cls["id"], f"S{i}", card=i, now=t0)["id"] for i in range(1, 9)]
    blue = store.create_group(cls["id"], "Blue", students=students[:4], now=t0)
    store.create_group(cls["id"], "Red", students=students[4:], now=t0)
    questions = [
        store.create_question(f"Q{i}", ["a", "b", "c"], correct="A", skills=["s"], now=t0)["id"]
        for i in range(2)
    ]
    session, _ = store.start_session(cls["id"], set_id=None, now=t0)
    sid = session["id"]
    for i, q in enumerate(questions):
        t = t0 + 10 * (i + 1)
        store.ask(sid, q, now=t)
        for j, s in enumerate(students):
            store.record(sid, s, "C" if j in (1, 2, 3) else "A", source="scan", now=t + 1)
        store.close_question(sid, now=t + 2)
    return {"class": cls["id"], "session": sid, "blue": blue["id"], "students": students}


def _overdue(events: list[Event]) -> list[FlagRaised]:
    return [
        e.payload
        for e in events
        if isinstance(e.payload, FlagRaised) and e.payload.rule == "checkin-overdue"
    ]


def test_a_tick_stores_the_flag_with_its_event_and_raises_it_once(store: Store) -> None:
    d = _below_target(store)
    engine = RuleEngine(store)
    assert engine.running(16 * MIN) == [d["session"]]
    assert not _overdue(engine.tick(d["session"], 5 * MIN))
    events = engine.tick(d["session"], 16 * MIN)
    (raised,) = _overdue(events)
    assert raised.group == d["blue"]
    rows = store.flags(session_id=d["session"], open_only=True)
    assert raised.flag in {r["id"] for r in rows}
    assert events == store.events_since(d["session"], events[0].seq - 1)
    assert engine.tick(d["session"], 16 * MIN) == []
    assert RuleEngine(store).tick(d["session"], 16 * MIN) == []  # a restart: the log has it


def test_only_running_recent_sessions_are_ticked(store: Store) -> None:
    d = _below_target(store)
    engine = RuleEngine(store)
    assert engine.running(TICK_HORIZON_S + 1) == []  # left running overnight
    store.end_session(d["session"], now=20 * MIN)
    assert engine.running(20 * MIN) == []


def test_two_processes_ticking_at_once_raise_a_flag_once(database: str) -> None:
    path = database
    first = Store(path)
    d = _below_target(first)
    sid, now = d["session"], 16 * MIN
    one = RuleEngine(first)
    won: list[Event] = []
    second = RacingStore(path, lambda: won.extend(one.tick(sid, now)))
    try:
        other = RuleEngine(second)
        lost = other.tick(sid, now)  # decided on a log the first process moved on from
        assert len(_overdue(won)) == 1
        assert not [e for e in lost if e.type == "flag.raised"]
        rows = first.flags(session_id=sid)
        assert [r["rule"] for r in rows].count("checkin-overdue") == 1
        assert len({(r["rule"], r["group_id"]) for r in rows}) == len(rows)
        assert other.engine(sid).open == one.engine(sid).open
    finally:
        second.close()
        first.close()


def test_a_failing_tick_is_logged_and_never_raised(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    engine = RuleEngine(store)
    with caplog.at_level(logging.ERROR, "cardcheck.rules"):
        assert engine.tick(404, 0.0) == []  # no such session
    assert "failed to tick session 404" in caplog.text


# -- the background ticker -------------------------------------------------------------------


async def test_the_ticker_publishes_what_it_raised_and_stops_when_told(store: Store) -> None:
    d = _below_target(store)
    bus = LocalBus()
    sub = bus.subscribe(d["session"])
    ticker = Ticker(RuleEngine(store), bus, every=0.001, clock=lambda: 16 * MIN)
    async with ticker.running():
        seen: list[Event] = []
        while not _overdue(seen):
            seen.append(await asyncio.wait_for(sub.get(), 10))
    assert ticker.task is not None and ticker.task.cancelled()
    assert {e.type for e in seen} <= {"flag.raised", "flag.updated"}
    sub.close()


async def test_a_ticker_set_to_zero_starts_nothing(store: Store) -> None:
    ticker = Ticker(RuleEngine(store), LocalBus(), every=0)
    async with ticker.running():
        assert ticker.task is None


async def test_a_round_that_fails_is_logged_and_the_ticker_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = Store(tmp_path / "closed.sqlite3")
    broken.close()
    ticker = Ticker(RuleEngine(broken), LocalBus(), every=15)
    with caplog.at_level(logging.ERROR, "cardcheck.rules"):
        assert await ticker.tick(0.0) == []
    assert "could not list the running sessions" in caplog.text


# -- through the app -------------------------------------------------------------------------

TEACHER = "teacher-token-for-tests"


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings.load({"data_dir": tmp_path / "data", "token": TEACHER}, env={})
    with TestClient(create_app(settings)) as client:
        yield client


def test_a_tick_reaches_the_teacher_and_only_its_place_in_the_seq_the_projector(
    app_client: TestClient,
) -> None:
    state: Any = app_client.app.state  # type: ignore[attr-defined]
    t0 = time.time()  # the app's clock: the session starts now, and goes quiet
    d = _below_target(state.store, t0=t0)
    sid = d["session"]
    url = f"/ws/live?session={sid}&token="
    with (
        app_client.websocket_connect(url + TEACHER) as teacher,
        app_client.websocket_connect(url + state.tokens.projector) as projector,
    ):
        assert teacher.receive_json()["type"] == "snapshot"
        assert projector.receive_json()["type"] == "snapshot"
        events: list[Event] = app_client.portal.call(  # type: ignore[union-attr]
            state.ticker.tick, t0 + 20 * MIN
        )
        (raised,) = _overdue(events)
        to_teacher = [teacher.receive_json() for _ in events]
        to_projector = [projector.receive_json() for _ in events]
    assert [m["seq"] for m in to_teacher] == [e.seq for e in events]
    (shown,) = [m for m in to_teacher if m["data"].get("flag") == raised.flag]
    assert shown["type"] == "flag.raised" and shown["data"]["group"] == d["blue"]
    assert "No check-in with Blue for 20 minutes" in shown["data"]["message"]
    assert to_projector == [
        {"type": "event.withheld", "seq": e.seq, "session": sid} for e in events
    ]


def test_the_app_ticks_in_the_background_and_stops_on_shutdown(tmp_path: Path) -> None:
    settings = Settings.load({"data_dir": tmp_path / "data", "token": TEACHER}, env={})
    with TestClient(create_app(settings)) as client:
        task = client.app.state.ticker.task  # type: ignore[attr-defined]
        assert task is not None and not task.done()
    assert task.cancelled()
    off = Settings.load({"data_dir": tmp_path / "data"}, env={"CARDCHECK_RULES_TICK_S": "0"})
    with TestClient(create_app(off)) as client:
        assert client.app.state.ticker.task is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(("raw", "seconds"), [("2.5", 2.5), ("0", 0.0), ("30", 30.0)])
def test_the_tick_interval_comes_from_the_environment(raw: str, seconds: float) -> None:
    assert Settings.load(env={"CARDCHECK_RULES_TICK_S": raw}).rules_tick_s == seconds
    assert Settings.load(env={}).rules_tick_s == 15.0


@pytest.mark.parametrize("raw", ["-1", "soon", "nan", "inf"])
def test_a_bad_tick_interval_is_refused_by_name(raw: str) -> None:
    with pytest.raises(ValueError, match="CARDCHECK_RULES_TICK_S"):
        Settings.load(env={"CARDCHECK_RULES_TICK_S": raw})
