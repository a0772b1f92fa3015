"""Every page in each state the browser tests reach, checked with axe-core against WCAG 2.1 AA
(tests/browser/accessibility.py): the console's tabs, its manual-answer dialog and check-in form,
the scanner with a camera and without one, the projector waiting, answering with names shown and
hidden, and revealed, and the start page. One server and one browser for the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from accessibility import CHECKED, assert_accessible
from test_browser_pages import (
    BASE_ARGS,
    CHROMIUM,
    TOKEN,
    Server,
    classroom_video,
    free_port,
    sync_api,
)

pytestmark = pytest.mark.browser

WAIT_MS = 30_000  # frames decoded on a loaded two-core machine: only an upper bound

BLUE = ["Ada Lovelace", "Brook Ng", "Carmen Ruiz", "Dmitri Volkov"]  # cards 1-4, on camera
RED = ["Esi Mensah", "Farid Haddad", "Grace Oh", "Hugo Lind"]  # cards 5-8


def expect(locator: Any) -> Any:
    return sync_api.expect(locator)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(free_port(), tmp_path_factory.mktemp("serve"))
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A fake camera filming cards 1-4; a context gets it only with the camera permission."""
    video = tmp_path_factory.mktemp("camera") / "cards.y4m"
    classroom_video(video)
    args = [
        *BASE_ARGS,
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield b
        b.close()


# what a page's polite live regions said, in order (a screen reader reads each change)
SAID = """
window.said = [];
document.addEventListener("DOMContentLoaded", () => {
  for (const region of document.querySelectorAll("[aria-live]")) {
    new MutationObserver(() => window.said.push(region.textContent))
      .observe(region, { childList: true, characterData: true, subtree: true });
  }
});
"""


def make_class(server: Server, name: str) -> dict[str, Any]:
    """Blue (cards 1-4) and Red (cards 5-8) with goals, three questions of two skills."""
    cls = server.api("POST", "/classes", {"name": name})
    students = [
        server.api("POST", f"/classes/{cls['id']}/students", {"name": n, "card": i + 1})
        for i, n in enumerate(BLUE + RED)
    ]
    ids = {s["name"]: s["id"] for s in students}
    groups = {
        g: server.api(
            "POST",
            f"/classes/{cls['id']}/groups",
            {"name": g, "students": [ids[n] for n in members], "goal": f"{g}'s first goal"}
            | ({"colour": "#ffd43b"} if g == "Red" else {}),  # light: its name is black on it
        )
        for g, members in (("Blue", BLUE), ("Red", RED))
    }
    questions = [
        server.api(
            "POST",
            "/questions",
            {"prompt": f"{name}: {p}", "choices": c, "correct": "A", "skills": [s]},
        )
        for p, c, s in (
            ("1/2 + 1/3?", ["5/6", "2/5", "1/5", "2/6"], "fraction-addition"),
            ("3/4 or 5/8?", ["3/4", "5/8", "equal"], "fraction-compare"),
            ("2/3 of 9?", ["6", "3", "9"], "fraction-of"),
        )
    ]
    return {"class": cls, "students": students, "groups": groups, "questions": questions}


def answer_all(server: Server, sid: int, c: dict[str, Any], answers: dict[str, str]) -> None:
    for s in c["students"]:
        if s["name"] in answers:
            server.api(
                "PUT", f"/sessions/{sid}/responses/{s['id']}", {"answer": answers[s["name"]]}
            )


def console(browser: Any, server: Server, where: str) -> Any:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.on("dialog", lambda d: d.accept())
    page.goto(f"{server.base}/teacher/?token={TOKEN}#{where}")
    return page


def test_the_start_page(server: Server, browser: Any) -> None:
    page = browser.new_page()
    page.goto(server.base + "/")
    expect(page.locator("h1")).to_have_text("cardcheck")
    assert_accessible(page, "start page")
    page.close()


def test_the_console_in_every_tab_and_dialog(server: Server, browser: Any) -> None:
    for s in server.api("GET", "/sessions/running"):
        server.api("POST", f"/sessions/{s['id']}/end")
    c = make_class(server, "Axe 7A")
    q1, q2, q3 = (q["id"] for q in c["questions"])
    server.api("POST", "/sets", {"name": "Fractions", "questions": [q1, q2, q3]})
    page = console(browser, server, "session")
    expect(page.locator("#running-none")).to_be_visible(timeout=WAIT_MS)
    assert_accessible(page, "console: session tab, nothing running")

    sid = server.api("POST", "/sessions", {"class_id": c["class"]["id"]})["id"]
    server.api("POST", f"/sessions/{sid}/ask", {"question_id": q1})
    page.goto(f"{server.base}/teacher/?token={TOKEN}#session/{sid}")
    page.reload()
    expect(page.locator("#run-status")).to_have_text("Q1 answering", timeout=WAIT_MS)
    assert_accessible(page, "console: a question open, nobody answered")

    # Blue all choose B, Red all right; then Blue right on another skill: a call for Blue
    answer_all(server, sid, c, dict.fromkeys(BLUE, "B") | dict.fromkeys(RED, "A"))
    server.api("POST", f"/sessions/{sid}/close")
    server.api("POST", f"/sessions/{sid}/ask", {"question_id": q2})
    answer_all(server, sid, c, dict.fromkeys(BLUE + RED, "A"))
    server.api("POST", f"/sessions/{sid}/close")
    expect(page.locator("#run-status")).to_have_text("Q2 closed", timeout=WAIT_MS)
    expect(page.locator("#flags .flag")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("#doing-well")).to_be_visible()
    assert_accessible(page, "console: question closed, a check-in call, a group doing well")

    server.api("POST", f"/sessions/{sid}/reveal")
    expect(page.locator("#run-status")).to_have_text("Q2 revealed", timeout=WAIT_MS)
    assert_accessible(page, "console: answer revealed")

    server.api("POST", f"/sessions/{sid}/ask", {"question_id": q3})
    answer_all(server, sid, c, {"Ada Lovelace": "A", "Brook Ng": "B"})
    expect(page.locator("#run-status")).to_have_text("Q3 answering", timeout=WAIT_MS)
    expect(page.locator(".answered strong")).to_have_text("2/8", timeout=WAIT_MS)
    # right and wrong by a mark and a word too, not by colour alone
    ada, brook = (
        page.locator(".chip:has-text('Ada Lovelace')"),
        page.locator(".chip:has-text('Brook Ng')"),
    )
    expect(ada.locator(".mark")).to_have_text("✓")
    expect(ada).to_contain_text("right")
    expect(brook.locator(".mark")).to_have_text("✗")
    expect(brook).to_contain_text("wrong")
    red = page.locator(".group header").filter(has=page.get_by_text("Red", exact=True))
    assert red.evaluate("h => getComputedStyle(h).color") == "rgb(0, 0, 0)"
    page.click(".chip:has-text('Carmen Ruiz')")
    expect(page.locator("#manual")).to_be_visible()
    assert_accessible(page, "console: manual answer dialog")
    page.keyboard.press("Escape")
    expect(page.locator("#manual")).to_be_hidden()

    page.locator("#flags .flag button", has_text="Check in now").click()
    expect(page.locator("#checkins-open form.checkin")).to_have_count(1, timeout=WAIT_MS)
    assert_accessible(page, "console: check-in form")

    page.goto(f"{server.base}/teacher/?token={TOKEN}#classes")
    page.locator("#class-list button", has_text="Axe 7A").click()
    expect(page.locator("#class-title")).to_have_value("Axe 7A", timeout=WAIT_MS)
    expect(page.locator(".group-col")).to_have_count(3, timeout=WAIT_MS)  # Blue, Red, none
    page.click(".import summary")
    assert_accessible(page, "console: classes tab, a class with its roster, groups and import")

    page.goto(f"{server.base}/teacher/?token={TOKEN}#questions")
    expect(page.locator("#question-list .question")).to_have_count(3, timeout=WAIT_MS)
    expect(page.locator("#set-list .set")).to_have_count(1, timeout=WAIT_MS)
    assert_accessible(page, "console: questions tab with questions and a set")

    page.goto(f"{server.base}/teacher/?token={TOKEN}#history")
    expect(page.locator("#history-rows tr")).to_have_count(1, timeout=WAIT_MS)
    assert_accessible(page, "console: history tab")

    page.goto(f"{server.base}/teacher/?token={TOKEN}#account")
    expect(page.locator("#account-none")).to_be_visible(timeout=WAIT_MS)
    assert_accessible(page, "console: account tab, the owner with no account yet")

    server.api("POST", f"/sessions/{sid}/end")
    page.goto(f"{server.base}/teacher/")  # no token, not signed in: the login page
    page.wait_for_url("**/login/**", timeout=WAIT_MS)
    expect(page.get_by_label("Username")).to_be_focused(timeout=WAIT_MS)
    assert_accessible(page, "login page")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("not a password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_be_visible(timeout=WAIT_MS)
    assert_accessible(page, "login page: a failed sign-in")
    page.close()


def test_the_projector_before_and_after_reveal_with_names_shown_and_hidden(
    server: Server, browser: Any
) -> None:
    c = make_class(server, "Axe 8B")
    sid = server.api("POST", "/sessions", {"class_id": c["class"]["id"]})["id"]
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(str(server.api("GET", f"/sessions/{sid}")["projector_url"]))
    expect(page.locator("#waiting-text")).to_have_text("Get your cards ready…", timeout=WAIT_MS)
    assert_accessible(page, "projector: waiting for the first question")

    server.api("POST", f"/sessions/{sid}/ask", {"question_id": c["questions"][0]["id"]})
    answer_all(server, sid, c, {"Ada Lovelace": "A", "Brook Ng": "B", "Esi Mensah": "A"})
    expect(page.locator("#answered")).to_have_text("3", timeout=WAIT_MS)
    expect(page.locator(".tile.done")).to_have_text(["Ada", "Brook", "Esi"], timeout=WAIT_MS)
    assert_accessible(page, "projector: answering, first names shown")

    server.api("PATCH", f"/sessions/{sid}", {"show_names": False})
    expect(page.locator(".tile.done")).to_have_text(["#1", "#2", "#5"], timeout=WAIT_MS)
    assert_accessible(page, "projector: answering, names hidden")

    server.api("POST", f"/sessions/{sid}/reveal")
    expect(page.locator(".choice.correct")).to_have_count(1, timeout=WAIT_MS)
    assert_accessible(page, "projector: answer revealed, names hidden")
    server.api("PATCH", f"/sessions/{sid}", {"show_names": True})
    expect(page.locator(".tile.done")).to_have_text(["Ada", "Brook", "Esi"], timeout=WAIT_MS)
    assert_accessible(page, "projector: answer revealed, names shown")
    assert_readable_at_1280x720(page)

    # the system's settings: less motion, more contrast, and its own colours
    assert page.evaluate(TRANSITION, ".choice .bar") != "0s"
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate(TRANSITION, ".choice .bar") == "0s"
    assert page.evaluate(TRANSITION, ".meter .fill") == "0s"
    page.emulate_media(contrast="more")
    assert page.evaluate(BACKGROUND, "body") == "rgb(0, 0, 0)"
    assert (
        page.evaluate("s => getComputedStyle(document.querySelector(s)).borderTopColor", ".choice")
        == "rgb(255, 255, 255)"
    )
    assert_accessible(page, "projector: answer revealed, the system asking for more contrast")
    page.emulate_media(contrast="no-preference", forced_colors="active")
    assert (
        page.evaluate("s => getComputedStyle(document.querySelector(s)).borderTopStyle", ".choice")
        == "solid"
    )
    # (the system's own colours decide the contrast there: axe cannot judge it)
    correct = "s => getComputedStyle(document.querySelector(s)).outlineStyle"
    assert page.evaluate(correct, ".choice.correct") == "double"
    page.emulate_media(reduced_motion="no-preference", forced_colors="none")

    server.api("POST", f"/sessions/{sid}/end")
    expect(page.locator("#waiting-text")).to_have_text("This session has ended.", timeout=WAIT_MS)
    assert_accessible(page, "projector: session ended")
    page.close()


TRANSITION = "s => getComputedStyle(document.querySelector(s)).transitionDuration"
BACKGROUND = "s => getComputedStyle(document.querySelector(s)).backgroundColor"


def assert_readable_at_1280x720(page: Any) -> None:
    """On a 1280x720 projector: no visible text under 18px, the prompt and the choices large,
    and nothing past the screen's edge (the page does not scroll)."""
    sizes = page.evaluate(
        """() => {
            const out = [];
            const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            while (walk.nextNode()) {
                const node = walk.currentNode;
                const box = node.parentElement;
                if (!node.textContent.trim() || !box.checkVisibility() || box.closest(".sr-only")) continue;
                const r = box.getBoundingClientRect();
                out.push([node.textContent.trim().slice(0, 30), parseFloat(getComputedStyle(box).fontSize), r.right, r.bottom]);
            }
            return out;
        }"""
    )
    assert sizes, "no text on the projector"
    small = [(text, size) for text, size, _, _ in sizes if size < 18]
    assert not small, f"text under 18px at 1280x720: {small}"
    outside = [
        (text, right, bottom) for text, _, right, bottom in sizes if right > 1280 or bottom > 720
    ]
    assert not outside, f"text past the screen: {outside}"
    size = "s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)"
    assert page.evaluate(size, "#prompt") >= 40
    assert page.evaluate(size, ".choice") >= 24  # large type: 3:1 would do, it has more


def test_the_scanner_with_a_camera_and_without(server: Server, browser: Any) -> None:
    c = make_class(server, "Axe 9C")
    sid = server.api("POST", "/sessions", {"class_id": c["class"]["id"]})["id"]
    url = f"{server.base}/scan/?session={sid}&token={TOKEN}"

    denied = browser.new_context(viewport={"width": 390, "height": 844})
    page = denied.new_page()
    page.goto(url)
    expect(page.locator("#message-title")).to_have_text("Camera access was denied", timeout=WAIT_MS)
    expect(page.locator("#count-label")).to_have_text("no question yet", timeout=WAIT_MS)
    assert_accessible(page, "scanner: camera denied, no question yet")
    # "Take a photo" is reached by Tab, and its label shows the focus
    for _ in range(10):
        page.keyboard.press("Tab")
        if focus_is(page, "#photo"):
            break
    assert focus_is(page, "#photo"), "Tab never reached Take a photo"
    outline = "s => getComputedStyle(document.querySelector(s)).outlineStyle"
    assert page.evaluate(outline, "label.photo") == "solid"
    denied.close()

    missing = browser.new_context(viewport={"width": 844, "height": 390})
    missing.add_init_script(
        """navigator.mediaDevices.getUserMedia = () =>
            Promise.reject(new DOMException("no camera", "NotFoundError"));"""
    )
    page = missing.new_page()
    page.goto(url)
    expect(page.locator("#message-title")).to_have_text("No camera was found", timeout=WAIT_MS)
    assert_accessible(page, "scanner: no camera")
    missing.close()

    server.api("POST", f"/sessions/{sid}/ask", {"question_id": c["questions"][0]["id"]})
    filming = browser.new_context(viewport={"width": 390, "height": 844}, permissions=["camera"])
    filming.add_init_script(SAID)
    page = filming.new_page()
    page.goto(url)
    expect(page.locator("#count")).to_have_text("4", timeout=WAIT_MS)
    expect(page.locator("#count-label")).to_have_text("of 8")
    # read out as it changes, not with every frame: a few seconds of frames, one last word
    expect(page.locator("#announce")).to_have_text("4 of 8 answered", timeout=WAIT_MS)
    page.wait_for_timeout(1500)
    said = page.evaluate("window.said")
    assert said[-1] == "4 of 8 answered"
    assert all(a != b for a, b in pairwise(said)), said
    assert len(said) <= 6, said  # "0 of 8", then at most one word per changed count
    page.click("#missing-box summary")
    expect(page.locator("#missing li")).to_have_count(4)
    assert_accessible(page, "scanner: camera on, 4 of 8 cards read, who is missing")
    server.api("POST", f"/sessions/{sid}/end")
    expect(page.locator("#message")).to_be_visible(timeout=WAIT_MS)
    assert_accessible(page, "scanner: session ended")
    filming.close()


def test_the_helper_finds_a_violation(browser: Any, tmp_path: Path) -> None:
    """The check is not vacuous: a button without a name and grey-on-grey text fail it."""
    page = browser.new_page()
    page.set_content(
        '<html lang="en"><title>t</title><main><h1>t</h1><button></button>'
        '<p style="color:#999;background:#aaa">faint</p></main></html>'
    )
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page, "a page made to fail")
    CHECKED.pop()
    assert "button-name (critical)" in str(failed.value)
    assert "color-contrast (serious)" in str(failed.value)
    page.close()


FOCUSED = "document.activeElement"


def focus_is(page: Any, selector: str) -> bool:
    return bool(page.evaluate(f"s => !!{FOCUSED} && {FOCUSED}.matches(s)", selector))


def assert_focus_visible(page: Any) -> None:
    """The focused element draws an outline of at least 2px (the page's :focus-visible)."""
    style = page.evaluate(
        f"""() => {{ const s = getComputedStyle({FOCUSED});
            return [s.outlineStyle, parseFloat(s.outlineWidth), {FOCUSED}.outerHTML.slice(0, 80)]; }}"""
    )
    assert style[0] != "none" and style[1] >= 2, f"no visible focus on {style[2]}: {style}"


def tab_to(page: Any, selector: str, limit: int = 150) -> None:
    """Press Tab until the element matching ``selector`` has the focus; its focus shows."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focus_is(page, selector):
            assert_focus_visible(page)
            return
    raise AssertionError(f"Tab never reached {selector}")


def wait_focus(page: Any, selector: str) -> None:
    page.wait_for_function(
        f"s => !!{FOCUSED} && {FOCUSED}.matches(s)", arg=selector, timeout=WAIT_MS
    )
    assert_focus_visible(page)


def test_a_whole_session_from_the_keyboard_alone(server: Server, browser: Any) -> None:
    """Start, ask, a manual answer, close, reveal, next, a check-in, end: Tab, typing and Enter
    only, the focus visible at every control used, the dialog keeping the focus and giving it
    back, and the answered count and the new call read out."""
    for s in server.api("GET", "/sessions/running"):
        server.api("POST", f"/sessions/{s['id']}/end")
    c = make_class(server, "Keys 6D")
    server.api(
        "POST", "/sets", {"name": "Keys set", "questions": [q["id"] for q in c["questions"]]}
    )
    ids = {s["name"]: s["id"] for s in c["students"]}
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.on("dialog", lambda d: d.accept())  # "End this session?": Enter on the browser's own box
    page.goto(f"{server.base}/teacher/?token={TOKEN}#session")
    expect(page.locator("#running-none")).to_be_visible(timeout=WAIT_MS)

    # start: the class and the set picked by typing their names
    tab_to(page, "#start-class")
    page.keyboard.type("Keys")
    assert page.locator("#start-class").input_value() == str(c["class"]["id"])
    tab_to(page, "#start-set")
    page.keyboard.type("Keys")
    expect(page.locator("#start-set option:checked")).to_have_text("Keys set (3)")
    tab_to(page, "#start-form button")
    page.keyboard.press("Enter")
    expect(page.locator("#run-class")).to_have_text("Keys 6D", timeout=WAIT_MS)
    sid = server.api("GET", "/sessions/running")[0]["id"]

    # ask
    tab_to(page, "#btn-next")
    page.keyboard.press("Enter")
    expect(page.locator("#run-status")).to_have_text("Q1 answering", timeout=WAIT_MS)
    answer_all(server, sid, c, dict.fromkeys(BLUE, "B") | dict.fromkeys(RED[:3], "A"))
    expect(page.locator(".answered strong")).to_have_text("7/8", timeout=WAIT_MS)
    expect(page.locator("#run-announce")).to_have_text(
        "Question 1: 7 of 8 answered", timeout=WAIT_MS
    )

    # a manual answer: the dialog takes the focus, keeps it, and gives it back to the chip
    hugo = f"[data-key='student-{ids['Hugo Lind']}']"
    tab_to(page, hugo)
    page.keyboard.press("Enter")
    expect(page.locator("#manual")).to_be_visible()
    wait_focus(page, "#manual *")
    for _ in range(8):
        page.keyboard.press("Tab")
        assert focus_is(page, "#manual *"), "the focus left the open dialog"
    tab_to(page, "#manual-letters button:first-child", limit=10)
    page.keyboard.press("Enter")
    expect(page.locator("#manual")).to_be_hidden()
    expect(page.locator(f"{hugo} .answer")).to_have_text("A", timeout=WAIT_MS)
    wait_focus(page, hugo)
    # Escape closes the dialog without an answer, and the focus is back on the chip too
    page.keyboard.press("Enter")
    expect(page.locator("#manual")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#manual")).to_be_hidden()
    wait_focus(page, hugo)

    # close, reveal, next
    for button, status in (("#btn-close", "Q1 closed"), ("#btn-reveal", "Q1 revealed")):
        tab_to(page, button)
        page.keyboard.press("Enter")
        expect(page.locator("#run-status")).to_have_text(status, timeout=WAIT_MS)
    tab_to(page, "#btn-next")
    page.keyboard.press("Enter")
    expect(page.locator("#run-status")).to_have_text("Q2 answering", timeout=WAIT_MS)
    answer_all(server, sid, c, dict.fromkeys(BLUE + RED, "A"))
    tab_to(page, "#btn-close")
    page.keyboard.press("Enter")
    expect(page.locator("#run-status")).to_have_text("Q2 closed", timeout=WAIT_MS)

    # the new call for Blue is read out; a check-in with Blue from its card
    blue = c["groups"]["Blue"]["id"]
    expect(page.locator("#flags .flag")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("#flags-announce")).to_contain_text("Check in with Blue")
    tab_to(page, f"[data-key='checkin-{blue}']")
    page.keyboard.press("Enter")
    wait_focus(page, "#checkins-open form.checkin textarea")
    page.keyboard.type("Tops and bottoms added.")
    page.keyboard.press("Tab")  # the goal: tabbing in selects it, typing replaces it
    assert focus_is(page, "#checkins-open form.checkin input")
    page.keyboard.type("Add fractions with unlike denominators")
    page.keyboard.press("Tab")
    page.keyboard.type("Fraction strips")
    tab_to(page, "#checkins-open form.checkin button", limit=3)
    page.keyboard.press("Enter")
    expect(page.locator("#checkins-open form")).to_have_count(0, timeout=WAIT_MS)
    wait_focus(page, "#checkin-start")
    (done,) = server.api("GET", f"/sessions/{sid}/checkins")
    assert (done["group_id"], done["note"], done["goal"], done["next_step"]) == (
        blue,
        "Tops and bottoms added.",
        "Add fractions with unlike denominators",
        "Fraction strips",
    )
    assert {s["name"]: s["answer"] for s in server.api("GET", f"/sessions/{sid}")["students"]}[
        "Hugo Lind"
    ] == "A"

    # end: the browser's confirm box is accepted with Enter; the focus goes on to the start form
    tab_to(page, "#btn-end")
    page.keyboard.press("Enter")
    expect(page.locator("#run")).to_be_hidden(timeout=WAIT_MS)
    wait_focus(page, "#start-class")
    assert server.api("GET", "/sessions/running") == []
    page.close()


def test_the_warnings_a_wrong_class_a_lost_server_and_an_interrupted_session(
    server: Server, browser: Any
) -> None:
    """A scanner filming another class's cards, the server gone (the numbers stale), and the
    session interrupted by the stop: each page says so, and passes axe while it does."""
    cls = server.api("POST", "/classes", {"name": "Axe 10D"})
    for i, name in enumerate(RED):
        server.api("POST", f"/classes/{cls['id']}/students", {"name": name, "card": 31 + i})
    q = server.api("POST", "/questions", {"prompt": "10D: 1/4 + 1/4?", "choices": ["1/2", "2/8"], "correct": "A"})  # fmt: skip
    sid = server.api("POST", "/sessions", {"class_id": cls["id"]})["id"]
    server.api("POST", f"/sessions/{sid}/ask", {"question_id": q["id"]})
    teacher = console(browser, server, f"session/{sid}")
    expect(teacher.locator("#run-class")).to_have_text("Axe 10D", timeout=WAIT_MS)
    projector = browser.new_page(viewport={"width": 1280, "height": 720})
    projector.goto(str(server.api("GET", f"/sessions/{sid}")["projector_url"]))
    expect(projector.locator("#status")).to_have_text("Answering", timeout=WAIT_MS)
    filming = browser.new_context(viewport={"width": 844, "height": 390}, permissions=["camera"])
    scanner = filming.new_page()
    scanner.goto(f"{server.base}/scan/?session={sid}&token={TOKEN}")  # cards 1-4: not 10D's

    expect(scanner.locator("#wrong-class")).to_be_visible(timeout=WAIT_MS)
    assert_accessible(scanner, "scanner: these cards are not the class's")
    expect(teacher.locator("#run-wrong-class")).to_be_visible(timeout=WAIT_MS)
    assert_accessible(teacher, "console: a scanner reading another class's cards")
    filming.close()

    server.stop()
    for page in (teacher, projector):
        expect(page.locator("body.stale")).to_have_count(1, timeout=WAIT_MS)
    assert_accessible(projector, "projector: the server cannot be reached")
    assert_accessible(teacher, "console: the server cannot be reached")

    server.start()  # the session comes back interrupted
    expect(teacher.locator("#run-interrupted")).to_be_visible(timeout=WAIT_MS)
    expect(teacher.locator("body.stale")).to_have_count(0, timeout=WAIT_MS)
    assert_accessible(teacher, "console: the session interrupted by a server stop")
    expect(projector.locator("#status")).to_have_text("Paused", timeout=WAIT_MS)
    expect(projector.locator("body.stale")).to_have_count(0, timeout=WAIT_MS)
    assert_accessible(projector, "projector: paused")
    filming = browser.new_context(viewport={"width": 390, "height": 844}, permissions=["camera"])
    scanner = filming.new_page()
    scanner.goto(f"{server.base}/scan/?session={sid}&token={TOKEN}")
    expect(scanner.locator("#message-title")).to_have_text(
        "This session was interrupted", timeout=WAIT_MS
    )
    assert_accessible(scanner, "scanner: the session interrupted")
    server.api("POST", f"/sessions/{sid}/end")
    filming.close()
    for page in (teacher, projector):
        page.close()
