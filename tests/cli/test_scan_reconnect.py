"""Over real sockets: ``cardcheck scan`` outlives a restart of ``cardcheck serve``.

A recording is replayed at 5 frames a second: card 7 first, then cards 12 and 21. The server is
stopped once card 7's answer is stored, and started again on the same port and database. The
session it ran comes back interrupted (its server stopped), and the scanner waits for it: once
the teacher resumes it, the scanner reconnects by itself (``--retry-for``), goes on from the frame
it was at (every frame of the recording is sent once), exits 0 at the end of the recording, and
the answers of cards 12 and 21, shown only after the restart, are recorded by the new server.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.ws_servers import ROOT, api, free_port, seed, serve
from tests.support.ws_support import TEACHER, frame

pytestmark = pytest.mark.slow

FPS = 5


def recording(folder: Path, *scenes: tuple[dict[int, str], int]) -> Path:
    """PNG frames: each scene is (cards held up, how many frames)."""
    folder.mkdir()
    n = 0
    for cards, count in scenes:
        data = frame(cards)
        for _ in range(count):
            (folder / f"frame-{n:04d}.png").write_bytes(data)
            n += 1
    return folder


def recorded(db: Path, session: int) -> dict[int, str]:
    """Card -> answer of the session's stored responses, read from the file itself."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT r.card, r.answer FROM responses r JOIN asked a ON a.id = r.asked_id"
            " WHERE a.session_id = ?",
            (session,),
        ).fetchall()
    return {int(card): str(answer) for card, answer in rows}


def wait_until(check: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.05)


def test_the_scanner_reconnects_after_a_server_restart(tmp_path: Path) -> None:
    db, out = tmp_path / "db.sqlite3", tmp_path / "scan.log"
    # 5 s of card 7, then 2 s of cards 12 and 21: the server is stopped within card 7's scene
    video = recording(tmp_path / "frames", ({7: "B"}, 5 * FPS), ({12: "C", 21: "A"}, 2 * FPS))
    port = free_port()
    with serve(db, port=port) as url, out.open("w") as log:
        session, _, _ = seed(url)
        args = [sys.executable, "-m", "live.cli", "scan", "--file", str(video), "--server", url,
                "--token", TEACHER, "--session", str(session), "--fps", str(FPS),
                "--retry-for", "30"]  # fmt: skip
        scanner = subprocess.Popen(
            args,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(lambda: 7 in recorded(db, session), "card 7 recorded", 15)
            # the server goes away (leaving `serve`); then the scanner is left without one
        except BaseException:
            scanner.kill()
            scanner.wait()
            raise
    try:
        before = recorded(db, session)
        assert before == {7: "B"}, "cards 12 and 21 were seen before the restart"
        wait_until(lambda: "connection lost" in out.read_text(), "the scanner noticed", 10)
        with serve(db, port=port) as again:
            state = api(again, "GET", f"sessions/{session}")
            assert state["session"]["status"] == "interrupted"
            assert state["question"]["answered"] == 1  # nothing lost
            wait_until(lambda: "was interrupted" in out.read_text(), "the scanner waits", 20)
            api(again, "POST", f"sessions/{session}/resume")
            code = scanner.wait(30)
        text = out.read_text()
    finally:
        if scanner.poll() is None:
            scanner.kill()
            scanner.wait()
    assert code == 0, text
    assert text.count("connected to") >= 3, text  # first, refused while interrupted, resumed
    assert f"session {session} was interrupted when the server stopped: waiting" in text, text
    assert f"done: {7 * FPS} frames sent" in text, text  # each frame once, none skipped
    assert "card 12 C" in text and "card 21 A" in text, text
    assert recorded(db, session) == {7: "B", 12: "C", 21: "A"}
