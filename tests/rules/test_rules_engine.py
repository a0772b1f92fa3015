"""The rule engine, pure: rule tables (events in, flags out), the flag lifecycle, rules as data."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from live.events import ResponseRecorded
from live.rules.engine import Raise, Resolve, Update
from live.rules.metrics import PastCheckin, PastSession
from live.rules.rules import RulesError, load_rules, render
from tests.support.rules_support import Run, make_context

ALL_RIGHT = {s: "A" for s in range(5, 9)}


def _run(**kw: object) -> Run:
    run = Run(make_context(**kw))  # type: ignore[arg-type]
    run.start(0.0)
    return run


def misconception() -> Run:
    run = _run()
    run.question(1, 1, {1: "B", 2: "B", 3: "B", 4: "B", 5: "A", 6: "A", 7: "A", 8: "C"}, 10)
    return run


def misconception_of_three_with_one_right() -> Run:
    """3 of 4 chose B and one got it right: 80 times likelier lost than keeping up, not 300."""
    run = _run()
    run.question(1, 1, {1: "B", 2: "B", 3: "B", 4: "A", 5: "A", 6: "A", 7: "A", 8: "C"}, 10)
    return run


def misconception_two_answers() -> Run:
    run = _run()
    run.question(1, 1, {1: "B", 2: "B", 5: "A", 6: "A", 7: "A"}, 10)
    return run


def misconception_still_open() -> Run:
    run = _run()
    run.ask(1, 1, 10)
    run.answers(1, {1: "B", 2: "B", 3: "B", 4: "A"}, 11)
    return run


def misconception_on_a_poll() -> Run:
    run = _run()
    run.question(1, 5, {1: "B", 2: "B", 3: "B", 4: "B"}, 10)
    return run


def wrong_answers_spread() -> Run:
    run = _run()
    run.question(1, 1, {1: "B", 2: "C", 3: "D", 4: "A"}, 10)
    return run


def band(right: int, questions: int = 2) -> Callable[[], Run]:
    """Blue answers ``questions`` questions (key A) with ``right`` of its answers right, all
    its wrong answers C; Red gets them all right."""

    def build() -> Run:
        run = _run()
        letters = ["A"] * right + ["C"] * (4 * questions - right)
        for i, q in enumerate((3, 4, 1)[:questions]):
            mine = dict(zip(range(1, 5), letters[4 * i : 4 * i + 4], strict=True))
            run.question(i + 1, q, mine | ALL_RIGHT, 10 * (i + 1))
        return run

    return build


def student_below_group() -> Run:
    run = _run()
    for asked, q in ((1, 1), (2, 3), (3, 4), (4, 1), (5, 3), (6, 4), (7, 1), (8, 3)):
        run.question(asked, q, {1: "A", 2: "A", 3: "A", 4: "D"} | ALL_RIGHT, 10 * asked)
    return run


def half_right_for(minutes: float) -> Callable[[], Run]:
    def build() -> Run:
        run = _run()
        run.question(1, 3, {1: "A", 2: "C", 3: "C", 4: "C"} | ALL_RIGHT, 10)
        run.question(2, 4, {1: "A", 2: "C", 3: "C", 4: "C"} | ALL_RIGHT, 20)
        run.ask(3, 1, minutes * 60)
        return run

    return build


def _all_answered() -> Run:
    run = _run(groups={"Blue": [1, 2, 3, 4], "Red": [5, 6, 7, 8], "Green": [9, 10, 11, 12]})
    run.question(1, 1, {s: "A" for s in range(1, 13)}, 0)
    return run


def low_response() -> Run:
    run = _all_answered()
    run.ask(2, 3, 100)
    run.answers(2, {s: "A" for s in (1, 2, 3, 4, 9, 10, 11, 12, 5)}, 101)
    run.tick(150)
    return run


def low_response_too_soon() -> Run:
    run = _all_answered()
    run.ask(2, 3, 100)
    run.answers(2, {s: "A" for s in (1, 2, 3, 4, 9, 10, 11, 12, 5, 6)}, 105)
    return run


def low_response_from_the_start() -> Run:
    """Red has not answered before either (absent students look the same)."""
    run = _run(groups={"Blue": [1, 2, 3, 4], "Red": [5, 6, 7, 8], "Green": [9, 10, 11, 12]})
    run.ask(1, 3, 0)
    run.answers(1, {s: "A" for s in (1, 2, 3, 4, 9, 10, 11, 12, 5)}, 1)
    run.tick(50)
    return run


def falling_trend() -> Run:
    run = _run()
    run.question(1, 1, {1: "A", 2: "A", 3: "A", 4: "A"} | ALL_RIGHT, 10)
    run.question(2, 3, {1: "A", 2: "A", 3: "A", 4: "A"} | ALL_RIGHT, 20)
    run.question(3, 4, {1: "C", 2: "D", 3: "B", 4: "C"} | ALL_RIGHT, 30)
    run.question(4, 2, {1: "C", 2: "D", 3: "A", 4: "C"} | {s: "B" for s in range(5, 9)}, 40)
    return run


def not_answering() -> Run:
    run = _run()
    run.question(1, 1, {1: "A", 2: "A", 3: "A", 4: "A"} | ALL_RIGHT, 5)
    run.question(2, 3, {1: "A", 2: "A", 3: "A", 4: "A"} | ALL_RIGHT, 6)
    for asked, q in ((3, 1), (4, 3), (5, 4)):
        run.question(asked, q, {1: "A", 2: "A", 3: "A"} | ALL_RIGHT, 10 * asked)
    return run


def absent_all_along() -> Run:
    run = _run()
    for asked, q in ((1, 1), (2, 3), (3, 4)):
        run.question(asked, q, {1: "A", 2: "A", 3: "A"} | ALL_RIGHT, 10 * asked)
    return run


def _past(session: int, right: int, of: int) -> PastSession:
    results = {}
    for s in (1, 2, 3, 4):
        results[(s, "fraction-addition")] = (of, right)
        results[(s, "")] = (of, right)
    return PastSession(session, 100.0 * session, results)


def goal(past: list[tuple[int, int]], now_right: int) -> Callable[[], Run]:
    def build() -> Run:
        run = _run(
            skills={"Blue": "fraction-addition"},
            past_sessions=[_past(i + 1, r, n) for i, (r, n) in enumerate(past)],
        )
        letters = ["A"] * now_right + ["D"] * (4 - now_right)
        run.question(1, 1, dict(zip(range(1, 5), letters, strict=True)) | ALL_RIGHT, 1000)
        return run

    return build


def rotation(blue_minutes: float) -> Callable[[], Run]:
    def build() -> Run:
        day = 86400.0
        checkins = [PastCheckin(2, -i * day, -i * day + 600) for i in range(1, 6)]
        if blue_minutes:
            checkins.append(PastCheckin(1, -2 * day, -2 * day + blue_minutes * 60))
        return _run(past_checkins=checkins)

    return build


CASES = [
    (
        "all 4 in a group chose the same wrong answer",
        misconception,
        {("shared-misconception", "Blue", None)},
        {("shared-misconception", "Red", None)},
    ),
    (
        "3 of 4 with one right could be bad luck",
        misconception_of_three_with_one_right,
        set(),
        {("shared-misconception", "Blue", None)},
    ),
    (
        "two answers are not enough evidence",
        misconception_two_answers,
        set(),
        {("shared-misconception", "Blue", None)},
    ),
    (
        "an open question is not yet a misconception",
        misconception_still_open,
        set(),
        {("shared-misconception", "Blue", None)},
    ),
    (
        "a poll has no wrong answer",
        misconception_on_a_poll,
        set(),
        {("shared-misconception", "Blue", None)},
    ),
    (
        "wrong answers spread over three choices",
        wrong_answers_spread,
        set(),
        {("shared-misconception", "Blue", None)},
    ),
    (
        "below 40%",
        band(2),
        {("accuracy-below-40", "Blue", None)},
        {("accuracy-40-55", "Blue", None)},
    ),
    (
        "40-55%",
        band(6, questions=3),
        {("accuracy-40-55", "Blue", None)},
        {("accuracy-below-40", "Blue", None), ("accuracy-70-90", "Blue", None)},
    ),
    (
        "40-55% on 8 answers could be bad luck",
        band(4),
        set(),
        {("accuracy-40-55", "Blue", None), ("group-behind", "Blue", None)},
    ),
    ("70-90%", band(6), {("accuracy-70-90", "Blue", None)}, {("accuracy-40-55", "Blue", None)}),
    (
        "above 90%",
        band(8),
        {("accuracy-above-90", "Blue", None), ("accuracy-above-90", "Red", None)},
        {("accuracy-70-90", "Blue", None)},
    ),
    (
        "a student below the class in a group doing well",
        student_below_group,
        {("student-below-group", "Blue", 4)},
        {("student-below-group", "Blue", 1)},
    ),
    (
        "no check-in for 16 minutes while below target",
        half_right_for(16),
        {("checkin-overdue", "Blue", None)},
        {("checkin-overdue", "Red", None)},
    ),
    ("5 minutes is not overdue", half_right_for(5), set(), {("checkin-overdue", "Blue", None)}),
    (
        "one part of the room not scanned",
        low_response,
        {("low-response", "Red", None)},
        {("low-response", "Blue", None)},
    ),
    ("scanning has only just begun", low_response_too_soon, set(), {("low-response", "Red", None)}),
    (
        "a group that has not answered before is not a scanning gap",
        low_response_from_the_start,
        set(),
        {("low-response", "Red", None)},
    ),
    (
        "accuracy falling over the last checks",
        falling_trend,
        {("falling-trend", "Blue", None)},
        {("falling-trend", "Red", None)},
    ),
    (
        "a student who stopped answering for the last three",
        not_answering,
        {("student-not-answering", "Blue", 4)},
        {("student-not-answering", "Blue", 1)},
    ),
    (
        "a student absent from the start is not a call",
        absent_all_along,
        set(),
        {("student-not-answering", "Blue", 4)},
    ),
    (
        "a goal not progressing over three sessions",
        goal([(1, 2), (1, 2)], 2),
        {("goal-stalled", "Blue", None)},
        set(),
    ),
    ("a goal progressing", goal([(0, 2), (1, 2)], 4), set(), {("goal-stalled", "Blue", None)}),
    (
        "a group answers its goal right",
        goal([], 4),
        {("goal-reached", "Blue", None)},
        {("goal-reached", "Red", None)},
    ),
    ("half right is not a goal reached", goal([], 2), set(), {("goal-reached", "Blue", None)}),
    (
        "two sessions are too few to judge a goal",
        goal([(1, 2)], 2),
        set(),
        {("goal-stalled", "Blue", None)},
    ),
    (
        "a group with no check-in time in four weeks",
        rotation(0),
        {("rotation-equity", "Blue", None)},
        {("rotation-equity", "Red", None)},
    ),
    ("a fair share of check-in time", rotation(50), set(), {("rotation-equity", "Blue", None)}),
]


@pytest.mark.parametrize(
    ("build", "expected", "forbidden"),
    [pytest.param(b, e, f, id=name) for name, b, e, f in CASES],
)
def test_rule_table(
    build: Callable[[], Run], expected: set[object], forbidden: set[object]
) -> None:
    """Each default rule raises on its evidence and stays quiet without it."""
    run = build()
    flags = run.open()
    assert expected <= flags
    assert not forbidden & flags


def test_misconception_message_names_group_answer_question_and_move() -> None:
    run = misconception()
    (flag,) = [f for f in run.open_flags() if f.rule == "shared-misconception"]
    assert flag.message.startswith(
        "4 of 4 in Blue chose B (2/5) on question 1, the same wrong answer (fraction-addition)."
    )
    assert "Go to Blue" in flag.message
    assert flag.evidence["key"] == "asked:1"
    assert flag.evidence["conditions"]["wrong"]["answer"] == "B"


def test_student_flags_carry_card_numbers_not_names() -> None:
    run = student_below_group()
    (flag,) = [f for f in run.open_flags() if f.rule == "student-below-group"]
    assert flag.message.startswith("Card 4 in Blue has 0% right this session")


# -- lifecycle ---------------------------------------------------------------------------


def test_a_checkin_resolves_the_groups_flags_and_they_stay_quiet() -> None:
    run = misconception()
    blue = {f.id for f in run.open_flags() if f.group == 1}
    assert blue
    run.checkin(1, 100)
    assert {f.id for f in run.flags.values() if f.resolved == "checkin"} == blue
    run.end_checkin(1, 200)
    run.ask(2, 3, 300)
    assert not [f for f in run.open_flags() if f.group == 1]


def test_the_same_misconception_on_a_new_question_is_a_new_flag() -> None:
    run = misconception()
    run.checkin(1, 100)
    run.question(2, 2, {1: "A", 2: "A", 3: "A", 4: "A"} | {s: "B" for s in range(5, 9)}, 200)
    assert ("shared-misconception", "Blue", None) in run.open()
    ids = [f.id for f in run.flags.values() if f.rule == "shared-misconception"]
    assert len(ids) == 2


def test_a_misconception_stays_when_questions_on_other_skills_close() -> None:
    """Regression: "5 of 6 in Foxes chose A" was cleared as soon as question 2 closed."""
    run = misconception()
    run.question(2, 3, {1: "A", 2: "A", 3: "A", 4: "A"} | ALL_RIGHT, 100)
    run.question(3, 4, {1: "A", 2: "A", 3: "A", 4: "A"} | ALL_RIGHT, 200)
    (flag,) = [f for f in run.flags.values() if f.rule == "shared-misconception"]
    assert flag.resolved is None
    assert flag.message.startswith("4 of 4 in Blue chose B (2/5) on question 1")


def test_a_misconception_is_fixed_when_most_are_right_on_the_same_skill() -> None:
    run = misconception()
    red = {s: "B" for s in range(5, 9)}
    run.question(2, 2, {1: "B", 2: "B", 3: "A", 4: "B"} | red, 100)  # 3 of 4 right
    (flag,) = [f for f in run.flags.values() if f.rule == "shared-misconception"]
    assert flag.resolved == "fixed"


def test_half_right_on_the_same_skill_is_not_yet_fixed() -> None:
    run = misconception()
    red = {s: "B" for s in range(5, 9)}
    run.question(2, 2, {1: "B", 2: "B", 3: "A", 4: "C"} | red, 100)  # 2 of 4
    (flag,) = [f for f in run.flags.values() if f.rule == "shared-misconception"]
    assert flag.resolved is None


def test_evidence_that_changes_updates_the_flag() -> None:
    run = misconception()
    run.answer(1, 4, "D", 50, previous="B")  # a manual correction after close
    (flag,) = [f for f in run.open_flags() if f.rule == "shared-misconception"]
    assert flag.message.startswith("3 of 4 in Blue chose B")
    assert any(isinstance(d, Update) and d.flag == flag.id for _, d in run.decisions)


def test_a_dismissed_flag_stays_quiet_until_its_condition_clears() -> None:
    run = misconception()
    (flag,) = [f for f in run.open_flags() if f.rule == "shared-misconception"]
    assert run.engine.dismiss(flag.id) == Resolve(flag.id, "dismissed")
    run.dismiss(flag.id, 60)
    run.answer(1, 4, "D", 70, previous="B")
    assert ("shared-misconception", "Blue", None) not in run.open()
    assert run.engine.dismiss(flag.id) is None


def test_the_end_of_the_session_resolves_every_flag() -> None:
    run = misconception()
    assert run.open_flags()
    run.end(500)
    assert not run.open_flags()
    assert {f.resolved for f in run.flags.values()} <= {"session.ended", "cleared"}


HYSTERESIS = """
[[rule]]
name = "half"
scope = "group"
severity = "medium"
message = "{group} at {accuracy:%}"
[[rule.when]]
metric = "accuracy"
window = "session"
op = "<"
value = 0.5
min_count = 2
min_students = 2
hysteresis = 0.1
"""


def test_hysteresis_keeps_a_flag_near_its_threshold() -> None:
    run = Run(make_context(), rules=load_rules(HYSTERESIS))
    run.start(0)
    run.ask(1, 1, 1)
    run.answers(1, {1: "A", 2: "C", 3: "C", 4: "C"}, 2)  # 25%
    assert run.open() == {("half", "Blue", None)}
    run.answer(1, 2, "A", 3, previous="C")  # 50%: not below 50, but within the margin
    assert run.open() == {("half", "Blue", None)}
    run.answer(1, 3, "A", 4, previous="C")  # 75%: cleared
    assert run.open() == set()
    run.answer(1, 3, "C", 5, previous="A")  # 50% again: not raised (strictly below 50 raises)
    assert run.open() == set()
    run.answer(1, 2, "C", 6, previous="A")  # 25%: a new flag
    assert run.open() == {("half", "Blue", None)}
    assert len(run.flags) == 2


def test_one_band_flag_per_group_at_a_time() -> None:
    run = band(4, questions=3)()  # 33%: below 40
    assert ("accuracy-below-40", "Blue", None) in run.open()
    run.answer(3, 4, "A", 40, previous="C")
    run.answer(3, 3, "A", 41, previous="C")  # 50%: the band moves
    bands = [f.rule for f in run.open_flags() if f.group == 1 and f.rule.startswith("accuracy")]
    assert bands == ["accuracy-40-55"]


def test_small_changes_at_a_band_edge_do_not_flap() -> None:
    run = band(3)()
    rule_before = {f.rule for f in run.open_flags() if f.group == 1}
    # 3 of 8 -> 3 of 7 answers scored (42.9%), inside the hysteresis margin of the <40 band
    run.emit(ResponseRecorded(2, 4, 4, "C", False, "C", "manual"), 40)
    assert {f.rule for f in run.open_flags() if f.group == 1} == rule_before


def test_raised_flags_are_recorded_as_raise_decisions() -> None:
    run = misconception()
    assert any(
        isinstance(d, Raise) and d.ident.rule == "shared-misconception" for _, d in run.decisions
    )


# -- rules as data -----------------------------------------------------------------------


def test_the_defaults_are_fourteen_rules_covering_the_issues() -> None:
    names = {r.name for r in load_rules()}
    assert len(names) == 14
    assert {
        "shared-misconception",
        "accuracy-below-40",
        "accuracy-40-55",
        "group-behind",
        "accuracy-70-90",
        "accuracy-above-90",
        "student-below-group",
        "checkin-overdue",
        "goal-stalled",
        "goal-reached",
        "rotation-equity",
        "low-response",
    } <= names


def test_an_override_changes_disables_and_adds_rules() -> None:
    override = """
[[rule]]
name = "shared-misconception"
enabled = false

[[rule]]
name = "checkin-overdue"
severity = "high"

[[rule]]
name = "everyone-wrong"
scope = "group"
severity = "high"
message = "{group}: {accuracy:%}"
[[rule.when]]
metric = "accuracy"
window = "closed"
op = "<="
value = 0.0
min_count = 3
min_students = 3
"""
    rules = {r.name: r for r in load_rules(None, override)}
    assert "shared-misconception" not in rules
    assert rules["checkin-overdue"].severity == "high"
    assert len(rules["checkin-overdue"].when) == 3
    assert rules["everyone-wrong"].when[0].value == 0.0


BAD = """
[[rule]]
name = "r"
scope = "group"
severity = "high"
message = "{group}"
[[rule.when]]
metric = "accuracy"
window = "session"
op = "<"
value = 0.5
min_count = 3
min_students = 3
"""


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (('scope = "group"', 'scope = "room"'), "scope must be group or student"),
        (('severity = "high"', 'severity = "urgent"'), "severity must be one of"),
        (('metric = "accuracy"', "metric = \"__import__('os')\""), "unknown metric"),
        (('op = "<"', 'op = "=="'), "op must be one of"),
        (("value = 0.5", 'value = "1 + 1"'), "value must be a number"),
        (('window = "session"', 'window = "year"'), "window for accuracy"),
        (("min_count = 3", "min_count = 1"), "min_count must be at least 2"),
        (("min_students = 3", "min_students = 1"), "min_students must be at least 2"),
        (('message = "{group}"', 'message = "{group.__class__}"'), "template names"),
        (('message = "{group}"', 'message = "{secret}"'), "template names"),
        (("min_count = 3", "min_count = 3\nshout = true"), "unknown field 'shout'"),
        (("[[rule]]", "[[rules]]"), "unknown table"),
        (("value = 0.5", "value = "), "not valid TOML"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(change: tuple[str, str], error: str) -> None:
    with pytest.raises(RulesError, match=error.replace("(", r"\(")):
        load_rules(BAD.replace(*change, 1))


def test_templates_fill_fields_and_never_evaluate() -> None:
    values = {"a": 0.375, "b": -0.3, "n": 3.0, "s": "Blue"}
    assert render("{s}: {a:%} {b:pp} {n}", values) == "Blue: 38% -30 points 3"
    assert render("{s.__class__}", values) == "?"  # a name it does not have, never an attribute


# -- one call per group, heard check-ins ---------------------------------------------------


def foxes_at_42() -> Run:
    """Blue at 3 of 12 over three questions (25%), no shared wrong answer."""
    run = _run()
    run.question(1, 3, {1: "A", 2: "B", 3: "C", 4: "A"} | ALL_RIGHT, 10)
    run.question(2, 4, {1: "A", 2: "B", 3: "C", 4: "D"} | ALL_RIGHT, 20)
    run.question(3, 1, {1: "B", 2: "C", 3: "D", 4: "C"} | ALL_RIGHT, 25)
    return run


def test_a_checkin_is_heard_and_the_same_evidence_never_comes_back() -> None:
    """Regression: after a check-in at 42 %, "SOON Foxes got 42 %" came straight back."""
    run = foxes_at_42()
    assert ("accuracy-below-40", "Blue", None) in run.open()
    run.checkin(1, 30)
    run.end_checkin(1, 40)
    run.answer(2, 4, "A", 45, previous="D")  # a correction to an answer from before the check-in
    run.ask(3, 1, 50)  # asked after the check-in, still open
    run.answers(3, {1: "B", 2: "C", 3: "D", 4: "B"}, 51)
    assert not [f for f in run.open_flags() if f.group == 1]


def test_after_a_checkin_new_evidence_alone_raises_a_call_again() -> None:
    run = foxes_at_42()
    run.checkin(1, 30)
    run.end_checkin(1, 40)
    run.question(4, 3, {1: "A", 2: "B", 3: "C", 4: "D"} | ALL_RIGHT, 50)  # 4 answers: too few
    assert not [f for f in run.open_flags() if f.group == 1]
    run.question(5, 4, {1: "C", 2: "B", 3: "C", 4: "D"} | ALL_RIGHT, 60)
    (flag,) = [f for f in run.open_flags() if f.group == 1]
    assert flag.rule == "accuracy-below-40"
    assert flag.evidence["conditions"]["accuracy"]["count"] == 8  # the answers after it only


def test_doing_well_is_a_note_never_a_call() -> None:
    run = band(8)()
    raised = [d for _, d in run.decisions if isinstance(d, Raise)]
    assert {(d.ident.rule, d.action) for d in raised} == {("accuracy-above-90", "acknowledge")}
    run = misconception()
    (call,) = [d for _, d in run.decisions if isinstance(d, Raise) and d.ident.group == 1]
    assert call.action == "check-in"


def test_a_group_with_a_call_has_no_note_of_progress_beside_it() -> None:
    """Regression: Owls showed "NOW misconception" and "acknowledge progress" at once."""
    run = _run()
    run.question(1, 3, {1: "A", 2: "A", 3: "A", 4: "A"} | ALL_RIGHT, 10)
    run.question(2, 4, {1: "A", 2: "A", 3: "A", 4: "A"} | ALL_RIGHT, 20)
    (note,) = [f for f in run.open_flags() if f.group == 1]
    assert note.rule == "accuracy-above-90"
    run.question(3, 1, {1: "B", 2: "B", 3: "B", 4: "B"} | ALL_RIGHT, 30)  # all chose 2/5
    assert {f.rule for f in run.open_flags() if f.group == 1} == {"shared-misconception"}
    assert run.flags[note.id].resolved is not None


def test_a_call_on_a_student_supersedes_the_groups_note() -> None:
    run = _run()
    run.question(1, 3, {1: "A", 2: "A", 3: "A", 4: "A"} | ALL_RIGHT, 10)
    run.question(2, 4, {1: "A", 2: "A", 3: "A", 4: "A"} | ALL_RIGHT, 20)
    (note,) = [f for f in run.open_flags() if f.group == 1]
    for asked, q in ((3, 1), (4, 3), (5, 4)):  # card 4 stops answering; the rest stay right
        run.question(asked, q, {1: "A", 2: "A", 3: "A"} | ALL_RIGHT, 10 * asked + 20)
    assert {f.rule for f in run.open_flags() if f.group == 1} == {"student-not-answering"}
    assert run.flags[note.id].resolved == "superseded"


def test_a_dismissed_band_does_not_come_back_as_the_next_band_on_the_same_answers() -> None:
    run = foxes_at_42()
    (flag,) = [f for f in run.open_flags() if f.group == 1]
    run.dismiss(flag.id, 30)
    run.answer(2, 4, "A", 35, previous="D")  # 4 of 8: the 40-55 band on old answers
    assert not [f for f in run.open_flags() if f.group == 1]


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ('action = "ignore"', "action must be check-in or acknowledge"),
        (
            '[[rule.until]]\nmetric = "accuracy"\nwindow = "after"\nop = ">"\nvalue = 0.5\n'
            "min_count = 3\nmin_students = 3",
            "until needs a condition keyed by its question",
        ),
    ],
)
def test_actions_and_until_are_checked(extra: str, error: str) -> None:
    text = BAD.replace('message = "{group}"', f'message = "{{group}}"\n{extra}', 1)
    if extra.startswith("[[rule.until]]"):
        text = BAD + extra + "\n"
    with pytest.raises(RulesError, match=error):
        load_rules(text)
