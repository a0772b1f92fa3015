"""Three ``cardcheck serve`` workers on PostgreSQL and Redis behind Debian's nginx, running
``docs/deploy/nginx.conf`` over HTTPS (tests/support/deployment.py).

* The scanner, the projector and the console, each on a different worker, see one session.
* ``kill -9`` of the scanner's worker mid-question loses no answer the scanner was told was
  recorded, and the scanner carries on through another worker within a few seconds.
* PostgreSQL stopped as in a crash and started again while answers keep coming: the workers
  recover by themselves (same processes), the waits are 503 with ``Retry-After`` (never a 500),
  and every acknowledged answer is in the session's log.

The PostgreSQL here is a private cluster started for the test (the shared server is never
restarted); Redis is the machine's, under a prefix of the test's own.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import ssl
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import ClientConnection, connect

from tests.support.deployment import Nginx, PrivatePostgres, Worker, self_signed
from tests.support.ws_servers import shared_redis
from tests.support.ws_support import STUDENTS, TEACHER, frame

pytestmark = [pytest.mark.slow, pytest.mark.redis]

FPS = 3  # a classroom's scanner


def wait_until(check: Callable[[], bool], what: str, timeout: float) -> float:
    """Seconds it took ``check`` to hold; fails after ``timeout``."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, f"{what}: not within {timeout} s"
        time.sleep(0.05)
    return time.monotonic() - start


@dataclass
class School:
    pg: PrivatePostgres
    workers: list[Worker]
    nginx: Nginx
    context: ssl.SSLContext

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, base: str = ""
    ) -> tuple[int, Any, dict[str, str]]:
        """(status, JSON body, headers named in lower case) of ``/api/<path>``, through nginx
        unless ``base``."""
        request = urllib.request.Request(
            f"{base or self.nginx.url}/api/{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {TEACHER}", "Content-Type": "application/json"},
        )
        try:
            context = self.context if not base else None
            with urllib.request.urlopen(request, timeout=15, context=context) as r:
                return r.status, json.loads(r.read()), {k.lower(): v for k, v in r.headers.items()}
        except urllib.error.HTTPError as e:
            headers = {k.lower(): v for k, v in e.headers.items()}
            return e.code, json.loads(e.read() or b"null"), headers

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        status, data, _ = self.call(method, path, body)
        assert status in (200, 201), (status, data)
        return data

    def seed(self, name: str) -> tuple[int, dict[int, int], str]:
        """A class on cards 7, 12, 21, a session, a question asked: (session, card -> student,
        projector token)."""
        cls = self.api("POST", "classes", {"name": name})
        students = {
            card: self.api("POST", f"classes/{cls['id']}/students", {"name": n, "card": card})["id"]
            for n, card in STUDENTS
        }
        q = self.api("POST", "questions", {"prompt": "Q", "choices": list("abcd"), "correct": "B"})
        session = self.api("POST", "sessions", {"class_id": cls["id"]})["id"]
        self.api("POST", f"sessions/{session}/ask", {"question_id": q["id"]})
        link = self.api("GET", f"sessions/{session}")["projector_url"]
        return session, students, parse_qs(urlsplit(link).query)["token"][0]

    def socket(self, path: str) -> ClientConnection:
        """A WebSocket through nginx, as a page of the school's site opens it (its Origin)."""
        return connect(
            f"wss://127.0.0.1:{self.nginx.port}{path}",
            ssl=self.context,
            additional_headers={"Origin": self.nginx.url},
            compression=None,
            open_timeout=5,
            max_size=2**22,
        )

    def alive(self) -> list[Worker]:
        return [w for w in self.workers if w.proc.poll() is None]

    def worker_at(self, address: str) -> Worker:
        """The worker nginx names in ``X-Cardcheck-Worker`` (``127.0.0.1:PORT``)."""
        return next(w for w in self.workers if address == f"127.0.0.1:{w.port}")


def worker_of(ws: ClientConnection) -> str:
    assert ws.response is not None
    # "A, B" when nginx found A gone and went on to B
    return str(ws.response.headers["X-Cardcheck-Worker"]).split(", ")[-1]


class Dashboard:
    """``/ws/live`` through nginx on a worker other than ``avoid``'s: the console (teacher
    token) or the projector (its token). Reads in a thread; keeps every message."""

    def __init__(self, school: School, path: str, avoid: set[str]) -> None:
        for _ in range(30):  # least_conn spreads new sockets; skip the workers to avoid
            self._opened = contextlib.ExitStack()
            ws = self._opened.enter_context(school.socket(path))
            if worker_of(ws) not in avoid:
                break
            self._opened.close()
        else:
            raise AssertionError(f"nginx never sent {path} to a worker outside {avoid}")
        self.ws, self.worker = ws, worker_of(ws)
        self.messages: list[dict[str, Any]] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        wait_until(lambda: bool(self.messages), f"the snapshot of {path}", 10)

    def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            for raw in self.ws:
                self.messages.append(json.loads(raw))

    def recorded(self) -> list[tuple[int, str]]:
        return [
            (m["data"]["card"], m["data"]["answer"])
            for m in list(self.messages)
            if m["type"] == "response.recorded"
        ]

    def cards(self) -> list[int]:
        """The cards of the answers recorded (the projector is not told which answer)."""
        return [m["data"]["card"] for m in list(self.messages) if m["type"] == "response.recorded"]

    def close(self) -> None:
        self._opened.close()
        self.thread.join(5)


@dataclass
class Scanner:
    """A classroom's scanner through nginx: a frame every 1/FPS s, each answered before the next
    (``scan.frame``); on a lost connection it connects again, as the scanner page does."""

    school: School
    session: int
    cards: dict[int, str]
    connections: list[tuple[float, str]] = field(default_factory=list)  # (when, worker)
    acknowledged: dict[int, str] = field(default_factory=dict)  # told "confirmed": recorded
    answered_at: list[float] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._frames: dict[tuple[tuple[int, str], ...], bytes] = {}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _frame(self) -> bytes:
        key = tuple(sorted(self.cards.items()))
        if key not in self._frames:
            self._frames[key] = frame(dict(key), ext=".jpg")
        return self._frames[key]

    def _run(self) -> None:
        path = f"/ws/scan?session={self.session}&token={quote(TEACHER)}&name=classroom"
        while not self.stopping.is_set():
            try:
                with self.school.socket(path) as ws:
                    self.connections.append((time.monotonic(), worker_of(ws)))
                    while not self.stopping.is_set():
                        ws.send(self._frame())
                        sent = time.monotonic()
                        reply = json.loads(ws.recv(timeout=10))
                        while reply["type"] != "scan.frame":
                            reply = json.loads(ws.recv(timeout=10))
                        for card in reply["cards"]:
                            if card["state"] == "confirmed":
                                self.acknowledged[card["card"]] = card["answer"]
                        self.answered_at.append(time.monotonic())
                        time.sleep(max(0.0, 1 / FPS - (time.monotonic() - sent)))
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError):
                time.sleep(0.25)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(15)


@pytest.fixture(scope="module")
def school() -> Iterator[School]:
    folder = Path(tempfile.mkdtemp(prefix="cardcheck-school-"))
    prefix = f"cardcheck-test-{secrets.token_hex(4)}"
    with PrivatePostgres() as pg, shared_redis() as redis:
        workers = [Worker(pg.url, redis=redis, prefix=prefix, folder=folder) for _ in range(3)]
        try:
            for w in workers:
                w.wait_ready()
            cert, key = self_signed(folder / "tls")
            context = ssl.create_default_context(cafile=str(cert))
            with Nginx(folder, [w.port for w in workers], cert, key) as nginx:
                yield School(pg, workers, nginx, context)
        finally:
            for w in workers:
                w.stop()
            shutil.rmtree(folder, ignore_errors=True)


def stored(school: School, session: int) -> list[dict[str, Any]]:
    """The session's log, read from a live worker directly (not through nginx)."""
    status, events, _ = school.call(
        "GET", f"sessions/{session}/events?since=0", base=school.alive()[0].url
    )
    assert status == 200, events
    return list(events)


def contiguous(messages: list[dict[str, Any]]) -> bool:
    seqs = [m["seq"] for m in messages if "seq" in m and m["type"] != "snapshot"]
    return seqs == list(range(seqs[0], seqs[0] + len(seqs)))


def test_three_workers_one_session_and_the_scanners_worker_killed(school: School) -> None:
    session, _, projector_token = school.seed("7B")
    scanner = Scanner(school, session, {})  # an empty room until every page is open
    try:
        wait_until(lambda: bool(scanner.connections), "the scanner connected", 15)
        first = scanner.connections[0][1]
        console = Dashboard(school, f"/ws/live?session={session}&token={TEACHER}", {first})
        projector = Dashboard(
            school,
            f"/ws/live?session={session}&token={quote(projector_token)}",
            {first, console.worker},
        )
        assert len({first, console.worker, projector.worker}) == 3
        scanner.cards = {7: "B"}
        wait_until(lambda: scanner.acknowledged == {7: "B"}, "card 7 acknowledged", 20)
        wait_until(lambda: console.recorded() == [(7, "B")], "the console saw card 7", 10)
        wait_until(lambda: projector.cards() == [7], "the projector saw card 7", 10)

        # mid-question: the scanner's worker dies; cards 12 and 21 go up only after
        killed = school.worker_at(first)
        killed.kill()
        killed_at = time.monotonic()
        scanner.cards = {7: "B", 12: "C", 21: "A"}
        wait_until(lambda: len(scanner.connections) > 1, "the scanner reconnected", 15)
        again = scanner.connections[-1][1]
        assert again != first
        wait_until(
            lambda: scanner.acknowledged == {7: "B", 12: "C", 21: "A"},
            "cards 12 and 21 acknowledged through another worker",
            20,
        )
        print(
            f"scanner back {scanner.connections[-1][0] - killed_at:.2f} s after the kill,"
            f" on {again}; first answer after it"
            f" {min(t for t in scanner.answered_at if t > killed_at) - killed_at:.2f} s"
        )
        want = sorted(scanner.acknowledged.items())
        wait_until(lambda: sorted(console.recorded()) == want, "the console saw them", 10)
        wait_until(lambda: sorted(projector.cards()) == [7, 12, 21], "the projector saw them", 10)
        log = stored(school, session)
        recorded = {
            e["data"]["card"]: e["data"]["answer"] for e in log if e["type"] == "response.recorded"
        }
        assert recorded == scanner.acknowledged  # nothing acknowledged is lost
        assert contiguous(console.messages) and contiguous(projector.messages)
        console.close()
        projector.close()
    finally:
        scanner.stop()


@dataclass
class Teacher:
    """A console setting answers through nginx as fast as it is answered: each PUT moves a
    student to the next letter, so that each acknowledged one is a distinct event."""

    school: School
    session: int
    students: list[int]
    acknowledged: dict[int, list[str]] = field(default_factory=dict)
    statuses: list[tuple[float, int, bool]] = field(default_factory=list)  # when, status, R-A
    refusals: list[Any] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            student = self.students[n % len(self.students)]
            letter = "ABCD"[(n // len(self.students)) % 4]
            n += 1
            path = f"sessions/{self.session}/responses/{student}"
            status, body, headers = self.school.call("PUT", path, {"answer": letter})
            self.statuses.append((time.monotonic(), status, "retry-after" in headers))
            if status == 200:
                self.acknowledged.setdefault(student, []).append(letter)
            else:
                self.refusals.append((status, body, headers))
                time.sleep(0.1)

    def successes_after(self, moment: float) -> int:
        return sum(1 for t, status, _ in list(self.statuses) if t > moment and status == 200)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(30)


def in_order(acknowledged: list[str], written: list[str]) -> bool:
    """Whether each acknowledged answer is in the log, in order. Two acknowledged in a row may be
    the same letter (the attempts between them failed): the second changed nothing."""
    changes = [x for i, x in enumerate(acknowledged) if i == 0 or x != acknowledged[i - 1]]
    rest = iter(written)
    return all(x in rest for x in changes)


def test_postgresql_restarted_under_load(school: School) -> None:
    session, students, _ = school.seed("8C")
    pids = {w.port: w.proc.pid for w in school.alive()}
    console = Dashboard(school, f"/ws/live?session={session}&token={TEACHER}", set())
    teacher = Teacher(school, session, list(students.values()))
    try:
        wait_until(lambda: teacher.successes_after(0) >= 10, "answers before the restart", 20)
        school.pg.stop("immediate")  # a crash: clients cut off, the WAL replayed on start
        time.sleep(1.0)
        school.pg.start()
        restarted = time.monotonic()
        back = wait_until(lambda: teacher.successes_after(restarted) >= 1, "answers after it", 30)
        wait_until(lambda: teacher.successes_after(restarted) >= 10, "more answers", 30)
        print(f"answers recorded again {back:.2f} s after PostgreSQL was back")
    finally:
        teacher.stop()
    statuses = {status for _, status, _ in teacher.statuses}
    assert 503 in statuses  # the outage was felt
    assert statuses <= {200, 503}, statuses  # a wait for the database is a 503, never a 500
    assert all(ra for _, status, ra in teacher.statuses if status == 503), teacher.refusals
    assert {w.port: w.proc.pid for w in school.alive()} == pids  # no worker restarted
    for w in school.alive():  # and each one reads and writes again by itself
        status, body, _ = school.call("GET", f"sessions/{session}", base=w.url)
        assert status == 200, body
    log = stored(school, session)
    for student, letters in teacher.acknowledged.items():
        written = [
            e["data"]["answer"]
            for e in log
            if e["type"] == "response.recorded" and e["data"]["student"] == student
        ]
        assert in_order(letters, written), (student, letters, written)
    count = sum(1 for e in log if e["type"] == "response.recorded")
    wait_until(lambda: len(console.recorded()) == count, "the console saw every answer", 15)
    assert contiguous(console.messages)
    console.close()
