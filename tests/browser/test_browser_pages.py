"""The three pages in a real browser (Debian's Chromium through Playwright) against a real
``cardcheck serve`` on a free port: the scanner with a fake camera records the right answers, the
projector counts and charts them, the console runs a class, and nothing stale or private shows.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
TOKEN = "browser-test-teacher-token"
BASE_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 20_000

if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (make system-deps)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    port: int
    data_dir: Path
    demo: bool = False
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        exe = Path(sys.executable).with_name("cardcheck")
        self.process = subprocess.Popen(
            [
                str(exe),
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                "--token",
                TOKEN,
                *(["--demo"] if self.demo else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "CARDCHECK_TOKEN": ""},
        )
        for _ in range(600):  # up to 60 s on a loaded machine
            try:
                self.api("GET", "/health")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise RuntimeError("cardcheck serve did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base}/api{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
        return json.loads(text) if text else None

    def projector_token(self) -> str:
        url = self.api("GET", "/sessions/1")["projector_url"]
        return str(url.rsplit("token=", 1)[1])


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = 10) -> None:
    """A YUV4MPEG2 video (4:2:0) Chromium can use as its fake camera."""
    h, w = frames[0].shape[:2]
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            f.write(b"FRAME\n")
            f.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())


# cards 1-4 held up with these answers; the question's correct answer is A
HELD = {1: "A", 2: "B", 3: "A", 4: "C"}
ROSTER = ["Ada Lovelace", "Brook Ng", "Carmen Ruiz", "Dmitri Volkov"]


def classroom_video(path: Path) -> None:
    from scanner import Deck

    deck = Deck()
    frames = []
    for i in range(10):
        frame = np.full((720, 1280, 3), 150, np.uint8)
        for k, (card, answer) in enumerate(HELD.items()):
            img = cv2.cvtColor(deck.render_card(card, answer, size_px=200), cv2.COLOR_GRAY2BGR)
            x, y = 90 + k * 290 + (i % 3) * 2, 250 + (i % 2) * 2
            frame[y : y + 200, x : x + 200] = img
        frames.append(frame)
    write_y4m(path, frames)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(free_port(), tmp_path_factory.mktemp("serve"))
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    video = tmp_path_factory.mktemp("camera") / "cards.y4m"
    classroom_video(video)
    args = [
        *BASE_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield b
        b.close()


def new_class(server: Server, name: str) -> dict[str, Any]:
    """A class with the four students of ROSTER on cards 1-4, a question, a running session."""
    cls = server.api("POST", "/classes", {"name": name})
    students = [
        server.api("POST", f"/classes/{cls['id']}/students", {"name": n, "card": i + 1})
        for i, n in enumerate(ROSTER)
    ]
    q = server.api(
        "POST",
        "/questions",
        {"prompt": f"{name}: 1/2 + 1/3?", "choices": ["5/6", "2/5", "1/5", "2/6"], "correct": "A"},
    )
    session = server.api("POST", "/sessions", {"class_id": cls["id"]})
    return {"class": cls, "students": students, "question": q, "session": session}


def projector_url(server: Server, session_id: int) -> str:
    return str(server.api("GET", f"/sessions/{session_id}")["projector_url"])


def test_scanner_records_the_cards_and_the_projector_counts_and_charts(
    server: Server, browser: Any
) -> None:
    """Fake camera -> /ws/scan -> responses; the projector shows 4/4, then the chart."""
    c = new_class(server, "Scan 7A")
    sid = c["session"]["id"]
    server.api("POST", f"/sessions/{sid}/ask", {"question_id": c["question"]["id"]})
    context = browser.new_context(viewport={"width": 390, "height": 844})
    projector = context.new_page()
    projector.goto(projector_url(server, sid))
    sync_api.expect(projector.locator("#total")).to_have_text("4", timeout=WAIT_MS)
    scanner = context.new_page()
    scanner.goto(f"{server.base}/scan/?session={sid}&token={TOKEN}")
    sync_api.expect(scanner.locator("#count")).to_have_text("4", timeout=WAIT_MS)
    sync_api.expect(projector.locator("#answered")).to_have_text("4", timeout=WAIT_MS)
    state = server.api("GET", f"/sessions/{sid}")
    got = {s["card"]: s["answer"] for s in state["students"]}
    assert got == HELD
    assert projector.locator(".choice .n").count() == 0  # no chart before reveal
    server.api("POST", f"/sessions/{sid}/reveal")
    sync_api.expect(projector.locator(".choice .n")).to_have_text(
        ["2", "1", "1", "0"], timeout=WAIT_MS
    )
    sync_api.expect(projector.locator(".choice.correct")).to_have_attribute("data-letter", "A")
    context.close()


def test_console_creates_a_class_imports_a_roster_asks_and_enters_an_answer(
    server: Server, browser: Any
) -> None:
    """The teacher's whole path in the console, checked against the API."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.on("dialog", lambda d: d.accept())
    page.goto(f"{server.base}/teacher/?token={TOKEN}#classes")
    page.fill("#class-name", "Console 9C")
    page.click("#class-form button")
    sync_api.expect(page.locator("#class-title")).to_have_value("Console 9C", timeout=WAIT_MS)
    page.click(".import summary")
    page.fill(
        "#roster-text", "name,card,group\nAda Lovelace,1,Blue\nBrook Ng,2,Blue\nCarmen Ruiz,3,Red\n"
    )
    page.click("#roster-import")
    sync_api.expect(page.locator("#roster tr")).to_have_count(3, timeout=WAIT_MS)
    sync_api.expect(page.locator(".group-col")).to_have_count(3)  # Blue, Red, no group

    page.goto(f"{server.base}/teacher/?token={TOKEN}#questions")
    page.fill("#q-prompt", "Console 9C: which is larger, 3/4 or 5/8?")
    texts = page.locator(".choice-text")
    texts.nth(0).fill("3/4")
    texts.nth(1).fill("5/8")
    texts.nth(2).fill("They are equal")
    page.click("#question-form button.primary")
    sync_api.expect(page.locator("#question-list .prompt", has_text="Console 9C")).to_have_count(
        1, timeout=WAIT_MS
    )

    page.goto(f"{server.base}/teacher/?token={TOKEN}#session")
    sessions = server.api("GET", "/sessions")
    for s in sessions:
        if s["status"] == "running":
            server.api("POST", f"/sessions/{s['id']}/end")
    page.reload()
    page.select_option("#start-class", label="Console 9C (3)")
    page.click("#start-form button")
    sync_api.expect(page.locator("#run-class")).to_have_text("Console 9C", timeout=WAIT_MS)
    question = next(q for q in server.api("GET", "/questions") if q["prompt"].startswith("Console"))
    page.select_option("#ask-pick", value=str(question["id"]))
    page.click("#btn-ask")
    sync_api.expect(page.locator("#run-status")).to_have_text("Q1 answering", timeout=WAIT_MS)
    page.click(".chip:has-text('Brook Ng')")
    page.click("#manual-letters button:has-text('B:')")
    sync_api.expect(page.locator(".chip:has-text('Brook Ng') .answer")).to_have_text(
        "B", timeout=WAIT_MS
    )
    sync_api.expect(page.locator(".answered strong")).to_have_text("1/3")
    running = next(s for s in server.api("GET", "/sessions") if s["status"] == "running")
    state = server.api("GET", f"/sessions/{running['id']}")
    assert {s["name"]: s["answer"] for s in state["students"]} == {
        "Ada Lovelace": None,
        "Brook Ng": "B",
        "Carmen Ruiz": None,
    }
    page.close()


def test_projector_hides_names_when_told_and_never_shows_flags(
    server: Server, browser: Any
) -> None:
    """Names hidden: card numbers only. Flags and who was wrong: never."""
    c = new_class(server, "Private 6B")
    sid = c["session"]["id"]
    server.api("POST", f"/sessions/{sid}/ask", {"question_id": c["question"]["id"]})
    server.api("PATCH", f"/sessions/{sid}", {"show_names": False})
    for s, answer in zip(c["students"][:3], "BBB", strict=True):
        server.api("PUT", f"/sessions/{sid}/responses/{s['id']}", {"answer": answer})
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(projector_url(server, sid))
    sync_api.expect(page.locator("#answered")).to_have_text("3", timeout=WAIT_MS)
    sync_api.expect(page.locator(".tile.done")).to_have_text(["#1", "#2", "#3"])
    text = page.locator("body").inner_text()
    for name in ROSTER:
        assert name.split()[0] not in text
    teacher = server.api("GET", f"/sessions/{sid}")
    for flag in teacher["flags"]:
        assert flag["message"] not in text
    assert page.locator(".flag, #flags").count() == 0
    server.api("PATCH", f"/sessions/{sid}", {"show_names": True})
    sync_api.expect(page.locator(".tile.done")).to_have_text(
        ["Ada", "Brook", "Carmen"], timeout=WAIT_MS
    )
    server.api("PATCH", f"/sessions/{sid}", {"show_names": False})
    sync_api.expect(page.locator(".tile.done")).to_have_text(["#1", "#2", "#3"], timeout=WAIT_MS)
    server.api("POST", f"/sessions/{sid}/reveal")
    sync_api.expect(page.locator(".choice.correct")).to_have_count(1, timeout=WAIT_MS)
    text = page.locator("body").inner_text()
    for name in ROSTER:
        assert name.split()[0] not in text  # nobody is named next to a wrong answer
    page.close()


def test_a_dropped_and_restored_server_leaves_no_stale_numbers(
    tmp_path: Path, browser: Any
) -> None:
    """Stop the server, start it again on the same port and data: the projector catches up,
    shows the session paused (interrupted) until the teacher resumes it, then goes on."""
    server = Server(free_port(), tmp_path / "data")
    server.start()
    try:
        c = new_class(server, "Restart 5D")
        sid = c["session"]["id"]
        server.api("POST", f"/sessions/{sid}/ask", {"question_id": c["question"]["id"]})
        server.api("PUT", f"/sessions/{sid}/responses/{c['students'][0]['id']}", {"answer": "A"})
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(projector_url(server, sid))
        sync_api.expect(page.locator("#answered")).to_have_text("1", timeout=WAIT_MS)
        server.stop()
        sync_api.expect(page.locator("body.stale")).to_have_count(1, timeout=WAIT_MS)
        server.start()
        # the session comes back interrupted (its server stopped): the projector says so
        sync_api.expect(page.locator("#status")).to_have_text("Paused", timeout=WAIT_MS)
        sync_api.expect(page.locator("#answered")).to_have_text("1")
        server.api("POST", f"/sessions/{sid}/resume")
        sync_api.expect(page.locator("#status")).to_have_text("Answering", timeout=WAIT_MS)
        for s in c["students"][1:]:
            server.api("PUT", f"/sessions/{sid}/responses/{s['id']}", {"answer": "B"})
        sync_api.expect(page.locator("#answered")).to_have_text("4", timeout=WAIT_MS)
        sync_api.expect(page.locator("body.stale")).to_have_count(0, timeout=WAIT_MS)
        server.api("POST", f"/sessions/{sid}/reveal")
        sync_api.expect(page.locator(".choice .n")).to_have_text(
            ["1", "3", "0", "0"], timeout=WAIT_MS
        )
        page.close()
    finally:
        server.stop()
