"""A teacher's first hour in a real browser (Debian's Chromium through Playwright) against a real
``cardcheck serve`` on a fresh data folder, and two classes running sessions at once.

Two rooms, each a browser whose fake camera films one class holding up its cards: room A holds
cards 1-4 (Period 3's), room B cards 31-34 (Period 4's). Everything waits for a state to show,
never for a fixed time, so a loaded machine only makes it slower.

``CARDCHECK_SCREENSHOTS=DIR`` keeps the screenshots the README shows (the console with two
sessions running, the scanner's wrong-class warning) in DIR; ``docs/screenshots/take.py`` does.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from test_browser_pages import BASE_ARGS, CHROMIUM, TOKEN, Server, free_port, sync_api, write_y4m

from scanner import Deck

pytestmark = pytest.mark.browser

WAIT_MS = 30_000  # a frame decoded on a loaded two-core machine: generous, and only an upper bound
ROOM_A = {1: "A", 2: "B", 3: "A", 4: "C"}  # Period 3's cards held up in room A
ROOM_B = {31: "B", 32: "B", 33: "A", 34: "D"}  # Period 4's in room B
PERIOD_3 = [
    "Ada Lovelace",
    "Brook Ng",
    "Carmen Ruiz",
    "Dmitri Volkov",
    "Esi Mensah",
    "Farid Haddad",
]
PERIOD_4 = ["Grace Oh", "Hugo Lind", "Ines Costa", "Jun Park"]


def room_video(path: Path, held: dict[int, str]) -> Path:
    """A few seconds of a class holding ``held`` up, the camera swaying a little."""
    deck = Deck()
    frames = []
    for i in range(10):
        frame = np.full((720, 1280, 3), 150, np.uint8)
        for k, (card, answer) in enumerate(held.items()):
            img = cv2.cvtColor(deck.render_card(card, answer, size_px=200), cv2.COLOR_GRAY2BGR)
            x, y = 90 + k * 290 + (i % 3) * 2, 250 + (i % 2) * 2
            frame[y : y + 200, x : x + 200] = img
        frames.append(frame)
    write_y4m(path, frames)
    return path


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        yield p


def _room(playwright: Any, video: Path) -> Any:
    args = [
        *BASE_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args)


@pytest.fixture(scope="module")
def room_a(playwright: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    browser = _room(playwright, room_video(tmp_path_factory.mktemp("a") / "a.y4m", ROOM_A))
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def room_b(playwright: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    browser = _room(playwright, room_video(tmp_path_factory.mktemp("b") / "b.y4m", ROOM_B))
    yield browser
    browser.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """``cardcheck serve`` on a data folder of its own, as a new teacher starts it."""
    s = Server(free_port(), tmp_path / "data")
    s.start()
    yield s
    s.stop()


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CARDCHECK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


PAGE_ERRORS: list[str] = []


@pytest.fixture(autouse=True)
def no_page_errors() -> Iterator[None]:
    """Every page watched by ``watched`` ran without an uncaught error."""
    PAGE_ERRORS.clear()
    yield
    assert PAGE_ERRORS == []


def watched(page: Any) -> Any:
    page.on("pageerror", lambda error: PAGE_ERRORS.append(f"{page.url}: {error}"))
    return page


def console(browser: Any, server: Server, tab: str = "session") -> Any:
    page = watched(browser.new_page(viewport={"width": 1366, "height": 900}))
    page.on("dialog", lambda d: d.accept())  # "End this session?", "Delete class?"
    page.goto(f"{server.base}/teacher/?token={TOKEN}#{tab}")
    return page


def expect(locator: Any) -> Any:
    return sync_api.expect(locator)


def download(page: Any, server: Server, link: Any) -> Any:
    """Fetch what a link of the page points at, as the browser would (its token in the link)."""
    href = link.get_attribute("href")
    response = page.request.get(href if href.startswith("http") else server.base + href)
    assert response.ok, f"{href}: {response.status}"
    return response


def test_a_teachers_first_hour_on_a_fresh_data_folder(server: Server, room_a: Any) -> None:
    """Own class, CSV import, groups, print, question set, session, the phone scanner on the
    class's cards, a manual answer, a check-in, end, exports: all in the console."""
    page = console(room_a, server, "classes")

    # a class of one's own, its roster from a CSV (as a gradebook exports it)
    page.fill("#class-name", "Period 3")
    page.click("#class-form button")
    expect(page.locator("#class-title")).to_have_value("Period 3", timeout=WAIT_MS)
    page.click(".import summary")
    groups = ["Blue", "Blue", "Red", "Red", "Red", "Blue"]
    rows = [f"{n},{i + 1},{g}" for i, (n, g) in enumerate(zip(PERIOD_3, groups, strict=True))]
    page.fill("#roster-text", "name,card,group\n" + "\n".join(rows) + "\n")
    page.click("#roster-import")
    expect(page.locator("#roster tr")).to_have_count(6, timeout=WAIT_MS)
    expect(page.locator("#roster-rejected")).to_have_text("")  # regression: a red "false"
    # regression: the class list's count follows the roster without a reload
    expect(page.locator("#class-list button.active")).to_contain_text("Period 3 6")

    # groups: a third one with its learning goal, and a student moved into it
    page.fill("#group-name", "Green")
    page.fill("#group-goal", "Explain equivalent fractions with models")
    page.click("#group-form button")
    expect(page.locator(".group-col")).to_have_count(4, timeout=WAIT_MS)  # Blue, Red, Green, none
    farid = page.locator("#roster tr").filter(has=page.locator("input[value='Farid Haddad']"))
    farid.locator("select").select_option(label="Green")
    green = page.locator(".group-col").filter(has_text="Green")
    expect(green.locator(".chip")).to_have_text(["Farid Haddad"], timeout=WAIT_MS)

    # the cards to print: two to a page, as the README recommends
    expect(page.locator("#cards-per-page")).to_have_value("2")
    assert "per_page=2" in page.locator("#cards-link").get_attribute("href")
    pdf = download(page, server, page.locator("#cards-link"))
    assert pdf.headers["content-type"] == "application/pdf"
    assert len(pdfium.PdfDocument(pdf.body())) == 3  # six cards

    # two questions and a set of them
    page.goto(f"{server.base}/teacher/?token={TOKEN}#questions")
    for prompt, choices in (
        ("What is 1/2 + 1/3?", ["5/6", "2/5", "1/5", "2/6"]),
        ("Which is larger: 3/4 or 5/8?", ["3/4", "5/8", "They are equal"]),
    ):
        page.fill("#q-prompt", prompt)
        while page.locator(".choice-text").count() < len(choices):
            page.click("#q-add-choice")
        for i, text in enumerate(choices):
            page.locator(".choice-text").nth(i).fill(text)
        page.click("#question-form button.primary")
        expect(page.locator("#question-list .prompt", has_text=prompt)).to_have_count(
            1, timeout=WAIT_MS
        )
    page.fill("#set-name", "Fractions")
    for prompt in ("What is 1/2 + 1/3?", "Which is larger: 3/4 or 5/8?"):
        page.locator("#set-choices label", has_text=prompt).locator("input").check()
    page.click("#set-form button.primary")
    expect(page.locator("#set-list .set")).to_have_count(1, timeout=WAIT_MS)

    # a session of the class with the set, the first question asked
    page.goto(f"{server.base}/teacher/?token={TOKEN}#session")
    expect(page.locator("#running-none")).to_be_visible(timeout=WAIT_MS)
    page.select_option("#start-class", label="Period 3 (6)")
    page.select_option("#start-set", label="Fractions (2)")
    page.click("#start-form button")
    expect(page.locator("#run-class")).to_have_text("Period 3", timeout=WAIT_MS)
    expect(page.locator("#run-live")).to_have_text("on Period 3's projector")
    page.click("#btn-next")
    expect(page.locator("#run-status")).to_have_text("Q1 answering", timeout=WAIT_MS)
    (session,) = server.api("GET", "/sessions/running")
    sid = session["id"]

    # the phone scanner, opened from the console, reads the class's cards in the room
    scanner = watched(room_a.new_page(viewport={"width": 390, "height": 844}))
    scanner.goto(page.locator("#scan-link").get_attribute("href"))
    expect(scanner.locator("#class-name")).to_have_text("Period 3", timeout=WAIT_MS)
    expect(scanner.locator("#question")).to_have_text("Q1 (open) · What is 1/2 + 1/3?")
    expect(scanner.locator("#count")).to_have_text("4", timeout=WAIT_MS)
    expect(scanner.locator("#count-label")).to_have_text("of 6")
    expect(scanner.locator("#wrong-class")).to_be_hidden()
    expect(page.locator(".answered strong")).to_have_text("4/6", timeout=WAIT_MS)
    expect(page.locator("#run-scanners")).to_have_text("1 scanner connected")
    scanner.close()

    # Esi's card was missing: her answer by hand
    page.click(".chip:has-text('Esi Mensah')")
    page.click("#manual-letters button:has-text('B:')")
    expect(page.locator(".chip:has-text('Esi Mensah') .answer")).to_have_text("B", timeout=WAIT_MS)
    expect(page.locator(".answered strong")).to_have_text("5/6")
    page.click("#btn-close")
    expect(page.locator("#run-status")).to_have_text("Q1 closed", timeout=WAIT_MS)

    # a check-in with Red: the three boxes keep their labels once filled
    page.select_option("#checkin-group", label="Red")
    page.click("#checkin-start")
    form = page.locator("#checkins-open form.checkin")
    expect(form).to_have_count(1, timeout=WAIT_MS)
    page.get_by_label("What you saw").fill("Carmen added the tops and the bottoms.")
    page.get_by_label("Goal agreed").fill("Add fractions with unlike denominators")
    page.get_by_label("Next step").fill("Fraction strips tomorrow")
    expect(form.locator("label")).to_have_text(["What you saw", "Goal agreed", "Next step"])
    form.locator("button", has_text="End check-in").click()
    expect(page.locator("#checkins-open form")).to_have_count(0, timeout=WAIT_MS)

    # the end of the lesson
    page.click("#btn-end")
    expect(page.locator("#run")).to_be_hidden(timeout=WAIT_MS)
    expect(page.locator("#running-none")).to_be_visible()

    # the exports, from History, for this class
    page.goto(f"{server.base}/teacher/?token={TOKEN}#history")
    page.select_option("#history-class", label="Period 3")
    rows_shown = page.locator("#history-rows tr")
    expect(rows_shown).to_have_count(1, timeout=WAIT_MS)
    expect(rows_shown).to_contain_text("ended")
    sheet = download(page, server, rows_shown.locator("a", has_text="Scoresheet CSV"))
    table = list(csv.reader(io.StringIO(sheet.text().lstrip("\ufeff"))))
    text = "\n".join(",".join(r) for r in table)
    for first in ("Ada", "Brook", "Carmen", "Dmitri", "Esi", "Farid"):
        assert first in text
    everything = json.loads(download(page, server, rows_shown.locator("a", has_text="JSON")).text())
    answers = {(r["card"], r["answer"], r["source"]) for r in everything["responses"]}
    assert answers == {*((c, a, "scan") for c, a in ROOM_A.items()), (5, "B", "manual")}
    workbook = download(page, server, rows_shown.locator("a", has_text="Excel"))
    assert workbook.body()[:2] == b"PK"
    checkins = server.api("GET", f"/sessions/{sid}/checkins")
    assert [(c["note"], c["goal"], c["next_step"]) for c in checkins] == [
        (
            "Carmen added the tops and the bottoms.",
            "Add fractions with unlike denominators",
            "Fraction strips tomorrow",
        )
    ]
    page.close()


def _class(server: Server, name: str, students: list[str], first_card: int) -> dict[str, Any]:
    cls = server.api("POST", "/classes", {"name": name})
    made = [
        server.api("POST", f"/classes/{cls['id']}/students", {"name": n, "card": first_card + i})
        for i, n in enumerate(students)
    ]
    return {**cls, "students": made}


def _start(page: Any, label: str, question: str) -> None:
    """Start a session of the class ``label`` in the console and ask ``question``."""
    page.select_option("#start-class", label=label)
    page.click("#start-form button")
    expect(page.locator("#run-class")).to_have_text(label.rsplit(" (", 1)[0], timeout=WAIT_MS)
    page.select_option("#ask-pick", label=question)
    page.click("#btn-ask")
    expect(page.locator("#run-status")).to_have_text("Q1 answering", timeout=WAIT_MS)


def test_two_classes_run_at_once_and_each_scanner_records_only_into_its_own(
    server: Server, room_a: Any, room_b: Any, tmp_path: Path
) -> None:
    """Period 3 in room A and Period 4 in room B, both running: each phone scans its own
    session, the console lists both and switches between them; a phone opened on Period 4's
    session in Period 3's room says plainly that these cards are not Period 4's."""
    p3 = _class(server, "Period 3", PERIOD_3[:4], 1)
    p4 = _class(server, "Period 4", PERIOD_4, 31)
    question = "Two rooms: what is 1/2 + 1/3?"
    server.api("POST", "/questions",
               {"prompt": question, "choices": ["5/6", "2/5", "1/5", "2/6"], "correct": "A"})  # fmt: skip
    page = console(room_a, server)
    expect(page.locator("#running-none")).to_be_visible(timeout=WAIT_MS)
    _start(page, "Period 3 (4)", question)
    _start(page, "Period 4 (4)", question)  # while Period 3's runs
    running = page.locator("#running li")
    expect(running).to_have_count(2, timeout=WAIT_MS)
    expect(running.nth(0)).to_contain_text("Period 3")
    expect(running.nth(1)).to_contain_text("Period 4")
    expect(running.nth(1)).to_have_class("current")
    sessions = {s["class_name"]: s["id"] for s in server.api("GET", "/sessions/running")}
    for s in server.api("GET", "/sessions/running"):
        assert s["question"] == {"number": 1, "prompt": question, "status": "open"}

    # each room's phone on its own class's session (its link names the session)
    phones = {}
    for name, room in (("Period 3", room_a), ("Period 4", room_b)):
        phone = watched(room.new_page(viewport={"width": 844, "height": 390}))
        phone.goto(server.api("GET", f"/sessions/{sessions[name]}")["scan_url"])
        expect(phone.locator("#class-name")).to_have_text(name, timeout=WAIT_MS)
        phones[name] = phone
    for phone in phones.values():
        expect(phone.locator("#count")).to_have_text("4", timeout=WAIT_MS)
    expect(page.locator(".answered strong")).to_have_text("4/4", timeout=WAIT_MS)  # Period 4's
    by_card = {
        name: {
            s["card"]: s["answer"]
            for s in server.api("GET", f"/sessions/{sessions[name]}")["students"]
        }
        for name in sessions
    }
    assert by_card == {"Period 3": ROOM_A, "Period 4": ROOM_B}
    for name, cls in (("Period 3", p3), ("Period 4", p4)):
        mine = {s["id"] for s in cls["students"]}
        log = server.api("GET", f"/sessions/{sessions[name]}/events")
        recorded = {e["data"]["student"] for e in log if e["type"] == "response.recorded"}
        assert recorded == mine  # only its own students, all of them

    # the console switches between them, and shows both running
    running.nth(0).locator("button", has_text="Open").click()
    expect(page.locator("#run-class")).to_have_text("Period 3", timeout=WAIT_MS)
    expect(running.nth(0)).to_have_class("current")
    expect(page.locator(".answered strong")).to_have_text("4/4", timeout=WAIT_MS)
    page.screenshot(path=str(shots(tmp_path) / "console-two-sessions.png"))
    for phone in phones.values():
        phone.close()

    # a phone in Period 3's room opened on Period 4's session: the wrong class, said plainly
    running.nth(1).locator("button", has_text="Open").click()
    expect(page.locator("#run-class")).to_have_text("Period 4", timeout=WAIT_MS)
    astray = watched(room_a.new_page(viewport={"width": 844, "height": 390}))
    astray.goto(server.api("GET", f"/sessions/{sessions['Period 4']}")["scan_url"])
    warning = astray.locator("#wrong-class")
    expect(warning).to_be_visible(timeout=WAIT_MS)
    expect(astray.locator("#wrong-class-title")).to_have_text("These cards are not Period 4's")
    expect(astray.locator("#wrong-class-text")).to_contain_text("4 of the 4 cards read")
    on_console = page.locator("#run-wrong-class")
    expect(on_console).to_be_visible(timeout=WAIT_MS)
    expect(on_console).to_contain_text("These cards are not Period 4's.")
    astray.screenshot(path=str(shots(tmp_path) / "scanner-wrong-class.png"))
    after = {
        s["card"]: s["answer"]
        for s in server.api("GET", f"/sessions/{sessions['Period 4']}")["students"]
    }
    assert after == ROOM_B  # nothing of room A was recorded into Period 4
    astray.close()
    expect(on_console).to_be_hidden(timeout=WAIT_MS)  # the phone left: the warning goes

    # ending one leaves the other running
    running.nth(1).locator("button", has_text="End").click()
    expect(running).to_have_count(1, timeout=WAIT_MS)
    expect(running.nth(0)).to_contain_text("Period 3")
    statuses = {s["class_name"]: s["status"] for s in server.api("GET", "/sessions")}
    assert statuses == {"Period 3": "running", "Period 4": "ended"}
    page.close()


def test_the_console_s_small_things(server: Server, room_a: Any, tmp_path: Path) -> None:
    """The card field is not cut; an XLSX roster imports from the console; a class can be
    deleted, not only archived; History filters by class."""
    from openpyxl import Workbook

    page = console(room_a, server, "classes")
    page.fill("#class-name", "Demo-like 7B")
    page.click("#class-form button")
    expect(page.locator("#class-title")).to_have_value("Demo-like 7B", timeout=WAIT_MS)
    card = page.locator("#student-card")
    # regression: the placeholder "card (next free)" was cut to "card (r"
    assert card.evaluate("e => e.scrollWidth <= e.clientWidth")
    fits = card.evaluate(
        """e => { const c = document.createElement("canvas").getContext("2d");
                  const s = getComputedStyle(e); c.font = `${s.fontSize} ${s.fontFamily}`;
                  return c.measureText(e.placeholder).width <= e.clientWidth; }"""
    )
    assert fits, "the card field's placeholder does not fit"

    book = Workbook()
    sheet = book.active
    sheet.append(["First name", "Last name", "Card"])
    sheet.append(["Kofi", "Mensah", 9])
    sheet.append(["Lena", "Novak", 10])
    xlsx = tmp_path / "roster.xlsx"
    book.save(xlsx)
    page.click(".import summary")
    page.set_input_files("#roster-file", str(xlsx))
    expect(page.locator("#roster-text")).to_be_disabled()
    page.click("#roster-import")
    expect(page.locator("#roster tr")).to_have_count(2, timeout=WAIT_MS)
    expect(page.locator("#roster input[aria-label='name']").first).to_have_value("Kofi Mensah")

    other = server.api("POST", "/classes", {"name": "Period 5"})
    for cls in server.api("GET", "/classes"):
        server.api("POST", "/sessions", {"class_id": cls["id"]})
    page.goto(f"{server.base}/teacher/?token={TOKEN}#history")
    expect(page.locator("#history-rows tr")).to_have_count(2, timeout=WAIT_MS)
    page.select_option("#history-class", label="Period 5")
    expect(page.locator("#history-rows tr")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("#history-rows tr")).to_contain_text("Period 5")

    page.goto(f"{server.base}/teacher/?token={TOKEN}#classes")
    page.locator("#class-list button", has_text="Demo-like 7B").click()
    expect(page.locator("#class-title")).to_have_value("Demo-like 7B", timeout=WAIT_MS)
    page.click("#class-delete")
    expect(page.locator("#class-list button")).to_have_count(1, timeout=WAIT_MS)
    assert [c["name"] for c in server.api("GET", "/classes?archived=1")] == ["Period 5"]
    assert {s["class_id"] for s in server.api("GET", "/sessions")} == {other["id"]}
    page.close()


def test_overlay_boxes_keep_up_with_a_sweep(server: Server, room_a: Any) -> None:
    """Regression: boxes trailed behind the cards during a sweep. A card's box moves on by its
    velocity for as long as the answer has been on screen (a card read once: by the sweep's),
    stays whole until the next answer however slow it is, fades once an answer misses it, and
    does not fly off on a jump."""
    page = watched(room_a.new_page())
    page.goto(f"{server.base}/")
    got = page.evaluate(
        """async () => {
            const { Motion, FADE_MS, MAX_AHEAD_MS } = await import("/scan/motion.js");
            const box = (card, x, y) =>
                ({ card, corners: [[x, y], [x + 10, y], [x + 10, y + 10], [x, y + 10]] });
            const m = new Motion();
            const at = (t) =>
                Object.fromEntries(m.boxes(t).map((b) => [b.card, [b.corners[0][0], b.alpha]]));
            const out = {};
            m.update([box(1, 100, 50)], 1000);
            m.update([box(1, 120, 50), box(2, 300, 80)], 1100);  // card 1: 20 px in 100 ms
            out.now = at(1100);
            out.later = at(1200);
            out.slow = at(1100 + MAX_AHEAD_MS + 500);  // the next answer is late
            m.update([box(1, 140, 50)], 1200);  // card 2 not read any more
            out.fading = at(1100 + FADE_MS * 0.9);  // card 2 was last read at 1100
            out.gone = at(1100 + FADE_MS + 1);
            m.update([box(1, 1000, 50)], 1300);  // a jump, not a sweep
            out.jump = at(1400);
            out.still = m.boxes(5000, { still: true }).map((b) => b.corners[0][0]);
            return out;
        }"""
    )
    assert got["now"] == {"1": [120, 1], "2": [300, 1]}
    assert got["later"] == {"1": [140, 1], "2": [320, 1]}  # 0.2 px/ms; card 2 with the sweep
    assert got["slow"]["1"] == [200, 1]  # never further ahead than MAX_AHEAD_MS, never faded
    assert got["fading"]["1"][1] == 1 and 0 < got["fading"]["2"][1] < 1
    assert set(got["gone"]) == {"1"}
    assert got["jump"]["1"][0] == pytest.approx(1000 + 0.4 * 0.2 * 100)  # the old speed, damped
    assert sorted(got["still"]) == [300, 1000]  # a photo does not move
    page.close()


def test_a_link_that_names_no_session_follows_none(server: Server, room_a: Any) -> None:
    """Regression: a scanner or projector link without a session followed "the newest running
    session", whichever class's it was. Now such a link says what it lacks, and opens nothing."""
    cls = _class(server, "Demo class 7B", ["Ada Lovelace"], 1)
    server.api("POST", "/sessions", {"class_id": cls["id"]})  # running, and the newest
    projector_token = server.projector_token()
    context = room_a.new_context()
    page = watched(context.new_page())
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{server.base}/scan/?token={TOKEN}")
    expect(page.locator("#message-title")).to_have_text("This link names no session")
    expect(page.locator("#class-name")).to_have_text("")
    expect(page.locator("#next")).to_be_disabled()
    page.goto(f"{server.base}/projector/?token={projector_token}")
    expect(page.locator("#waiting-text")).to_contain_text("names no class and no session")
    expect(page.locator("#class-name")).to_have_text("cardcheck")
    assert sockets == []
    context.close()


def test_scanner_sends_the_sharpest_frame_and_says_slow_down_or_too_dark(
    server: Server, room_a: Any
) -> None:
    """The scanner page keeps the sharpest frame since its last send (a pan's smear lowers the
    gradient energy of a small grey copy), and says "slow down" once the frames it sends are
    smeared and "too dark" once they are dark, never after a single frame."""
    page = watched(room_a.new_page())
    page.goto(f"{server.base}/")
    got = page.evaluate(
        """async () => {
            const f = await import("/scan/frames.js");
            const W = 64, H = 36;
            // a checkerboard of 4 px squares, optionally smeared along x and darkened
            const frame = (smear, level) => {
                const rgba = new Uint8ClampedArray(W * H * 4);
                for (let y = 0; y < H; y += 1) {
                    for (let x = 0; x < W; x += 1) {
                        let v = 0;
                        for (let k = 0; k <= smear; k += 1) {
                            v += ((Math.floor((x + k) / 4) + Math.floor(y / 4)) % 2) * 255;
                        }
                        v = (v / (smear + 1)) * level;
                        const p = (y * W + x) * 4;
                        rgba[p] = rgba[p + 1] = rgba[p + 2] = v;
                        rgba[p + 3] = 255;
                    }
                }
                return f.measure(rgba, W, H);
            };
            const sharp = frame(0, 1), smeared = frame(7, 1), dark = frame(0, 0.15);
            const out = { sharp: sharp.sharpness, smeared: smeared.sharpness,
                          dim: dark.sharpness, dark: f.tooDark(dark), lit: f.tooDark(sharp) };
            const p = new f.FramePicker();
            for (let i = 0; i < 12; i += 1) { p.wants(sharp); }  // a steady start
            for (const [name, m] of [["a", smeared], ["b", sharp], ["c", smeared]]) {
                if (p.wants(m)) p.keep(name, m, 0);
            }
            out.picked = p.take().frame;
            out.afterOne = p.advice();
            for (let i = 0; i < f.ADVICE_FRAMES; i += 1) {
                if (p.wants(smeared)) p.keep("s", smeared, 0);
                p.take();
            }
            out.afterMany = p.advice();
            if (p.wants(sharp)) p.keep("ok", sharp, 0);
            p.take();
            out.steadyAgain = p.advice();
            for (let i = 0; i < f.ADVICE_FRAMES; i += 1) {
                if (p.wants(dark)) p.keep("d", dark, 0);
                p.take();
            }
            out.darkAdvice = p.advice();
            out.nothingKept = p.take();
            return out;
        }"""
    )
    assert got["smeared"] < got["sharp"] * 0.5
    assert got["dim"] == pytest.approx(got["sharp"], rel=0.05)  # dark is not blurred
    assert got["dark"] is True and got["lit"] is False
    assert got["picked"] == "b"
    assert got["afterOne"] is None and got["afterMany"] == "slow" and got["steadyAgain"] is None
    assert got["darkAdvice"] == "dark"
    assert got["nothingKept"] is None
    page.close()
