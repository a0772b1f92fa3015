"""Roster CSV parsing: the shapes gradebooks export, and clear reasons for rejected rows."""

from __future__ import annotations

import pytest

from live.reports.roster import parse_roster


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("name\nAda Lovelace\nBen Ng\n", ["Ada Lovelace", "Ben Ng"]),
        ("First Name,Last Name,Email Address\nAda,Lovelace,a@x.example\n", ["Ada Lovelace"]),
        ('"Student","ID","SIS User ID"\n"Lovelace, Ada",1,2\n', ["Lovelace, Ada"]),
        ("\ufeffName;Card\nZoë Ångström;3\n", ["Zoë Ångström"]),
        ("given_name\tfamily_name\nAda\tLovelace\n", ["Ada Lovelace"]),
        ("name\n\n  Ada   Lovelace \n\n", ["Ada Lovelace"]),
    ],
)
def test_reads_common_roster_shapes(text: str, names: list[str]) -> None:
    sheet = parse_roster(text)
    assert [r.name for r in sheet.rows] == names
    assert sheet.rejected == []


def test_cards_missing_are_assigned_in_order_after_explicit_ones() -> None:
    sheet = parse_roster("name,card\nA,\nB,1\nC,\nD,3\n", taken={2})
    assert [(r.name, r.card) for r in sheet.rows] == [("A", 4), ("B", 1), ("C", 5), ("D", 3)]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (",5", "no name"),
        ("Ann,five", "card 'five' is not a whole number"),
        ("Ann,65", "card 65 is outside 1-64"),
        ("Ann,0", "card 0 is outside 1-64"),
        ("Ann,2", "card 2 is already used"),
        ("x" * 201 + ",", "name longer than 200 characters"),
    ],
)
def test_rejects_bad_rows_with_a_reason(row: str, reason: str) -> None:
    sheet = parse_roster(f"name,card\nBen,2\n{row}\n")
    assert sheet.rejected == [(3, reason)]
    assert [r.name for r in sheet.rows] == ["Ben"]


def test_a_file_without_name_columns_is_refused() -> None:
    with pytest.raises(ValueError, match="no name column"):
        parse_roster("email,card\nx@y,1\n")
    with pytest.raises(ValueError, match="empty"):
        parse_roster("")


def test_more_students_than_cards() -> None:
    sheet = parse_roster("name\n" + "".join(f"S{i}\n" for i in range(66)))
    assert len(sheet.rows) == 64
    assert [line for line, _ in sheet.rejected] == [66, 67]


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Name,Student ID,Email", "Student ID"),
        ("Name,SIS ID,Email", "SIS ID"),
        ("Name,ID,E-mail", "ID"),
        ("Student,ID,SIS User ID,Email Address", "SIS User ID"),  # Canvas's own export
    ],
)
def test_reads_the_schools_student_id_and_email(header: str, column: str) -> None:
    cells = {"Name": "Ada Lovelace", "Student": "Ada Lovelace", column: "S-1001"}
    line = ",".join(cells.get(h, "99") if "mail" not in h.lower() else "Ada@School.example"
                    for h in header.split(","))  # fmt: skip
    sheet = parse_roster(f"{header}\n{line}\n")
    assert sheet.rejected == []
    (row,) = sheet.rows
    assert (row.school_id, row.email) == ("S-1001", "Ada@School.example")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("Ben,S1,", "student ID 'S1' is already used"),
        ("Ben,S2,not-an-email", "email 'not-an-email'"),
        ("Ben," + "9" * 65 + ",", "student ID longer than 64 characters"),
    ],
)
def test_rejects_a_student_id_used_twice_or_a_bad_email(row: str, reason: str) -> None:
    sheet = parse_roster(f"name,student id,email\nAda,S1,\n{row}\n", taken_ids={"S0"})
    assert [r.name for r in sheet.rows] == ["Ada"]
    assert len(sheet.rejected) == 1 and sheet.rejected[0][1].startswith(reason)


def test_a_student_id_already_in_the_class_is_refused() -> None:
    sheet = parse_roster("name,student id\nAda,S0\n", taken_ids={"S0"})
    assert sheet.rows == [] and sheet.rejected == [(2, "student ID 'S0' is already used")]
