"""Where a student stands on a skill progression, from their answers and the teacher's word.
Pure: no clock, no I/O.

The rule (the README states it the same way):

1. An answer counts when it is the student's latest to a question with a key that measures a
   step. Per step, the ``recent`` (4) newest of them: how many right out of how many answered
   (a step checked again replaces what older checks said, so a student can move on).
2. The estimate is the step that best explains the answers: a student standing on step *s* is
   expected to answer steps 1..s right, except for a slip now and then (``slip``), and steps
   above *s* right only by a guess (one in the number of choices, ``guess``). Every step from
   0 ("not yet on step 1") to the last is scored by how likely it makes the answers; the best
   wins, the lower step on a tie.
3. Never from a single answer: the estimate stands only with at least ``min_answers`` answers on
   the step itself (for step 0: on step 1) and on the step above it (for the last step: none).
   With enough on the step but too few above, it is *provisional* ("at least step 2; ask about
   step 3"); with too few on the step, there is no estimate, and ``ask`` says which step to ask
   about next.
4. The teacher's word (the estimate confirmed, an observation, a conference) places the student
   on a step and stands until answers given after it place them elsewhere by the same rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Estimate",
    "PlacementRule",
    "StepAnswer",
    "TeacherWord",
    "by_step",
    "current",
    "estimate",
    "evidence_text",
    "naive_estimate",
    "path",
]


@dataclass(frozen=True)
class PlacementRule:
    """The rule's parameters; the defaults are the ones ``bench/placement.py`` chose."""

    min_answers: int = 2
    slip: float = 0.15
    guess: float = 0.25
    recent: int = 4


@dataclass(frozen=True)
class StepAnswer:
    """One latest answer on a step (``step``: its position, 1 first)."""

    step: int
    right: bool
    at: float
    session: int | None = None


@dataclass(frozen=True)
class TeacherWord:
    """The teacher placed the student on ``step`` (0: not yet on step 1)."""

    step: int
    kind: str  # confirmed | observed | conference
    at: float
    note: str = ""


@dataclass
class Estimate:
    """``step``: the estimate (0: not yet on step 1), or None without enough evidence.
    ``evidence``: per step answered, ``(step, right, answered)``."""

    step: int | None
    provisional: bool
    evidence: list[tuple[int, int, int]]
    ask: int | None = None  # the step to ask about next, when more evidence would help
    source: str = "answers"
    at: float | None = None  # when the evidence it rests on was given
    teacher: dict[str, Any] | None = field(default=None)

    @property
    def text(self) -> str:
        return evidence_text(self.evidence)

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "provisional": self.provisional,
            "evidence": [{"step": s, "right": r, "answered": n} for s, r, n in self.evidence],
            "evidence_text": self.text,
            "ask": self.ask,
            "source": self.source,
            "at": self.at,
            "teacher": self.teacher,
        }


def evidence_text(evidence: Iterable[tuple[int, int, int]]) -> str:
    """``3 of 3 right on step 2, 1 of 3 on step 3``; ``no answers on its steps`` if none."""
    parts = [
        f"{r} of {n} right on step {s}" if i == 0 else f"{r} of {n} on step {s}"
        for i, (s, r, n) in enumerate(evidence)
    ]
    return ", ".join(parts) or "no answers on its steps"


def _tally(answers: Iterable[StepAnswer], steps: int, recent: int) -> dict[int, tuple[int, int]]:
    by_step: dict[int, list[StepAnswer]] = {}
    for a in sorted(answers, key=lambda a: a.at):
        if 1 <= a.step <= steps:
            by_step.setdefault(a.step, []).append(a)
    return {
        s: (sum(a.right for a in kept[-recent:]), len(kept[-recent:]))
        for s, kept in sorted(by_step.items())
    }


def estimate(
    answers: Sequence[StepAnswer], steps: int, rule: PlacementRule | None = None
) -> Estimate:
    """The estimate of the step a student stands on, from ``answers`` on a progression of
    ``steps`` steps (the module's rule)."""
    rule = rule or PlacementRule()
    tally = _tally(answers, steps, rule.recent)
    evidence = [(s, r, n) for s, (r, n) in tally.items()]
    at = max((a.at for a in answers if 1 <= a.step <= steps), default=None)
    if not tally:
        return Estimate(None, False, evidence, ask=1, at=at)
    keep, slip = math.log(1 - rule.slip), math.log(rule.slip)
    hit, miss = math.log(rule.guess), math.log(1 - rule.guess)
    best, best_score = 0, -math.inf
    for s in range(steps + 1):
        score = 0.0
        for step, (right, n) in tally.items():
            wrong = n - right
            score += right * keep + wrong * slip if step <= s else right * hit + wrong * miss
        if score > best_score + 1e-9:
            best, best_score = s, score

    def enough(step: int) -> bool:
        return tally.get(step, (0, 0))[1] >= rule.min_answers

    anchor = max(best, 1)
    if not enough(anchor):
        return Estimate(None, False, evidence, ask=anchor, at=at)
    above = best + 1
    if best < steps and best > 0 and not enough(above):
        return Estimate(best, True, evidence, ask=above, at=at)
    return Estimate(best, False, evidence, at=at)


def naive_estimate(answers: Sequence[StepAnswer], steps: int) -> int:
    """The baseline ``bench/placement.py`` compares with: the highest step with a right
    answer (0 when none)."""
    return max((a.step for a in answers if a.right and 1 <= a.step <= steps), default=0)


def current(
    answers: Sequence[StepAnswer],
    words: Sequence[TeacherWord],
    steps: int,
    rule: PlacementRule | None = None,
) -> Estimate:
    """Where the student stands: the teacher's latest word, unless answers given after it
    place them (not provisionally) elsewhere; without a word, the estimate from the answers."""
    from_answers = estimate(answers, steps, rule)
    if not words:
        return from_answers
    word = max(words, key=lambda w: w.at)
    teacher = {"step": word.step, "kind": word.kind, "at": word.at, "note": word.note}
    since = estimate([a for a in answers if a.at > word.at], steps, rule)
    # a provisional estimate says "at least": it moves the student up, never down
    moved = since.step is not None and (
        since.step > word.step or (not since.provisional and since.step != word.step)
    )
    if moved:
        since.evidence = from_answers.evidence
        since.teacher = teacher
        since.source = "answers since the teacher's word"
        return since
    return Estimate(
        word.step,
        False,
        from_answers.evidence,
        source=word.kind,
        at=word.at,
        teacher=teacher,
    )


def path(
    answers: Sequence[StepAnswer],
    words: Sequence[TeacherWord],
    steps: int,
    rule: PlacementRule | None = None,
) -> list[dict[str, Any]]:
    """The path so far: each time the current step changed, oldest first (``at``, ``step``,
    ``source``). Answers are taken a session at a time, teacher's words one at a time."""
    moments: list[tuple[float, int]] = []
    by_session: dict[Any, float] = {}
    for a in answers:
        key = a.session if a.session is not None else a.at
        by_session[key] = max(by_session.get(key, a.at), a.at)
    moments = sorted([(t, 0) for t in by_session.values()] + [(w.at, 1) for w in words])
    out: list[dict[str, Any]] = []
    for t, _ in moments:
        now = current(
            [a for a in answers if a.at <= t], [w for w in words if w.at <= t], steps, rule
        )
        if now.step is None:
            continue
        if not out or out[-1]["step"] != now.step:
            out.append(
                {"at": t, "step": now.step, "source": now.source, "provisional": now.provisional}
            )
    return out


def by_step(placed: Sequence[tuple[int, int | None]], size: int) -> list[tuple[int, list[int]]]:
    """Students on the same step, lowest step first, cut into groups of about ``size`` (as
    even as possible; each group as ``(step, students)``, students in the order given).
    Students with no step (None) are left out. ``ValueError`` for a size below 2."""
    if size < 2:
        raise ValueError("groups need a size of at least 2")
    steps: dict[int, list[int]] = {}
    for student, step in placed:
        if step is not None:
            steps.setdefault(step, []).append(student)
    out = []
    for step, students in sorted(steps.items()):
        k = max(1, math.ceil(len(students) / size))
        base, extra = divmod(len(students), k)
        start = 0
        for i in range(k):
            n = base + (1 if i < extra else 0)
            out.append((step, students[start : start + n]))
            start += n
    return out
