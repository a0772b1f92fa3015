"""Properties of the rule engine over any sequence of classroom events (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from live.events import ResponseRecorded
from live.rules.engine import Engine, FlagId, Raise
from live.rules.metrics import CLASS, PastSession, group_key, student_key
from live.rules.rules import load_rules
from tests.support.rules_support import QUESTIONS, Run, make_context

RULES = load_rules()
ANSWER_RULES = {r.name for r in RULES if any(c.answers for c in r.when)}
STUDENTS = range(1, 9)

letters = st.sampled_from("AABBBCD")
answers = st.dictionaries(st.sampled_from(STUDENTS), letters, max_size=8)
actions = st.lists(
    st.one_of(
        st.tuples(st.just("question"), st.sampled_from(sorted(QUESTIONS)), answers, st.booleans()),
        st.tuples(st.just("answer"), st.sampled_from(STUDENTS), letters),
        st.tuples(st.just("close")),
        st.tuples(st.just("checkin"), st.sampled_from([1, 2])),
        st.tuples(st.just("wait"), st.integers(1, 1200)),
    ),
    max_size=25,
)


def _context() -> Any:
    past = PastSession(
        1, -100.0, {(s, k): (2, s % 3) for s in STUDENTS for k in ("", "fraction-addition")}
    )
    return make_context(
        {"Blue": [1, 2, 3, 4], "Red": [5, 6, 7]},
        loners=[8],
        skills={"Blue": "fraction-addition"},
        past_sessions=[past],
    )


def play(steps: list[tuple[Any, ...]], check: Any = None) -> Run:
    """Play ``steps`` like a classroom would; ``check(run, now)`` after each step."""
    run = Run(_context())
    now = 0.0
    run.start(now)
    asked = 0
    is_open = False
    latest: dict[tuple[int, int], str] = {}
    visiting: set[int] = set()

    def answer(student: int, letter: str) -> None:
        previous = latest.get((asked, student))
        choices = QUESTIONS[run.asked_question[asked]].choices
        if previous == letter or "ABCD".index(letter) >= len(choices):
            return
        run.answer(asked, student, letter, now, previous=previous)
        latest[(asked, student)] = letter
        if check is not None:
            check(run, now)

    for step in steps:
        now += 1
        kind = step[0]
        if kind == "question":
            if is_open:
                run.close(asked, now)
            asked += 1
            run.ask(asked, step[1], now)
            is_open = True
            for student, letter in step[2].items():
                answer(student, letter)
            if step[3]:
                run.close(asked, now)
                is_open = False
        elif kind == "answer" and asked:
            answer(step[1], step[2])  # after close: a manual entry
        elif kind == "close" and is_open:
            run.close(asked, now)
            is_open = False
        elif kind == "checkin":
            group = step[1]
            if group in visiting:
                run.end_checkin(group, now)
                visiting.discard(group)
            else:
                run.checkin(group, now)
                visiting.add(group)
        elif kind == "wait":
            now += step[1]
            run.tick(now)  # time passes with no event: what the shell's ticker does
        else:
            continue
        if check is not None:
            check(run, now)
    return run


def _answers_so_far(run: Run, upto_seq: int) -> dict[tuple[int, int], str]:
    latest: dict[tuple[int, int], str] = {}
    for e in run.log:
        if e.seq > upto_seq:
            break
        if isinstance(e.payload, ResponseRecorded):
            latest[(e.payload.asked_id, e.payload.student)] = e.payload.answer
    return latest


QUICK = settings(
    max_examples=int(__import__("os").environ.get("RULES_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@QUICK
@given(actions)
def test_no_flag_is_raised_without_its_minimum_evidence(steps: list[tuple[Any, ...]]) -> None:
    """Every raised flag rests on at least its rule's minimum evidence, never one answer."""
    run = play(steps)
    for flag in run.flags.values():
        rule = next(r for r in RULES if r.name == flag.rule)
        evidence = flag.evidence["conditions"]
        for c in rule.when:
            e = evidence[c.name]
            assert e["count"] >= c.min_count and e["students"] >= c.min_students
        if flag.rule in ANSWER_RULES:
            answers = _answers_so_far(run, flag.raised_seq)
            assert len(answers) >= 2
            if rule.scope == "group":
                assert len({s for _, s in answers}) >= 2


@QUICK
@given(actions)
def test_no_flag_stays_open_once_its_condition_has_cleared(steps: list[tuple[Any, ...]]) -> None:
    """After every event each open flag's condition still holds (with its hysteresis), and the
    end of the session resolves whatever is open."""

    def check(run: Run, now: float) -> None:
        outcomes = run.engine.outcomes(now)
        for f in run.open_flags():
            key = f.evidence.get("key")
            o = outcomes.get(FlagId(f.rule, f.group, f.student, key))
            assert o is not None and o.keeps, f"{f.rule} on {f.group}/{f.student} should clear"
        bands = [(f.group, f.student) for f in run.open_flags() if f.rule.startswith("accuracy")]
        assert len(bands) == len(set(bands)), "two accuracy bands open for one group"

    run = play(steps, check)
    run.end(10**6)
    assert not run.open_flags()


@QUICK
@given(actions)
def test_the_incremental_engine_equals_a_replay_of_the_same_history(
    steps: list[tuple[Any, ...]],
) -> None:
    """Metrics, rule outcomes and open flags after one event at a time equal those of a fresh
    engine fed the whole log, and accuracy equals a count over the latest answers."""
    run = play(steps)
    now = run.log[-1].at
    fresh = Engine(run.context, RULES, session_id=1).replay(run.log)
    assert fresh.open == run.engine.open
    assert fresh.snoozed == run.engine.snoozed
    assert fresh.outcomes(now) == run.engine.outcomes(now)
    assert fresh.decide(now) == run.engine.decide(now)
    keys = [CLASS, group_key(1), group_key(2), *(student_key(s) for s in STUDENTS)]
    for metric, window, n in [
        ("accuracy", "session", 1),
        ("accuracy", "last", 3),
        ("response_rate", "question", 1),
        ("shared_wrong", "closed", 1),
        ("accuracy", "sessions", 3),
        ("trend", "last", 2),
    ]:
        for key in keys:
            if metric in ("shared_wrong",) and key[0] != "g":
                continue
            if metric == "response_rate" and key[0] == "s":
                continue
            a = run.engine.metrics.measure(metric, key, window=window, n=n, now=now)
            b = fresh.metrics.measure(metric, key, window=window, n=n, now=now)
            assert a == b
    # from first principles: the latest answer of each student to each scored question
    latest = _answers_so_far(run, run.seq)
    for key in keys:
        members = run.context.subjects(key)
        scored = [
            (asked, s, a)
            for (asked, s), a in latest.items()
            if s in members and QUESTIONS[run.asked_question[asked]].correct is not None
        ]
        right = sum(
            1 for asked, _, a in scored if a == QUESTIONS[run.asked_question[asked]].correct
        )
        m = run.engine.metrics.measure("accuracy", key, window="session", now=now)
        assert m.value == (right / len(scored) if scored else None)
        assert m.count == len(scored)


@QUICK
@given(actions, st.integers(0, 3600))
def test_a_tick_equals_a_fresh_evaluation_at_its_time(
    steps: list[tuple[Any, ...]], quiet: int
) -> None:
    """After any history and ``quiet`` seconds with no event, a tick decides what a fresh
    engine fed the whole log decides at that time; once its flags are logged, a replay agrees
    with the ticked engine and ticking again changes nothing."""
    run = play(steps)
    later = run.log[-1].at + quiet
    fresh = Engine(run.context, RULES, session_id=1).replay(run.log)
    assert run.tick(later) == fresh.decide(later)
    again = Engine(run.context, RULES, session_id=1).replay(run.log)
    assert again.open == run.engine.open
    assert again.snoozed == run.engine.snoozed
    assert again.outcomes(later) == run.engine.outcomes(later)
    assert run.engine.tick(later) == [] == again.tick(later)


def test_a_replayed_log_reraises_nothing() -> None:
    """Deciding right after a replay adds no flag: the log already holds them."""
    blue_wrong = {s: "B" if s < 5 else "A" for s in range(1, 9)}
    run = play([("question", 1, blue_wrong, True)])
    assert run.open_flags()
    fresh = Engine(run.context, RULES, session_id=1).replay(run.log)
    assert not [d for d in fresh.decide(run.log[-1].at) if isinstance(d, Raise)]
