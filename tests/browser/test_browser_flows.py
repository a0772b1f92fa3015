"""Three more flows in a real browser (Debian's Chromium through Playwright) against a real
``cardcheck serve``: the scanner's "Take a photo" fallback records the cards in a photo, the
scanner says clearly why there is no camera (denied, none, not a secure page), and the console's
check-in loop takes a flag from raised to resolved with the note stored and the goal updated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from test_browser_pages import BASE_ARGS, CHROMIUM, TOKEN, WAIT_MS, Server, free_port, sync_api

from scanner import Deck, Tracker

pytestmark = pytest.mark.browser

INSECURE_HOST = "cardcheck.test"  # resolved to 127.0.0.1 by Chromium: a page that is not secure
ROSTER = ["Ada Lovelace", "Brook Ng", "Carmen Ruiz", "Dmitri Volkov"]
# the photo: cards 1-3 of the class with these answers, and card 9 that no student holds
PHOTO = {1: "A", 2: "B", 3: "D"}
FOREIGN_CARD = 9
GREEN = (0x3F, 0xB9, 0x50)  # scan.js: a confirmed card's box
RED = (0xFF, 0x4D, 0x4F)  # scan.js: a card not in this class


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(free_port(), tmp_path_factory.mktemp("serve"))
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    """A fake camera exists but no permission prompt is auto-accepted: a context without the
    camera permission is denied, one with it gets the (fake) camera."""
    args = [
        *BASE_ARGS,
        "--use-fake-device-for-media-stream",
        f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1",
    ]
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    yield b
    b.close()


@pytest.fixture(scope="module")
def cameraless(playwright: Any) -> Iterator[Any]:
    """No fake camera: the machine has no camera at all."""
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS)
    yield b
    b.close()


def new_class(
    server: Server, name: str, groups: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """A class (students on cards 1, 2, ... in order, in the groups given), a question whose
    correct answer is A, and a running session of the class."""
    cls = server.api("POST", "/classes", {"name": name})
    names = [n for members in groups.values() for n in members] if groups else ROSTER
    students = [
        server.api("POST", f"/classes/{cls['id']}/students", {"name": n, "card": i + 1})
        for i, n in enumerate(names)
    ]
    by_name = {s["name"]: s["id"] for s in students}
    made = [
        server.api(
            "POST",
            f"/classes/{cls['id']}/groups",
            {"name": g, "students": [by_name[n] for n in members], "goal": f"{g}'s first goal"},
        )
        for g, members in (groups or {}).items()
    ]
    q = server.api(
        "POST",
        "/questions",
        {
            "prompt": f"{name}: 1/2 + 1/3?",
            "choices": ["5/6", "2/5", "1/5", "2/6"],
            "correct": "A",
            "skills": ["fraction-addition"],
        },
    )
    session = server.api("POST", "/sessions", {"class_id": cls["id"]})
    return {"class": cls, "students": students, "groups": made, "question": q, "session": session}


def photo_of_cards(path: Path) -> None:
    """A 1600x1000 JPEG: the cards of PHOTO and the foreign card on a grey table."""
    deck = Deck()
    image = np.full((1000, 1600, 3), 150, np.uint8)
    held = [*PHOTO.items(), (FOREIGN_CARD, "C")]
    for k, (card, answer) in enumerate(held):
        img = cv2.cvtColor(deck.render_card(card, answer, size_px=300), cv2.COLOR_GRAY2BGR)
        x, y = 60 + k * 390, 300 + (k % 2) * 80
        image[y : y + 300, x : x + 300] = img
    cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 90])


def overlay_pixels(page: Any, colour: tuple[int, int, int]) -> int:
    """How many pixels of the scanner's overlay canvas are exactly ``colour``."""
    return int(
        page.evaluate(
            """([r, g, b]) => {
                const c = document.getElementById("overlay");
                const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
                let n = 0;
                for (let i = 0; i < d.length; i += 4)
                    if (d[i] === r && d[i + 1] === g && d[i + 2] === b && d[i + 3] === 255) n++;
                return n;
            }""",
            list(colour),
        )
    )


def scan_url(server: Server, session_id: int, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{server.port}/scan/?session={session_id}&token={TOKEN}"


def test_take_a_photo_records_the_cards_without_a_camera(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    """Camera denied; a photo through the file input is read, recorded and drawn."""
    c = new_class(server, "Photo 8E")
    sid = c["session"]["id"]
    server.api("POST", f"/sessions/{sid}/ask", {"question_id": c["question"]["id"]})
    photo = tmp_path / "cards.jpg"
    photo_of_cards(photo)
    # a phone held sideways, without the camera permission
    context = browser.new_context(viewport={"width": 844, "height": 390})
    page = context.new_page()
    frames: list[dict[str, Any]] = []

    def on_socket(ws: Any) -> None:
        if "/ws/scan" in ws.url:
            ws.on(
                "framereceived",
                lambda payload: (
                    frames.append(json.loads(payload)) if isinstance(payload, str) else None
                ),
            )

    page.on("websocket", on_socket)
    page.goto(scan_url(server, sid))
    sync_api.expect(page.locator("#message-title")).to_have_text(
        "Camera access was denied", timeout=WAIT_MS
    )
    page.set_input_files("#photo", str(photo))

    sync_api.expect(page.locator("#count")).to_have_text("3", timeout=WAIT_MS)
    sync_api.expect(page.locator("#missing-count")).to_have_text("1")
    sync_api.expect(page.locator("#missing li")).to_have_text(["Dmitri Volkov#4"])
    sync_api.expect(page.locator("#still")).to_be_visible()
    sync_api.expect(page.locator("#message")).to_be_hidden()
    state = server.api("GET", f"/sessions/{sid}")
    assert {s["card"]: s["answer"] for s in state["students"]} == {**PHOTO, 4: None}
    assert {s["source"] for s in state["students"] if s["answer"]} == {"scan"}
    # the photo went out as often as the tracker needs to confirm, then stopped; the last
    # answer marks the class's cards confirmed and the stranger foreign, and so does the overlay
    confirm_frames = Tracker().confirm_frames
    for _ in range(WAIT_MS // 100):  # the answer may trail the live update
        if len(frames) >= confirm_frames:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)  # a further send would be answered by now
    assert [f["frame"] for f in frames] == list(range(1, confirm_frames + 1))
    assert {k["card"]: (k["answer"], k["state"]) for k in frames[-1]["cards"]} == {
        **{card: (answer, "confirmed") for card, answer in PHOTO.items()},
        FOREIGN_CARD: ("C", "unassigned"),
    }
    assert overlay_pixels(page, GREEN) > 500
    assert overlay_pixels(page, RED) > 100
    context.close()


@pytest.mark.parametrize(
    ("which", "host", "title", "hint"),
    [
        ("denied", "127.0.0.1", "Camera access was denied", "site settings"),
        ("missing", "127.0.0.1", "No camera was found", '"Take a photo"'),
        ("insecure", INSECURE_HOST, "The camera needs a secure page", "cardcheck serve --https"),
    ],
)
def test_the_scanner_says_why_there_is_no_camera(
    server: Server,
    browser: Any,
    cameraless: Any,
    which: str,
    host: str,
    title: str,
    hint: str,
) -> None:
    """Denied, no camera, or a page that is not secure: a clear message that stays, not a
    blank page, while the session's count still shows."""
    c = new_class(server, f"No camera {which}")
    sid = c["session"]["id"]
    context = (cameraless if which == "missing" else browser).new_context()
    page = context.new_page()
    page.goto(scan_url(server, sid, host))
    message = page.locator("#message")
    sync_api.expect(message).to_be_visible(timeout=WAIT_MS)
    sync_api.expect(page.locator("#message-title")).to_have_text(title)
    sync_api.expect(page.locator("#message-text")).to_contain_text(hint)
    # the session's state arrives and does not hide the camera's message
    sync_api.expect(page.locator("#count-label")).to_have_text("no question yet", timeout=WAIT_MS)
    sync_api.expect(page.locator("#class-name")).to_have_text(f"No camera {which}")
    sync_api.expect(message).to_be_visible()
    assert page.locator("#video").evaluate("v => v.srcObject") is None
    sync_api.expect(page.locator("label.photo")).to_be_visible()
    context.close()


def test_the_checkin_loop_one_card_a_quiet_strip_and_a_checkin_that_stays_heard(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    """Blue all choose B on question 1 and one of them is right on question 2, of another
    skill: one card for Blue (the misconception, still standing, as headline, the accuracy as
    evidence, one move), while Red, all right, is in the quiet "Doing well" strip and not in
    the check-in list. Checking in empties
    the list, stores the note and next step, makes the goal agreed Blue's goal, and stays heard:
    a further question on the old evidence raises nothing."""
    for s in server.api("GET", "/sessions"):
        if s["status"] == "running":
            server.api("POST", f"/sessions/{s['id']}/end")
    blue = ["Ada Lovelace", "Brook Ng", "Carmen Ruiz", "Dmitri Volkov"]
    red = ["Esi Mensah", "Farid Haddad", "Grace Oh", "Hugo Lind"]
    c = new_class(server, "Checkin 4F", {"Blue": blue, "Red": red})
    sid = c["session"]["id"]
    group = {g["name"]: g for g in c["groups"]}
    compare = server.api(
        "POST",
        "/questions",
        {
            "prompt": "3/4 or 5/8?",
            "choices": ["3/4", "5/8", "equal"],
            "correct": "A",
            "skills": ["fraction-compare"],
        },
    )

    def question(question_id: int, answers: dict[str, str]) -> None:
        server.api("POST", f"/sessions/{sid}/ask", {"question_id": question_id})
        for s in c["students"]:
            server.api(
                "PUT", f"/sessions/{sid}/responses/{s['id']}", {"answer": answers[s["name"]]}
            )
        server.api("POST", f"/sessions/{sid}/close")

    red_right = dict.fromkeys(red, "A")
    question(c["question"]["id"], dict.fromkeys(blue, "B") | red_right)
    question(compare["id"], dict(zip(blue, "ABCB", strict=True)) | red_right)  # another skill
    flags = server.api("GET", f"/sessions/{sid}/flags?open=1")
    assert {(f["rule"], f["group_id"], f["action"]) for f in flags} == {
        ("shared-misconception", group["Blue"]["id"], "check-in"),
        ("accuracy-below-40", group["Blue"]["id"], "check-in"),
        ("accuracy-above-90", group["Red"]["id"], "acknowledge"),
    }

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{server.base}/teacher/?token={TOKEN}")
    sync_api.expect(page.locator("#run-class")).to_have_text("Checkin 4F", timeout=WAIT_MS)
    card = page.locator("#flags .flag")
    sync_api.expect(card).to_have_count(1, timeout=WAIT_MS)  # one card per group, none for Red
    sync_api.expect(card.locator("strong")).to_have_text("Blue")
    sync_api.expect(card.locator(".severity")).to_have_text("Now")
    sync_api.expect(card.locator(".headline")).to_contain_text("4 of 4 in Blue chose B (2/5)")
    sync_api.expect(card.locator(".evidence li")).to_have_count(1)
    sync_api.expect(card.locator(".evidence")).to_contain_text("Blue got 12% right")
    sync_api.expect(card.locator(".move")).to_have_count(1)
    sync_api.expect(card.locator(".move")).to_contain_text("Go to Blue")
    notes = page.locator("#doing-well")
    sync_api.expect(notes).to_be_visible()
    sync_api.expect(notes.locator(".note")).to_have_count(1)
    sync_api.expect(notes.locator(".note strong")).to_have_text("Red")
    sync_api.expect(notes).to_contain_text("ready to extend")
    sync_api.expect(page.locator("#flags")).not_to_contain_text("Red")
    page.locator("#flags-panel").screenshot(path=str(tmp_path / "checkin-panel.png"))

    card.locator("button", has_text="Check in now").click()
    form = page.locator("#checkins-open form.checkin")
    sync_api.expect(form).to_have_count(1, timeout=WAIT_MS)
    sync_api.expect(form.locator("strong")).to_have_text("Checking in with Blue")
    # starting the check-in resolves Blue's calls: the list is empty, Red stays a quiet note
    sync_api.expect(page.locator("#flags .flag")).to_have_count(0, timeout=WAIT_MS)
    sync_api.expect(page.locator("#flags")).to_contain_text("No group needs a check-in")
    sync_api.expect(notes.locator(".note")).to_have_count(1)
    goal = form.locator("input").nth(0)
    sync_api.expect(goal).to_have_value("Blue's first goal")
    form.locator("textarea").fill("They added tops and bottoms: 1/2 + 1/3 = 2/5.")
    goal.fill("Add fractions with unlike denominators")
    form.locator("input").nth(1).fill("Fraction strips on the next question")
    form.locator("button", has_text="End check-in").click()
    sync_api.expect(page.locator("#checkins-open form")).to_have_count(0, timeout=WAIT_MS)

    # heard: one more question with Blue half right is 4 new answers, too few to call again;
    # on the whole session (3 of 12) the old evidence would have called Blue at once
    question(compare["id"], dict(zip(blue, "ABAC", strict=True)) | red_right)
    sync_api.expect(page.locator("#run-status")).to_have_text("Q3 closed", timeout=WAIT_MS)
    sync_api.expect(page.locator("#flags")).to_contain_text("No group needs a check-in")
    open_now = server.api("GET", f"/sessions/{sid}/flags?open=1")
    assert [f["group_id"] for f in open_now] == [group["Red"]["id"]]
    resolved = server.api("GET", f"/sessions/{sid}/flags")
    assert {f["resolution"] for f in resolved if f["group_id"] == group["Blue"]["id"]} == {
        "checkin"
    }
    checkins = server.api("GET", f"/sessions/{sid}/checkins")
    assert len(checkins) == 1
    done = checkins[0]
    assert done["group_id"] == group["Blue"]["id"]
    assert done["ended_at"] is not None
    assert done["note"] == "They added tops and bottoms: 1/2 + 1/3 = 2/5."
    assert done["goal"] == "Add fractions with unlike denominators"
    assert done["next_step"] == "Fraction strips on the next question"
    blue_now = server.api("GET", f"/classes/{c['class']['id']}/groups/{group['Blue']['id']}")
    assert blue_now["goal"] == "Add fractions with unlike denominators"
    red_now = server.api("GET", f"/classes/{c['class']['id']}/groups/{group['Red']['id']}")
    assert red_now["goal"] == "Red's first goal"
    page.close()
