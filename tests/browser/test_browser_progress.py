"""The progression loop in a real browser (Debian's Chromium through Playwright) against a real
``cardcheck serve``: a progression added in the console, questions tagged with its steps, a
session, the students placed with their evidence, groups suggested by step, the next step as a
group's goal, a check-in with a note, the goal reached in a later session and acknowledged, and
the student's conferring record printed as one page.

``CARDCHECK_SCREENSHOTS=DIR`` keeps the printed record (``conferring-record.png``) in DIR;
``docs/screenshots/take.py`` does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from accessibility import assert_accessible
from test_browser_pages import BASE_ARGS, CHROMIUM, TOKEN, WAIT_MS, Server, free_port, sync_api

pytestmark = pytest.mark.browser

LOW = ["Ada Lovelace", "Brook Ng", "Carmen Ruiz"]
HIGH = ["Dmitri Volkov", "Esi Mensah", "Farid Haddad"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(free_port(), tmp_path_factory.mktemp("serve"))
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS)
        yield b
        b.close()


def _ask(server: Server, sid: int, question: int, answers: dict[int, str]) -> None:
    server.api("POST", f"/sessions/{sid}/ask", {"question_id": question})
    for student, letter in answers.items():
        server.api("PUT", f"/sessions/{sid}/responses/{student}", {"answer": letter})
    server.api("POST", f"/sessions/{sid}/close")


def test_the_progression_loop_from_placement_to_a_goal_reached_and_the_record(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())
    cls = server.api("POST", "/classes", {"name": "Progress 5C"})
    cid = cls["id"]
    kids = {
        n: server.api("POST", f"/classes/{cid}/students", {"name": n, "card": i + 1})["id"]
        for i, n in enumerate(LOW + HIGH)
    }

    # a progression, from the console
    page.goto(f"{server.base}/teacher/?token={TOKEN}#progress")
    page.locator("#pg-examples").click()
    sync_api.expect(page.locator("#pg-progression option")).to_have_count(2, timeout=WAIT_MS)
    page.locator("#pg-progression").select_option(label="Adding fractions")
    sync_api.expect(page.locator("#pg-steps li")).to_have_count(5, timeout=WAIT_MS)
    fractions = next(
        p for p in server.api("GET", "/progressions") if p["name"] == "Adding fractions"
    )
    steps = fractions["steps"]

    # questions on steps 1-3, two each; the last one tagged in the console
    questions: dict[int, list[int]] = {}
    for s in steps[:3]:
        for j in range(2):
            body: dict[str, Any] = {
                "prompt": f"{s['name']}: question {j + 1}",
                "choices": ["right", "wrong", "wrong too", "no"],
                "correct": "A",
            }
            if (s["position"], j) != (3, 1):
                body["step_id"] = s["id"]
            questions.setdefault(s["position"], []).append(
                server.api("POST", "/questions", body)["id"]
            )
    page.locator("#pg-class").select_option(label="Progress 5C")
    untagged = page.locator("#pg-questions li", has_text=f"{steps[2]['name']}: question 2")
    sync_api.expect(untagged).to_have_count(1, timeout=WAIT_MS)
    untagged.locator("select").select_option(label="step 3")
    sync_api.expect(page.locator("#toast")).to_have_text("Saved", timeout=WAIT_MS)
    assert server.api("GET", f"/questions/{questions[3][1]}")["step_id"] == steps[2]["id"]

    # a session: everyone has step 1, the high three step 2, nobody step 3
    sid = server.api("POST", "/sessions", {"class_id": cid})["id"]
    everyone = list(kids.values())
    for q in questions[1]:
        _ask(server, sid, q, dict.fromkeys(everyone, "A"))
    for q in questions[2]:
        _ask(server, sid, q, {k: "A" if n in HIGH else "B" for n, k in kids.items()})
    for q in questions[3]:
        _ask(server, sid, q, dict.fromkeys(everyone, "C"))
    server.api("POST", f"/sessions/{sid}/end")

    # placed, with the evidence
    page.reload()
    page.locator("#pg-class").select_option(label="Progress 5C")
    page.locator("#pg-progression").select_option(label="Adding fractions")
    ada = page.locator(f"#pg-standing tr[data-student='{kids['Ada Lovelace']}']")
    sync_api.expect(ada).to_contain_text("step 1: Adds fractions with the same", timeout=WAIT_MS)
    sync_api.expect(ada).to_contain_text(
        "2 of 2 right on step 1, 0 of 2 on step 2, 0 of 2 on step 3"
    )
    dmitri = page.locator(f"#pg-standing tr[data-student='{kids['Dmitri Volkov']}']")
    sync_api.expect(dmitri).to_contain_text("step 2: Writes a sum over 1")

    # groups by step, each goal the next step
    page.locator("#pg-suggest").click()
    suggestions = page.locator("#pg-suggestions .pg-suggestion")
    sync_api.expect(suggestions).to_have_count(2, timeout=WAIT_MS)
    sync_api.expect(suggestions.nth(0)).to_contain_text("3 stand on step 1")
    sync_api.expect(suggestions.nth(0)).to_contain_text("Goal: step 2")
    page.click(".pg-edit summary")
    assert_accessible(page, "console: progress tab with students placed and groups suggested")
    page.locator("#pg-accept").click()
    group = page.locator("#pg-groups .pg-group", has_text="Step 1")
    sync_api.expect(group).to_contain_text(
        "goal: Step 2: Writes a sum over 1 as a mixed number", timeout=WAIT_MS
    )
    gid = int(group.get_attribute("data-group") or 0)

    # a later session: a check-in with the group, with a note, from the session tab
    sid = server.api("POST", "/sessions", {"class_id": cid})["id"]
    page.goto(f"{server.base}/teacher/?token={TOKEN}#session/{sid}")
    sync_api.expect(page.locator("#run-class")).to_have_text("Progress 5C", timeout=WAIT_MS)
    page.locator("#checkin-group").select_option(label="Step 1")
    page.locator("#checkin-start").click()
    form = page.locator("#checkins-open form.checkin")
    sync_api.expect(form).to_have_count(1, timeout=WAIT_MS)
    form.locator("textarea").fill("Shaded 9/5 on two bars and saw the whole one.")
    form.locator("button", has_text="End check-in").click()
    sync_api.expect(page.locator("#checkins-open form")).to_have_count(0, timeout=WAIT_MS)

    # the group answers its goal step right: the console says so, quietly
    low = {k for n, k in kids.items() if n in LOW}
    for q in questions[2]:
        _ask(server, sid, q, {k: "A" if k in low else "B" for k in everyone})
    notes = page.locator("#doing-well")
    sync_api.expect(notes).to_contain_text(
        "Acknowledge it with Step 1, then agree their next goal", timeout=WAIT_MS
    )
    flags = server.api("GET", f"/sessions/{sid}/flags?open=1")
    reached = [f for f in flags if f["rule"] == "goal-reached"]
    assert "answered their goal right" in reached[0]["message"]
    assert "Adding fractions, step 2" in reached[0]["message"]
    assert ("goal-reached", gid) in {(f["rule"], f["group_id"]) for f in flags}

    # acknowledged; the next step becomes the goal
    page.goto(f"{server.base}/teacher/?token={TOKEN}#progress")
    page.locator("#pg-class").select_option(label="Progress 5C")
    page.locator("#pg-progression").select_option(label="Adding fractions")
    group = page.locator("#pg-groups .pg-group", has_text="Step 1")
    group.locator("button", has_text="Goal reached: acknowledge").click()
    sync_api.expect(group).to_contain_text(
        "goal: Step 3: Adds when one denominator", timeout=WAIT_MS
    )
    history = server.api("GET", f"/classes/{cid}/groups/{gid}")
    assert history["goal"].startswith("Step 3")

    # the record, as printed: one page for the folder
    record = browser.new_page(viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
    record.goto(
        f"{server.base}/api/classes/{cid}/students/{kids['Ada Lovelace']}/record?token={TOKEN}"
    )
    body = record.locator("body")
    sync_api.expect(body).to_contain_text("Ada Lovelace")
    sync_api.expect(body).to_contain_text("Shaded 9/5 on two bars and saw the whole one.")
    sync_api.expect(body).to_contain_text("Goal: Step 3: Adds when one denominator")
    sync_api.expect(body).to_contain_text("Now: Step 2: Writes a sum over 1 as a mixed number")
    sync_api.expect(body).to_contain_text("confirmed: Step 2")
    sync_api.expect(body).to_contain_text("Prompts for the conference")
    sync_api.expect(body).to_contain_text("1 check-in(s)")
    assert_accessible(record, "a student's conferring record")
    record.emulate_media(media="print")
    height = record.evaluate("document.documentElement.scrollHeight")
    assert height <= 1123 * 1.05, f"the record runs to {height}px, more than one page"
    folder = Path(os.environ.get("CARDCHECK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    record.screenshot(path=str(folder / "conferring-record.png"), full_page=True)
    record.close()
    page.close()


def test_a_progression_written_and_edited_in_the_console(server: Server, browser: Any) -> None:
    """Written as lines in the console, then edited: each line keeps its step's id."""
    server.api("POST", "/progressions/examples")  # there already when the loop ran first
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{server.base}/teacher/?token={TOKEN}#progress")
    # the first progression (Adding fractions) is shown and in the editor before we write
    sync_api.expect(page.locator("#pg-steps li")).to_have_count(5, timeout=WAIT_MS)
    sync_api.expect(page.locator("#pg-name")).to_have_value("Adding fractions")
    page.click(".pg-edit summary")
    page.locator("#pg-name").fill("Writing captions")
    page.locator("#pg-subject").fill("Writing")
    page.locator("#pg-lines").fill("Names the picture | | What is in it?\nSays what happens")
    page.locator("#pg-new").click()
    sync_api.expect(page.locator("#pg-steps li")).to_have_count(2, timeout=WAIT_MS)
    made = next(p for p in server.api("GET", "/progressions") if p["name"] == "Writing captions")
    assert made["steps"][0]["prompts"] == ["What is in it?"] and made["subject"] == "Writing"
    sync_api.expect(page.locator("#pg-lines")).to_have_value(
        "Names the picture | | What is in it?\nSays what happens"
    )
    page.locator("#pg-lines").fill(
        "Names what is in the picture | | What is in it?\nSays what happens\nSays why it matters"
    )
    page.locator("#pg-save").click()
    sync_api.expect(page.locator("#pg-steps li")).to_have_count(3, timeout=WAIT_MS)
    edited = server.api("GET", f"/progressions/{made['id']}")
    assert [s["id"] for s in edited["steps"]][:2] == [s["id"] for s in made["steps"]]
    assert edited["steps"][0]["name"] == "Names what is in the picture"
    page.close()
