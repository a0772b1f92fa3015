"""Signing in: the owner link, the login, the cookie, cross-site writes, slowed guessing,
personal tokens, and the teachers of a class."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from live.http.app import create_app
from live.http.throttle import Throttle
from live.settings import Settings

OWNER = "owner-token-for-tests"
PASSWORD = "a good long password"
SITE = {"Origin": "http://testserver"}


@pytest.fixture
def app_settings(tmp_path: Path, database: str) -> Settings:
    return Settings.load({"data_dir": tmp_path / "data", "token": OWNER, "db": database}, env={})


@pytest.fixture
def browser(app_settings: Settings) -> Iterator[TestClient]:
    """A client with no token: what it may do, it does by its cookie."""
    with TestClient(create_app(app_settings), follow_redirects=False) as c:
        yield c


def _store(client: TestClient) -> Any:
    return client.app.state.store  # type: ignore[attr-defined]


def test_the_owner_link_signs_the_owner_in_on_a_laptop_with_no_account(
    browser: TestClient,
) -> None:
    assert browser.get("/api/me").status_code == 401
    r = browser.get(f"/signin?token={OWNER}")
    assert (r.status_code, r.headers["location"]) == (303, "/teacher/")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    me = browser.get("/api/me").json()
    assert (me["role"], me["admin"], me["via"], me["accounts"]) == (
        "teacher",
        True,
        "owner link",
        False,
    )
    assert browser.post("/api/classes", json={"name": "7A"}, headers=SITE).status_code == 201


def test_a_wrong_owner_link_goes_to_the_login_page(browser: TestClient) -> None:
    r = browser.get("/signin?token=nope&next=//evil.example/")
    assert r.status_code == 303 and r.headers["location"].startswith("/login/?next=/teacher/")
    assert browser.get("/api/me").status_code == 401


def test_the_cookie_is_secure_under_https(app_settings: Settings) -> None:
    with TestClient(
        create_app(app_settings), base_url="https://testserver", follow_redirects=False
    ) as c:
        assert "secure" in c.get(f"/signin?token={OWNER}").headers["set-cookie"].lower()


def test_a_write_signed_by_the_cookie_must_come_from_this_site(browser: TestClient) -> None:
    browser.get(f"/signin?token={OWNER}")
    evil = {"Origin": "https://evil.example"}
    r = browser.post("/api/classes", json={"name": "7A"}, headers=evil)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "cross_site")
    assert browser.get("/api/classes").json() == []  # nothing was made
    assert browser.get("/api/classes", headers=evil).status_code == 200  # reads are fine
    # a token is not sent by a browser by itself: a write with one is not cross-site forgery
    r = browser.post(
        "/api/classes",
        json={"name": "7A"},
        headers={**evil, "Authorization": f"Bearer {OWNER}"},
    )
    assert r.status_code == 201


def test_login_logout_and_the_login_is_refused_from_another_site(browser: TestClient) -> None:
    _store(browser).add_user("ada", PASSWORD, now=1.0)
    body = {"username": "Ada", "password": PASSWORD}
    r = browser.post("/api/login", json=body, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = browser.post("/api/login", json=body, headers=SITE)
    assert r.status_code == 200 and r.json()["user"]["username"] == "ada"
    assert browser.get("/api/me").json()["user"]["username"] == "ada"
    assert browser.post("/api/logout", headers=SITE).status_code == 204
    assert browser.get("/api/me").status_code == 401


def test_failed_logins_are_slowed_per_account_and_per_address(browser: TestClient) -> None:
    _store(browser).add_user("ada", PASSWORD, now=1.0)
    for _ in range(5):
        r = browser.post("/api/login", json={"username": "ada", "password": "wrong one"})
        assert r.status_code == 401
    r = browser.post("/api/login", json={"username": "ada", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    # the address is slowed too, whichever account it tries next
    r = browser.post("/api/login", json={"username": "ben", "password": PASSWORD})
    assert r.status_code == 429


def test_the_throttle_doubles_the_wait_after_the_free_failures_and_forgets() -> None:
    t = Throttle(free=2, longest=8.0, forget_after=100.0)
    keys = ["user:ada"]
    t.failed(keys, now=0.0)
    t.failed(keys, now=0.0)
    assert t.wait(keys, now=0.0) == 1.0
    t.failed(keys, now=1.0)
    assert t.wait(keys, now=1.0) == 2.0
    for _ in range(10):
        t.failed(keys, now=3.0)
    assert t.wait(keys, now=3.0) == 8.0  # no longer than longest
    assert t.wait(["user:ben"], now=3.0) == 0.0
    assert t.wait(keys, now=200.0) == 0.0  # forgotten
    t.succeeded(keys)
    assert t.wait(keys, now=3.0) == 0.0
    small = Throttle(max_keys=2)
    for name in "abc":
        small.failed([name], now=0.0)
    assert len(small._keys) == 2


def test_a_personal_token_is_shown_once_works_as_bearer_and_is_revoked(
    browser: TestClient,
) -> None:
    _store(browser).add_user("ada", PASSWORD, now=1.0)
    browser.post("/api/login", json={"username": "ada", "password": PASSWORD}, headers=SITE)
    made = browser.post("/api/account/tokens", json={"name": "grades"}, headers=SITE).json()
    token = made["token"]
    listed = browser.get("/api/account/tokens").json()
    assert [t["name"] for t in listed] == ["grades"] and "token" not in listed[0]
    script = {"Authorization": f"Bearer {token}"}
    assert browser.get("/api/me", headers=script).json()["via"] == "api token"
    assert browser.delete(f"/api/account/tokens/{made['id']}", headers=SITE).status_code == 200
    assert browser.get("/api/me", headers=script).status_code == 401


def test_the_owner_token_with_no_account_cannot_make_a_personal_token(
    browser: TestClient,
) -> None:
    r = browser.post(
        "/api/account/tokens", json={"name": "x"}, headers={"Authorization": f"Bearer {OWNER}"}
    )
    assert (r.status_code, r.json()["error"]["code"]) == (409, "no_account")


def test_a_class_has_people_a_co_teacher_sees_it_and_an_admin_hands_it_over(
    browser: TestClient,
) -> None:
    store = _store(browser)
    store.add_user("ada", PASSWORD, now=1.0)  # the owner, an admin
    for name in ("olivia", "cole", "otto"):
        store.add_user(name, PASSWORD, now=1.0)

    def as_(name: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {store.create_api_token(store.find_user(name)['id'], 't', now=1.0)[1]}"
        }

    olivia, cole, otto, ada = as_("olivia"), as_("cole"), as_("otto"), as_("ada")
    cid = browser.post("/api/classes", json={"name": "7A"}, headers=olivia).json()["id"]
    assert browser.get("/api/classes", headers=otto).json() == []
    assert browser.get(f"/api/classes/{cid}", headers=otto).status_code == 404
    r = browser.post(f"/api/classes/{cid}/teachers", json={"username": "cole"}, headers=olivia)
    assert [(p["username"], p["role"]) for p in r.json()] == [
        ("olivia", "owner"),
        ("cole", "coteacher"),
    ]
    assert [c["id"] for c in browser.get("/api/classes", headers=cole).json()] == [cid]
    # the co-teacher runs its sessions, but does not purge it or change its people
    assert browser.post("/api/sessions", json={"class_id": cid}, headers=cole).status_code == 201
    assert browser.delete(f"/api/classes/{cid}", headers=cole).status_code == 403
    r = browser.post("/api/sessions", json={"class_id": cid}, headers=otto)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "unknown_id")
    assert browser.get("/api/sessions/running", headers=otto).json() == []
    # an admin sees every class and hands this one to otto: olivia leaves it
    assert cid in [c["id"] for c in browser.get("/api/classes", headers=ada).json()]
    r = browser.put(f"/api/classes/{cid}/owner", json={"username": "otto"}, headers=ada)
    assert [(p["username"], p["role"]) for p in r.json()] == [
        ("otto", "owner"),
        ("cole", "coteacher"),
    ]
    assert browser.get(f"/api/classes/{cid}", headers=olivia).status_code == 404
    assert browser.get(f"/api/classes/{cid}", headers=otto).status_code == 200
    log = browser.get("/api/audit", headers=ada).json()
    assert [(a["actor"], a["action"], a["class_id"]) for a in log[:4]] == [
        ("ada", "hand_over", cid),
        ("cole", "create_session", cid),  # otto's was refused: nothing done, nothing logged
        ("olivia", "add_teacher", cid),
        ("olivia", "create_class", None),
    ]
    csv_text = browser.get("/api/audit?format=csv", headers=ada).text
    assert csv_text.splitlines()[0] == "id,at,actor,action,class_id,session_id,detail"
    assert ",olivia,add_teacher," in csv_text
    assert browser.get("/api/audit", headers=otto).status_code == 403


def test_an_admin_makes_and_disables_accounts(browser: TestClient) -> None:
    store = _store(browser)
    store.add_user("ada", PASSWORD, now=1.0)
    admin = {"Authorization": f"Bearer {OWNER}"}  # the owner token is the owner's
    r = browser.post(
        "/api/users",
        json={"username": "Ben", "display_name": "Ben Ng", "password": PASSWORD},
        headers=admin,
    )
    assert r.status_code == 201 and r.json()["username"] == "ben"
    assert "password_hash" not in r.json()
    ben = r.json()["id"]
    assert (
        browser.post(
            "/api/users", json={"username": "ben", "password": PASSWORD}, headers=admin
        ).status_code
        == 409
    )
    browser.post("/api/login", json={"username": "ben", "password": PASSWORD}, headers=SITE)
    assert browser.get("/api/me").json()["user"]["username"] == "ben"
    assert (
        browser.patch(f"/api/users/{ben}", json={"disabled": True}, headers=admin).status_code
        == 200
    )
    assert browser.get("/api/me").status_code == 401  # signed out at once
    owner = store.find_user("ada")["id"]
    r = browser.patch(f"/api/users/{owner}", json={"disabled": True}, headers=admin)
    assert r.status_code == 409
