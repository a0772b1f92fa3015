"""The command line: roster import, and the real ``cardcheck serve`` over a socket."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from live.cli import main
from live.store import Store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_roster_import_reports_rejected_rows_and_imports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("Name,Card,Group\nAda,1,Blue\nBen,x,Blue\nCy,,Red\n", encoding="utf-8")
    db = str(tmp_path / "db.sqlite3")
    assert main(["roster", "import", str(roster), "--class", "7B", "--db", db]) == 1
    err = capsys.readouterr().err
    assert "line 3: rejected: card 'x' is not a whole number" in err
    store = Store(db)
    cls = store.find_class("7B")
    assert cls is not None and store.list_students(cls["id"]) == []
    store.close()
    assert main(["roster", "import", str(roster), "--class", "7B", "--db", db, "--partial"]) == 0
    out = capsys.readouterr().out
    assert "imported 2 student(s)" in out and "card  2  Cy  [Red]" in out
    store = Store(db)
    assert [s["name"] for s in store.list_students(cls["id"])] == ["Ada", "Cy"]
    assert {g["name"] for g in store.list_groups(cls["id"])} == {"Blue", "Red"}
    store.close()


def test_roster_import_of_a_missing_file(tmp_path: Path) -> None:
    db = str(tmp_path / "db.sqlite3")
    assert main(["roster", "import", str(tmp_path / "nope.csv"), "--class", "7B", "--db", db]) == 2


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    port = free_port()
    env = {**os.environ, "CARDCHECK_TOKEN": "real-teacher-token"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "live.cli",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/api/health", timeout=1).read()
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("cardcheck serve did not answer in 60 s")
    try:
        yield {"base": base, "proc": proc, "token": "real-teacher-token"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def call(server: dict[str, Any], method: str, path: str, body: Any = None) -> tuple[int, Any]:
    req = urllib.request.Request(
        server["base"] + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {server['token']}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.slow
def test_real_serve_prints_its_urls_and_serves_the_demo_class(server: dict[str, Any]) -> None:
    status, classes = call(server, "GET", "/api/classes")
    assert status == 200
    (demo,) = classes
    assert demo["students"] == 28
    status, groups = call(server, "GET", f"/api/classes/{demo['id']}/groups")
    assert len(groups) == 5
    status, session = call(server, "POST", "/api/sessions", {"class_id": demo["id"]})
    assert status == 201
    sid = session["session"]["id"]
    status, qs = call(server, "GET", "/api/questions")
    assert all(q["skills"] for q in qs)
    call(server, "POST", f"/api/sessions/{sid}/ask", {"question_id": qs[0]["id"]})
    student = session["students"][0]["id"]
    status, r = call(server, "PUT", f"/api/sessions/{sid}/responses/{student}", {"answer": "A"})
    assert status == 200 and r["recorded"] is True
    status, err = call(server, "POST", "/api/classes", {"name": 5})
    assert status == 400 and err["error"]["code"] == "invalid"
    proc = server["proc"]
    proc.terminate()
    out, _ = proc.communicate(timeout=10)
    assert "/teacher/?token=real-teacher-token" in out
    assert "/projector/?token=" in out
