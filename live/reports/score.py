"""The score: one definition, used by every page and file that shows one. Pure.

A student's score is the number of scored questions they got **right** out of the scored
questions **asked** while they were on the roster; the number they **answered** goes beside it.

- A question is *scored* when it has a key; a poll (no key) counts in neither number.
- A question counts as asked of a student when it was opened while the student was on the
  class's roster (``Student.joined_at <= opened_at``, and before ``Student.left_at`` if they
  left), in a session of the student's class. A question asked before a student joined does not
  count against them.
- A question the student answered always counts as asked of them (a manual answer typed in for
  a question asked before the roster row existed is still their answer).
- A question asked but not answered (a skip, a card the camera never saw) counts as asked and
  not right: a skip is not a pass.
- The answer that counts is the student's latest (``responses`` keeps one per question), however
  it came in (scanned, typed in, after the reveal).

``percent`` is ``100 * right / asked``, None when nothing was asked. Totals over many students
(``total``) add the counts, so a class's score is its right answers out of the questions its
students were asked: the same figure History, the report and the exports show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # report.py imports this module: the types only, to keep the cycle out
    from live.reports.report import Question, ReportData, Student

__all__ = ["Score", "asked_of", "on_roster", "score_by_session", "student_scores", "total"]


@dataclass(frozen=True, slots=True)
class Score:
    """``correct`` right out of ``asked`` scored questions, ``answered`` of them answered."""

    student_id: int
    correct: int
    answered: int
    asked: int

    @property
    def percent(self) -> float | None:
        return None if self.asked == 0 else 100.0 * self.correct / self.asked

    @property
    def skipped(self) -> int:
        return self.asked - self.answered


def on_roster(student: Student, question: Question, class_id: int) -> bool:
    """Whether ``question`` (of a session of ``class_id``) was asked while ``student`` was on
    that class's roster."""
    return (
        student.class_id == class_id
        and student.joined_at <= question.opened_at
        and (student.left_at is None or question.opened_at < student.left_at)
    )


def asked_of(data: ReportData) -> dict[int, list[Question]]:
    """Student id -> the scored questions that count for them, in ``data.questions`` order."""
    class_of = {s.id: s.class_id for s in data.sessions}
    answered: dict[int, set[int]] = defaultdict(set)
    scored = {q.asked_id for q in data.questions if q.scored}
    for r in data.responses:
        if r.asked_id in scored:
            answered[r.student_id].add(r.asked_id)
    out: dict[int, list[Question]] = {}
    for s in data.students:
        mine = answered.get(s.id, set())
        out[s.id] = [
            q
            for q in data.questions
            if q.scored and (q.asked_id in mine or on_roster(s, q, class_of.get(q.session_id, -1)))
        ]
    return out


def score_by_session(data: ReportData) -> dict[tuple[int, int], Score]:
    """``(session id, student id) -> Score`` for every student asked at least one scored
    question of that session (the unit a gradebook grades: one assignment per session)."""
    answers = {(r.asked_id, r.student_id): r.answer for r in data.responses}
    counts: dict[tuple[int, int], list[int]] = {}
    for sid, questions in asked_of(data).items():
        for q in questions:
            t = counts.setdefault((q.session_id, sid), [0, 0, 0])
            a = answers.get((q.asked_id, sid))
            t[2] += 1
            if a is not None:
                t[1] += 1
                t[0] += a == q.correct
    return {(sess, st): Score(st, c, n, k) for (sess, st), (c, n, k) in counts.items()}


def student_scores(data: ReportData) -> dict[int, Score]:
    """Student id -> their ``Score`` over all of ``data`` (every student, asked or not)."""
    out = {s.id: Score(s.id, 0, 0, 0) for s in data.students}
    for (_, st), sc in score_by_session(data).items():
        was = out[st]
        out[st] = Score(
            st, was.correct + sc.correct, was.answered + sc.answered, was.asked + sc.asked
        )
    return out


def total(scores: Iterable[Score], student_id: int = 0) -> Score:
    """The counts of ``scores`` added up: a group's or a class's score."""
    correct = answered = asked = 0
    for s in scores:
        correct += s.correct
        answered += s.answered
        asked += s.asked
    return Score(student_id, correct, answered, asked)
