"""The progression library over HTTP: CRUD with clear errors, questions that measure a step,
TOML and CSV round trips, the shipped examples."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.support.errors import assert_error

BODY = {
    "name": "Fractions",
    "subject": "Mathematics",
    "steps": [
        {"name": "Same denominators", "description": "2/7 + 3/7", "prompts": ["Show me"]},
        {"name": "Mixed numbers"},
        {"name": "Unlike denominators", "prompts": ["Which number do 4 and 3 go into?"]},
    ],
}


def test_create_edit_and_delete_a_progression(client: TestClient) -> None:
    made = client.post("/api/progressions", json=BODY)
    assert made.status_code == 201, made.text
    p = made.json()
    assert [s["name"] for s in p["steps"]] == [s["name"] for s in BODY["steps"]]
    steps = p["steps"]
    edited = client.patch(
        f"/api/progressions/{p['id']}",
        json={"name": "Adding fractions", "steps": [{"id": steps[1]["id"], "name": "Mixed"}]},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["name"] == "Adding fractions"
    assert [s["id"] for s in edited.json()["steps"]] == [steps[1]["id"]]
    assert client.get("/api/progressions").json()[0]["id"] == p["id"]
    assert client.delete(f"/api/progressions/{p['id']}").status_code == 204
    assert_error(client.get(f"/api/progressions/{p['id']}"), 404)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"name": "x", "steps": []}, "steps needs at least 1 items"),
        ({"name": "x"}, "steps is required"),
        ({"name": " ", "steps": [{"name": "a"}]}, "name is blank"),
        ({"name": "x", "steps": [{"name": "a", "prompts": ["\x07"]}]}, "control character"),
        ({"name": "x", "steps": [{"name": "a", "colour": 1}]}, "unknown field 'colour'"),
    ],
)
def test_a_bad_progression_is_a_400_naming_the_field(
    client: TestClient, body: dict, needle: str
) -> None:
    response = client.post("/api/progressions", json=body)
    assert_error(response, 400)
    assert needle in response.json()["error"]["message"]
    assert client.get("/api/progressions").json() == []


def test_a_question_measures_a_step_and_protects_it(client: TestClient) -> None:
    p = client.post("/api/progressions", json=BODY).json()
    step = p["steps"][2]["id"]
    q = client.post(
        "/api/questions",
        json={"prompt": "1/4 + 2/3?", "choices": ["11/12", "3/7"], "correct": "A", "step_id": step},
    )
    assert q.status_code == 201 and q.json()["step_id"] == step
    assert client.get(f"/api/questions/{q.json()['id']}").json()["step_id"] == step
    assert_error(
        client.post(
            "/api/questions",
            json={"prompt": "?", "choices": ["a", "b"], "correct": "A", "step_id": 999},
        ),
        409,
        "unknown_id",
    )
    removed = client.patch(f"/api/progressions/{p['id']}", json={"steps": [{"name": "x"}]})
    assert_error(removed, 409, "step_in_use")
    assert "a question measures it" in removed.json()["error"]["message"]
    cleared = client.patch(f"/api/questions/{q.json()['id']}", json={"step_id": None})
    assert cleared.json()["step_id"] is None
    assert client.patch(f"/api/progressions/{p['id']}", json={"steps": [{"name": "x"}]}).is_success


def test_a_step_of_another_progression_is_a_409(client: TestClient) -> None:
    p = client.post("/api/progressions", json=BODY).json()
    other = client.post("/api/progressions", json={**BODY, "name": "Other"}).json()
    response = client.patch(
        f"/api/progressions/{p['id']}",
        json={"steps": [{"id": other["steps"][0]["id"], "name": "x"}]},
    )
    assert_error(response, 409, "unknown_id")


@pytest.mark.parametrize("fmt", ["toml", "csv"])
def test_export_then_import_gives_the_same_progression(client: TestClient, fmt: str) -> None:
    p = client.post("/api/progressions", json=BODY).json()
    exported = client.get(f"/api/progressions/{p['id']}/export?format={fmt}")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == f'attachment; filename="fractions.{fmt}"'
    client.delete(f"/api/progressions/{p['id']}")
    imported = client.post(f"/api/progressions/import?format={fmt}", content=exported.content)
    assert imported.status_code == 201, imported.text
    again = imported.json()
    assert again["name"] == "Fractions" and again["subject"] == "Mathematics"
    shape = [(s["name"], s["description"], s["prompts"]) for s in again["steps"]]
    assert shape == [
        (s["name"], s.get("description", ""), s.get("prompts", [])) for s in BODY["steps"]
    ]


def test_a_csv_with_a_blank_step_names_its_line(client: TestClient) -> None:
    csv = (
        "progression,step,name,prompts\nWriting,1,Names the topic,What is it about?\n,2,,\n,3,x,\n"
    )
    response = client.post(
        "/api/progressions/import", content=csv, headers={"Content-Type": "text/csv"}
    )
    assert_error(response, 400)
    assert "step 2 (line 3).name" in response.json()["error"]["message"]
    assert client.get("/api/progressions").json() == []


@pytest.mark.parametrize(
    ("raw", "fmt", "needle"),
    [
        (b"name = ", "toml", "not valid TOML"),
        (b"\xff\xfe", "toml", "not UTF-8"),
        (b"topic,words\nx,y\n", "csv", "no name column"),
        (b"progression,name\nA,x\nB,y\n", "csv", "a file holds one"),
        (b"progression,step,name\nA,2,x\n", "csv", "out of order"),
        (
            b"steps = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
            "toml",
            "step 1 (line 1) must be a table",
        ),
        (b"name = 'x'\nsteps = " + b"[" * 5000 + b"]" * 5000, "toml", "nests too deeply"),
    ],
)
def test_a_file_that_is_not_a_progression_is_a_400(
    client: TestClient, raw: bytes, fmt: str, needle: str
) -> None:
    response = client.post(f"/api/progressions/import?format={fmt}", content=raw)
    assert_error(response, 400)
    assert needle in response.json()["error"]["message"]


def test_the_examples_are_added_once(client: TestClient) -> None:
    added = client.post("/api/progressions/examples")
    assert added.status_code == 201
    names = sorted(p["name"] for p in added.json())
    assert names == ["Adding fractions", "Writing information texts"]
    assert all(len(p["steps"]) == 5 and p["steps"][0]["prompts"] for p in added.json())
    assert client.post("/api/progressions/examples").json() == []


def test_the_projector_token_cannot_read_progressions(
    client: TestClient, projector_token: str
) -> None:
    response = client.get(
        "/api/progressions", headers={"Authorization": f"Bearer {projector_token}"}
    )
    assert_error(response, 403)


def test_placing_a_student_and_reading_the_class_standing(client: TestClient, seeded: dict) -> None:
    cid = seeded["class"]["id"]
    ada = seeded["students"][0]["id"]
    p = client.post("/api/progressions", json=BODY).json()
    step = p["steps"][1]["id"]
    placed = client.post(
        f"/api/classes/{cid}/students/{ada}/placements",
        json={"progression_id": p["id"], "step_id": step, "kind": "conference", "note": "ok"},
    )
    assert placed.status_code == 201, placed.text
    standing = client.get(f"/api/classes/{cid}/progressions/{p['id']}/standing").json()
    mine = next(s for s in standing["students"] if s["id"] == ada)
    assert mine["current"]["step_id"] == step and mine["current"]["source"] == "conference"
    assert mine["estimate"]["step"] is None
    listed = client.get(f"/api/classes/{cid}/students/{ada}/placements").json()
    assert [r["step_id"] for r in listed] == [step]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"progression_id": 999, "step_id": None, "kind": "observed"}, 409, "unknown_id"),
        ({"progression_id": 1, "step_id": 999, "kind": "observed"}, 409, "unknown_id"),
        ({"progression_id": 1, "step_id": None, "kind": "guessed"}, 400, None),
        ({"progression_id": 1, "kind": "observed"}, 400, None),
    ],
)
def test_a_bad_placement_is_refused_and_stores_nothing(
    client: TestClient, seeded: dict, body: dict, status: int, code: str | None
) -> None:
    cid = seeded["class"]["id"]
    ada = seeded["students"][0]["id"]
    client.post("/api/progressions", json=BODY)
    response = client.post(f"/api/classes/{cid}/students/{ada}/placements", json=body)
    assert_error(response, status, code)
    assert client.get(f"/api/classes/{cid}/students/{ada}/placements").json() == []
    assert_error(client.get(f"/api/classes/{cid}/students/9999/placements"), 404)
