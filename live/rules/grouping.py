"""Grouping suggestions: small groups of students with similar needs, with the evidence. Pure.

The method, as the teacher sees it explained:

1. For each student, accuracy on each chosen skill (scored answers only), and their wrong
   answers (which choice, on which question).
2. Each student's *need* is their weakest chosen skill when it is below ``mastery``; a student
   at or above it on every skill they answered is *secure* (ready to extend). Students with no
   answer on the chosen skills are left unplaced, with that reason.
3. Students with the same need are sorted by their accuracy on it (then overall, then card) and
   cut into consecutive groups of about ``size``, as even as possible; a group of one joins the
   suggested group whose mean accuracy is nearest.

It is deterministic (no random seed to explain) and each group says what its members share: the
need, their accuracy range, and the wrong answer most of them chose.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Answer", "StudentProfile", "Suggestion", "profiles", "suggest"]

SECURE = "secure"


@dataclass(frozen=True)
class Answer:
    """One latest answer to a scored question."""

    student: int
    question: int
    skills: tuple[str, ...]
    answer: str
    correct: str  # the key
    choice: str = ""  # the text of the chosen answer


@dataclass
class StudentProfile:
    id: int
    name: str
    card: int | None
    accuracy: dict[str, float | None]  # skill -> accuracy (None: no answer on it)
    answered: dict[str, int]
    overall: float | None
    need: str | None  # the weakest skill, SECURE, or None (no evidence)
    wrong: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "card": self.card,
            "accuracy": {k: _pct(v) for k, v in self.accuracy.items()},
            "answered": self.answered,
            "overall": _pct(self.overall),
            "need": self.need,
            "wrong": self.wrong,
        }


@dataclass
class Suggestion:
    name: str
    need: str
    skill: str | None
    students: list[StudentProfile]
    reason: str = ""
    shared_wrong: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "need": self.need,
            "skill": self.skill,
            "reason": self.reason,
            "shared_wrong": self.shared_wrong,
            "students": [s.to_dict() for s in self.students],
        }


def _pct(v: float | None) -> int | None:
    return None if v is None else round(100 * v)


def profiles(
    students: Sequence[dict[str, Any]],
    answers: Sequence[Answer],
    skills: Sequence[str],
    *,
    mastery: float = 0.8,
) -> list[StudentProfile]:
    """Each student's accuracy per chosen skill, overall, need and wrong answers."""
    chosen = list(dict.fromkeys(skills))
    tally: dict[tuple[int, str], list[int]] = {}
    wrong: dict[int, list[dict[str, Any]]] = {}
    for a in answers:
        mine = [s for s in a.skills if s in chosen]
        if not mine:
            continue
        right = a.answer == a.correct
        for s in mine:
            t = tally.setdefault((a.student, s), [0, 0])
            t[0] += 1
            t[1] += int(right)
        if not right:
            wrong.setdefault(a.student, []).append(
                {"question": a.question, "answer": a.answer, "choice": a.choice, "skills": mine}
            )
    out = []
    for st in students:
        sid = int(st["id"])
        accuracy: dict[str, float | None] = {}
        answered: dict[str, int] = {}
        scored = hits = 0
        for s in chosen:
            counts = tally.get((sid, s))
            answered[s] = counts[0] if counts else 0
            accuracy[s] = counts[1] / counts[0] if counts else None
            if counts:
                scored += counts[0]
                hits += counts[1]
        known = [(v, chosen.index(s), s) for s, v in accuracy.items() if v is not None]
        need: str | None = None
        if known:
            weakest = min(known)
            need = weakest[2] if weakest[0] < mastery else SECURE
        out.append(
            StudentProfile(
                id=sid,
                name=str(st.get("name", "")),
                card=st.get("card"),
                accuracy=accuracy,
                answered=answered,
                overall=hits / scored if scored else None,
                need=need,
                wrong=wrong.get(sid, [])[-3:],
            )
        )
    return out


def _chunks(n: int, size: int) -> list[int]:
    k = max(1, math.ceil(n / size))
    base, extra = divmod(n, k)
    return [base + (1 if i < extra else 0) for i in range(k)]


def _mean(ps: Sequence[StudentProfile]) -> float:
    vals = [p.overall for p in ps if p.overall is not None]
    return sum(vals) / len(vals) if vals else 0.0


def suggest(
    students: Sequence[dict[str, Any]],
    answers: Sequence[Answer],
    skills: Sequence[str],
    *,
    size: int = 4,
    mastery: float = 0.8,
) -> dict[str, Any]:
    """Suggested groups (``{"groups": [...], "unplaced": [...], "method": ...}``).

    ``students``: rows with id, name, card. ``ValueError`` for no skills or a size below 2.
    """
    if not skills:
        raise ValueError("choose at least one skill")
    if size < 2:
        raise ValueError("groups need a size of at least 2")
    chosen = list(dict.fromkeys(skills))
    ps = profiles(students, answers, chosen, mastery=mastery)
    order = {s: i for i, s in enumerate([*chosen, SECURE])}
    buckets: dict[str, list[StudentProfile]] = {}
    for p in ps:
        if p.need is not None:
            buckets.setdefault(p.need, []).append(p)
    groups: list[Suggestion] = []
    for need in sorted(buckets, key=order.__getitem__):
        members = buckets[need]
        skill = None if need == SECURE else need

        def rank(p: StudentProfile, skill: str | None = skill) -> tuple[float, float, int]:
            acc = p.accuracy.get(skill) if skill is not None else p.overall
            return (
                acc if acc is not None else 0.0,
                p.overall or 0.0,
                p.card if p.card is not None else 10**6 + p.id,
            )

        members.sort(key=rank)
        start = 0
        for i, n in enumerate(_chunks(len(members), size)):
            label = "Secure: extend" if need == SECURE else need
            groups.append(Suggestion(f"{label} {i + 1}", need, skill, members[start : start + n]))
            start += n
    # a group of one joins the nearest suggested group by mean accuracy
    for g in [g for g in groups if len(g.students) == 1]:
        others = [o for o in groups if o is not g and len(o.students) > 1]
        if not others:
            continue
        target = min(
            others, key=lambda o: (abs(_mean(o.students) - _mean(g.students)), groups.index(o))
        )
        target.students.extend(g.students)
        groups.remove(g)
    for g in groups:
        _explain(g, chosen)
    return {
        "method": "need = weakest chosen skill below mastery, else secure; same need sorted by "
        "accuracy and cut into groups of about the size asked",
        "skills": chosen,
        "size": size,
        "mastery": round(100 * mastery),
        "groups": [g.to_dict() for g in groups],
        "unplaced": [
            {**p.to_dict(), "reason": "no answer on the chosen skills"}
            for p in ps
            if p.need is None
        ],
    }


def _explain(g: Suggestion, chosen: Sequence[str]) -> None:
    accs = [p.accuracy.get(g.skill) if g.skill else p.overall for p in g.students]
    known = [a for a in accs if a is not None]
    low, high = (_pct(min(known)), _pct(max(known))) if known else (None, None)
    span = "no scored answers" if low is None else f"{low}%" if low == high else f"{low}-{high}%"
    common = Counter(
        (w["question"], w["answer"])
        for p in g.students
        for w in {(x["question"], x["answer"]): x for x in p.wrong}.values()
    )
    if g.need == SECURE:
        g.reason = f"at or above mastery on every chosen skill they answered ({span} overall)"
    else:
        g.reason = f"weakest on {g.need}: {span} right on it"
    if common:
        (question, answer), count = min(common.items(), key=lambda kv: (-kv[1], kv[0]))
        if count >= 2:
            choice = next(
                (
                    w["choice"]
                    for p in g.students
                    for w in p.wrong
                    if w["question"] == question and w["answer"] == answer
                ),
                "",
            )
            g.shared_wrong = {
                "question": question,
                "answer": answer,
                "choice": choice,
                "students": count,
            }
            g.reason += (
                f"; {count} of {len(g.students)} chose {answer}"
                + (f" ({choice})" if choice else "")
                + f" on question {question}"
            )
