"""A session's state, pure: the decisions on a response and the snapshot each role sees.

No I/O and no clock. The store reads ``SessionData`` in one consistent view; ``snapshot`` turns it
into the JSON the state endpoint returns and ``/ws/live`` sends first. The projector's view is cut
from the teacher's here, in one place: no flags, no correctness per student, names only when the
teacher shows them, the chart only after reveal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from live.errors import BadRequest, Conflict
from live.events import ResponseRecorded

__all__ = [
    "ANSWERS",
    "Role",
    "SessionData",
    "connected_scanners",
    "decide_response",
    "first_name",
    "snapshot",
]

ANSWERS = ("A", "B", "C", "D")
Role = Literal["teacher", "projector"]
Row = dict[str, Any]


@dataclass(frozen=True)
class SessionData:
    """The rows a snapshot is made from."""

    session: Row
    asked: list[Row]
    questions: dict[int, Row]
    responses: dict[int, list[Row]]  # asked id -> latest answers
    students: list[Row]
    groups: list[Row]
    flags: list[Row] = field(default_factory=list)
    question_set: Row | None = None
    scanners: list[Row] = field(default_factory=list)  # see connected_scanners


def connected_scanners(events: Iterable[tuple[str, Row]]) -> list[Row]:
    """The scanners connected at the end of a session's ``(type, data)`` events, in order of
    connection: ``{"name", "wrong_class": {"foreign", "seen"} | None}``.

    ``session.interrupted`` drops them all: the server that held their sockets stopped.
    """
    connected: dict[str, Row] = {}
    for kind, data in events:
        name = data.get("scanner", "")
        if kind == "scanner.connected":
            connected[name] = {"name": name, "wrong_class": None}
        elif kind == "scanner.disconnected":
            connected.pop(name, None)
        elif kind == "scanner.mismatched" and name in connected:
            connected[name]["wrong_class"] = {"foreign": data["foreign"], "seen": data["seen"]}
        elif kind == "scanner.matched" and name in connected:
            connected[name]["wrong_class"] = None
        elif kind == "session.interrupted":
            connected.clear()
    return list(connected.values())


def decide_response(
    *,
    asked: Row | None,
    previous: str | None,
    student: int,
    card: int | None,
    answer: str,
    source: str,
) -> ResponseRecorded | None:
    """What recording ``answer`` means now: an event, or None when nothing changes.

    Raises ``Conflict`` when no question takes answers (none asked; closed or revealed, for a
    scan) and ``BadRequest`` for an answer that is not A-D or a choice of the question. A manual
    answer after the reveal is a late correction (a card the teacher noticed missing): it is
    recorded and marked ``late``.
    """
    if answer not in ANSWERS:
        raise BadRequest(f"answer must be one of A, B, C, D, not {answer!r}")
    if source not in ("scan", "manual"):
        raise BadRequest(f"source must be scan or manual, not {source!r}")
    if asked is None:
        raise Conflict("no question has been asked yet", code="no_question")
    late = asked.get("revealed_at") is not None
    if source == "scan" and late:
        raise Conflict(
            "the answer was revealed; the scanner records no more answers", code="question_closed"
        )
    if source == "scan" and asked.get("closed_at") is not None:
        raise Conflict("the question is closed", code="question_closed")
    if previous == answer:
        return None
    correct = asked.get("correct")
    return ResponseRecorded(
        asked_id=int(asked["id"]),
        student=student,
        card=card,
        answer=answer,
        correct=None if correct is None else answer == correct,
        changed_from=previous,
        source=source,
        late=late,
    )


def first_name(name: str) -> str:
    """What the projector may show of a name: the first word."""
    parts = name.split()
    return parts[0] if parts else ""


def _status(asked: Row) -> str:
    if asked["revealed_at"] is not None:
        return "revealed"
    if asked["closed_at"] is not None:
        return "closed"
    return "open"


def _late(response: Row, asked: Row | None) -> bool:
    """A late correction: last changed after the answer was revealed."""
    revealed = None if asked is None else asked["revealed_at"]
    return revealed is not None and response["updated_at"] > revealed


def snapshot(data: SessionData, role: Role = "teacher") -> dict[str, Any]:
    """The session as ``role`` may see it: the state endpoint's body and the live snapshot."""
    session = data.session
    students = data.students
    current = data.asked[-1] if data.asked else None
    question: dict[str, Any] | None = None
    answers: dict[int, Row] = {}
    if current is not None:
        q = data.questions[current["question_id"]]
        status = _status(current)
        revealed = status == "revealed"
        answers = {r["student_id"]: r for r in data.responses.get(current["id"], [])}
        present = {s["id"] for s in students}
        counted = {sid: r for sid, r in answers.items() if sid in present}
        choices = Counter(r["answer"] for r in counted.values())
        question = {
            "asked_id": current["id"],
            "question_id": q["id"],
            "number": current["number"],
            "prompt": q["prompt"],
            "choices": q["choices"],
            "skills": q["skills"],
            "has_image": q["has_image"],
            "status": status,
            "opened_at": current["opened_at"],
            "closed_at": current["closed_at"],
            "revealed_at": current["revealed_at"],
            "answered": len(counted),
            "total": len(students),
        }
        if role == "teacher" or revealed:
            question["correct"] = current["correct"]
            question["counts"] = {a: choices.get(a, 0) for a in ANSWERS[: len(q["choices"])]}
    base: dict[str, Any] = {
        "session": {
            "id": session["id"],
            "class_id": session["class_id"],
            "class_name": session["class_name"],
            "status": session["status"],
            "started_at": session["started_at"],
            "ended_at": session["ended_at"],
            "interrupted_at": session.get("interrupted_at"),
            "show_names": session["show_names"],
            "set_id": session["set_id"],
        },
        "seq": session["seq"],
        "question": question,
    }
    if role == "projector":
        shown = session["show_names"]
        base["answered"] = [
            {"card": s["card"], "name": first_name(s["name"]) if shown else None}
            for s in students
            if s["id"] in answers
        ]
        return base
    base["students"] = [
        {
            "id": s["id"],
            "name": s["name"],
            "card": s["card"],
            "group_id": s["group_id"],
            "answer": answers[s["id"]]["answer"] if s["id"] in answers else None,
            "source": answers[s["id"]]["source"] if s["id"] in answers else None,
            "late": s["id"] in answers and _late(answers[s["id"]], current),
            "correct": (
                None
                if s["id"] not in answers or current is None or current["correct"] is None
                else answers[s["id"]]["answer"] == current["correct"]
            ),
        }
        for s in students
    ]
    base["groups"] = [
        {k: g[k] for k in ("id", "name", "colour", "goal", "skill", "students")}
        for g in data.groups
    ]
    base["asked"] = [
        {
            "asked_id": a["id"],
            "question_id": a["question_id"],
            "number": a["number"],
            "status": _status(a),
            "correct": a["correct"],
            "answered": len(data.responses.get(a["id"], [])),
            "right": sum(1 for r in data.responses.get(a["id"], []) if a["correct"] == r["answer"]),
        }
        for a in data.asked
    ]
    base["question_set"] = data.question_set
    base["flags"] = data.flags
    base["session"]["live"] = bool(session.get("live"))
    base["scanners"] = data.scanners
    return base
