"""/ws/live in process: snapshot, events in seq order, resume with since, roles, slow clients."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from live.events import CheckinStarted, Event, FlagRaised, SessionEnded
from live.http.app import create_app
from live.realtime import feed
from live.realtime.bus import LocalBus, Overflow
from live.realtime.sockets import CLOSE_BAD_REQUEST, CLOSE_FELL_BEHIND, CLOSE_TOO_BIG
from live.settings import Settings
from live.store import Store
from tests.support.ws_support import TEACHER, Seeded, command, read_until, receive, seed

H = {"Authorization": f"Bearer {TEACHER}"}


@pytest.fixture
def env(tmp_path: Any, database: str) -> Iterator[tuple[TestClient, Seeded]]:
    store = Store(database)
    settings = Settings(token=TEACHER, data_dir=tmp_path)
    try:
        with TestClient(create_app(settings, store=store)) as client:
            yield client, seed(client)
    finally:
        store.close()


def live_url(s: Seeded, token: str = TEACHER, since: int | None = None) -> str:
    tail = "" if since is None else f"&since={since}"
    return f"/ws/live?session={s.session_id}&token={token}{tail}"


def answer(client: TestClient, s: Seeded, card: int, letter: str) -> None:
    r = client.put(
        f"/api/sessions/{s.session_id}/responses/{s.students[card]}",
        json={"answer": letter},
        headers=H,
    )
    assert r.status_code == 200, r.text


def commit(client: TestClient, payloads: list[Any], s: Seeded) -> None:
    """Append events the way the rule engine would (store, then bus, through Sessions)."""
    sessions = client.app.state.sessions  # type: ignore[attr-defined]

    async def run() -> None:
        await sessions.commit(
            lambda now: sessions.store.append_events(s.session_id, payloads, now=now)
        )

    client.portal.call(run)  # type: ignore[union-attr]


def test_snapshot_then_every_event_with_seq_rising_by_one(env: Any) -> None:
    client, s = env
    with client.websocket_connect(live_url(s)) as live:
        snap = receive(live)
        assert snap["type"] == "snapshot"
        assert snap["data"]["session"]["id"] == s.session_id
        assert snap["seq"] == snap["data"]["seq"] == 1  # session.started
        command(client, s.session_id, "ask", {"question_id": s.questions[0]})
        answer(client, s, 7, "B")
        answer(client, s, 12, "C")
        command(client, s.session_id, "reveal")
        seen = read_until(live, lambda m: m["type"] == "question.revealed")
    assert [m["type"] for m in seen] == [
        "question.asked",
        "response.recorded",
        "response.recorded",
        "question.closed",
        "question.revealed",
    ]
    assert [m["seq"] for m in seen] == [2, 3, 4, 5, 6]
    assert seen[2]["data"]["correct"] is False


def test_resume_with_since_replays_exactly_what_was_missed(env: Any) -> None:
    client, s = env
    with client.websocket_connect(live_url(s)) as live:
        last = receive(live)["seq"]
    command(client, s.session_id, "ask", {"question_id": s.questions[0]})
    answer(client, s, 7, "A")
    answer(client, s, 21, "B")
    with client.websocket_connect(live_url(s, since=last)) as live:
        missed = read_until(live, lambda m: m.get("seq") == last + 3)
        answer(client, s, 12, "D")
        after = receive(live)
    assert [m["type"] for m in missed] == [
        "question.asked",
        "response.recorded",
        "response.recorded",
    ]
    assert [m["seq"] for m in missed] == [last + 1, last + 2, last + 3]
    assert (after["type"], after["seq"]) == ("response.recorded", last + 4)


def test_resume_too_far_back_or_from_the_future_gets_a_fresh_snapshot(
    env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, s = env
    monkeypatch.setattr(feed, "REPLAY_WINDOW", 2)
    command(client, s.session_id, "ask", {"question_id": s.questions[0]})
    for card, letter in ((7, "A"), (12, "B"), (21, "C")):
        answer(client, s, card, letter)
    for since in (0, 1, 10_000):
        with client.websocket_connect(live_url(s, since=since)) as live:
            first = receive(live)
        assert (first["type"], first["seq"]) == ("snapshot", 5)
    with client.websocket_connect(live_url(s, since=3)) as live:
        assert [receive(live)["seq"] for _ in range(2)] == [4, 5]


@pytest.mark.parametrize("since", ["-1", "abc", "1.5", "9" * 20, "%C2%B2", "%D9%A3", "1_0", ""])
def test_a_malformed_since_is_refused(env: Any, since: str) -> None:
    """Regression: superscript digits ("²") passed isdigit and closed the socket with 1006."""
    client, s = env
    with client.websocket_connect(f"{live_url(s)}&since={since}") as live:
        assert receive(live)["code"] == "bad_request"
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(live)
    assert closed.value.code == CLOSE_BAD_REQUEST


def test_regression_a_superscript_session_id_closes_with_4400(env: Any) -> None:
    client, _ = env
    with client.websocket_connect(f"/ws/live?session=%C2%B2&token={TEACHER}") as live:
        assert receive(live)["code"] == "bad_request"
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(live)
    assert closed.value.code == CLOSE_BAD_REQUEST


def test_the_projector_never_sees_flags_checkins_or_who_was_right(env: Any) -> None:
    client, s = env
    command(client, s.session_id, "ask", {"question_id": s.questions[0]})
    r = client.patch(f"/api/sessions/{s.session_id}", json={"show_names": False}, headers=H)
    assert r.status_code == 200
    with client.websocket_connect(live_url(s, s.projector)) as live:
        snap = receive(live)
        assert "students" not in snap["data"] and "flags" not in snap["data"]
        assert "counts" not in snap["data"]["question"]
        commit(client, [FlagRaised(1, "rule", "group", 1, None, "high", "check in")], s)
        commit(client, [CheckinStarted(1, 1)], s)
        answer(client, s, 7, "C")
        *hidden, recorded = read_until(live, lambda m: m["type"] == "response.recorded")
        # the flag and the check-in (and what the rules made of it) keep their place in the
        # seq, and nothing else of them
        assert len(hidden) >= 2
        assert {m["type"] for m in hidden} == {"event.withheld"}
        assert all(set(m) == {"type", "seq", "session"} for m in hidden)
        seqs = [m["seq"] for m in [*hidden, recorded]]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        assert recorded["type"] == "response.recorded"
        assert recorded["data"] == {
            "asked_id": recorded["data"]["asked_id"],
            "card": 7,
            "name": None,
            "changed": False,
        }
        r = client.patch(f"/api/sessions/{s.session_id}", json={"show_names": True}, headers=H)
        assert r.status_code == 200
        assert receive(live)["type"] == "display.changed"
        refreshed = receive(live)
        assert refreshed["type"] == "snapshot"
        assert refreshed["data"]["answered"] == [{"card": 7, "name": "Ada"}]
        answer(client, s, 12, "B")
        assert receive(live)["data"]["name"] == "Alan"
        command(client, s.session_id, "reveal")
        seen = read_until(live, lambda m: m["type"] == "snapshot")
    assert [m["type"] for m in seen] == ["question.closed", "question.revealed", "snapshot"]
    assert seen[-1]["data"]["question"]["counts"] == {"A": 0, "B": 1, "C": 1, "D": 0}


def test_the_teacher_sees_flags_and_checkins(env: Any) -> None:
    client, s = env
    with client.websocket_connect(live_url(s)) as live:
        receive(live)
        commit(client, [FlagRaised(1, "rule", "group", 1, None, "high", "check in")], s)
        commit(client, [CheckinStarted(1, 1)], s)
        assert [receive(live)["type"] for _ in range(2)] == ["flag.raised", "checkin.started"]


def test_a_gap_on_the_bus_is_filled_from_the_store(env: Any) -> None:
    """An event committed but never published (a lost publish) still reaches the client."""
    client, s = env
    store = client.app.state.store  # type: ignore[attr-defined]
    with client.websocket_connect(live_url(s)) as live:
        receive(live)
        store.append_events(s.session_id, [CheckinStarted(1, 1)], now=0.0)  # not published
        commit(client, [CheckinStarted(2, 1)], s)
        got = [receive(live) for _ in range(2)]
    assert [(m["seq"], m["data"]["checkin"]) for m in got] == [(2, 1), (3, 2)]


def test_a_client_that_stops_reading_is_closed_and_resumes(
    env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, s = env
    monkeypatch.setattr(feed, "QUEUE_SIZE", 2)
    bus = client.app.state.bus  # type: ignore[attr-defined]
    store = client.app.state.store  # type: ignore[attr-defined]
    with client.websocket_connect(live_url(s)) as live:
        start = receive(live)["seq"]
        # ten events in one publish: the queue of two overflows before the client can read
        events = store.append_events(s.session_id, [CheckinStarted(i, 1) for i in range(10)], now=0)
        client.portal.call(bus.publish, events)  # type: ignore[union-attr]
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                receive(live)
        assert closed.value.code == CLOSE_FELL_BEHIND
    with client.websocket_connect(live_url(s, since=start)) as live:
        assert [receive(live)["seq"] for _ in range(10)] == list(range(start + 1, start + 11))


def test_clients_may_send_keepalives_but_not_large_messages(env: Any) -> None:
    client, s = env
    with client.websocket_connect(live_url(s)) as live:
        receive(live)
        live.send_text("ping")
        live.send_text("x" * 5000)
        assert receive(live)["code"] == "too_large"
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(live)
    assert closed.value.code == CLOSE_TOO_BIG


async def test_local_bus_overflows_a_slow_subscriber_without_waiting() -> None:
    bus = LocalBus()
    sub = bus.subscribe(1, maxsize=2)
    calls: list[int] = []
    sub.on_overflow = lambda: calls.append(1)
    await bus.publish([Event(1, seq, 0.0, SessionEnded()) for seq in range(1, 6)])
    assert sub.overflowed and calls == [1]
    with pytest.raises(Overflow):
        await asyncio.wait_for(sub.get(), 1)
    sub.close()
    assert bus.subscriber_count(1) == 0
