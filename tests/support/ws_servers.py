"""Real processes for the end-to-end live tests: ``cardcheck serve``, ``redis-server``, a scanner."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.support.ws_support import STUDENTS, TEACHER

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(check: Any, what: str, timeout: float = 60.0) -> None:
    # generous: a server importing OpenCV on a loaded two-core machine can take many seconds
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not come up in {timeout} s")


def _stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextlib.contextmanager
def serve(
    db: str | Path,
    *,
    redis: str | None = None,
    prefix: str = "cardcheck",
    log: Path | None = None,
    port: int | None = None,
) -> Iterator[str]:
    """``cardcheck serve`` on ``port`` (a free one by default) with ``db`` (an SQLite file, its
    folder the data folder, or a PostgreSQL URL); yields its base URL."""
    port = port or free_port()
    folder = Path(db).parent if "://" not in str(db) else Path(tempfile.mkdtemp())
    args = [sys.executable, "-m", "live.cli", "serve", "--port", str(port), "--db", str(db),
            "--token", TEACHER, "--data-dir", str(folder)]  # fmt: skip
    if redis:
        args += ["--redis", redis]
    env = {**os.environ, "CARDCHECK_REDIS_PREFIX": prefix}
    out = open(log or os.devnull, "ab")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _answers(f"{url}/api/health") or proc.poll() is not None, "the server")
        assert proc.poll() is None, f"cardcheck serve exited with {proc.returncode}"
        yield url
    finally:
        _stop(proc)
        out.close()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except (urllib.error.URLError, OSError):
        return False


class RedisProcess:
    """A throwaway ``redis-server`` on a free port, nothing saved to disk; can be restarted."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (apt-get install redis-server)"
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[Any] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(lambda: _redis_ping(self.port), "redis-server")

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)
            self.proc = None

    def __enter__(self) -> RedisProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def shared_redis() -> Iterator[str]:
    """The machine's Redis at 127.0.0.1:6379, or a redis-server of our own when none answers."""
    if _redis_ping(6379):
        yield "redis://127.0.0.1:6379/0"
        return
    with RedisProcess() as server:
        yield server.url


def api(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"{url}/api/{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TEACHER}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def seed(url: str) -> tuple[int, dict[int, int], int]:
    """A class of three students (cards 7, 12, 21), a question (B correct) asked in a new
    session. Returns (session id, card -> student id, asked question id)."""
    cls = api(url, "POST", "classes", {"name": "7B"})
    students = {
        card: api(url, "POST", f"classes/{cls['id']}/students", {"name": n, "card": card})["id"]
        for n, card in STUDENTS
    }
    q = api(url, "POST", "questions", {"prompt": "Q", "choices": ["a", "b", "c", "d"],
                                       "correct": "B"})  # fmt: skip
    session = api(url, "POST", "sessions", {"class_id": cls["id"]})["id"]
    api(url, "POST", f"sessions/{session}/ask", {"question_id": q["id"]})
    return session, students, q["id"]


def scan_file(
    url: str, path: Path, *, session: int | None = None, fps: float = 25, token: str = TEACHER
) -> subprocess.CompletedProcess[str]:
    """Replay ``path`` through ``cardcheck scan --file``."""
    args = [sys.executable, "-m", "live.cli", "scan", "--file", str(path), "--server", url,
            "--token", token, "--fps", str(fps), "--retry-for", "5"]  # fmt: skip
    if session is not None:
        args += ["--session", str(session)]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


def scanned(url: str, path: Path, *, session: int | None = None) -> str:
    """``scan_file`` that must succeed; its output."""
    done = scan_file(url, path, session=session)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


class Watcher:
    """A dashboard on ``/ws/live`` (the websockets library, as a browser would), in a thread."""

    def __init__(self, url: str, session: int) -> None:
        self.url = url.replace("http://", "ws://") + f"/ws/live?session={session}&token={TEACHER}"
        self.messages: list[dict[str, Any]] = []
        self._loop = asyncio.new_event_loop()
        self._task: Any = None
        self._thread: Any = None

    def __enter__(self) -> Watcher:
        import threading

        from websockets.asyncio.client import connect

        ready = threading.Event()

        async def watch() -> None:
            async with connect(self.url, compression=None) as ws:
                async for raw in ws:
                    self.messages.append(json.loads(raw))
                    ready.set()

        def run() -> None:
            self._task = self._loop.create_task(watch())
            with contextlib.suppress(asyncio.CancelledError):
                self._loop.run_until_complete(self._task)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(10), "no snapshot from /ws/live"
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(10)
        self._loop.close()

    def wait_for(
        self, count: int, kind: str = "response.recorded", timeout: float = 30
    ) -> list[dict[str, Any]]:
        """The ``kind`` events, once at least ``count`` have arrived."""
        _wait_for(lambda: len(self.of(kind)) >= count, f"{count} {kind} events", timeout)
        return self.of(kind)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in list(self.messages) if m["type"] == kind]
