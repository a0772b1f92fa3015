"""Shared fixtures: the database (an SQLite file, or PostgreSQL with ``--store=postgresql``), a
store on it, and the app behind Starlette's TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from live.http.app import create_app
from live.settings import Settings
from live.store import Store
from tests.support.databases import empty, fresh_database

TEACHER = "teacher-token-for-tests"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--store",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the database the store, API, socket and rules tests run on",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, run only what reaches the store through the ``database`` fixture (the
    rest ran on the SQLite pass already)."""
    if config.getoption("--store") != "postgresql":
        return
    keep = [i for i in items if "database" in getattr(i, "fixturenames", ())]
    dropped = [i for i in items if "database" not in getattr(i, "fixturenames", ())]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="session")
def postgresql_run(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """This run's PostgreSQL database (None on SQLite runs)."""
    if request.config.getoption("--store") != "postgresql":
        yield None
        return
    with fresh_database() as url:
        yield url


@pytest.fixture
def database(tmp_path: Path, postgresql_run: str | None) -> str:
    """Where this test's data lives: a new SQLite file, or the run's PostgreSQL emptied."""
    if postgresql_run is None:
        return str(tmp_path / "test.sqlite3")
    empty(postgresql_run)
    return postgresql_run


@pytest.fixture
def store(database: str) -> Iterator[Store]:
    s = Store(database)
    yield s
    s.close()


@pytest.fixture
def settings(tmp_path: Path, database: str) -> Settings:
    return Settings.load({"data_dir": tmp_path / "data", "token": TEACHER, "db": database}, env={})


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
        "session": session,
    }
