"""The HTTP API in process: every route's happy path, auth, and the one error shape."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from live.http.api import ENDPOINTS
from tests.support.errors import assert_error


def test_contract_bodies_create_a_class_a_roster_groups_and_questions(client: TestClient) -> None:
    cls = client.post("/api/classes", json={"name": "Year 7 Maths"})
    assert cls.status_code == 201
    cid = cls.json()["id"]
    ada = client.post(f"/api/classes/{cid}/students", json={"name": "Ada", "card": 7})
    assert ada.status_code == 201 and ada.json()["card"] == 7
    ben = client.post(f"/api/classes/{cid}/students", json={"name": "Ben"}).json()
    assert ben["card"] == 1
    group = client.post(
        f"/api/classes/{cid}/groups", json={"name": "Blue", "students": [ada.json()["id"]]}
    )
    assert group.status_code == 201 and group.json()["students"] == [ada.json()["id"]]
    q = client.post(
        "/api/questions",
        json={"prompt": "Pick B", "choices": ["a", "b"], "correct": "B", "skills": ["x"]},
    )
    assert q.status_code == 201 and q.json()["correct"] == "B"
    poll = client.post(
        "/api/questions", json={"prompt": "Poll", "choices": ["y", "n"], "correct": None}
    )
    assert poll.json()["correct"] is None


def test_crud_for_classes_students_groups_questions_and_sets(
    client: TestClient, seeded: dict[str, Any]
) -> None:
    cid = seeded["class"]["id"]
    assert [c["name"] for c in client.get("/api/classes").json()] == ["7B"]
    assert client.patch(f"/api/classes/{cid}", json={"name": "7C"}).json()["name"] == "7C"
    assert client.get(f"/api/classes/{cid}").json()["students"] == 3

    sid = seeded["students"][0]["id"]
    path = f"/api/classes/{cid}/students/{sid}"
    assert client.patch(path, json={"card": 30}).json()["card"] == 30
    assert client.get(path).json()["name"] == "Ada Lovelace"
    assert client.patch(path, json={"active": False}).json()["active"] is False
    assert len(client.get(f"/api/classes/{cid}/students").json()) == 2
    assert len(client.get(f"/api/classes/{cid}/students?archived=1").json()) == 3

    gid = seeded["groups"][0]["id"]
    red = seeded["groups"][1]["id"]
    g = client.patch(f"/api/classes/{cid}/groups/{gid}", json={"goal": "Unlike denominators"})
    assert g.json()["goal"] == "Unlike denominators"
    moved = client.patch(
        f"/api/classes/{cid}/groups/{red}", json={"students": [seeded["students"][1]["id"]]}
    )
    assert moved.json()["students"] == [seeded["students"][1]["id"]]
    assert client.get(f"/api/classes/{cid}/groups/{gid}").json()["goals"][0]["text"]
    assert len(client.get(f"/api/classes/{cid}/groups/history").json()) >= 3
    assert client.delete(f"/api/classes/{cid}/groups/{red}").status_code == 204
    assert [g["id"] for g in client.get(f"/api/classes/{cid}/groups").json()] == [gid]

    qid = seeded["questions"][0]["id"]
    assert client.patch(f"/api/questions/{qid}", json={"skills": ["a", "b"]}).json()["skills"] == [
        "a",
        "b",
    ]
    assert [q["id"] for q in client.get("/api/questions?skill=a").json()] == [qid]
    set_id = seeded["set"]["id"]
    reordered = client.patch(f"/api/sets/{set_id}", json={"questions": [qid]}).json()
    assert reordered["questions"] == [qid]
    assert len(client.get("/api/sets").json()) == 1
    assert client.delete(f"/api/sets/{set_id}").status_code == 204
    assert client.get(f"/api/questions/{qid}").status_code == 200  # questions outlive sets
    new_q = client.post(
        "/api/questions", json={"prompt": "x", "choices": ["1", "2"], "correct": "A"}
    ).json()["id"]
    assert client.delete(f"/api/questions/{new_q}").status_code == 204
    assert client.get(f"/api/questions/{new_q}").status_code == 404

    assert client.delete(f"/api/classes/{cid}/students/{sid}").status_code == 204
    assert client.delete(f"/api/classes/{cid}").status_code == 204
    assert client.get(f"/api/classes/{cid}").status_code == 404


def test_a_session_runs_ask_answer_close_reveal_end(
    client: TestClient, seeded: dict[str, Any], projector_token: str
) -> None:
    sid = seeded["session"]["id"]
    q1, q2 = (q["id"] for q in seeded["questions"])
    ada, ben, _ = (s["id"] for s in seeded["students"])
    state = client.post(f"/api/sessions/{sid}/ask", json={"question_id": q1}).json()
    assert state["question"]["status"] == "open" and state["question"]["total"] == 3
    r = client.put(f"/api/sessions/{sid}/responses/{ada}", json={"answer": "B"})
    assert r.json()["recorded"] is True
    assert r.json()["events"][0]["data"]["correct"] is False
    assert (
        client.put(f"/api/sessions/{sid}/responses/{ada}", json={"answer": "B"}).json()["recorded"]
        is False
    )
    client.put(f"/api/sessions/{sid}/responses/{ben}", json={"answer": "A"})
    state = client.get(f"/api/sessions/{sid}").json()
    assert state["question"]["answered"] == 2
    assert state["question"]["counts"] == {"A": 1, "B": 1, "C": 0}
    assert state["projector_url"].endswith(f"session={sid}&token={projector_token}")

    as_projector = {"Authorization": f"Bearer {projector_token}"}
    projector = client.get(f"/api/sessions/{sid}", headers=as_projector).json()
    assert "counts" not in projector["question"] and "correct" not in projector["question"]
    assert "flags" not in projector and "students" not in projector
    assert {a["name"] for a in projector["answered"]} == {"Ada", "Brook"}

    client.patch(f"/api/sessions/{sid}", json={"show_names": False})
    hidden = client.get(f"/api/sessions/{sid}", headers=as_projector).json()
    assert {a["name"] for a in hidden["answered"]} == {None}

    assert client.post(f"/api/sessions/{sid}/close").json()["question"]["status"] == "closed"
    assert client.post(f"/api/sessions/{sid}/reopen").json()["question"]["status"] == "open"
    revealed = client.post(f"/api/sessions/{sid}/reveal").json()
    assert revealed["question"]["status"] == "revealed"
    after = client.get(f"/api/sessions/{sid}", headers=as_projector).json()
    assert after["question"]["correct"] == "A" and after["question"]["counts"]["A"] == 1

    # a missing card noticed after the reveal: a late correction, and Reopen hides the chart again
    cara = seeded["students"][2]["id"]
    late = client.put(f"/api/sessions/{sid}/responses/{cara}", json={"answer": "A"}).json()
    assert late["recorded"] is True and late["events"][0]["data"]["late"] is True
    teacher = client.get(f"/api/sessions/{sid}").json()
    assert {s["id"]: s["late"] for s in teacher["students"]} == {ada: False, ben: False, cara: True}
    reopened = client.post(f"/api/sessions/{sid}/reopen").json()
    assert reopened["question"]["status"] == "open"
    hidden_again = client.get(f"/api/sessions/{sid}", headers=as_projector).json()
    assert "counts" not in hidden_again["question"]
    assert client.post(f"/api/sessions/{sid}/reveal").json()["question"]["status"] == "revealed"

    nxt = client.post(f"/api/sessions/{sid}/ask", json={"question_id": q2}).json()
    assert nxt["question"]["number"] == 2 and nxt["question"]["correct"] is None
    ended = client.post(f"/api/sessions/{sid}/end").json()
    assert ended["session"]["status"] == "ended"
    events = client.get(f"/api/sessions/{sid}/events?since=0").json()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["type"] == "session.ended"
    history = client.get("/api/sessions").json()
    assert history[0]["id"] == sid and history[0]["asked"] == 2
    # one scored question asked of three students, all answered (Cara late), two right
    assert (history[0]["score"], history[0]["correct"]) == (67, 2)
    assert (history[0]["answered"], history[0]["scored_asked"]) == (3, 3)


def test_health_needs_no_token_and_everything_else_does(client: TestClient) -> None:
    anonymous = TestClient(client.app)
    assert anonymous.get("/api/health").json()["ok"] is True
    for ep in ENDPOINTS:
        if ep.public:
            continue
        path = "/api" + re.sub(r"\{\w+\}", "1", ep.path)
        assert_error(anonymous.request(ep.method, path), 401, "unauthorized")
        wrong = anonymous.request(ep.method, path, headers={"Authorization": "Bearer nope"})
        assert_error(wrong, 401, "unauthorized")


def test_the_projector_token_reads_only_the_projector_view(
    client: TestClient, seeded: dict[str, Any], projector_token: str
) -> None:
    auth = {"Authorization": f"Bearer {projector_token}"}
    sid = seeded["session"]["id"]
    assert client.get(f"/api/sessions/{sid}", headers=auth).status_code == 200
    for ep in ENDPOINTS:
        if ep.public or not ep.teacher:
            continue
        path = "/api" + re.sub(r"\{\w+\}", str(sid), ep.path)
        assert_error(client.request(ep.method, path, headers=auth), 403, "forbidden")


BAD_BODIES: list[tuple[str, str, Any, int]] = [
    # (method, path, body (bytes = raw), expected status)
    ("POST", "/api/classes", b"{not json", 400),
    ("POST", "/api/classes", b"", 400),
    ("POST", "/api/classes", [], 400),
    ("POST", "/api/classes", {}, 400),
    ("POST", "/api/classes", {"name": 7}, 400),
    ("POST", "/api/classes", {"name": ""}, 400),
    ("POST", "/api/classes", {"name": "x" * 201}, 400),
    ("POST", "/api/classes", {"name": "x", "colour": "red"}, 400),
    ("PATCH", "/api/classes/{cid}", {}, 400),
    ("POST", "/api/classes/{cid}/students", {"name": "Ann", "card": "3"}, 400),
    ("POST", "/api/classes/{cid}/students", {"name": "Ann", "card": 0}, 400),
    ("POST", "/api/classes/{cid}/students", {"name": "Ann", "card": 1.5}, 400),
    ("POST", "/api/classes/{cid}/students", {"name": "Ann", "card": True}, 400),
    ("POST", "/api/classes/{cid}/students", {"name": "Dup", "card": "{card}"}, 409),
    ("PATCH", "/api/classes/{cid}/students/{sid}", {"card": None}, 400),
    ("POST", "/api/classes/{cid}/groups", {"name": "G", "students": ["a"]}, 400),
    ("POST", "/api/classes/{cid}/groups", {"name": "G", "students": [999999]}, 409),
    ("POST", "/api/classes/{cid}/groups", {"name": "Blue"}, 409),
    ("POST", "/api/classes/{cid}/groups", {"name": "G", "students": [1, 1]}, 400),
    ("POST", "/api/classes/999999/groups", {"name": "G", "students": [999999]}, 404),
    ("POST", "/api/questions", {"prompt": "p", "choices": ["a"], "correct": "A"}, 400),
    (
        "POST",
        "/api/questions",
        {"prompt": "p", "choices": ["a", "b", "c", "d", "e"], "correct": "A"},
        400,
    ),
    ("POST", "/api/questions", {"prompt": "p", "choices": ["a", "b"], "correct": "C"}, 400),
    ("POST", "/api/questions", {"prompt": "p", "choices": ["a", "b"], "correct": "E"}, 400),
    ("POST", "/api/questions", {"prompt": "p", "choices": ["a", "b"]}, 400),
    ("POST", "/api/questions", {"prompt": "p", "choices": "ab", "correct": None}, 400),
    ("PATCH", "/api/questions/{qid}", {"correct": "D"}, 409),  # the stored question has 3
    ("POST", "/api/sets", {"name": "s", "questions": [999999]}, 409),
    ("POST", "/api/sessions", {"class_id": 999999}, 409),
    ("POST", "/api/sessions", {"class_id": "1"}, 400),
    ("POST", "/api/sessions/{session}/ask", {"question_id": 999999}, 409),
    ("POST", "/api/sessions/{session}/ask", {"question": 1}, 400),
    ("PUT", "/api/sessions/{session}/responses/{sid}", {"answer": "E"}, 400),
    ("PUT", "/api/sessions/{session}/responses/{sid}", {"answer": "A"}, 409),  # nothing asked
    ("PUT", "/api/sessions/{session}/responses/999999", {"answer": "A"}, 404),
    ("PATCH", "/api/sessions/{session}", {"show_names": "no"}, 400),
    ("POST", "/api/sessions/{session}/close", None, 409),
    ("GET", "/api/classes/999999", None, 404),
    ("GET", "/api/classes/99999999999999999999999", None, 404),
    ("GET", "/api/classes/abc", None, 404),
    ("GET", "/api/sessions/999999", None, 404),
    ("GET", "/api/sessions?class_id=x", None, 400),
    ("GET", "/api/sessions/{session}/events?since=-1", None, 400),
    ("GET", "/api/no/such/route", None, 404),
    ("DELETE", "/api/questions", None, 405),
    ("POST", "/api/classes", b"[" * 2_000_000, 413),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), BAD_BODIES)
def test_bad_input_gets_a_4xx_with_the_one_error_shape(
    client: TestClient, seeded: dict[str, Any], method: str, path: str, body: Any, status: int
) -> None:
    ids = {
        "cid": seeded["class"]["id"],
        "sid": seeded["students"][0]["id"],
        "qid": seeded["questions"][0]["id"],
        "session": seeded["session"]["id"],
        "card": seeded["students"][1]["card"],
    }
    path = path.format(**ids)
    if isinstance(body, dict) and body.get("card") == "{card}":
        body = {**body, "card": ids["card"]}
    if isinstance(body, bytes):
        response = client.request(method, path, content=body)
    elif body is None:
        response = client.request(method, path)
    else:
        response = client.request(method, path, json=body)
    assert_error(response, status)


def test_every_route_with_a_body_refuses_malformed_json(
    client: TestClient, seeded: dict[str, Any]
) -> None:
    """Walk every declared route that takes JSON and send it garbage."""
    for ep in ENDPOINTS:
        if ep.body is None:
            continue
        path = "/api" + re.sub(r"\{\w+\}", str(seeded["session"]["id"]), ep.path)
        for garbage in (b"{", b"null", b"42", b'"text"', b"[1, 2]", b'{"unknown_field": 1}'):
            response = client.request(ep.method, path, content=garbage)
            assert 400 <= response.status_code < 500, (ep.path, garbage, response.text)
            assert_error(response, response.status_code)


def test_roster_import_is_all_or_nothing(client: TestClient, seeded: dict[str, Any]) -> None:
    cid = seeded["class"]["id"]
    good = "First Name,Last Name,Card,Group\nDee,Do,10,Green\nEli,Em,,Green\n"
    bad = good + "Fay,,abc,\n"
    refused = client.post(
        f"/api/classes/{cid}/roster", content=bad.encode(), headers={"Content-Type": "text/csv"}
    )
    assert refused.status_code == 422
    assert refused.json()["rejected"] == [{"line": 4, "reason": "card 'abc' is not a whole number"}]
    assert len(client.get(f"/api/classes/{cid}/students").json()) == 3
    ok = client.post(f"/api/classes/{cid}/roster", content=good.encode()).json()
    assert ok["created"] == 2 and ok["grouped"] == 2
    students = {s["name"]: s for s in client.get(f"/api/classes/{cid}/students").json()}
    assert students["Dee Do"]["card"] == 10 and students["Eli Em"]["card"] == 4
    green = [g for g in client.get(f"/api/classes/{cid}/groups").json() if g["name"] == "Green"]
    assert len(green[0]["students"]) == 2
    partial = client.post(
        f"/api/classes/{cid}/roster?partial=1", content=b"name,card\nGus,11\nHal,10\n"
    ).json()
    assert partial["created"] == 1 and partial["rejected"][0]["line"] == 3
    assert_error(client.post(f"/api/classes/{cid}/roster", content=b"\xff\xfe\x00"), 400)
    assert_error(client.post(f"/api/classes/{cid}/roster", content=b"email\nx@y\n"), 400)


def test_openapi_describes_exactly_the_routes_that_exist(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    existing = set()
    for route in client.app.routes:  # type: ignore[attr-defined]
        if (
            isinstance(route, Route)
            and route.path.startswith("/api/")
            and "{rest" not in route.path
        ):
            if route.path == "/api/openapi.json":
                continue
            path = re.sub(r"\{(\w+):id\}", r"{\1}", route.path)
            existing |= {(m, path) for m in route.endpoint.allowed if m != "HEAD"}
    assert documented == existing
    for contract in [
        ("POST", "/api/classes"),
        ("POST", "/api/classes/{class_id}/students"),
        ("POST", "/api/classes/{class_id}/groups"),
        ("POST", "/api/questions"),
        ("POST", "/api/sessions"),
        ("POST", "/api/sessions/{session_id}/ask"),
        ("POST", "/api/sessions/{session_id}/close"),
        ("POST", "/api/sessions/{session_id}/reveal"),
        ("POST", "/api/sessions/{session_id}/end"),
        ("GET", "/api/sessions/{session_id}"),
        ("PUT", "/api/sessions/{session_id}/responses/{student_id}"),
    ]:
        assert contract in documented
    body = doc["paths"]["/api/questions"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["properties"]["choices"]["maxItems"] == 4


def test_pages_and_unknown_paths(client: TestClient) -> None:
    assert client.get("/").status_code == 200
    assert_error(client.get("/no-such-page"), 404, "not_found")


def test_a_question_can_carry_an_image(
    client: TestClient, seeded: dict[str, Any], projector_token: str
) -> None:
    qid = seeded["questions"][0]["id"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    assert client.put(f"/api/questions/{qid}/image", content=png).json()["has_image"] is True
    got = client.get(
        f"/api/questions/{qid}/image", headers={"Authorization": f"Bearer {projector_token}"}
    )
    assert got.content == png and got.headers["content-type"] == "image/png"
    assert_error(client.put(f"/api/questions/{qid}/image", content=b"GIF89a"), 400)
    assert_error(client.put(f"/api/questions/{qid}/image", content=png + b"0" * 1_000_000), 413)
    assert client.delete(f"/api/questions/{qid}/image").status_code == 204
    assert_error(client.get(f"/api/questions/{qid}/image"), 404)


def test_pages_and_the_api_send_security_headers(client: TestClient) -> None:
    """The token is in the pages' URLs: no referrer, no framing, nothing from elsewhere."""
    for path in ("/", "/teacher/", "/api/classes", "/api/nothing"):
        r = client.get(path)
        assert r.headers["referrer-policy"] == "no-referrer", path
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        policy = r.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
