"""Roster CSV: read the class lists teachers already have, reject bad rows with reasons.

Pure: text in, rows and rejections out. Accepts the shapes common gradebooks export: a ``name``
column (also ``student``, ``student name``, ``full name``), or ``first name`` and ``last name``
columns; optional ``card`` and ``group`` columns, and the school's identifiers: ``student id``
(also ``sis id``, ``sis user id``, ``id``, ``student number``) and ``email``. Header matching ignores case, spaces, ``_``
and ``-``. A byte-order mark and ``;`` or tab separators are handled.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from live.errors import BadRequest
from live.ids import parse_int
from live.text import email_problem, name_problem

__all__ = ["RosterRow", "RosterSheet", "csv_rows", "parse_roster", "parse_roster_rows"]

MAX_ROWS = 2000
_NAME = {"name", "student", "studentname", "fullname", "displayname"}
_FIRST = {"firstname", "givenname", "first", "forename"}
_LAST = {"lastname", "surname", "familyname", "last"}
_CARD = {"card", "cardnumber", "cardno", "number"}
_GROUP = {"group", "groupname", "team", "table"}
# most specific first: in a Canvas gradebook export "ID" is Canvas's own number and
# "SIS User ID" the school's
_SCHOOL_ID = ("studentid", "sisuserid", "sisid", "schoolid", "studentnumber", "id")
_EMAIL = {"email", "emailaddress", "studentemail", "mail"}
MAX_SCHOOL_ID = 64


@dataclass(frozen=True)
class RosterRow:
    line: int
    name: str
    card: int | None
    group: str | None
    school_id: str | None = None  # the school's student ID
    email: str | None = None


@dataclass
class RosterSheet:
    rows: list[RosterRow] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def _key(header: str) -> str:
    return "".join(ch for ch in header.lower() if ch.isalnum())


def csv_rows(
    text: str, dialect: type[csv.Dialect] | csv.Dialect = csv.excel
) -> Iterator[list[str]]:
    """The rows of CSV ``text``; a file the reader cannot go on with (a field over the csv
    module's limit of 131,072 characters, a quote left open) is a ``ValueError`` naming its line.
    """
    reader = csv.reader(io.StringIO(text), dialect)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = str(exc)
            if "field limit" in reason:
                reason = f"a field is longer than {csv.field_size_limit()} characters"
            raise ValueError(f"line {reader.line_num}: {reason}; nothing was imported") from None
        yield row


def parse_roster(
    text: str,
    *,
    max_card: int = 64,
    taken: set[int] | None = None,
    taken_ids: set[str] | None = None,
) -> RosterSheet:
    """Parse a roster; ``taken`` are cards and ``taken_ids`` student IDs already used in the
    class.

    Raises ``ValueError`` when the file has no usable header (no name columns). Row problems
    (no name, a card that is not a number, out of range, or used twice) are rejections.
    """
    text = text.lstrip("\ufeff")
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return parse_roster_rows(
        csv_rows(text, dialect), max_card=max_card, taken=taken, taken_ids=taken_ids
    )


def parse_roster_rows(
    rows: Iterable[list[str]],
    *,
    max_card: int = 64,
    taken: set[int] | None = None,
    taken_ids: set[str] | None = None,
) -> RosterSheet:
    """``parse_roster`` on rows of cells already split (a CSV reader, a spreadsheet's rows)."""
    reader = iter(rows)
    try:
        header = next(reader)
    except StopIteration:
        raise ValueError("the file is empty") from None
    keys = [_key(h) for h in header]

    def col(names: set[str]) -> int | None:
        return next((i for i, k in enumerate(keys) if k in names), None)

    name_i, first_i, last_i = col(_NAME), col(_FIRST), col(_LAST)
    card_i, group_i = col(_CARD), col(_GROUP)
    school_i = next((keys.index(k) for k in _SCHOOL_ID if k in keys), None)
    email_i = col(_EMAIL)
    if name_i is None and first_i is None and last_i is None:
        raise ValueError(
            "no name column: the first row must name the columns, e.g. name,card,group "
            "or first name,last name"
        )
    sheet = RosterSheet()
    seen_cards = set(taken or ())
    seen_ids = set(taken_ids or ())
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(sheet.rows) + len(sheet.rejected) >= MAX_ROWS:
            sheet.rejected.append((line, f"more than {MAX_ROWS} rows; the rest were not read"))
            break

        def cell(i: int | None, cells: list[str] = cells) -> str:
            return cells[i].strip() if i is not None and i < len(cells) else ""

        if name_i is not None:
            name = cell(name_i)
        else:
            name = " ".join(p for p in (cell(first_i), cell(last_i)) if p)
        name = " ".join(name.split())
        if not name:
            sheet.rejected.append((line, "no name"))
            continue
        if len(name) > 200:
            sheet.rejected.append((line, "name longer than 200 characters"))
            continue
        problem = name_problem(name)
        if problem is not None:
            sheet.rejected.append((line, f"name {problem}"))
            continue
        school_id = cell(school_i) or None
        if school_id is not None:
            if len(school_id) > MAX_SCHOOL_ID:
                sheet.rejected.append((line, f"student ID longer than {MAX_SCHOOL_ID} characters"))
                continue
            if name_problem(school_id) is not None:
                sheet.rejected.append((line, f"student ID {name_problem(school_id)}"))
                continue
            if school_id in seen_ids:
                sheet.rejected.append((line, f"student ID {school_id!r} is already used"))
                continue
        email = cell(email_i) or None
        if email is not None and email_problem(email) is not None:
            sheet.rejected.append((line, f"email {email!r} {email_problem(email)}"))
            continue
        card: int | None = None
        raw_card = cell(card_i)
        if raw_card:
            try:  # the one integer parser (live.ids): ASCII digits only, no "1_0" or "٣"
                card = parse_int(raw_card, "card")
            except BadRequest:
                sheet.rejected.append((line, f"card {raw_card!r} is not a whole number"))
                continue
            if not 1 <= card <= max_card:
                sheet.rejected.append((line, f"card {card} is outside 1-{max_card}"))
                continue
            if card in seen_cards:
                sheet.rejected.append((line, f"card {card} is already used"))
                continue
            seen_cards.add(card)
        group = cell(group_i)[:100] or None
        if group is not None and name_problem(group) is not None:
            sheet.rejected.append((line, f"group name {name_problem(group)}"))
            continue
        if school_id is not None:
            seen_ids.add(school_id)
        sheet.rows.append(
            RosterRow(
                line=line, name=name, card=card, group=group, school_id=school_id, email=email
            )
        )
    # cards assigned in order, after every explicit card has been claimed
    free = (n for n in range(1, max_card + 1) if n not in seen_cards)
    assigned: list[RosterRow] = []
    for row in sheet.rows:
        if row.card is None:
            n = next(free, None)
            if n is None:
                sheet.rejected.append((row.line, f"no free card left (1-{max_card})"))
                continue
            row = dataclasses.replace(row, card=n)
        assigned.append(row)
    sheet.rows = assigned
    sheet.rejected.sort()
    return sheet
