"""A school's server in a real browser: teachers sign in through the login page, and a class's
owner and co-teacher run one live session at once, each seeing the other's moves as they happen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from accessibility import assert_accessible
from test_browser_pages import BASE_ARGS, CHROMIUM, WAIT_MS, Server, free_port, sync_api

pytestmark = pytest.mark.browser

PASSWORD = "a good long password"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(free_port(), tmp_path_factory.mktemp("school"))
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS)
        yield b
        b.close()


def sign_in(browser: Any, server: Server, username: str, path: str) -> Any:
    """A new browser that opens ``path``, is sent to the login page, and signs in there."""
    page = browser.new_context().new_page()
    page.goto(f"{server.base}{path}")
    page.wait_for_url("**/login/**", timeout=WAIT_MS)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{path}", timeout=WAIT_MS)
    return page


def test_owner_and_co_teacher_sign_in_and_run_one_live_session_together(
    server: Server, browser: Any
) -> None:
    for username in ("head", "olivia", "cole", "otto"):  # head, the first, owns the server
        server.api("POST", "/users", {"username": username, "password": PASSWORD})
    cls = server.api("POST", "/classes", {"name": "Shared 8C"})
    cid = cls["id"]
    server.api("PUT", f"/classes/{cid}/owner", {"username": "olivia"})
    server.api("POST", f"/classes/{cid}/teachers", {"username": "cole"})
    for i, name in enumerate(["Ada Lovelace", "Brook Ng"]):
        server.api("POST", f"/classes/{cid}/students", {"name": name, "card": i + 1})
    q = server.api(
        "POST", "/questions", {"prompt": "2 + 2?", "choices": ["4", "5"], "correct": "A"}
    )
    qset = server.api("POST", "/sets", {"name": "Warm-up", "questions": [q["id"]]})
    sid = server.api("POST", "/sessions", {"class_id": cid, "set_id": qset["id"]})["id"]

    path = f"/teacher/#session/{sid}"
    owner = sign_in(browser, server, "olivia", path)
    co = sign_in(browser, server, "cole", path)
    for page in (owner, co):
        sync_api.expect(page.locator("#run-class")).to_have_text("Shared 8C", timeout=WAIT_MS)
        sync_api.expect(page.locator("#run-status")).to_have_text(
            "no question yet", timeout=WAIT_MS
        )
    # the owner asks: the co-teacher's console shows it at once, and the other way round
    owner.locator("#btn-next").click()
    for page in (owner, co):
        sync_api.expect(page.locator("#run-status")).to_have_text("Q1 answering", timeout=WAIT_MS)
    co.locator("#btn-close").click()
    for page in (owner, co):
        sync_api.expect(page.locator("#run-status")).to_have_text("Q1 closed", timeout=WAIT_MS)
    # a teacher not on the class does not see it: it is not in their console at all
    other = sign_in(browser, server, "otto", "/teacher/#classes")
    sync_api.expect(other.locator("#classes")).to_be_visible(timeout=WAIT_MS)
    assert "Shared 8C" not in other.locator("body").inner_text()
    # the account tab: a token made and shown once; the people, for an admin
    owner.goto(f"{server.base}/teacher/#account")
    owner.locator("#token-name").fill("gradebook")
    owner.get_by_role("button", name="Make a token").click()
    sync_api.expect(owner.locator("#token-value")).not_to_be_empty(timeout=WAIT_MS)
    sync_api.expect(owner.locator("#token-rows tr")).to_have_count(1, timeout=WAIT_MS)
    assert_accessible(owner, "console: account tab with a token made")
    admin = sign_in(browser, server, "head", "/teacher/#account")
    sync_api.expect(admin.locator("#people-rows tr")).to_have_count(4, timeout=WAIT_MS)
    assert_accessible(admin, "console: account tab of an admin, with the people")
    admin.goto(f"{server.base}/teacher/#classes")
    admin.locator("#class-list button", has_text="Shared 8C").click()
    sync_api.expect(admin.locator("#teacher-list li")).to_have_count(2, timeout=WAIT_MS)
    assert_accessible(admin, "console: a class's teachers")
    # signing out goes back to the login page, and the console asks for a sign-in again
    owner.locator("#sign-out").click()
    owner.wait_for_url("**/login/**", timeout=WAIT_MS)
    owner.goto(f"{server.base}/teacher/")
    owner.wait_for_url("**/login/**", timeout=WAIT_MS)


def test_the_owner_link_signs_in_without_an_account_prompt(server: Server, browser: Any) -> None:
    """The printed link: the owner's console opens, and the token leaves the address bar."""
    page = browser.new_context().new_page()
    page.goto(f"{server.base}/signin?token=browser-test-teacher-token")
    page.wait_for_url("**/teacher/", timeout=WAIT_MS)
    # "head" when the first test made the accounts, "owner" on a server with none
    sync_api.expect(page.locator("#who")).to_have_text(
        re.compile("^(head|owner)$"), timeout=WAIT_MS
    )
    assert "token" not in page.url
