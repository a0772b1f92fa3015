"""Bad input found by probing the running server: each one a 4xx in the one error shape, with
nothing logged as a traceback. The tests are named after the bugs they pin down."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.errors import assert_error


@pytest.fixture(autouse=True)
def no_error_is_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with caplog.at_level(logging.ERROR):
        yield
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def _paths(seeded: dict[str, Any]) -> dict[str, str]:
    cid, sid = seeded["class"]["id"], seeded["students"][0]["id"]
    gid = seeded["groups"][0]["id"]
    return {
        "class": f"/api/classes/{cid}",
        "students": f"/api/classes/{cid}/students",
        "student": f"/api/classes/{cid}/students/{sid}",
        "group": f"/api/classes/{cid}/groups/{gid}",
    }


def test_regression_a_nul_or_blank_name_is_400_not_an_integrity_error(
    client: TestClient, seeded: dict[str, Any]
) -> None:
    """A name "\\u0000" passed the old strip-and-count check and hit SQLite's CHECK (500)."""
    paths = _paths(seeded)
    for name in ["\u0000", "a\u0000b", "\u0007", "\u0085", "\n", " \t ", "\u2003", ""]:
        for method, path in [
            ("POST", "/api/classes"),
            ("POST", paths["students"]),
            ("PATCH", paths["class"]),
            ("PATCH", paths["student"]),
            ("PATCH", paths["group"]),
        ]:
            r = client.request(method, path, json={"name": name})
            assert_error(r, 400, "invalid")
            assert r.json()["error"]["message"].startswith("name "), (name, path)


def test_regression_a_lone_surrogate_is_400_not_a_unicode_encode_error(
    client: TestClient, seeded: dict[str, Any]
) -> None:
    paths = _paths(seeded)
    for method, path in [
        ("POST", "/api/classes"),
        ("POST", paths["students"]),
        ("PATCH", paths["student"]),
    ]:
        r = client.request(method, path, content=b'{"name": "\\ud800x"}')
        assert_error(r, 400, "invalid_json")
        assert "surrogate" in r.json()["error"]["message"]
    # a proper pair is one character, and fine
    ok = client.post("/api/classes", content=b'{"name": "\\ud83d\\ude00 club"}')
    assert ok.status_code == 201 and ok.json()["name"] == "\U0001f600 club"


def test_names_are_stored_without_surrounding_white_space(client: TestClient) -> None:
    assert client.post("/api/classes", json={"name": "  7B \u00a0"}).json()["name"] == "7B"


SUPERSCRIPT = "%C2%B2"  # "²": str.isdigit() says yes, int() says no


QUERY_IDS = [
    "/api/sessions?class_id={x}",
    "/api/sessions/{session}/events?since={x}",
    "/api/pair?session={x}",
    "/api/pair.svg?session={x}",
    "/api/classes/{cid}/checkins?group_id={x}",
    "/api/classes/{cid}/grouping?skills=a&size={x}",
    "/api/classes/{cid}/grouping?skills=a&sessions={x}",
]


def test_regression_a_query_id_of_superscript_digits_is_400_not_500(
    client: TestClient, seeded: dict[str, Any]
) -> None:
    for path in QUERY_IDS:
        for bad in (SUPERSCRIPT, "%D9%A3", "1_0", "+1", "%201", "0x1", ""):
            url = path.format(x=bad, session=seeded["session"]["id"], cid=seeded["class"]["id"])
            r = client.get(url)
            assert_error(r, 400, "invalid")
            name = url.rsplit("&", 1)[-1].split("?")[-1].split("=")[0]
            assert r.json()["error"]["message"].startswith(f"{name} must be a whole number"), url


def test_regression_since_beyond_any_integer_is_400_not_an_overflow(
    client: TestClient, seeded: dict[str, Any]
) -> None:
    sid = seeded["session"]["id"]
    assert_error(client.get(f"/api/sessions/{sid}/events?since=99999999999999999999999"), 400)
    assert client.get(f"/api/sessions/{sid}/events?since=2147483647").json() == []
    assert_error(client.get(f"/api/sessions/{sid}/events?since=2147483648"), 400)  # not an INTEGER
    assert_error(client.get("/api/classes/2147483648"), 404)


@pytest.mark.parametrize("depth", [201, 100_000])
def test_regression_json_nested_100000_deep_is_400_not_a_recursion_error(
    client: TestClient, depth: int
) -> None:
    body = b'{"name": ' + b"[" * depth + b"]" * depth + b"}"
    r = client.post("/api/classes", content=body)
    assert_error(r, 400, "invalid_json")
    assert "nested too deeply" in r.json()["error"]["message"]


def test_regression_a_whole_number_written_2918_0_is_a_whole_number(
    client: TestClient, seeded: dict[str, Any]
) -> None:
    """The schema says integer, and 2918.0 is one: it used to be refused as not a number."""
    assert_error(client.post("/api/sessions", json={"class_id": 2918.0}), 409, "unknown_id")
    cid = float(seeded["class"]["id"])
    assert client.post("/api/sessions", json={"class_id": cid}).status_code == 201
    student = client.post(
        f"/api/classes/{seeded['class']['id']}/students", json={"name": "Dee", "card": 30.0}
    )
    assert student.json()["card"] == 30
    for bad in (30.5, "30", True):
        r = client.post(
            f"/api/classes/{seeded['class']['id']}/students", json={"name": "E", "card": bad}
        )
        assert_error(r, 400)
        assert r.json()["error"]["message"] == "card must be a whole number"


def test_messages_name_the_field_and_why(client: TestClient, seeded: dict[str, Any]) -> None:
    cases = [
        ({"name": "x" * 201}, "name must be at most 200 characters"),
        ({}, "name is required"),
        ({"name": "A", "colour": "red"}, "unknown field 'colour'; expected name, archived"),
        ({"name": None}, "name may not be null"),
        ({"name": 7}, "name must be a string"),
    ]
    for body, message in cases:
        assert client.post("/api/classes", json=body).json()["error"]["message"] == message
    q = client.post("/api/questions", json={"prompt": "p", "choices": ["a", "b"], "correct": "C"})
    assert q.json()["error"]["message"] == "correct answer C is not one of the 2 choices"
    g = client.post(
        f"/api/classes/{seeded['class']['id']}/groups", json={"name": "G", "students": [1, "x"]}
    )
    assert g.json()["error"]["message"] == "students[1] must be a whole number"


def test_regression_what_the_parser_refuses_the_schema_describes(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()

    def body(path: str, method: str) -> dict[str, Any]:
        schema: dict[str, Any] = doc["paths"][path][method]["requestBody"]["content"][
            "application/json"
        ]["schema"]
        return schema

    patch = body("/api/classes/{class_id}", "patch")
    assert patch["minProperties"] == 1  # PATCH {} is refused, and said to be
    name = body("/api/classes", "post")["properties"]["name"]
    assert name["minLength"] == 1 and name["maxLength"] == 200 and "pattern" in name
    students = body("/api/classes/{class_id}/groups", "post")["properties"]["students"]
    assert students["uniqueItems"] is True and students["items"]["maximum"] == 2**31 - 1
    question = body("/api/questions", "post")
    assert question["properties"]["choices"]["minItems"] == 2
    assert len(question["anyOf"]) == 3  # correct C needs 3 choices, D needs 4
    params = {p["name"]: p for p in doc["paths"]["/api/sessions"]["get"]["parameters"]}
    assert params["class_id"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def test_regression_a_405_carries_allow(client: TestClient, seeded: dict[str, Any]) -> None:
    cid = seeded["class"]["id"]
    for method, path, allowed in [
        ("DELETE", "/api/questions", "GET, HEAD, POST"),
        ("PUT", f"/api/classes/{cid}", "DELETE, GET, HEAD, PATCH"),
        ("TRACE", "/api/sessions", "GET, HEAD, POST"),
        ("POST", "/api/openapi.json", "GET, HEAD"),
    ]:
        r = client.request(method, path)
        assert_error(r, 405, "method_not_allowed")
        assert r.headers["allow"] == allowed, path


def test_regression_exports_declare_the_content_types_they_send(
    client: TestClient, seeded: dict[str, Any]
) -> None:
    doc = client.get("/api/openapi.json").json()
    op = doc["paths"]["/api/sessions/{session_id}/export"]["get"]
    declared = set(op["responses"]["200"]["content"])
    assert "application/octet-stream" not in declared
    sid = seeded["session"]["id"]
    for fmt in ("csv", "long", "xlsx", "json", "canvas", "oneroster"):
        r = client.get(f"/api/sessions/{sid}/export?format={fmt}")
        assert r.headers["content-type"].split(";")[0] in declared, fmt


def test_post_sessions_answers_with_the_session_at_the_top(
    client: TestClient, seeded: dict[str, Any]
) -> None:
    created = client.post("/api/sessions", json={"class_id": seeded["class"]["id"]})
    assert created.status_code == 201
    session = created.json()
    assert {"id", "class_id", "class_name", "status", "started_at", "projector_url"} <= set(session)
    assert session["status"] == "running" and "question" not in session
    state = client.get(f"/api/sessions/{session['id']}").json()
    assert state["session"]["id"] == session["id"] and "students" in state
