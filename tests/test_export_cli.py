"""``cardcheck export``: the same bytes as the API, to a file, chosen by session, class or set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from live.cli import main
from live.store import Store
from tests.export_support import build

GOLDEN = Path(__file__).parent / "golden_export"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.sqlite3"
    store = Store(path)
    try:
        build(store)
    finally:
        store.close()
    return path


def test_export_a_session_matches_the_golden_scoresheet(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    assert (
        main(
            [
                "export",
                "--session",
                "1",
                "--format",
                "csv",
                "--out",
                str(out),
                "--db",
                str(db),
                "--tz",
                "UTC",
            ]
        )
        == 0
    )
    assert out.read_bytes() == (GOLDEN / "session-csv.csv").read_bytes()


def test_export_a_class_by_name_over_dates(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    assert (
        main(
            [
                "export",
                "--class",
                "8C",
                "--from",
                "2024-09-01",
                "--to",
                "2024-09-30",
                "--format",
                "json",
                "--out",
                str(out),
                "--db",
                str(db),
                "--tz",
                "UTC",
            ]
        )
        == 0
    )
    doc = json.loads(out.read_text())
    assert [s["name"] for s in doc["students"]] == ["Stranger Danger"]
    assert doc["filters"]["from"] == "2024-09-01"


def test_export_errors_are_messages_not_tracebacks(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "x.csv")
    assert main(["export", "--class", "Nope", "--out", out, "--db", str(db)]) == 2
    assert "no class called 'Nope'" in capsys.readouterr().err
    assert main(["export", "--session", "99", "--out", out, "--db", str(db)]) == 2
    assert "no session 99" in capsys.readouterr().err
    assert (
        main(["export", "--set", "1", "--from", "2024-01-01", "--out", out, "--db", str(db)]) == 2
    )
    with pytest.raises(SystemExit):
        main(["export", "--session", "1", "--format", "pdf", "--out", out])
