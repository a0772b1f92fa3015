"""Roster CSV parsing: the shapes gradebooks export, and clear reasons for rejected rows."""

from __future__ import annotations

import pytest

from live.reports.roster import parse_roster


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("name\nAda Lovelace\nBen Ng\n", ["Ada Lovelace", "Ben Ng"]),
        ("First Name,Last Name,Email Address\nAda,Lovelace,a@x\n", ["Ada Lovelace"]),
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
