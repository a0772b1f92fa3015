"""Every route and socket against every role: the table is derived from the app's own routes,
so a route added later is in it (and fails here until its access is what it should be).

Roles: anonymous, the data folder's projector token (the owner's: it reads the owner's classes
only, and class A is not the owner's), a projector link and a scanner credential
scoped to one session, a teacher not on the class, a co-teacher, the class's owner, an admin,
and the owner token. Each role gets a world of its own (a class A taught by its owner and a
co-teacher, a class B of another teacher, a running session of each) and calls every endpoint
with the path's ids naming class A's things; writes go last and the class's purge very last.

An outcome is one of: ``401`` (no credential), ``403`` (a credential that cannot do it),
``hidden`` (404 "no class A" / "no session S": the class is not theirs, as if it did not exist),
or ``reached`` (past the checks: whatever the handler answered, 2xx, 400 for the empty body
sent, 409...).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from live.http.api import ENDPOINTS, Endpoint
from live.http.app import create_app
from live.settings import Settings
from live.store import Store

PASSWORD = "a good long password"
ROLES = (
    "anonymous",
    "projector token",
    "projector link",
    "scanner link",
    "other teacher",
    "co-teacher",
    "owner",
    "admin",
    "owner token",
)
SOCKETS = {"/ws/live", "/ws/scan"}


def expected(ep: Endpoint, role: str) -> str:
    """What ``role`` should get from ``ep`` (on class A's things)."""
    # the class or session named in the path, or by ?session= (pairing)
    scoped = "{class_id}" in ep.path or "{session_id}" in ep.path or "session" in ep.query
    if ep.public:
        return "reached"
    if role == "anonymous":
        return "401"
    if role == "projector token":  # the owner's: class A is not the owner's (ada's)
        return "403" if ep.teacher else ("hidden" if scoped else "reached")
    if role in ("projector link", "scanner link"):
        return "403" if ep.teacher else "reached"
    if role in ("admin", "owner token"):
        return "reached"
    if ep.admin:
        return "403"
    if role == "other teacher":
        return "hidden" if scoped else "reached"
    if role == "co-teacher" and ep.owner:
        return "403"
    return "reached"


def expected_socket(path: str, role: str) -> int | None:
    """The close code ``role`` gets on ``path`` for session S (None: it stays open)."""
    if role == "anonymous":
        return 4401
    if path == "/ws/scan" and role in ("projector token", "projector link"):
        return 4403
    if role in ("other teacher", "projector token"):
        return 4404
    return None


def _order(ep: Endpoint) -> tuple[int, int, str]:
    purge = ep.method == "DELETE" and ep.path == "/classes/{class_id}"
    return (purge, ep.method != "GET", ep.method == "DELETE", ep.path)


@pytest.fixture
def world(tmp_path: Any, database: str) -> Iterator[dict[str, Any]]:
    settings = Settings.load(
        {"data_dir": tmp_path / "data", "token": "owner-token", "db": database}, env={}
    )
    with TestClient(create_app(settings)) as client:
        store: Store = client.app.state.store  # type: ignore[attr-defined]
        now = 1_000.0
        admin = store.add_user("ada", PASSWORD, now=now)
        owner = store.add_user("olivia", PASSWORD, now=now)
        co = store.add_user("cole", PASSWORD, now=now)
        other = store.add_user("otto", PASSWORD, now=now)
        a = store.create_class("7A", now=now)
        b = store.create_class("7B", now=now)
        store.claim_class(a["id"], owner["id"], now=now)
        store.add_coteacher(a["id"], co["id"], now=now)
        store.claim_class(b["id"], other["id"], now=now)
        student = store.add_student(a["id"], "Ana", now=now)
        group = store.create_group(a["id"], "Blue", students=[student["id"]], now=now)
        q = store.create_question("2+2?", ["3", "4"], now=now, correct="B")
        qset = store.create_set("Set", [q["id"]], now=now)
        progression = store.create_progression(
            "Fractions",
            [{"name": "Like denominators"}, {"name": "Unlike denominators"}],
            now=now,
        )
        session = client.post(
            "/api/sessions",
            json={"class_id": a["id"], "set_id": qset["id"]},
            headers={"Authorization": "Bearer owner-token"},
        ).json()
        client.post(
            "/api/sessions",
            json={"class_id": b["id"]},
            headers={"Authorization": "Bearer owner-token"},
        )
        projector_row, projector = store.create_link(
            "projector", class_id=a["id"], session_id=session["id"], now=now
        )
        _, scanner = store.create_link(
            "scanner", class_id=a["id"], session_id=session["id"], now=now, ttl=10**10
        )
        token = {
            name: store.create_api_token(user["id"], "test", now=now)[1]
            for name, user in (
                ("admin", admin),
                ("owner", owner),
                ("co-teacher", co),
                ("other teacher", other),
            )
        }
        token["owner token"] = "owner-token"
        token["projector token"] = str(client.app.state.tokens.projector)  # type: ignore[attr-defined]
        token["projector link"] = projector
        token["scanner link"] = scanner
        ids = {
            "class_id": a["id"],
            "session_id": session["id"],
            "student_id": student["id"],
            "group_id": group["id"],
            "question_id": q["id"],
            "set_id": qset["id"],
            "user_id": co["id"],
            "token_id": 999,
            "flag_id": 999,
            "checkin_id": 999,
            "link_id": projector_row["id"],
            "progression_id": progression["id"],
        }
        yield {"client": client, "token": token, "ids": ids}


def _outcome(response: Any, ids: dict[str, int]) -> str:
    if response.status_code >= 500:
        return f"error {response.status_code}"
    if response.status_code in (401, 403):
        return str(response.status_code)
    if response.status_code == 404:
        message = response.json()["error"]["message"]
        if message in (f"no class {ids['class_id']}", f"no session {ids['session_id']}"):
            return "hidden"
    return "reached"


def test_every_api_route_is_a_declared_endpoint() -> None:
    """The table below covers the app: every route under /api is declared in ``ENDPOINTS``
    (or is the OpenAPI document or the unknown-route catch-all) and every socket is listed."""
    app = create_app(Settings.load({"token": "t"}, env={}))
    declared = {"/api" + re.sub(r"\{(\w+)\}", r"{\1:id}", ep.path) for ep in ENDPOINTS}
    api = {r.path for r in app.routes if isinstance(r, Route) and r.path.startswith("/api/")}
    assert api - declared == {"/api/openapi.json", "/api/{rest:path}"}
    assert {r.path for r in app.routes if isinstance(r, WebSocketRoute)} == SOCKETS


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_declared(world: dict[str, Any], role: str) -> None:
    client: TestClient = world["client"]
    ids = world["ids"]
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {world['token'][role]}"}
    wrong = []
    for ep in sorted(ENDPOINTS, key=_order):
        path = "/api" + re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), ep.path)
        query = {name: str(ids["session_id"]) for name in ep.query if name == "session"}
        body = b"{}" if ep.body is not None else (b"" if ep.raw_body is None else b"x")
        response = client.request(ep.method, path, headers=headers, params=query, content=body)
        got, want = _outcome(response, ids), expected(ep, role)
        if got != want:
            wrong.append(f"{ep.method} {ep.path}: {got} ({response.status_code}), expected {want}")
    assert wrong == []


@pytest.mark.parametrize("role", ROLES)
def test_every_socket_answers_each_role_as_declared(world: dict[str, Any], role: str) -> None:
    client: TestClient = world["client"]
    for path in sorted(SOCKETS):
        url = f"{path}?session={world['ids']['session_id']}"
        if role != "anonymous":
            url += f"&token={world['token'][role]}"
        want = expected_socket(path, role)
        with client.websocket_connect(url) as ws:
            if want is None:
                if path == "/ws/scan":  # it waits for frames: a text one is answered, not closed
                    ws.send_text("hello")
                    assert ws.receive_json()["code"] == "binary_expected", path
                else:
                    assert ws.receive_json()["type"] == "snapshot", path
                continue
            assert ws.receive_json()["type"] == "error", path
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
        assert closed.value.code == want, path


def test_another_class_s_session_is_hidden_from_a_session_s_link(world: dict[str, Any]) -> None:
    """A link shown in one room cannot follow another room's session."""
    client: TestClient = world["client"]
    other_session = world["ids"]["session_id"] + 1
    for role in ("projector link", "scanner link", "other teacher"):
        token = world["token"][role]
        r = client.get(
            f"/api/sessions/{other_session}", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == (200 if role == "other teacher" else 404), role
