"""The placement rule as a table: which answers place a student on which step, and when it
says it does not know yet."""

from __future__ import annotations

import pytest

from live.rules.placement import (
    PlacementRule,
    StepAnswer,
    TeacherWord,
    current,
    estimate,
    evidence_text,
    naive_estimate,
    path,
)


def _answers(spec: str, *, at: float = 0.0, session: int | None = None) -> list[StepAnswer]:
    """``"1:RR 2:RW"``: on step 1 two right, on step 2 one right and one wrong."""
    out = []
    for part in spec.split():
        step, marks = part.split(":")
        for mark in marks:
            out.append(StepAnswer(int(step), mark == "R", at + len(out), session))
    return out


@pytest.mark.parametrize(
    ("spec", "step", "provisional", "ask"),
    [
        ("", None, False, 1),
        ("1:R", None, False, 1),  # never from a single answer
        ("2:R 3:R", None, False, 3),
        ("1:RR 2:RR", 2, True, 3),  # at least step 2: nothing yet on step 3
        ("1:RRR 2:RRR 3:RWW", 2, False, None),
        ("1:RRR 2:RRR 3:WWW 4:RWW 5:WRW", 2, False, None),  # a lucky guess above is a guess
        ("1:WW 2:WR", 0, False, None),  # not yet on step 1
        ("1:RW 2:WW", 0, False, None),
        ("1:RRW 2:RRR 3:WW", 2, False, None),  # a wrong answer below is a slip
        ("1:RR 2:RR 3:RR 4:RR 5:RR", 5, False, None),
        ("1:RR 2:R 3:WW", None, False, 2),  # too little on the step the answers point at
    ],
)
def test_the_estimate_table(
    spec: str, step: int | None, provisional: bool, ask: int | None
) -> None:
    got = estimate(_answers(spec), 5)
    assert (got.step, got.provisional, got.ask) == (step, provisional, ask)


def test_the_evidence_reads_like_a_teacher_would_say_it() -> None:
    got = estimate(_answers("2:RRR 3:RWW"), 5)
    assert got.text == "3 of 3 right on step 2, 1 of 3 on step 3"
    assert evidence_text([]) == "no answers on its steps"


def test_a_stricter_rule_needs_more_answers() -> None:
    assert estimate(_answers("1:RR 2:WW"), 5, PlacementRule(min_answers=3)).step is None
    assert estimate(_answers("1:RRR 2:WWW"), 5, PlacementRule(min_answers=3)).step == 1


def test_the_naive_baseline_takes_any_right_answer() -> None:
    assert naive_estimate(_answers("1:RR 2:WW 5:R"), 5) == 5


def test_the_teachers_word_stands_until_later_answers_place_the_student() -> None:
    before = _answers("1:RR 2:WW", at=0)
    word = TeacherWord(2, "conference", at=10, note="explains it with a bar")
    got = current(before, [word], 5)
    assert (got.step, got.source, got.teacher["note"]) == (
        2,
        "conference",
        "explains it with a bar",
    )
    later = _answers("3:RRR 4:WWW", at=20)
    got = current(before + later, [word], 5)
    assert (got.step, got.source) == (3, "answers since the teacher's word")
    lower_but_unsure = _answers("1:RR", at=20)  # "at least step 1" does not move them down
    assert current(before + lower_but_unsure, [word], 5).step == 2


def test_the_path_lists_each_change_with_its_source() -> None:
    first = _answers("1:RR 2:WW", at=0, session=1)
    second = _answers("1:R 2:RRR 3:WW", at=100, session=2)  # step 2 checked again
    words = [TeacherWord(3, "observed", at=200)]
    got = path(first + second, words, 5)
    assert [(p["step"], p["source"]) for p in got] == [
        (1, "answers"),
        (2, "answers"),
        (3, "observed"),
    ]
