"""Imports: rosters as CSV or XLSX, and question sets as CSV, each with a row-by-row report.

Parsing is pure (bytes or text in, rows and ``(line, reason)`` rejections out); writing is one
store transaction, so a file is imported whole or not at all. Rosters reuse ``live.reports.roster``: an
XLSX sheet's first worksheet is read into rows of text and goes down the same path as a CSV.

Question set CSV: a header row, then one question per row. Columns (header matching ignores case,
spaces, ``_`` and ``-``): ``prompt`` (or ``question``); the choices as ``choice a`` .. ``choice d``
(also ``a`` .. ``d``, ``option a`` ..) or one ``choices`` column split on ``|``; ``correct`` (also
``answer``, ``key``): a letter A-D, or empty / ``poll`` for a poll; ``skills`` (also ``skill``,
``tags``) split on ``;``, ``|`` or ``,``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from live.reports.archive import check_archive
from live.reports.roster import RosterSheet, csv_rows, parse_roster_rows
from live.text import name_problem, text_problem

__all__ = [
    "QuestionRow",
    "QuestionSheet",
    "is_xlsx",
    "parse_question_set",
    "read_roster",
    "rejected_json",
    "xlsx_rows",
]

MAX_QUESTIONS = 200
_ZIP = b"PK\x03\x04"
_XLSX_TYPES = ("spreadsheetml", "application/vnd.ms-excel", "application/zip")


def is_xlsx(raw: bytes, content_type: str = "") -> bool:
    """An XLSX upload, by its zip signature or its declared content type."""
    return raw[:4] == _ZIP or any(t in content_type.lower() for t in _XLSX_TYPES)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def xlsx_rows(raw: bytes, *, max_rows: int = 5000) -> list[list[str]]:
    """The first worksheet of an XLSX file as rows of text; ``ValueError`` if it is not one,
    or if it is bigger than ``live.reports.archive`` allows (checked before it is unpacked)."""
    from openpyxl import load_workbook

    check_archive(raw)
    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML and its own errors
        raise ValueError(f"not a readable XLSX file ({type(exc).__name__})") from None
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise ValueError("the workbook has no sheet")
        rows = []
        for row in ws.iter_rows(values_only=True):
            rows.append([_text(v) for v in row])
            if len(rows) > max_rows:
                break
        return rows
    finally:
        wb.close()


def read_roster(
    raw: bytes,
    content_type: str = "",
    *,
    max_card: int = 64,
    taken: set[int] | None = None,
    taken_ids: set[str] | None = None,
) -> RosterSheet:
    """A roster upload, CSV (UTF-8) or XLSX; ``ValueError`` with a message for a bad file."""
    if is_xlsx(raw, content_type):
        return parse_roster_rows(
            xlsx_rows(raw), max_card=max_card, taken=taken, taken_ids=taken_ids
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the roster must be UTF-8 text or an XLSX workbook") from None
    from live.reports.roster import parse_roster

    return parse_roster(text, max_card=max_card, taken=taken, taken_ids=taken_ids)


# -- question sets -------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionRow:
    line: int
    prompt: str
    choices: tuple[str, ...]
    correct: str | None
    skills: tuple[str, ...]


@dataclass
class QuestionSheet:
    rows: list[QuestionRow] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)


def _key(header: str) -> str:
    return "".join(ch for ch in header.lower() if ch.isalnum())


_PROMPT = {"prompt", "question", "questiontext", "text", "stem"}
_CHOICES = {"choices", "options", "answers"}
_CORRECT = {"correct", "correctanswer", "answer", "key", "answerkey"}
_SKILLS = {"skills", "skill", "tags", "tag", "standards", "standard"}
_LETTER_COLS = [{f"choice{x}", f"option{x}", f"answer{x}", x} for x in "abcd"]


def parse_question_set(text: str) -> QuestionSheet:
    """Parse a question set CSV (see the module docstring).

    ``ValueError`` for a file without a usable header; each bad row is a rejection with its line
    number and the reason.
    """
    text = text.lstrip("\ufeff")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    reader = csv_rows(text, dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise ValueError("the file is empty") from None
    keys = [_key(h) for h in header]

    def col(names: set[str]) -> int | None:
        return next((i for i, k in enumerate(keys) if k in names), None)

    prompt_i, choices_i = col(_PROMPT), col(_CHOICES)
    correct_i, skills_i = col(_CORRECT), col(_SKILLS)
    letter_is = [col(names) for names in _LETTER_COLS]
    if prompt_i is None:
        raise ValueError(
            "no prompt column: the first row must name the columns, e.g. "
            "prompt,choice a,choice b,choice c,choice d,correct,skills"
        )
    if choices_i is None and all(i is None for i in letter_is):
        raise ValueError(
            "no choice columns: use choice a .. choice d, or one choices column "
            "with the choices separated by |"
        )
    sheet = QuestionSheet()
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(sheet.rows) >= MAX_QUESTIONS:
            sheet.rejected.append((line, f"more than {MAX_QUESTIONS} questions in one set"))
            break

        def cell(i: int | None, cells: list[str] = cells) -> str:
            return cells[i].strip() if i is not None and i < len(cells) else ""

        reason = None
        prompt = cell(prompt_i)
        if choices_i is not None:
            raw_choices = [c.strip() for c in cell(choices_i).split("|")]
            while raw_choices and not raw_choices[-1]:
                raw_choices.pop()
        else:
            raw_choices = [cell(i) for i in letter_is]
            while raw_choices and not raw_choices[-1]:
                raw_choices.pop()
        raw_correct = cell(correct_i).upper()
        skills = tuple(s.strip() for s in re.split(r"[;|,]", cell(skills_i)) if s.strip())
        bad_text = next(
            (
                f"{what} {problem}"
                for what, problem in (
                    ("prompt", text_problem(prompt) if prompt else None),
                    *(
                        (f"choice {'ABCD'[i]}", name_problem(c) if c else None)
                        for i, c in enumerate(raw_choices[:4])
                    ),
                    *(("skill", name_problem(s)) for s in skills),
                )
                if problem is not None
            ),
            None,
        )
        if not prompt:
            reason = "no prompt"
        elif len(prompt) > 2000:
            reason = "prompt longer than 2000 characters"
        elif bad_text is not None:
            reason = bad_text
        elif "" in raw_choices:
            gap = "ABCD"[raw_choices.index("")]
            reason = f"choice {gap} is empty but a later choice is not"
        elif not 2 <= len(raw_choices) <= 4:
            reason = f"{len(raw_choices)} choice(s); a question needs 2 to 4"
        elif any(len(c) > 500 for c in raw_choices):
            reason = "a choice is longer than 500 characters"
        elif not (
            raw_correct in ("", "POLL", "NONE", "-")
            or (len(raw_correct) == 1 and raw_correct in "ABCD"[: len(raw_choices)])
        ):
            reason = (
                f"correct answer {cell(correct_i)!r} is not one of "
                f"{', '.join('ABCD'[: len(raw_choices)])} (or empty for a poll)"
            )
        elif len(skills) > 20 or any(len(s) > 100 for s in skills):
            reason = "at most 20 skills of at most 100 characters each"
        if reason is not None:
            sheet.rejected.append((line, reason))
            continue
        correct = raw_correct if raw_correct in ("A", "B", "C", "D") else None
        sheet.rows.append(QuestionRow(line, prompt, tuple(raw_choices), correct, skills))
    return sheet


def rejected_json(rejected: Iterable[tuple[int, str]]) -> list[dict[str, Any]]:
    return [{"line": line, "reason": reason} for line, reason in rejected]
