"""The conferring record over HTTP: teacher only, a page per student and a folder of them,
and small-group time per student and group."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.support.errors import assert_error


def _checkin(client: TestClient, sid: int, gid: int, note: str) -> None:
    started = client.post(f"/api/sessions/{sid}/checkins", json={"group_id": gid})
    assert started.status_code in (200, 201), started.text
    cid = next(e for e in started.json()["events"] if e["type"] == "checkin.started")["data"]
    ended = client.post(
        f"/api/sessions/{sid}/checkins/{cid['checkin']}/end", json={"note": note, "goal": "Step 2"}
    )
    assert ended.status_code == 200, ended.text


def test_a_students_record_and_the_class_time(client: TestClient, seeded: dict[str, Any]) -> None:
    cid, sid = seeded["class"]["id"], seeded["session"]["id"]
    ada, _, carmen = (s["id"] for s in seeded["students"])
    blue = seeded["groups"][0]["id"]
    p = client.post(
        "/api/progressions",
        json={
            "name": "Fractions",
            "steps": [{"name": "Same", "prompts": ["Show me?"]}, {"name": "Mixed"}],
        },
    ).json()
    client.post(
        f"/api/classes/{cid}/students/{ada}/placements",
        json={
            "progression_id": p["id"],
            "step_id": p["steps"][0]["id"],
            "kind": "conference",
            "note": "draws a bar",
        },
    )
    _checkin(client, sid, blue, "worked on <halves>")
    page = client.get(f"/api/classes/{cid}/students/{ada}/record")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Ada Lovelace" in html and "Step 1: Same" in html and "draws a bar" in html
    assert "worked on &lt;halves&gt;" in html and "Goal agreed: Step 2." in html
    assert "Small-group time over the last 12 weeks" in html and "1 check-in(s)" in html
    folder = client.get(f"/api/classes/{cid}/records?from=2020-01-01").text
    assert folder.count('<section class="record">') == 3 and "since 01 Jan 2020" in folder
    time = client.get(f"/api/classes/{cid}/small-group-time").json()
    minutes = {s["id"]: s["checkins"] for s in time["students"]}
    assert minutes[ada] == 1 and minutes[carmen] == 0
    assert {g["id"]: g["checkins"] for g in time["groups"]}[blue] == 1


def test_the_record_is_for_the_teacher_only(
    client: TestClient, seeded: dict[str, Any], projector_token: str
) -> None:
    cid, ada = seeded["class"]["id"], seeded["students"][0]["id"]
    projector = {"Authorization": f"Bearer {projector_token}"}
    assert_error(client.get(f"/api/classes/{cid}/students/{ada}/record", headers=projector), 403)
    assert_error(client.get(f"/api/classes/{cid}/small-group-time", headers=projector), 403)
    assert_error(client.get(f"/api/classes/{cid}/students/9999/record"), 404)
    assert_error(client.get(f"/api/classes/{cid}/records?from=yesterday"), 400)
