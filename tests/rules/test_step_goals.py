"""The loop over HTTP: students placed by step, groups suggested by step with the next step as
goal, the goal reached in a later session flagged for acknowledging, then acknowledged."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.errors import assert_error

STEPS = [{"name": f"Step {i}", "prompts": [f"Can you show me {i}?"]} for i in range(1, 5)]


def _setup(client: TestClient) -> dict[str, Any]:
    cid = client.post("/api/classes", json={"name": "5C"}).json()["id"]
    kids = [
        client.post(f"/api/classes/{cid}/students", json={"name": f"Kid {i}"}).json()["id"]
        for i in range(6)
    ]
    p = client.post("/api/progressions", json={"name": "Fractions", "steps": STEPS}).json()
    questions = {
        s["position"]: [
            client.post(
                "/api/questions",
                json={
                    "prompt": f"Step {s['position']} question {j}",
                    "choices": ["a", "b", "c", "d"],
                    "correct": "A",
                    "step_id": s["id"],
                },
            ).json()["id"]
            for j in range(2)
        ]
        for s in p["steps"]
    }
    return {"class": cid, "kids": kids, "progression": p, "questions": questions}


def _session(client: TestClient, d: dict[str, Any], answers: dict[int, dict[int, str]]) -> int:
    """A session asking both questions of each step in ``answers`` (step -> kid -> letter)."""
    sid = client.post("/api/sessions", json={"class_id": d["class"]}).json()["id"]
    for step, by_kid in answers.items():
        for q in d["questions"][step]:
            assert client.post(f"/api/sessions/{sid}/ask", json={"question_id": q}).is_success
            for kid, letter in by_kid.items():
                r = client.put(f"/api/sessions/{sid}/responses/{kid}", json={"answer": letter})
                assert r.status_code == 200, r.text
            client.post(f"/api/sessions/{sid}/close")
    return sid


def test_groups_by_step_get_the_next_step_as_goal_and_reaching_it_is_flagged(
    client: TestClient,
) -> None:
    d = _setup(client)
    low, high = d["kids"][:3], d["kids"][3:]
    first = {1: dict.fromkeys(d["kids"], "A")}
    first[2] = {k: ("A" if k in high else "B") for k in d["kids"]}
    first[3] = {k: "C" for k in d["kids"]}
    client.post(f"/api/sessions/{_session(client, d, first)}/end")
    cid, pid = d["class"], d["progression"]["id"]
    suggestion = client.get(f"/api/classes/{cid}/progressions/{pid}/grouping?size=4").json()
    assert [(g["name"], [s["id"] for s in g["students"]]) for g in suggestion["groups"]] == [
        ("Step 1", low),
        ("Step 2", high),
    ]
    assert suggestion["groups"][0]["goal"]["position"] == 2
    assert suggestion["groups"][0]["students"][0]["evidence"].startswith("2 of 2 right on step 1")
    accepted = client.post(
        f"/api/classes/{cid}/progressions/{pid}/grouping/accept",
        json={
            "groups": [
                {"name": g["name"], "students": [s["id"] for s in g["students"]]}
                for g in suggestion["groups"]
            ]
        },
    )
    assert accepted.status_code == 200, accepted.text
    by_name = {g["name"]: g for g in accepted.json()}
    step2 = d["progression"]["steps"][1]
    assert by_name["Step 1"]["goal"] == "Step 2: Step 2"
    assert by_name["Step 1"]["goal_step"]["step_id"] == step2["id"]
    # a later session: the Step 1 group answers step 2 right
    sid = _session(client, d, {2: dict.fromkeys(low, "A")})
    flags = client.get(f"/api/sessions/{sid}/flags?open=1").json()
    reached = [f for f in flags if f["rule"] == "goal-reached"]
    assert [f["group_id"] for f in reached] == [by_name["Step 1"]["id"]]
    assert "Fractions, step 2" in reached[0]["message"]
    gid = by_name["Step 1"]["id"]
    ack = client.post(f"/api/classes/{cid}/groups/{gid}/goal-step/acknowledge")
    assert ack.status_code == 200, ack.text
    assert ack.json()["goal_step"]["achieved_at"] is not None
    assert ack.json()["suggested"]["position"] == 3
    assert sorted(ack.json()["placed"]) == sorted(low)  # the teacher's word: on step 2 now
    standing = client.get(f"/api/classes/{cid}/progressions/{pid}/standing").json()
    now = {s["id"]: s["current"] for s in standing["students"]}
    assert {(now[k]["position"], now[k]["source"]) for k in low} == {(2, "confirmed")}
    assert_error(client.post(f"/api/classes/{cid}/groups/{gid}/goal-step/acknowledge"), 409)
    nxt = client.put(
        f"/api/classes/{cid}/groups/{gid}/goal-step",
        json={"step_id": ack.json()["suggested"]["id"]},
    )
    assert nxt.json()["goal"] == "Step 3: Step 3"
    assert nxt.json()["goal_step"]["achieved_at"] is None


@pytest.mark.parametrize(
    ("plan", "code"),
    [
        ({"groups": [{"name": "A", "students": [10**6]}]}, "unknown_id"),
        ({"groups": [{"name": "A", "students": [], "goal_step_id": 10**6}]}, "unknown_id"),
        ({"groups": [{"name": "A", "students": []}, {"name": "A", "students": []}]}, None),
    ],
)
def test_a_bad_grouping_by_step_changes_nothing(
    client: TestClient, plan: dict[str, Any], code: str | None
) -> None:
    d = _setup(client)
    cid, pid = d["class"], d["progression"]["id"]
    response = client.post(f"/api/classes/{cid}/progressions/{pid}/grouping/accept", json=plan)
    assert_error(response, 409, code)
    assert client.get(f"/api/classes/{cid}/groups").json() == []


def test_a_goal_step_naming_nothing_is_a_409_and_no_step_goal_is_a_404(
    client: TestClient,
) -> None:
    d = _setup(client)
    cid = d["class"]
    gid = client.post(f"/api/classes/{cid}/groups", json={"name": "G"}).json()["id"]
    assert_error(
        client.put(f"/api/classes/{cid}/groups/{gid}/goal-step", json={"step_id": 10**6}),
        409,
        "unknown_id",
    )
    assert_error(client.post(f"/api/classes/{cid}/groups/{gid}/goal-step/acknowledge"), 404)
