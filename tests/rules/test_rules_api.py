"""Flags, check-ins, class rules and grouping over HTTP (TestClient), bad input included."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient

from live.demo.seed import seed_demo
from live.events import Event, FlagRaised
from live.realtime.views import for_role


def _demo(client: TestClient) -> dict[str, Any]:
    """The demo class with a running session and its first question (1/2 + 1/3) asked."""
    store = client.app.state.store  # type: ignore[attr-defined]
    cid = seed_demo(store, now=time.time())
    groups = {g["name"]: g for g in client.get(f"/api/classes/{cid}/groups").json()}
    questions = client.get("/api/questions").json()
    sid = client.post("/api/sessions", json={"class_id": cid}).json()["id"]
    assert (
        client.post(
            f"/api/sessions/{sid}/ask", json={"question_id": questions[0]["id"]}
        ).status_code
        == 200
    )
    students = client.get(f"/api/classes/{cid}/students").json()
    return {
        "class": cid,
        "session": sid,
        "groups": groups,
        "questions": questions,
        "students": students,
    }


def _answer(client: TestClient, sid: int, answers: dict[int, str]) -> None:
    for student, letter in answers.items():
        r = client.put(f"/api/sessions/{sid}/responses/{student}", json={"answer": letter})
        assert r.status_code == 200, r.text


def _blue_misconception(client: TestClient) -> dict[str, Any]:
    d = _demo(client)
    blue = d["groups"]["Blue"]["students"]
    _answer(
        client, d["session"], {s["id"]: "B" if s["id"] in blue[:4] else "A" for s in d["students"]}
    )
    r = client.post(f"/api/sessions/{d['session']}/close")
    assert r.status_code == 200
    d["close_events"] = r.json()["events"]
    return d


def test_the_demos_struggling_group_is_flagged_with_its_evidence(client: TestClient) -> None:
    d = _blue_misconception(client)
    raised = [e for e in d["close_events"] if e["type"] == "flag.raised"]
    (flag,) = [e["data"] for e in raised if e["data"]["rule"] == "shared-misconception"]
    assert flag["group"] == d["groups"]["Blue"]["id"]
    assert flag["message"].startswith("4 of 6 in Blue chose B (2/5) on question 1")
    listed = client.get(f"/api/sessions/{d['session']}/flags?open=1").json()
    assert flag["flag"] in {f["id"] for f in listed}
    state = client.get(f"/api/sessions/{d['session']}").json()
    assert flag["flag"] in {f["id"] for f in state["flags"]}


def test_the_projector_never_sees_flags(client: TestClient, projector_token: str) -> None:
    d = _blue_misconception(client)
    r = client.get(
        f"/api/sessions/{d['session']}", headers={"Authorization": f"Bearer {projector_token}"}
    )
    assert r.status_code == 200 and "flags" not in r.json()
    r = client.get(
        f"/api/sessions/{d['session']}/flags",
        headers={"Authorization": f"Bearer {projector_token}"},
    )
    assert r.status_code == 403
    event = Event(1, 1, 0.0, FlagRaised(1, "r", "group", 1, None, "high", "m"))
    assert for_role(event, "projector") == {"type": "event.withheld", "seq": 1, "session": 1}


def test_a_checkin_resolves_the_groups_flags_and_logs_the_goal(client: TestClient) -> None:
    d = _blue_misconception(client)
    sid, blue = d["session"], d["groups"]["Blue"]["id"]
    open_before = {
        f["id"]
        for f in client.get(f"/api/sessions/{sid}/flags?open=1").json()
        if f["group_id"] == blue
    }
    assert open_before
    r = client.post(f"/api/sessions/{sid}/checkins", json={"group_id": blue})
    assert r.status_code == 201
    checkin = r.json()
    resolved = {e["data"]["flag"] for e in checkin["events"] if e["type"] == "flag.resolved"}
    assert resolved == open_before
    assert all(
        e["data"]["reason"] == "checkin" for e in checkin["events"] if e["type"] == "flag.resolved"
    )
    r = client.post(
        f"/api/sessions/{sid}/checkins/{checkin['id']}/end",
        json={
            "note": "Adding tops and bottoms",
            "goal": "Use a common denominator",
            "next_step": "Fraction strips",
        },
    )
    assert r.status_code == 200
    assert r.json()["ended_at"] is not None and r.json()["note"] == "Adding tops and bottoms"
    group = client.get(f"/api/classes/{d['class']}/groups/{blue}").json()
    assert group["goal"] == "Use a common denominator"
    assert [g["text"] for g in group["goals"]][-2:] == [
        "Add fractions with unlike denominators",
        "Use a common denominator",
    ]
    listed = client.get(f"/api/classes/{d['class']}/checkins").json()
    assert [c["id"] for c in listed["checkins"]] == [checkin["id"]]
    assert client.get(f"/api/sessions/{sid}/checkins").json()[0]["next_step"] == "Fraction strips"
    # the group's flags stay resolved while nothing new happens
    client.post(f"/api/sessions/{sid}/reveal")
    assert not [
        f for f in client.get(f"/api/sessions/{sid}/flags?open=1").json() if f["group_id"] == blue
    ]


def test_dismissing_a_flag(client: TestClient) -> None:
    d = _blue_misconception(client)
    sid = d["session"]
    flag = client.get(f"/api/sessions/{sid}/flags?open=1").json()[0]
    r = client.post(f"/api/sessions/{sid}/flags/{flag['id']}/dismiss")
    assert r.status_code == 200
    assert r.json()["flag"]["resolution"] == "dismissed"
    r = client.post(f"/api/sessions/{sid}/flags/{flag['id']}/dismiss")
    assert r.status_code == 409 and r.json()["error"]["code"] == "flag_resolved"
    r = client.post(f"/api/sessions/{sid}/flags/999999/dismiss")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_ending_the_session_resolves_its_flags(client: TestClient) -> None:
    d = _blue_misconception(client)
    client.post(f"/api/sessions/{d['session']}/end")
    flags = client.get(f"/api/sessions/{d['session']}/flags").json()
    assert flags and all(f["resolved_at"] is not None for f in flags)
    assert len(client.get(f"/api/classes/{d['class']}/flags").json()) == len(flags)


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/api/sessions/{sid}/checkins", {}, 400, "invalid"),
        ("/api/sessions/{sid}/checkins", {"group_id": "Blue"}, 400, "invalid"),
        ("/api/sessions/{sid}/checkins", {"group_id": 999999}, 409, "unknown_id"),
        ("/api/sessions/{sid}/checkins", {"group_id": 1, "extra": 1}, 400, "invalid"),
        ("/api/sessions/999999/checkins", {"group_id": 1}, 404, "not_found"),
        ("/api/sessions/{sid}/checkins/999999/end", {"note": "x"}, 404, "not_found"),
        ("/api/sessions/{sid}/checkins/1/end", {"note": 5}, 400, "invalid"),
        ("/api/sessions/{sid}/checkins/1/end", {"note": "x" * 3000}, 400, "invalid"),
    ],
)
def test_bad_checkin_requests(
    client: TestClient, path: str, body: Any, status: int, code: str
) -> None:
    d = _demo(client)
    r = client.post(path.format(sid=d["session"]), json=body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code


def test_checkin_conflicts(client: TestClient) -> None:
    d = _demo(client)
    sid, red = d["session"], d["groups"]["Red"]["id"]
    first = client.post(f"/api/sessions/{sid}/checkins", json={"group_id": red}).json()
    r = client.post(f"/api/sessions/{sid}/checkins", json={"group_id": red})
    assert r.status_code == 409 and r.json()["error"]["code"] == "checkin_open"
    assert (
        client.post(f"/api/sessions/{sid}/checkins/{first['id']}/end", json={}).status_code == 200
    )
    r = client.post(f"/api/sessions/{sid}/checkins/{first['id']}/end", json={})
    assert r.status_code == 409 and r.json()["error"]["code"] == "checkin_ended"
    client.post(f"/api/sessions/{sid}/end")
    r = client.post(f"/api/sessions/{sid}/checkins", json={"group_id": red})
    assert r.status_code == 409 and r.json()["error"]["code"] == "session_ended"
    other = client.post("/api/classes", json={"name": "Other"}).json()["id"]
    foreign = client.post(f"/api/classes/{other}/groups", json={"name": "X"}).json()["id"]
    sid2 = client.post("/api/sessions", json={"class_id": d["class"]}).json()["id"]
    r = client.post(f"/api/sessions/{sid2}/checkins", json={"group_id": foreign})
    assert r.status_code == 409 and r.json()["error"]["code"] == "unknown_id"


def test_class_rules_are_checked_and_used(client: TestClient) -> None:
    d = _demo(client)
    cid = d["class"]
    view = client.get(f"/api/classes/{cid}/rules").json()
    assert view["override"] is None and len(view["rules"]) == 14
    every = len(view["rules"])
    r = client.put(f"/api/classes/{cid}/rules", json={"toml": "[[rule]]\nname = 'x'\n"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_rules"
    assert "scope is required" in r.json()["error"]["message"]
    r = client.put(f"/api/classes/{cid}/rules", json={"toml": "not = [toml"})
    assert r.status_code == 400
    off = '[[rule]]\nname = "shared-misconception"\nenabled = false\n'
    r = client.put(f"/api/classes/{cid}/rules", json={"toml": off})
    assert r.status_code == 200 and len(r.json()["rules"]) == every - 1
    blue = d["groups"]["Blue"]["students"]
    _answer(
        client, d["session"], {s["id"]: "B" if s["id"] in blue[:4] else "A" for s in d["students"]}
    )
    client.post(f"/api/sessions/{d['session']}/close")
    rules = {f["rule"] for f in client.get(f"/api/sessions/{d['session']}/flags").json()}
    assert "shared-misconception" not in rules and rules


def test_grouping_suggestions_and_accepting_them(client: TestClient) -> None:
    d = _blue_misconception(client)
    cid = d["class"]
    r = client.get(f"/api/classes/{cid}/grouping?skills=fraction-addition&size=4")
    assert r.status_code == 200
    result = r.json()
    first = result["groups"][0]
    assert first["need"] == "fraction-addition"
    assert first["shared_wrong"]["answer"] == "B"
    assert "chose B (2/5) on question" in first["reason"]
    placed = [s["id"] for g in result["groups"] for s in g["students"]]
    assert len(placed) == len(set(placed)) == len(d["students"])
    assert all(2 <= len(g["students"]) <= 5 for g in result["groups"])
    accepted = [
        {
            "name": f"Need {i}",
            "students": [s["id"] for s in g["students"]],
            "skill": g["skill"] or "",
        }
        for i, g in enumerate(result["groups"])
    ]
    r = client.post(
        f"/api/classes/{cid}/grouping/accept", json={"groups": accepted, "archive_others": True}
    )
    assert r.status_code == 200, r.text
    assert sorted(g["name"] for g in r.json()) == sorted(g["name"] for g in accepted)
    history = client.get(f"/api/classes/{cid}/groups/history").json()
    assert any(h["left_at"] is not None for h in history)  # the old stays are kept


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "skills is required"),
        ("?skills=,", "skills needs at least one skill tag"),
        ("?skills=a&size=1", "size must be a whole number from 2 to 12"),
        ("?skills=a&size=x", "size must be a whole number"),
        ("?skills=a&sessions=-1", "sessions must be a whole number"),
    ],
)
def test_bad_grouping_queries(client: TestClient, query: str, message: str) -> None:
    d = _demo(client)
    r = client.get(f"/api/classes/{d['class']}/grouping{query}")
    assert r.status_code == 400 and message in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("groups", "status", "message"),
    [
        ([], 400, "groups needs at least 1 items"),
        ([{"name": "A"}], 400, "groups[0].students is required"),
        ([{"name": "A", "students": [1, 1]}], 400, "groups[0].students lists an id twice"),
        # what the body's schema cannot see: a conflict between the groups, or ids naming nothing
        ([{"name": "A", "students": [1]}, {"name": "B", "students": [1]}], 409, "in two groups"),
        ([{"name": "A", "students": [1]}, {"name": "A", "students": [2]}], 409, "two groups are"),
        ([{"name": "A", "students": [999999]}], 409, "no active student"),
        ([{"id": 999999, "name": "A", "students": []}], 409, "no group 999999"),
    ],
)
def test_bad_grouping_accepts(client: TestClient, groups: Any, status: int, message: str) -> None:
    d = _demo(client)
    r = client.post(f"/api/classes/{d['class']}/grouping/accept", json={"groups": groups})
    assert r.status_code == status and message in r.json()["error"]["message"], r.text


def test_the_endpoints_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for p in (
        "/api/sessions/{session_id}/checkins",
        "/api/sessions/{session_id}/checkins/{checkin_id}/end",
        "/api/sessions/{session_id}/flags",
        "/api/classes/{class_id}/checkins",
        "/api/sessions/{session_id}/flags/{flag_id}/dismiss",
        "/api/classes/{class_id}/grouping",
        "/api/classes/{class_id}/grouping/accept",
        "/api/classes/{class_id}/rules",
    ):
        assert p in paths, p


def test_the_demo_cameras_blue_group_is_flagged(client: TestClient) -> None:
    """The simulated answers of ``cardcheck demo`` give Blue its shared misconception."""
    democam = pytest.importorskip("live.demo.camera")
    d = _demo(client)
    question = d["questions"][0]
    plan = democam.plan_question(
        np.random.default_rng(7), question, d["students"], list(d["groups"].values()), pace=10.0
    )
    by_card = {s["card"]: s["id"] for s in d["students"]}
    _answer(client, d["session"], {by_card[a.card]: a.change_to or a.answer for a in plan})
    client.post(f"/api/sessions/{d['session']}/close")
    flags = client.get(f"/api/sessions/{d['session']}/flags?open=1").json()
    (flag,) = [f for f in flags if f["rule"] == "shared-misconception"]
    assert flag["group_id"] == d["groups"]["Blue"]["id"]
    assert "in Blue chose B (2/5) on question 1" in flag["message"]
