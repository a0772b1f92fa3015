"""Shared fixtures: a store in a temporary folder, and the app behind Starlette's TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from live.http.app import create_app
from live.settings import Settings
from live.store import Store

TEACHER = "teacher-token-for-tests"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "test.sqlite3")
    yield s
    s.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load({"data_dir": tmp_path / "data", "token": TEACHER}, env={})


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        c.headers["Authorization"] = f"Bearer {TEACHER}"
        yield c


@pytest.fixture
def projector_token(client: TestClient) -> str:
    return str(client.app.state.tokens.projector)  # type: ignore[attr-defined]


@pytest.fixture
def seeded(client: TestClient) -> dict[str, Any]:
    """A class of three students in two groups, two questions in a set, a running session."""
    cls = client.post("/api/classes", json={"name": "7B"}).json()
    cid = cls["id"]
    students = [
        client.post(f"/api/classes/{cid}/students", json={"name": n}).json()
        for n in ("Ada Lovelace", "Brook Ng", "Carmen Ruiz")
    ]
    groups = [
        client.post(
            f"/api/classes/{cid}/groups",
            json={"name": "Blue", "students": [students[0]["id"], students[1]["id"]]},
        ).json(),
        client.post(
            f"/api/classes/{cid}/groups", json={"name": "Red", "students": [students[2]["id"]]}
        ).json(),
    ]
    q1 = client.post(
        "/api/questions",
        json={
            "prompt": "1/2 + 1/3?",
            "choices": ["5/6", "2/5", "1/6"],
            "correct": "A",
            "skills": ["fractions"],
        },
    ).json()
    q2 = client.post(
        "/api/questions",
        json={"prompt": "How sure are you?", "choices": ["Very", "Not"], "correct": None},
    ).json()
    qset = client.post(
        "/api/sets", json={"name": "Check", "questions": [q1["id"], q2["id"]]}
    ).json()
    session = client.post("/api/sessions", json={"class_id": cid, "set_id": qset["id"]}).json()
    return {
        "class": cls,
        "students": students,
        "groups": groups,
        "questions": [q1, q2],
        "set": qset,
        "session": session["session"],
    }
