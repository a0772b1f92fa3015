"""The command line: roster import, and the real ``cardcheck serve`` over a socket."""

from __future__ import annotations

import argparse
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

from live.cli import _settings, build_parser, main
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
    sid = session["id"]
    status, qs = call(server, "GET", "/api/questions")
    assert all(q["skills"] for q in qs)
    call(server, "POST", f"/api/sessions/{sid}/ask", {"question_id": qs[0]["id"]})
    status, state = call(server, "GET", f"/api/sessions/{sid}")
    student = state["students"][0]["id"]
    status, r = call(server, "PUT", f"/api/sessions/{sid}/responses/{student}", {"answer": "A"})
    assert status == 200 and r["recorded"] is True
    status, err = call(server, "POST", "/api/classes", {"name": 5})
    assert status == 400 and err["error"]["code"] == "invalid"
    proc = server["proc"]
    proc.terminate()
    out, _ = proc.communicate(timeout=10)
    assert "/signin?token=real-teacher-token" in out
    assert f"Demo class 7B: {server['base']}/projector/?class={demo['id']}&token=" in out
    assert "/scan/" not in out  # a scanner link names a session: they are on the console
    assert "a data\n    folder of its own" in out


def _options(parser: argparse.ArgumentParser, path: str = "cardcheck") -> Iterator[tuple[str, Any]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield f"{path} {'/'.join(action.option_strings) or action.dest}", action


def test_every_option_of_every_command_says_what_it_is_for() -> None:
    """Regression: --per-page, --format, --db and decode's images had no description."""
    undescribed = [name for name, action in _options(build_parser()) if not action.help]
    assert undescribed == []


def test_cards_print_two_to_a_page_by_default() -> None:
    """Two per page: what the README recommends for a classroom."""
    args = build_parser().parse_args(["cards", "--out", "x.pdf"])
    assert args.per_page == 2


def test_the_demo_keeps_to_a_data_folder_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the environment says of the real data folder, the demo never writes there."""
    monkeypatch.setenv("XDG_DATA_HOME", "/srv/data")
    monkeypatch.setenv("CARDCHECK_DATA_DIR", "/srv/school")
    monkeypatch.setenv("CARDCHECK_DB", "/srv/school/live.sqlite3")
    parser = build_parser()
    real = _settings(parser.parse_args(["serve"]))
    assert real.database == "/srv/school/live.sqlite3"
    for argv in (["demo"], ["serve", "--demo"]):
        demo = _settings(parser.parse_args(argv), demo=True)
        assert demo.demo and demo.database == "/srv/data/cardcheck-demo/cardcheck.sqlite3"
    chosen = _settings(parser.parse_args(["demo", "--data-dir", "/tmp/d"]), demo=True)
    assert chosen.database == "/tmp/d/cardcheck.sqlite3"


@pytest.mark.slow
def test_the_demo_camera_comes_back_when_the_teacher_ends_its_session(tmp_path: Path) -> None:
    """Regression: ending the demo's session on the console stopped the simulated camera for
    good (4409). Now it says so, starts a new session, and the demo goes on."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = {"base": base, "token": "demo-teacher-token"}
    env = {**os.environ, "CARDCHECK_TOKEN": server["token"]}
    args = [sys.executable, "-m", "live.cli", "demo", "--port", str(port), "--no-browser",
            "--data-dir", str(tmp_path / "demo"), "--pace", "2", "--questions", "1"]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)  # fmt: skip
    try:
        first = _wait(lambda: _running(server), "the demo's first session", proc)
        _wait(lambda: (_running(server) or [{}])[0].get("question"), "a question asked", proc)
        status, _ = call(server, "POST", f"/api/sessions/{first[0]['id']}/end")
        assert status == 200
        out, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    assert f"session {first[0]['id']} was ended on the console; a new one in" in out, out
    assert f"session {first[0]['id'] + 1} started" in out, out
    assert "the demo camera stopped" not in out, out


def _running(server: dict[str, Any]) -> Any:
    try:
        return call(server, "GET", "/api/sessions/running")[1]
    except (urllib.error.URLError, ConnectionError):
        return None


def _wait(check: Any, what: str, proc: subprocess.Popen[str], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the demo exited before {what}"
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {what} in {timeout} s")


def test_users_add_list_passwd_disable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The accounts of a school's server from the command line; passwords from stdin."""
    import io

    db = ["--db", str(tmp_path / "db.sqlite3")]

    def with_stdin(text: str, argv: list[str]) -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))
        return main(argv)

    assert main(["users", "list", *db]) == 0
    assert "no accounts yet" in capsys.readouterr().out
    assert with_stdin("owner password\n", ["users", "add", "ada", "--password-stdin", *db]) == 0
    assert "owner of this server" in capsys.readouterr().out
    argv = ["users", "add", "ben", "--name", "Ben Ng", "--password-stdin", *db]
    assert with_stdin("ben's password\n", argv) == 0
    assert with_stdin("short\n", ["users", "add", "cy", "--password-stdin", *db]) == 1
    assert "8 to 1024 characters" in capsys.readouterr().err
    assert main(["users", "list", *db]) == 0
    out = capsys.readouterr().out
    assert "ada  ada  (admin, owner)" in out and "ben  Ben Ng  (teacher)" in out
    assert with_stdin("a new password\n", ["users", "passwd", "ben", "--password-stdin", *db]) == 0
    assert main(["users", "disable", "ben", *db]) == 0
    assert main(["users", "disable", "ada", *db]) == 1  # the owner stays enabled
    assert main(["users", "disable", "nobody", *db]) == 1
    store = Store(db[1])
    assert store.check_password("ben", "a new password") is None  # disabled
    store.close()
    assert main(["users", "disable", "ben", "--enable", *db]) == 0
    store = Store(db[1])
    assert store.check_password("ben", "a new password") is not None
    store.close()
