"""Exports: a ``ReportData`` in, the bytes of a file out. Pure: no I/O, no clock.

Formats (``FORMATS``: name -> ``Format`` with its media type and file extension):

``csv``        the scoresheet: one row per student (card, first name, last name, group, score
               percent, correct, answered, asked, then the answer given to each question); each
               question's heading carries its key ("Q1 (key B)", "Q2 (poll)"). Its group is ``Student.group``:
               the group at the session for one session, the current group for a class over
               dates or a question set (a row spans many sessions).
``long``       one row per response (session, date, question, skills, the school's student ID,
               cardcheck's own student number, student, card, group,
               answer, correct, first seen, last changed, changes, source, late). Its group is the
               one the student was in at that response's session (``session_groups``: at the
               session's start), so a later move never relabels past answers.
``xlsx``       sheets Scores (correct cells green, wrong red), Responses, Items, Groups, Skills,
               Flags and Check-ins; frozen header rows, fitted column widths.
``json``       the same data, documented in docs/export-json.md.
``canvas``     Canvas's gradebook import CSV: Student, ID, SIS User ID (the school's student
               ID), SIS Login ID, Section, then one assignment column per session (points: the
               score out of the session's scored questions), with the "Points Possible" row
               Canvas itself writes.
``oneroster``  a OneRoster 1.2 CSV zip (bulk): manifest.csv, categories.csv, lineItems.csv (one
               line item per session) and results.csv (one result per student and session).

Safety: every text cell of the CSV and XLSX formats goes through ``safe``, which prefixes a
single quote to text beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return (the
OWASP advice against formula injection); nothing else about a name changes, so commas, quotes,
newlines and any Unicode come back exactly when the file is read with a CSV reader. CSV is
written with the ``csv`` module only, as UTF-8 with a byte-order mark (so Excel reads Unicode).
JSON carries the raw values.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from live.reports.report import (
    ReportData,
    SkillPoint,
    group_skills,
    item_analysis,
    session_groups,
    student_skills,
)
from live.reports.score import Score, score_by_session, student_scores, total
from live.reports.workbook import Sheet, Styled, write_workbook

__all__ = [
    "FORMATS",
    "Format",
    "canvas_csv",
    "export",
    "file_name",
    "json_export",
    "long_csv",
    "oneroster_zip",
    "safe",
    "scoresheet_csv",
    "xlsx",
]

_DANGER = ("=", "+", "-", "@", "\t", "\r")
JSON_VERSION = 1


def safe(value: Any) -> Any:
    """``value`` with formula injection neutralised: text starting with = + - @ tab or CR gets
    a leading single quote. Numbers and None pass through."""
    if isinstance(value, str) and value.startswith(_DANGER):
        return "'" + value
    return value


def _iso(t: float | None, tz: tzinfo) -> str:
    return "" if t is None else datetime.fromtimestamp(t, tz).isoformat(timespec="seconds")


class _Clock:
    """``_iso`` for many times: the date, hour, minute and offset are formatted once per
    minute (every UTC offset in use is a whole number of minutes)."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.minutes: dict[int, tuple[str, str]] = {}

    def iso(self, t: float | None) -> str:
        if t is None:
            return ""
        s = math.floor(t)
        m = s // 60
        parts = self.minutes.get(m)
        if parts is None:
            text = datetime.fromtimestamp(m * 60, self.tz).isoformat(timespec="seconds")
            parts = self.minutes[m] = (text[:17], text[19:])
        return f"{parts[0]}{s - m * 60:02d}{parts[1]}"


class _Cells:
    """How a time, a percent and a yes/no are written: as text for CSV (ISO 8601 times with
    their offset, whole percents, TRUE/FALSE), as typed cells for XLSX (``typed``): Excel
    date-times in the school's zone ``tz`` (Excel has no zones, so the local wall time), a
    fraction shown as a percent, a boolean."""

    def __init__(self, tz: tzinfo, *, typed: bool) -> None:
        self.tz = tz
        self.typed = typed
        self.clock = _Clock(tz)
        self.minutes: dict[int, datetime] = {}

    def time(self, t: float | None) -> Any:
        if not self.typed:
            return self.clock.iso(t)
        if t is None:
            return None
        s = math.floor(t)
        m = s // 60
        base = self.minutes.get(m)
        if base is None:
            base = self.minutes[m] = datetime.fromtimestamp(m * 60, self.tz).replace(tzinfo=None)
        return base.replace(second=s - m * 60)

    def percent(self, x: float | None) -> Any:
        """``x`` in 0-100."""
        if x is None:
            return None
        return Styled(x / 100, "percent") if self.typed else _pct(x)

    def flag(self, yes: bool | None) -> Any:
        if yes is None:
            return None
        return yes if self.typed else ("TRUE" if yes else "FALSE")


def _day(t: float, tz: tzinfo) -> str:
    return datetime.fromtimestamp(t, tz).date().isoformat()


def _pct(x: float | None) -> int | None:
    return None if x is None else math.floor(x + 0.5)


def _csv(rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf, lineterminator="\r\n")  # None is written as an empty field
    danger = _DANGER
    for row in rows:
        # ``safe`` inlined: a year of responses is a million cells
        w.writerow(["'" + v if type(v) is str and v.startswith(danger) else v for v in row])
    return buf.getvalue().encode("utf-8")


# -- shared shapes -------------------------------------------------------------------------


def _question_labels(data: ReportData, tz: tzinfo) -> list[str]:
    """A heading per question that carries its key: ``Q1 (key B)``, ``Q2 (poll)``; over many
    sessions prefixed with the session's day and id."""
    keys = [f"(key {q.correct})" if q.correct else "(poll)" for q in data.questions]
    if len(data.sessions) <= 1:
        return [f"Q{q.number} {k}" for q, k in zip(data.questions, keys, strict=True)]
    starts = {s.id: s.started_at for s in data.sessions}
    return [
        f"{_day(starts[q.session_id], tz)} #{q.session_id} Q{q.number} {k}"
        for q, k in zip(data.questions, keys, strict=True)
    ]


SCORE_HEADER = [
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
]


def _score_rows(data: ReportData, tz: tzinfo, *, styled: bool) -> tuple[list[str], list[list[Any]]]:
    """The scoresheet: a row per student (the key is in the question headings, not a row).
    ``styled`` (XLSX): answers coloured right or wrong, the score a typed percent."""
    cells = _Cells(tz, typed=styled)
    scores = student_scores(data)
    keys = {q.asked_id: q.correct for q in data.questions}
    answers: dict[int, dict[int, str]] = defaultdict(dict)
    for r in data.responses:
        answers[r.student_id][r.asked_id] = r.answer
    header = [*SCORE_HEADER, *_question_labels(data, tz)]
    rows = []
    for s in data.students:
        sc = scores[s.id]
        mine = answers.get(s.id, {})
        row: list[Any] = [
            s.card,
            s.first_name,
            s.last_name,
            s.school_id,
            s.email,
            s.group,
            cells.percent(sc.percent),
            sc.correct,
            sc.answered,
            sc.asked,
        ]
        for q in data.questions:
            a = mine.get(q.asked_id)
            if styled and a is not None and keys[q.asked_id] is not None:
                row.append(Styled(a, "correct" if a == keys[q.asked_id] else "wrong"))
            else:
                row.append(a)
        rows.append(row)
    return header, rows


LONG_HEADER = [
    "Session",
    "Date",
    "Class",
    "Question",
    "Prompt",
    "Skills",
    "Student ID",
    "cardcheck student no.",
    "Student",
    "Card",
    "Group",
    "Answer",
    "Correct",
    "First seen",
    "Last changed",
    "Changes",
    "Source",
    "Late",
]


def _long_rows(data: ReportData, cells: _Cells) -> Iterator[list[Any]]:
    questions = {q.asked_id: q for q in data.questions}
    students = {s.id: s for s in data.students}
    sessions = {s.id: s for s in data.sessions}
    days = {s.id: _day(s.started_at, cells.tz) for s in data.sessions}
    names = {g.id: g.name for g in data.groups}
    group_at = session_groups(data.sessions, data.stays)
    when, flag = cells.time, cells.flag
    for r in data.responses:
        q = questions[r.asked_id]
        s = students.get(r.student_id)
        gid = group_at.get((q.session_id, r.student_id))
        yield [
            q.session_id,
            days[q.session_id],
            sessions[q.session_id].class_name,
            q.number,
            q.prompt,
            "; ".join(q.skills),
            s.school_id if s else None,
            r.student_id,
            s.name if s else "",
            r.card,
            None if gid is None else names.get(gid),
            r.answer,
            None if q.correct is None else flag(r.answer == q.correct),
            when(r.first_at),
            when(r.updated_at),
            r.changes,
            r.source,
            flag(r.late),
        ]


ITEM_HEADER = [
    "Session",
    "Question",
    "Prompt",
    "Skills",
    "Key",
    "Answered",
    "Right",
    "% correct",
    "Discrimination (point-biserial)",
    "n",
    "Upper-lower",
    "Top n",
    "Bottom n",
    "A",
    "B",
    "C",
    "D",
    "A top",
    "A bottom",
    "B top",
    "B bottom",
    "C top",
    "C bottom",
    "D top",
    "D bottom",
    "Note",
]


def _item_rows(data: ReportData, cells: _Cells) -> list[list[Any]]:
    def share(x: float | None) -> Any:
        return None if x is None else cells.percent(100 * x)

    rows = []
    for it in item_analysis(data):
        shares = {c.choice: c for c in it.choices}
        row: list[Any] = [
            it.session_id,
            it.number,
            it.prompt,
            "; ".join(it.skills),
            it.correct or "(poll)",
            it.answered,
            it.right,
            cells.percent(it.percent_correct),
            None if it.discrimination is None else round(it.discrimination, 3),
            it.discrimination_n,
            None if it.upper_lower is None else round(it.upper_lower, 3),
            it.top_n,
            it.bottom_n,
        ]
        row += [share(shares[a].share) if a in shares else None for a in "ABCD"]
        for a in "ABCD":
            c = shares.get(a)
            row += [None, None] if c is None else [share(c.top), share(c.bottom)]
        row.append(it.note)
        rows.append(row)
    return rows


GROUP_HEADER = [
    "Group",
    "Colour",
    "Goal",
    "Skill",
    "Students",
    "Answered",
    "Asked",
    "Correct",
    "Score %",
    "Goals set (oldest first)",
]


def _group_rows(data: ReportData, cells: _Cells) -> list[list[Any]]:
    scores = student_scores(data)
    goals: dict[int, list[str]] = defaultdict(list)
    for goal in data.goals:
        goals[goal.group_id].append(goal.text)
    rows = []
    for g in data.groups:
        sc = total(scores[s] for s in g.students if s in scores)
        rows.append(
            [
                g.name,
                g.colour,
                g.goal,
                g.skill,
                len(g.students),
                sc.answered,
                sc.asked,
                sc.correct,
                cells.percent(sc.percent),
                " | ".join(goals[g.id]),
            ]
        )
    return rows


SKILL_HEADER = ["Kind", "Who", "Skill", "Session", "Date", "Answered", "Correct", "Score %"]


def _skill_rows(data: ReportData, cells: _Cells) -> Iterator[list[Any]]:
    names = {s.id: s.name for s in data.students}
    groups = {g.id: g.name for g in data.groups}
    for kind, points, who in (
        ("group", group_skills(data), groups),
        ("student", student_skills(data), names),
    ):
        for p in points:
            yield [
                kind,
                who.get(p.who, str(p.who)),
                p.skill,
                p.session_id,
                _day(p.started_at, cells.tz),
                p.answered,
                p.correct,
                cells.percent(p.percent),
            ]


FLAG_HEADER = [
    "Raised",
    "Session",
    "Group",
    "Student",
    "Rule",
    "Severity",
    "Message",
    "Resolved",
    "Resolution",
]
CHECKIN_HEADER = ["Started", "Ended", "Session", "Group", "Note", "Goal", "Next step"]


def _flag_rows(data: ReportData, cells: _Cells) -> list[list[Any]]:
    names = {s.id: s.name for s in data.students}
    groups = {g.id: g.name for g in data.groups}
    return [
        [
            cells.time(f.raised_at),
            f.session_id,
            groups.get(f.group_id or 0),
            names.get(f.student_id or 0),
            f.rule,
            f.severity,
            f.message,
            cells.time(f.resolved_at),
            f.resolution,
        ]
        for f in data.flags
    ]


def _checkin_rows(data: ReportData, cells: _Cells) -> list[list[Any]]:
    groups = {g.id: g.name for g in data.groups}
    return [
        [
            cells.time(c.started_at),
            cells.time(c.ended_at),
            c.session_id,
            groups.get(c.group_id),
            c.note,
            c.goal,
            c.next_step,
        ]
        for c in data.checkins
    ]


# -- the formats ---------------------------------------------------------------------------


def scoresheet_csv(data: ReportData, *, tz: tzinfo = UTC) -> bytes:
    """One row per student; the key is in each question's heading. The Group column is ``Student.group``: the
    group at the session for one session; for a class over dates (or a set), whose row spans
    many sessions, the student's *current* group."""
    header, rows = _score_rows(data, tz, styled=False)
    return _csv([header, *rows])


def long_csv(data: ReportData, *, tz: tzinfo = UTC) -> bytes:
    """One row per response; its Group is the student's group at that response's session."""
    return _csv([LONG_HEADER, *_long_rows(data, _Cells(tz, typed=False))])


def _safe_text(text: str) -> str:
    return "'" + text if text.startswith(_DANGER) else text


def xlsx(data: ReportData, *, tz: tzinfo = UTC) -> bytes:
    """The workbook, its cells typed: booleans, numbers, percents (a fraction shown as 67%)
    and Excel date-times, in the school's zone ``tz``."""
    cells = _Cells(tz, typed=True)
    header, rows = _score_rows(data, tz, styled=True)
    q_widths = [max(len(h) + 2, 5) for h in header[len(SCORE_HEADER) :]]
    sheets = [
        Sheet(
            "Scores",
            header,
            rows,
            widths=[6, 14, 16, 12, 24, 12, 8, 8, 9, 7, *q_widths],
            freeze_columns=3,
        ),
        Sheet(
            "Responses",
            LONG_HEADER,
            _long_rows(data, cells),
            widths=[8, 11, 14, 9, 40, 18, 12, 10, 24, 6, 12, 7, 8, 20, 20, 8, 7, 6],
        ),
        Sheet("Items", ITEM_HEADER, _item_rows(data, cells)),
        Sheet("Groups", GROUP_HEADER, _group_rows(data, cells)),
        Sheet("Skills", SKILL_HEADER, _skill_rows(data, cells)),
        Sheet("Flags", FLAG_HEADER, _flag_rows(data, cells)),
        Sheet("Check-ins", CHECKIN_HEADER, _checkin_rows(data, cells)),
    ]
    # every string, headers included, is neutralised once per distinct value
    return write_workbook(sheets, text=_safe_text)


def _fields(obj: Any) -> dict[str, Any]:
    # dataclasses.asdict deep-copies every value; these hold scalars and tuples only
    return {f: getattr(obj, f) for f in obj.__slots__}


def _json_sections(data: ReportData, tz: tzinfo) -> Iterator[tuple[str, Any]]:
    """(key, value) pairs of the JSON document; list values may be iterators (streamed)."""
    scores = student_scores(data)
    keys = {q.asked_id: q.correct for q in data.questions}
    session_of = {q.asked_id: q.session_id for q in data.questions}
    names = {g.id: g.name for g in data.groups}
    group_at = session_groups(data.sessions, data.stays)
    iso = _Clock(tz).iso
    yield "format", "cardcheck.export"
    yield "version", JSON_VERSION
    yield "scope", data.scope
    yield "title", data.title
    yield "filters", data.filters
    yield (
        "sessions",
        (
            {
                **_fields(s),
                "started_at": _iso(s.started_at, tz),
                "ended_at": _iso(s.ended_at, tz) or None,
            }
            for s in data.sessions
        ),
    )
    yield (
        "questions",
        (
            {
                **_fields(q),
                "choices": list(q.choices),
                "skills": list(q.skills),
                "opened_at": _iso(q.opened_at, tz),
            }
            for q in data.questions
        ),
    )
    yield (
        "students",
        (
            {
                **_fields(s),
                "joined_at": _iso(s.joined_at, tz),
                "left_at": _iso(s.left_at, tz) or None,
                "first_name": s.first_name,
                "last_name": s.last_name,
                "correct": scores[s.id].correct,
                "answered": scores[s.id].answered,
                "asked": scores[s.id].asked,
                "percent": scores[s.id].percent,
            }
            for s in data.students
        ),
    )
    yield (
        "responses",
        (
            {
                "asked_id": r.asked_id,
                "student_id": r.student_id,
                "group_id": (gid := group_at.get((session_of[r.asked_id], r.student_id))),
                "group": None if gid is None else names.get(gid),
                "answer": r.answer,
                "correct": None if keys[r.asked_id] is None else r.answer == keys[r.asked_id],
                "card": r.card,
                "source": r.source,
                "late": r.late,
                "first_at": iso(r.first_at),
                "updated_at": iso(r.updated_at),
                "changes": r.changes,
            }
            for r in data.responses
        ),
    )
    yield (
        "items",
        (
            {**_fields(it), "skills": list(it.skills), "choices": [_fields(c) for c in it.choices]}
            for it in item_analysis(data)
        ),
    )
    yield "groups", ({**_fields(g), "students": list(g.students)} for g in data.groups)
    yield (
        "goals",
        (
            {
                **_fields(g),
                "set_at": _iso(g.set_at, tz),
                "achieved_at": _iso(g.achieved_at, tz) or None,
            }
            for g in data.goals
        ),
    )
    yield (
        "flags",
        (
            {
                **_fields(f),
                "raised_at": _iso(f.raised_at, tz),
                "resolved_at": _iso(f.resolved_at, tz) or None,
            }
            for f in data.flags
        ),
    )
    yield (
        "checkins",
        (
            {
                **_fields(c),
                "started_at": _iso(c.started_at, tz),
                "ended_at": _iso(c.ended_at, tz) or None,
            }
            for c in data.checkins
        ),
    )
    yield (
        "skills",
        {
            "students": [_point(p, tz) for p in student_skills(data)],
            "groups": [_point(p, tz) for p in group_skills(data)],
        },
    )


def _point(p: SkillPoint, tz: tzinfo) -> dict[str, Any]:
    return {
        "id": p.who,
        "skill": p.skill,
        "session_id": p.session_id,
        "date": _day(p.started_at, tz),
        "answered": p.answered,
        "correct": p.correct,
    }


def json_export(data: ReportData, *, tz: tzinfo = UTC) -> bytes:
    """The JSON document (docs/export-json.md): one object, a list item per line.

    Built record by record with the C encoder, so a year of responses never exists as one big
    tree of dicts.
    """
    enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    out = ["{"]
    first = True
    for key, value in _json_sections(data, tz):
        out.append(("\n" if first else ",\n") + enc(key) + ":")
        first = False
        if isinstance(value, Iterator):
            items = [enc(v) for v in value]
            out.append("[\n" + ",\n".join(items) + "\n]" if items else "[]")
        else:
            out.append(enc(value))
    out.append("\n}\n")
    return "".join(out).encode("utf-8")


# -- gradebooks ----------------------------------------------------------------------------


def _possible(data: ReportData) -> dict[int, int]:
    """Session id -> its scored questions: the points an assignment is out of."""
    possible: dict[int, int] = defaultdict(int)
    for q in data.questions:
        if q.scored:
            possible[q.session_id] += 1
    return possible


def _points(sc: Score, possible: int) -> float | int:
    """The score as points out of ``possible``: the number right for a student asked every
    question, else scaled (a student who joined after question 1 and got 2 of 2 right scores
    3 of 3), so the gradebook's percent is the one score."""
    if sc.asked == possible:
        return sc.correct
    return round(sc.correct * possible / sc.asked, 2)


def _decimal(x: float) -> str:
    """A number as OneRoster's float fields carry it: ``2.0``, ``1.33``."""
    text = f"{x:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _assignment(data: ReportData, session_id: int, tz: tzinfo) -> str:
    s = data.session(session_id)
    return f"Card check {_day(s.started_at, tz)} (session {s.id})"


def canvas_csv(data: ReportData, *, tz: tzinfo = UTC) -> bytes:
    """Canvas gradebook import: one assignment column per session that has scored questions.

    Points possible are the session's scored questions; a student's points are ``_points`` of
    their score (``live.reports.score``), so Canvas's percent is the scoresheet's. A student
    asked none of a session's questions (not yet on the roster) gets an empty cell, so Canvas
    leaves that grade alone.

    Canvas matches a row to a student by any one of Student (``Last, First``), ID (Canvas's own
    user id) or SIS User ID (the school's student ID), with SIS Login ID and Section beside
    them, the columns of its own gradebook export. SIS User ID carries the school's student ID
    from the roster; ID and SIS Login ID are empty because cardcheck cannot know Canvas's user
    ids or logins. A student without a school ID is matched by name.
    """
    possible = _possible(data)
    by_session = score_by_session(data)
    sessions = [s.id for s in data.sessions if possible.get(s.id)]
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    header += [_assignment(data, sid, tz) for sid in sessions]
    rows: list[list[Any]] = [
        header,
        ["Points Possible", "", "", "", "", *(possible[s] for s in sessions)],
    ]
    sections = {s.class_id: s.class_name for s in data.sessions}
    for st in data.students:
        first, last = st.first_name, st.last_name
        section = sections.get(st.class_id, data.title if data.scope == "class" else "")
        row: list[Any] = [f"{last}, {first}" if last else first, "", st.school_id, "", section]
        for sid in sessions:
            sc = by_session.get((sid, st.id))
            row.append(None if sc is None else _points(sc, possible[sid]))
        rows.append(row)
    return _csv(rows)


ONEROSTER_FILES = (
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
)
# The OneRoster 1.2 CSV binding (1EdTech, "OneRoster: CSV Binding 1.2.1", section 3: the CSV
# files; lineItems.csv and results.csv of the gradebook files), in its column order. The 1EdTech
# text itself could not be consulted where this was written: the names and order follow an
# independent validator of the 1.2 binding, so the README calls the format unverified.
# academicSessionSourcedId and schoolSourcedId are required there, but cardcheck knows no
# school or term: they are left empty for the receiving system to map, like the class ids.
LINE_ITEM_HEADER = [
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "description",
    "assignDate",
    "dueDate",
    "classSourcedId",
    "categorySourcedId",
    "academicSessionSourcedId",
    "resultValueMin",
    "resultValueMax",
    "schoolSourcedId",
]
RESULT_HEADER = [
    "sourcedId",
    "status",
    "dateLastModified",
    "lineItemSourcedId",
    "studentSourcedId",
    "scoreStatus",
    "score",
    "scoreDate",
    "comment",
    "textScore",
    "classSourcedId",
    "inProgress",
    "incomplete",
    "late",
    "missing",
]
CATEGORY_HEADER = ["sourcedId", "status", "dateLastModified", "title", "weight"]
CATEGORY_ID = "cardcheck-formative-checks"


def _utc(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _plain_csv(rows: Iterable[Sequence[Any]]) -> bytes:
    # OneRoster files carry ids, dates and numbers; titles still go through ``safe``
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        w.writerow(["" if v is None else safe(v) for v in row])
    return buf.getvalue().encode("utf-8")


def oneroster_zip(data: ReportData, *, tz: tzinfo = UTC) -> bytes:
    """A OneRoster 1.2 bulk CSV set: a line item per session, a result per student who answered.

    sourcedIds are ``cardcheck-class-N``, ``cardcheck-session-N`` (line items) and
    ``cardcheck-result-S-N``; a student is the school's student ID from the roster (the id the
    school's systems know them by), or ``cardcheck-student-N`` for one without; classes and users are declared absent
    in the manifest: the receiving gradebook already has them and maps these ids. ``score`` is
    the student's score (``live.reports.score``) as points out of ``resultValueMax``, the
    session's scored questions (``_points``).
    """
    possible = _possible(data)
    by_session = score_by_session(data)
    sessions = [s for s in data.sessions if possible.get(s.id)]
    present = {"manifest", "categories", "lineItems", "results"}
    manifest: list[list[Any]] = [
        ["propertyName", "value"],
        ["manifest.version", "1.0"],
        ["oneroster.version", "1.2"],
    ]
    manifest += [[f"file.{f}", "bulk" if f in present else "absent"] for f in ONEROSTER_FILES]
    manifest += [["source.systemName", "cardcheck"], ["source.systemCode", "cardcheck"]]
    # status and dateLastModified stay empty: in a bulk file they are not used
    categories = [CATEGORY_HEADER, [CATEGORY_ID, "", "", "Formative checks", ""]]
    items: list[list[Any]] = [LINE_ITEM_HEADER]
    for s in sessions:
        items.append(
            [
                f"cardcheck-session-{s.id}",
                "",
                "",
                _assignment(data, s.id, tz),
                f"{possible[s.id]} question(s) asked with cards in {s.class_name}",
                _utc(s.started_at),
                _utc(s.ended_at or s.started_at),
                f"cardcheck-class-{s.class_id}",
                CATEGORY_ID,
                "",
                "0.0",
                f"{possible[s.id]:.1f}",
                "",
            ]
        )
    results: list[list[Any]] = [RESULT_HEADER]
    for s in sessions:
        day = datetime.fromtimestamp(s.ended_at or s.started_at, UTC).date().isoformat()
        for st in data.students:
            sc = by_session.get((s.id, st.id))
            if sc is None:
                continue
            results.append(
                [
                    f"cardcheck-result-{s.id}-{st.id}",
                    "",
                    "",
                    f"cardcheck-session-{s.id}",
                    st.school_id or f"cardcheck-student-{st.id}",
                    "fully graded",
                    _decimal(_points(sc, possible[s.id])),
                    day,
                    f"{sc.correct} right of {sc.asked} asked, {sc.answered} answered",
                    "",
                    f"cardcheck-class-{s.class_id}",
                    "",
                    "",
                    "",
                    # asked but answered nothing: missing (a card never seen, a student away)
                    "true" if sc.answered == 0 else "false",
                ]
            )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, rows in (
            ("manifest.csv", manifest),
            ("categories.csv", categories),
            ("lineItems.csv", items),
            ("results.csv", results),
        ):
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, _plain_csv(rows))
    return buf.getvalue()


# -- the registry --------------------------------------------------------------------------


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    extension: str
    write: Callable[..., bytes]
    description: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("csv", "text/csv; charset=utf-8", "csv", scoresheet_csv, "scoresheet CSV"),
        Format("long", "text/csv; charset=utf-8", "csv", long_csv, "one row per response"),
        Format(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            xlsx,
            "workbook: scores, responses, items, groups, skills, flags, check-ins",
        ),
        Format("json", "application/json", "json", json_export, "everything, as JSON"),
        Format("canvas", "text/csv; charset=utf-8", "csv", canvas_csv, "Canvas gradebook import"),
        Format("oneroster", "application/zip", "zip", oneroster_zip, "OneRoster 1.2 results"),
    )
}


def export(data: ReportData, fmt: str, *, tz: tzinfo = UTC) -> bytes:
    """``data`` in format ``fmt`` (a key of ``FORMATS``); ``KeyError`` for an unknown one."""
    return FORMATS[fmt].write(data, tz=tz)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:40] or "export"


def file_name(data: ReportData, fmt: str, *, tz: tzinfo = UTC) -> str:
    """A sensible ASCII download name, e.g. ``cardcheck-7b-session-12-2024-09-02-long.csv``."""
    f = FORMATS[fmt]
    if data.scope == "session" and data.sessions:
        s = data.sessions[0]
        stem = f"{_slug(s.class_name)}-session-{s.id}-{_day(s.started_at, tz)}"
    elif data.scope == "class":
        lo, hi = data.filters.get("from"), data.filters.get("to")
        span = "-".join(x for x in (lo or "start", hi or "today") if x)
        stem = f"{_slug(data.title)}-{span}"
    else:
        stem = f"set-{_slug(data.title)}"
    suffix = {"long": "-responses", "canvas": "-canvas", "oneroster": "-oneroster"}.get(fmt, "")
    return f"cardcheck-{stem}{suffix}.{f.extension}"
