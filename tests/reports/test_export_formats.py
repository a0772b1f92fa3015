"""Exports, pure: golden files for every format, round trips, injection, isolation, analysis.

Golden files live in tests/reports/golden_export/; after an intended change, regenerate them with
``CARDCHECK_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/reports/test_export_formats.py`` and
review the diff.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from live.reports.export import FORMATS, ITEM_HEADER, export, file_name, safe
from live.reports.report import (
    MIN_N,
    Question,
    ReportData,
    Response,
    SessionInfo,
    Student,
    item_analysis,
    read_class,
    read_session,
    read_set,
    split_name,
    student_skills,
)
from live.reports.report_html import render_report
from live.reports.workbook import Sheet, Styled, write_workbook
from live.store import Store
from tests.support.export_support import NAMES, build

GOLDEN = Path(__file__).parent / "golden_export"
UTC_ZONE = __import__("datetime").UTC


@pytest.fixture
def fixed(tmp_path: Path) -> Iterator[tuple[Store, dict[str, Any]]]:
    store = Store(tmp_path / "export.sqlite3")
    try:
        yield store, build(store)
    finally:
        store.close()


def _check_golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("CARDCHECK_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"missing golden file {path}; run with CARDCHECK_UPDATE_GOLDEN=1"
    assert data == path.read_bytes(), f"{name} differs from its golden file"


def _xlsx_dump(data: bytes) -> bytes:
    """Every sheet's cells and the scores' fills as JSON text, for a readable golden file."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out: dict[str, Any] = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "freeze": ws.freeze_panes,
            "rows": [list(r) for r in ws.iter_rows(values_only=True)],
        }
    scores = wb["Scores"]
    out["Scores"]["fills"] = [
        [c.fill.fgColor.rgb if c.fill.fill_type == "solid" else None for c in row]
        for row in scores.iter_rows(min_row=2)
    ]
    wb.close()
    return (json.dumps(out, ensure_ascii=False, indent=1, default=str) + "\n").encode()


def _csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_each_format_matches_its_golden_file(fixed: tuple[Store, dict[str, Any]], fmt: str) -> None:
    store, ids = fixed
    data = export(read_session(store, ids["session"]), fmt, tz=UTC_ZONE)
    if fmt == "xlsx":
        _check_golden("session.xlsx.json", _xlsx_dump(data))
    elif fmt == "oneroster":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert z.namelist() == [
                "manifest.csv",
                "categories.csv",
                "lineItems.csv",
                "results.csv",
            ]
            for name in z.namelist():
                _check_golden(f"session-oneroster-{name}", z.read(name))
    else:
        ext = FORMATS[fmt].extension
        _check_golden(f"session-{fmt}.{ext}", data)


def test_the_html_report_matches_its_golden_file(fixed: tuple[Store, dict[str, Any]]) -> None:
    store, ids = fixed
    html = render_report(read_session(store, ids["session"]), tz=UTC_ZONE)
    _check_golden("session-report.html", html.encode())
    assert (
        "<script" not in html
        and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
        and "https://" not in html
    )
    assert html.count("<svg") == 3


def test_scoresheet_round_trips_names_exactly_apart_from_the_neutralising_quote(
    fixed: tuple[Store, dict[str, Any]],
) -> None:
    store, ids = fixed
    rows = _csv_rows(export(read_session(store, ids["session"]), "csv"))
    assert rows[0] == [
        "Card",
        "First name",
        "Last name",
        "Student ID",
        "Email",
        "Group",
        "Score %",
        "Correct",
        "Answered",
        "Asked",
        "Q1 (key A)",
        "Q2 (key B)",
        "Q3 (poll)",
    ]
    for row, (name, group) in zip(rows[1:], NAMES, strict=True):  # students only, no key row
        first, last = split_name(name)
        assert row[1] == safe(first) and row[2] == safe(last)
        assert row[5] == (group or "")
        unquoted = [c[1:] if c.startswith("'") else c for c in row[1:3]]
        assert (unquoted[0] + (" " + unquoted[1] if unquoted[1] else "")) == name


def test_long_csv_round_trips_every_response(fixed: tuple[Store, dict[str, Any]]) -> None:
    store, ids = fixed
    data = read_session(store, ids["session"])
    rows = _csv_rows(export(data, "long"))
    assert len(rows) - 1 == len(data.responses) == 21
    assert rows[0][6:8] == ["Student ID", "cardcheck student no."]
    by_student = {r[7]: r for r in rows[1:] if r[3] == "1"}
    for sid, (name, _) in zip(ids["students"], NAMES, strict=True):
        assert by_student[str(sid)][8] == safe(name)
    ada = by_student[str(ids["students"][0])]
    assert ada[6] == "S1001"  # the school's student ID
    assert ada[11:17] == [
        "A",
        "TRUE",
        "2024-09-02T10:01:01+00:00",
        "2024-09-02T10:01:09+00:00",
        "2",
        "scan",
    ]
    manual = by_student[str(ids["students"][5])]
    assert manual[16] == "manual"
    poll = [r for r in rows[1:] if r[3] == "3"]
    assert {r[12] for r in poll} == {""}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ('Zoë, "Z"\n', 'Zoë, "Z"\n'),
        ("", ""),
        (-3, -3),
        (None, None),
    ],
)
def test_safe_neutralises_only_formula_starts(value: Any, expected: Any) -> None:
    assert safe(value) == expected


def test_no_csv_or_xlsx_cell_starts_a_formula(fixed: tuple[Store, dict[str, Any]]) -> None:
    store, ids = fixed
    data = read_session(store, ids["session"])
    for fmt in ("csv", "long", "canvas"):
        for row in _csv_rows(export(data, fmt)):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (fmt, cell)
    wb = openpyxl.load_workbook(io.BytesIO(export(data, "xlsx")))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    assert not c.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    wb.close()


def test_xlsx_opens_with_openpyxl_with_sheets_colours_and_frozen_headers(
    fixed: tuple[Store, dict[str, Any]],
) -> None:
    store, ids = fixed
    data = read_session(store, ids["session"])
    wb = openpyxl.load_workbook(io.BytesIO(export(data, "xlsx")))
    assert wb.sheetnames == [
        "Scores",
        "Responses",
        "Items",
        "Groups",
        "Skills",
        "Flags",
        "Check-ins",
    ]
    scores = wb["Scores"]
    assert scores.freeze_panes == "D2" and wb["Responses"].freeze_panes == "A2"
    assert scores.column_dimensions["B"].width == pytest.approx(14, abs=1)
    header = [c.value for c in scores[1]]
    assert header[10:] == ["Q1 (key A)", "Q2 (key B)", "Q3 (poll)"] and scores["A1"].font.b
    ada = scores[2]
    assert [c.value for c in ada[:10]] == [
        1,
        "Ada",
        "Lovelace",
        "S1001",
        "ada@school.example",
        "Blue",
        1,  # 100 %: a fraction shown as a percent
        2,
        2,
        2,
    ]
    assert ada[6].number_format == "0%"
    assert ada[10].fill.fgColor.rgb == "FFC6EFCE"  # Q1 right: green
    row2 = scores[3]
    assert row2[10].value == "B" and row2[10].fill.fgColor.rgb == "FFFFC7CE"  # wrong: red
    assert ada[12].fill.fill_type is None  # a poll is neither
    responses = list(wb["Responses"].iter_rows(values_only=True))
    names = {r[8] for r in responses[1:]}
    assert "Li\nWei" in names and 'Zoë "Zee" O\'Brien, Jr.' in names and "李 小龍" in names
    assert [r[6] for r in wb["Flags"].iter_rows(values_only=True)][
        1
    ] == "'=Red chose B on Q1: check in"
    checkin = list(wb["Check-ins"].iter_rows(values_only=True))[1]
    assert checkin[3:] == ("Red", "Used a number line", "Compare fractions", "Re-check Friday")
    wb.close()


def test_json_is_the_same_data_and_raw(fixed: tuple[Store, dict[str, Any]]) -> None:
    store, ids = fixed
    data = read_session(store, ids["session"])
    doc = json.loads(export(data, "json"))
    assert doc["format"] == "cardcheck.export" and doc["version"] == 1
    assert [s["name"] for s in doc["students"]] == [n for n, _ in NAMES]  # not neutralised
    assert len(doc["responses"]) == 21 and len(doc["questions"]) == 3
    assert doc["students"][0]["percent"] == 100.0
    assert {
        r["correct"] for r in doc["responses"] if r["asked_id"] == doc["questions"][2]["asked_id"]
    } == {None}
    assert doc["flags"][0]["message"].startswith("=")
    assert doc["items"][0]["choices"][0] == {
        "choice": "A",
        "text": "5/6",
        "count": 5,
        "share": 5 / 8,
        "top": None,
        "bottom": None,
    }


def test_class_export_holds_only_that_class(fixed: tuple[Store, dict[str, Any]]) -> None:
    store, ids = fixed
    data = read_class(store, ids["class"], tz=UTC_ZONE)
    assert [s.id for s in data.sessions] == [ids["session"]]
    assert ids["stranger"] not in {s.id for s in data.students}
    for fmt in FORMATS:
        assert b"Stranger" not in export(data, fmt)
    other = read_class(store, ids["other_class"], tz=UTC_ZONE)
    assert [s.name for s in other.students] == ["Stranger Danger"]
    assert {r.student_id for r in other.responses} == {ids["stranger"]}


def test_class_date_range_is_inclusive_local_days(fixed: tuple[Store, dict[str, Any]]) -> None:
    store, ids = fixed
    day = date(2024, 9, 2)
    assert len(read_class(store, ids["class"], start=day, end=day, tz=UTC_ZONE).sessions) == 1
    after = read_class(store, ids["class"], start=date(2024, 9, 3), tz=UTC_ZONE)
    assert after.sessions == () and after.responses == ()
    assert len(after.students) == 8  # the class roster still heads the scoresheet


def test_set_export_spans_the_classes_that_ran_it(fixed: tuple[Store, dict[str, Any]]) -> None:
    store, ids = fixed
    data = read_set(store, ids["set"])
    assert [s.id for s in data.sessions] == [ids["session"], ids["other_session"]]
    rows = _csv_rows(export(data, "csv", tz=UTC_ZONE))
    assert rows[0][10] == "2024-09-02 #1 Q1 (key A)"
    assert rows[0][-1] == "2024-09-02 #2 Q1 (key A)"
    assert file_name(data, "xlsx") == "cardcheck-set-fractions-check.xlsx"


def test_file_names_are_ascii_and_say_what_they_hold(
    fixed: tuple[Store, dict[str, Any]],
) -> None:
    store, ids = fixed
    data = read_session(store, ids["session"])
    assert file_name(data, "long", tz=UTC_ZONE) == "cardcheck-7b-session-1-2024-09-02-responses.csv"
    cls = read_class(store, ids["class"], start=date(2024, 9, 1), tz=UTC_ZONE)
    assert file_name(cls, "oneroster") == "cardcheck-7b-2024-09-01-today-oneroster.zip"


# -- item analysis, on made-up data ----------------------------------------------------------


def _data(answers: list[list[str | None]], keys: list[str | None]) -> ReportData:
    """Students x questions of answers (None: not answered) as a one-session ReportData."""
    session = SessionInfo(1, 1, "C", None, 0.0, 1.0)
    questions = tuple(
        Question(100 + i, 1, i + 1, i + 1, f"q{i}", ("a", "b", "c", "d"), k, ("s",), float(i))
        for i, k in enumerate(keys)
    )
    students = tuple(
        Student(i + 1, 1, f"S{i}", i + 1, None, None, True) for i in range(len(answers))
    )
    responses = tuple(
        Response(100 + qi, si + 1, a, si + 1, "scan", 0.0, 0.0, 0)
        for si, row in enumerate(answers)
        for qi, a in enumerate(row)
        if a is not None
    )
    return ReportData("session", "t", (session,), students, questions, responses)


def _corr(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return num / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))


def test_point_biserial_is_the_corrected_item_total_correlation() -> None:
    # 20 students of spread ability, 5 questions of spread difficulty, a fixed random draw
    rng = random.Random(7)
    keys = ["A", "B", "C", "D", "A"]
    wrong = {"A": "B", "B": "C", "C": "D", "D": "A"}
    grid = [
        [k if rng.random() < (i + 1) / 21 + (2 - q) * 0.1 else wrong[k] for q, k in enumerate(keys)]
        for i in range(20)
    ]
    items = item_analysis(_data(list(grid), list(keys)))
    checked = 0
    for q, it in enumerate(items):
        xs = [1.0 if row[q] == keys[q] else 0.0 for row in grid]
        totals = [sum(row[j] == keys[j] for j in range(5)) for row in grid]
        ys = [(t - x) / 4 for t, x in zip(totals, xs, strict=True)]
        assert it.discrimination_n == 20
        assert it.percent_correct == pytest.approx(100 * sum(xs) / 20)
        if 0 < sum(xs) < 20:
            assert it.discrimination == pytest.approx(_corr(xs, ys))
            checked += 1
    assert checked >= 3
    # 27% of 20 rounds to 5 students in each group: just enough
    assert items[0].top_n == 5 and items[0].bottom_n == 5 and items[0].upper_lower is not None


def test_discrimination_says_n_too_small_below_the_minimum() -> None:
    grid: list[list[str | None]] = [
        ["A" if i % 2 else "B", "A" if i % 3 else "C"] for i in range(MIN_N - 1)
    ]
    it = item_analysis(_data(grid, ["A", "A"]))[0]
    assert it.discrimination is None and "n too small" in it.note
    assert it.choices[0].top is None and "top/bottom groups: n too small" in it.note


def test_top_and_bottom_groups_show_which_distractor_attracts_whom() -> None:
    # 20 students: six weak ones all pick distractor C on q1; the strongest pick the key
    grid: list[list[str | None]] = []
    for i in range(20):
        if i < 6:
            grid.append(["C", "D", "B", "A"])  # 0 %
        elif i < 10:
            grid.append(["A", "B", "B", "A"])  # 50 %
        else:
            grid.append(["A", "B", "A", "B"])  # 100 %
    it = item_analysis(_data(grid, ["A", "B", "A", "B"]))[0]
    shares = {c.choice: c for c in it.choices}
    assert shares["C"].bottom == 1.0 and shares["C"].top == 0.0
    assert shares["A"].top == 1.0
    assert it.upper_lower == 1.0 and it.discrimination is not None and it.discrimination > 0.5


def test_polls_have_no_percent_and_skills_track_sessions() -> None:
    data = _data([["A", "B"], ["A", "A"]], ["A", None])
    items = item_analysis(data)
    assert items[1].percent_correct is None and "poll" in items[1].note
    points = student_skills(data)
    assert [(p.who, p.skill, p.answered, p.correct) for p in points] == [
        (1, "s", 1, 1),
        (2, "s", 1, 1),
    ]


# -- the workbook writer -----------------------------------------------------------------------


def test_workbook_writer_keeps_text_text_and_replaces_what_xml_cannot_hold() -> None:
    data = write_workbook(
        [
            Sheet(
                "a/b:c?",
                ["h"],
                [
                    ["=1+1"],
                    [" padded "],
                    ["bell\x07"],
                    ["cr\r\nlf"],
                    [1.5],
                    [True],
                    [None],
                    [Styled("x", "correct")],
                    [float("nan")],
                ],
            ),
            Sheet("A/B:C?", ["h"], []),
        ]
    )
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["a_b_c_", "A_B_C_ (2)"]
    values = [c.value for c in wb.worksheets[0]["A"]]
    # a carriage return is stored as ECMA-376's escape _x000D_, which Excel decodes (openpyxl
    # reads it as is); a NaN becomes an empty cell, and a trailing empty row is not stored
    assert values == ["h", "=1+1", " padded ", "bell\ufffd", "cr_x000D_\nlf", 1.5, True, None, "x"]
    assert wb.worksheets[0]["A2"].data_type == "s"  # text, not a formula (safe() is separate)
    wb.close()
    assert write_workbook([Sheet("s", ["h"], [[1]])]) == write_workbook([Sheet("s", ["h"], [[1]])])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_xlsx_cells_are_typed_and_times_are_in_the_schools_zone(
    fixed: tuple[Store, dict[str, Any]],
) -> None:
    """Booleans, numbers, percents and Excel date-times (local wall time in the zone asked
    for); the CSV says the same times in ISO 8601 with their offset."""
    store, ids = fixed
    data = read_session(store, ids["session"])
    zone = ZoneInfo("America/New_York")  # 2024-09-02 is summer time there: UTC-4
    wb = openpyxl.load_workbook(io.BytesIO(export(data, "xlsx", tz=zone)))
    responses = list(wb["Responses"].iter_rows(values_only=True))
    head = list(responses[0])
    ada = next(
        r
        for r in responses[1:]
        if r[head.index("cardcheck student no.")] == ids["students"][0] and r[3] == 1
    )
    assert ada[head.index("Correct")] is True and ada[head.index("Late")] is False
    assert ada[head.index("First seen")] == datetime(2024, 9, 2, 6, 1, 1)  # 10:01:01Z
    assert wb["Responses"].cell(2, head.index("First seen") + 1).is_date
    assert isinstance(ada[head.index("Changes")], int)
    items = wb["Items"]
    assert items.cell(2, ITEM_HEADER.index("% correct") + 1).number_format == "0%"
    assert wb["Flags"].cell(2, 1).value == datetime(2024, 9, 2, 6, 1, 40)
    wb.close()
    long = _csv_rows(export(data, "long", tz=zone))
    first = next(r for r in long[1:] if r[7] == str(ids["students"][0]) and r[3] == "1")
    assert first[long[0].index("First seen")] == "2024-09-02T06:01:01-04:00"
    assert first[long[0].index("Correct")] == "TRUE"


def test_xlsx_converts_cleanly_with_libreoffice(
    fixed: tuple[Store, dict[str, Any]], tmp_path: Path
) -> None:
    """A second reader: LibreOffice headless opens the workbook and writes every sheet's
    first one back as CSV with the students in it."""
    store, ids = fixed
    book = tmp_path / "session.xlsx"
    book.write_bytes(export(read_session(store, ids["session"]), "xlsx"))
    done = subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path), str(book)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    out = tmp_path / "session.csv"
    assert out.exists(), done.stdout + done.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0][:6] == ["Card", "First name", "Last name", "Student ID", "Email", "Group"]
    assert len(rows) > 2
