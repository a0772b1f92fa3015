"""The ``lost_odds`` metric: how much likelier a group's answers are if it is lost than if it
keeps up with the other groups."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from live.rules.metrics import MAX_RATE, Measure
from live.rules.rules import RulesError, load_rules
from tests.support.rules_support import Run, make_context

GROUPS = {"Blue": [1, 2, 3, 4], "Red": [5, 6, 7, 8], "Green": [9, 10, 11, 12]}
RIGHT = {s: "A" for s in range(5, 13)}  # question 1's key is A


def _run(*questions: Mapping[int, str]) -> Run:
    """Question 1 (key A) asked and closed once per answer sheet."""
    run = Run(make_context(GROUPS))
    run.start(0.0)
    for i, letters in enumerate(questions, start=1):
        run.question(i, 1, letters, 10.0 * i)
    return run


def _odds(run: Run, group: int = 1, *, n: int = 3, min_count: int = 0) -> Measure:
    return run.engine.metrics.measure(
        "lost_odds", ("g", group), window="last", n=n, now=100.0, min_count=min_count
    )


def test_a_group_far_below_the_others_is_likely_lost() -> None:
    m = _odds(_run({1: "B", 2: "C", 3: "D", 4: "C"} | RIGHT))
    assert m.value is not None and m.value > 100
    assert (m.count, m.students) == (4, 4)
    assert m.details["right"] == 0 and m.details["questions"] == 1
    assert m.details["expected"] == MAX_RATE  # the others' 100 % counts as 80 %


def test_a_group_keeping_up_is_not() -> None:
    m = _odds(_run({1: "A", 2: "A", 3: "A", 4: "C"} | RIGHT))
    assert m.value is not None and m.value < 1


def test_a_question_hard_for_everyone_is_no_evidence() -> None:
    half = {s: "A" if s % 2 else "C" for s in range(1, 13)}
    m = _odds(_run(half))
    assert m.details["expected"] == 0.5
    assert m.value is not None and m.value < 2  # as likely either way


def test_the_latest_question_is_not_averaged_away_by_the_ones_before() -> None:
    fine = {1: "A", 2: "A", 3: "A", 4: "A"} | RIGHT
    run = _run(fine, fine, {1: "B", 2: "B", 3: "B", 4: "B"} | RIGHT)
    m = _odds(run)
    assert m.details["questions"] == 1 and m.details["scored"] == 4
    assert m.value is not None and m.value > 100


def test_one_shared_wrong_answer_tells_more_than_wrong_answers_spread() -> None:
    shared = _odds(_run({1: "B", 2: "B", 3: "B", 4: "A"} | RIGHT))
    spread = _odds(_run({1: "B", 2: "C", 3: "D", 4: "A"} | RIGHT))
    assert shared.value is not None and spread.value is not None
    assert shared.value > 3 * spread.value


def test_a_wrong_answer_the_other_groups_chose_too_tells_less() -> None:
    theirs = {5: "B", 6: "B", 7: "A", 8: "A", 9: "B", 10: "A", 11: "A", 12: "A"}
    mine = {1: "B", 2: "B", 3: "B", 4: "A"}
    others = {5: "C", 6: "D", 7: "A", 8: "A", 9: "C", 10: "A", 11: "A", 12: "A"}
    shared_with_class = _odds(_run(mine | theirs))
    own = _odds(_run(mine | others))
    assert shared_with_class.value is not None and own.value is not None
    assert own.value > shared_with_class.value


def test_the_other_group_that_did_worst_is_left_out() -> None:
    """Red lost as well: keeping up is Green's 100 % (80 % at most), not the two together."""
    letters = {1: "B", 2: "C", 3: "D", 4: "C", 5: "B", 6: "C", 7: "B", 8: "A"}
    m = _odds(_run(letters | {s: "A" for s in range(9, 13)}))
    assert m.details["expected"] == MAX_RATE


def test_a_run_is_chosen_among_those_with_the_evidence_asked_for() -> None:
    fine = {1: "A", 2: "A", 3: "A", 4: "C"} | RIGHT
    run = _run(fine, {1: "B", 2: "C", 3: "D", 4: "C"} | RIGHT)
    assert _odds(run).details["questions"] == 1
    m = _odds(run, min_count=6)
    assert m.details["questions"] == 2 and m.count == 8


def test_no_value_without_enough_answers_from_the_other_groups() -> None:
    run = _run({1: "B", 2: "C", 3: "D", 4: "C", 5: "A", 9: "A"})
    m = _odds(run)
    assert m.value is None


@pytest.mark.parametrize("window", ["question", "session", "sessions"])
def test_the_window_is_closed_questions_only(window: str) -> None:
    rule = f"""
[[rule]]
name = "lost"
scope = "group"
severity = "high"
message = "{{group}}"
[[rule.when]]
metric = "lost_odds"
window = "{window}"
op = ">="
value = 100
min_count = 4
min_students = 2
"""
    with pytest.raises(RulesError, match="window for lost_odds"):
        load_rules(override=rule)
