"""``cardcheck export``: the same bytes as the API, to a file, chosen by session, class or set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from live.cli import main
from live.store import Store
from tests.support.export_support import build

GOLDEN = Path(__file__).parent.parent / "reports" / "golden_export"


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


# -- roster import reads XLSX as well as CSV (the same live.reports.imports.read_roster as the API) ----


def test_roster_import_reads_an_xlsx_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in (["First name", "Last name", "Card", "Group"], ["Ada", "Lovelace", 3, "Blue"]):
        ws.append(row)
    ws.append(["Zoë", "O'Brien, Jr.", None, "Red"])
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    wb.close()
    db = str(tmp_path / "roster.sqlite3")
    assert main(["roster", "import", str(roster), "--class", "7B", "--db", db]) == 0
    assert "imported 2 student(s) into '7B' (2 in groups, 0 rejected)" in capsys.readouterr().out
    store = Store(db)
    try:
        cls = store.find_class("7B")
        assert cls is not None
        got = {s["name"]: s["card"] for s in store.list_students(cls["id"])}
        assert got == {"Ada Lovelace": 3, "Zoë O'Brien, Jr.": 1}
        assert {g["name"] for g in store.list_groups(cls["id"])} == {"Blue", "Red"}
    finally:
        store.close()


def test_roster_import_of_a_broken_xlsx_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "broken.xlsx"
    roster.write_bytes(b"PK\x03\x04 not really a workbook")
    db = str(tmp_path / "roster.sqlite3")
    assert main(["roster", "import", str(roster), "--class", "7B", "--db", db]) == 2
    assert "not a readable XLSX file" in capsys.readouterr().err
