"""Nothing is left running by accident: a session whose server stopped comes back interrupted
(with every answer), waits to be resumed or ended, and a session idle for too long ends by itself
with an event and a line in the log. A server starting next to a live one leaves its sessions be."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from live.http.app import create_app
from live.realtime.bus import LocalBus
from live.realtime.lifecycle import ALIVE_S, Lifecycle, idle_text, process_alive
from live.realtime.sessions import Sessions
from live.realtime.sockets import CLOSE_SESSION_INTERRUPTED
from live.settings import Settings
from live.store import Store
from tests.support.ws_support import TEACHER, command, frame, receive, scan_until, seed

AUTH = {"Authorization": f"Bearer {TEACHER}"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(token=TEACHER, data_dir=tmp_path / "data")


def serving(settings: Settings) -> TestClient:
    client = TestClient(create_app(settings))
    client.headers.update(AUTH)
    return client


def test_a_restart_interrupts_the_running_session_and_loses_no_answer(settings: Settings) -> None:
    with serving(settings) as client:
        s = seed(client)
        command(client, s.session_id, "ask", {"question_id": s.questions[0]})
        for card, answer in ((7, "B"), (12, "C")):
            r = client.put(f"/api/sessions/{s.session_id}/responses/{s.students[card]}",
                           json={"answer": answer})  # fmt: skip
            assert r.json()["recorded"] is True
        with client.websocket_connect(
            f"/ws/scan?session={s.session_id}&token={TEACHER}&name=cam"
        ) as scan:
            scan_until(scan, frame({21: "A"}), lambda m: any(
                c["state"] == "confirmed" for c in m["cards"]))  # fmt: skip
    # the server stopped with the session running; it starts again on the same data
    with serving(settings) as client:
        state = client.get(f"/api/sessions/{s.session_id}").json()
        assert state["session"]["status"] == "interrupted"
        assert state["session"]["interrupted_at"] is not None
        answers = {x["card"]: x["answer"] for x in state["students"]}
        assert answers == {7: "B", 12: "C", 21: "A"}  # every acknowledged answer is there
        assert state["scanners"] == []  # the scanner's socket went with the old server
        running = client.get("/api/sessions/running").json()
        assert [(r["id"], r["status"]) for r in running] == [(s.session_id, "interrupted")]

        # it takes nothing until the teacher decides
        r = client.put(f"/api/sessions/{s.session_id}/responses/{s.students[7]}",
                       json={"answer": "D"})  # fmt: skip
        assert r.status_code == 409 and r.json()["error"]["code"] == "session_interrupted"
        r = client.post(f"/api/sessions/{s.session_id}/ask", json={"question_id": s.questions[1]})
        assert r.status_code == 409
        with client.websocket_connect(f"/ws/scan?session={s.session_id}&token={TEACHER}") as scan:
            assert receive(scan)["code"] == "session_interrupted"
            with pytest.raises(WebSocketDisconnect) as closed:
                scan.receive_text()
            assert closed.value.code == CLOSE_SESSION_INTERRUPTED

        resumed = command(client, s.session_id, "resume")
        assert [e["type"] for e in resumed["events"]] == ["session.resumed"]
        assert resumed["session"]["status"] == "running"
        r = client.put(f"/api/sessions/{s.session_id}/responses/{s.students[7]}",
                       json={"answer": "D"})  # fmt: skip
        assert r.json()["recorded"] is True
        types = [e["type"] for e in client.get(f"/api/sessions/{s.session_id}/events").json()]
        assert types[-3:] == ["session.interrupted", "session.resumed", "response.recorded"]


def test_an_interrupted_session_can_be_ended_and_is_then_done(settings: Settings) -> None:
    with serving(settings) as client:
        s = seed(client)
    with serving(settings) as client:
        ended = command(client, s.session_id, "end")
        assert ended["session"]["status"] == "ended"
        r = client.post(f"/api/sessions/{s.session_id}/resume")
        assert r.status_code == 409 and r.json()["error"]["code"] == "session_ended"
    with serving(settings) as client:  # and it stays ended
        assert client.get("/api/sessions/running").json() == []


def test_resume_needs_a_session_that_exists(settings: Settings) -> None:
    with serving(settings) as client:
        r = client.post("/api/sessions/999/resume")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        s = seed(client)
        again = command(client, s.session_id, "resume")  # running already: nothing happens
        assert again["events"] == [] and again["session"]["status"] == "running"


def test_a_server_starting_next_to_a_live_one_leaves_its_sessions_alone(
    settings: Settings,
) -> None:
    """Two workers on one database: the second one's start is not the first one's stop."""
    with serving(settings) as first:
        s = seed(first)
        with serving(settings) as second:
            state = second.get(f"/api/sessions/{s.session_id}").json()
            assert state["session"]["status"] == "running"
        # the second one stopped; the first still serves, and its session still runs
        assert first.get(f"/api/sessions/{s.session_id}").json()["session"]["status"] == "running"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_a_session_idle_for_too_long_ends_by_itself_with_a_log_line(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(1000.0)
    bus = LocalBus()
    sessions = Sessions(store, bus, clock=clock)
    cid = store.create_class("Period 3", now=0)["id"]
    other = store.create_class("Period 4", now=0)["id"]
    idle = (await sessions.start(cid))["id"]
    clock.now = 2000.0
    busy = (await sessions.start(other))["id"]
    lifecycle = Lifecycle(sessions, idle_after=3600, clock=clock, server_id="me")
    sub = bus.subscribe(idle, maxsize=10)

    clock.now = 1000.0 + 3599
    assert await lifecycle.check() == []  # not quite
    clock.now = 1000.0 + 3601
    with caplog.at_level(logging.INFO, logger="cardcheck.sessions"):
        ended = await lifecycle.check()
    assert [(e.session, e.type, e.payload.to_dict()) for e in ended] == [
        (idle, "session.ended", {"reason": "idle"})
    ]
    assert store.get_session(idle)["status"] == "ended"
    assert store.get_session(busy)["status"] == "running"
    published = await asyncio.wait_for(sub.get(), 1)
    assert published.type == "session.ended"  # on the bus, so every dashboard hears it
    (line,) = [r.getMessage() for r in caplog.records]
    assert line == (
        f"session {idle} (Period 3) ended by itself after 1 h without activity"
        " (CARDCHECK_SESSION_IDLE_S=3600)"
    )
    sub.close()


async def test_idle_ending_can_be_turned_off(store: Store) -> None:
    clock = Clock(0.0)
    sessions = Sessions(store, LocalBus(), clock=clock)
    cid = store.create_class("Period 3", now=0)["id"]
    sid = (await sessions.start(cid))["id"]
    lifecycle = Lifecycle(sessions, idle_after=0, clock=clock, server_id="me")
    clock.now = 10 * 24 * 3600.0
    assert await lifecycle.check() == []
    assert store.get_session(sid)["status"] == "running"


async def test_a_start_alone_interrupts_and_a_start_beside_a_live_server_does_not(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(100.0)
    sessions = Sessions(store, LocalBus(), clock=clock)
    cid = store.create_class("Period 3", now=0)["id"]
    sid = (await sessions.start(cid))["id"]
    # a worker on another machine, heard from lately
    store.server_seen("other", host="worker-2", pid=1, now=100.0 - ALIVE_S + 1)
    assert await Lifecycle(sessions, idle_after=0, clock=clock, server_id="me").start() == []
    clock.now = 100.0 + ALIVE_S  # the other one went quiet: it has stopped
    with caplog.at_level(logging.INFO, logger="cardcheck.sessions"):
        events = await Lifecycle(sessions, idle_after=0, clock=clock, server_id="me").start()
    assert [(e.session, e.type) for e in events] == [(sid, "session.interrupted")]
    assert "was still running when the server stopped: interrupted" in caplog.text


async def test_a_server_of_this_machine_that_crashed_a_moment_ago_is_not_taken_for_alive(
    store: Store,
) -> None:
    """kill -9, then a restart at once: the old row is fresh, but its process is gone."""
    clock = Clock(100.0)
    sessions = Sessions(store, LocalBus(), clock=clock)
    sid = (await sessions.start(store.create_class("Period 3", now=0)["id"]))["id"]
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id that no process has now
    me = Lifecycle(sessions, idle_after=0, clock=clock, server_id="me")
    store.server_seen("crashed", host=me.host, pid=gone.pid, now=99.0)
    assert not process_alive(gone.pid) and process_alive(os.getpid())
    assert [(e.session, e.type) for e in await me.start()] == [(sid, "session.interrupted")]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(10800, "3 h"), (5400, "1 h 30 min"), (1200, "20 min"), (45, "45 s"), (0.4, "0 s")],
)
def test_idle_times_read_as_a_teacher_says_them(seconds: float, text: str) -> None:
    assert idle_text(seconds) == text


def test_the_idle_time_is_a_setting_with_a_default_of_three_hours() -> None:
    assert Settings.load(env={}).session_idle_s == 3 * 3600
    assert Settings.load(env={"CARDCHECK_SESSION_IDLE_S": "900"}).session_idle_s == 900
    with pytest.raises(ValueError, match="CARDCHECK_SESSION_IDLE_S"):
        Settings.load(env={"CARDCHECK_SESSION_IDLE_S": "soon"})


@pytest.mark.slow
def test_a_crash_and_an_immediate_restart_lose_no_answer(tmp_path: Path) -> None:
    """kill -9 of the real server right after its answers were acknowledged, then a restart at
    once on the same data: every answer is there, and the session waits, interrupted."""
    from tests.support.ws_servers import ROOT, api, free_port, seed, serve

    db = tmp_path / "db.sqlite3"
    port = free_port()
    args = [sys.executable, "-m", "live.cli", "serve", "--port", str(port), "--db", str(db),
            "--token", TEACHER, "--data-dir", str(tmp_path)]  # fmt: skip
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # up to 60 s on a loaded machine
            try:
                api(url, "GET", "health")
                break
            except OSError:
                time.sleep(0.1)
        session, students, _ = seed(url)
        acknowledged = {}
        for card, answer in zip(students, "ACD", strict=True):
            r = api(
                url, "PUT", f"sessions/{session}/responses/{students[card]}", {"answer": answer}
            )
            assert r["recorded"] is True
            acknowledged[card] = answer
    finally:
        proc.kill()  # no shutdown, no goodbye
        proc.wait()
    with serve(db, port=port) as again:
        state = api(again, "GET", f"sessions/{session}")
        running = api(again, "GET", "sessions/running")
    assert state["session"]["status"] == "interrupted"
    assert {s["card"]: s["answer"] for s in state["students"]} == acknowledged
    assert [(r["id"], r["status"]) for r in running] == [(session, "interrupted")]
