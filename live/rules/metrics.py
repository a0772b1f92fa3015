"""The rule engine's metrics, folded incrementally from a session's events. Pure.

``SessionMetrics`` applies one committed event at a time (``apply``) and keeps running tallies
per question, per session and per skill tag for every student, every group and the class, so a
new answer costs a handful of dict updates however long the history. A changed answer takes the
old one back out first. ``measure`` reads one metric for one subject over one window; ``now`` is
always an argument.

What the store knows beyond this session's log (the roster, the groups with their skill and
goal, the question keys and tags, earlier sessions' results, earlier check-ins) comes in as a
``Context``, read by the shell. Groups over earlier sessions are their *current* members.

Subjects are keys: ``("s", student)``, ``("g", group)``, ``("c", 0)`` for the class.

Windows: ``question`` (the latest question asked, open or closed), ``closed`` (the latest closed
one), ``last`` (the last ``n`` closed questions), ``session`` (every question so far),
``sessions`` (this session and the ``n - 1`` before it), ``weeks`` (the last ``n`` weeks, for
check-in time).

Two bounds narrow the question windows, for the engine: ``since`` (a position in the session's
order of questions: only questions asked from there on count, so a group the teacher has
checked in with is judged on answers given after the check-in) and ``anchor`` (an asked id: the
question a sticky flag was raised on; ``closed`` then reads that question, and ``after`` reads
the latest question closed after it that shares one of its skill tags). "Present" students are the active members of the roster: the store keeps no
attendance, so an absent student lowers the response rate like a card that was never scanned.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from live.events import (
    CheckinEnded,
    CheckinStarted,
    Event,
    QuestionAsked,
    QuestionClosed,
    QuestionRevealed,
    ResponseRecorded,
    SessionEnded,
    SessionStarted,
)

__all__ = [
    "CLASS",
    "CLASS_METRICS",
    "CLOCK_METRICS",
    "METRICS",
    "RUN_METRICS",
    "Context",
    "Group",
    "Key",
    "Measure",
    "MetricSpec",
    "PastCheckin",
    "PastSession",
    "Question",
    "SessionMetrics",
    "Tally",
    "group_key",
    "student_key",
]

Key = tuple[str, int]
CLOCK_METRICS = frozenset(
    {
        "minutes_since_checkin",
        "days_since_checkin",
        "checkin_minutes",
        "checkin_share",
        "seconds_open",
    }
)
"""Metrics whose value changes with ``now`` alone."""
CLASS_METRICS = frozenset({"accuracy_vs_class", "lost_odds"})
"""Metrics of a student or a group that read the rest of the class as well."""
RUN_METRICS = frozenset({"lost_odds"})
"""Metrics that pick a run of their window, among those with the condition's minimum evidence."""
CLASS: Key = ("c", 0)
WEEK = 7 * 86400.0


def group_key(group: int) -> Key:
    return ("g", group)


def student_key(student: int) -> Key:
    return ("s", student)


# -- context: what the store knows beyond this session's log ---------------------------------


@dataclass(frozen=True)
class Question:
    id: int
    correct: str | None
    choices: tuple[str, ...]
    skills: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    skill: str | None = None
    goal: str = ""
    created_at: float = 0.0
    goal_since: float = 0.0  # when the group's current goal was agreed


@dataclass(frozen=True)
class PastSession:
    """An earlier session's results: (student, skill) -> (scored, correct); skill "" is all."""

    id: int
    started_at: float
    results: Mapping[tuple[int, str], tuple[int, int]]


@dataclass(frozen=True)
class PastCheckin:
    group: int
    started_at: float
    ended_at: float | None


@dataclass
class Context:
    """The class as the store has it now. Treated as immutable once built."""

    class_id: int
    students: Mapping[int, int | None]  # active student -> current group (None: no group)
    groups: Mapping[int, Group]
    questions: Mapping[int, Question]
    cards: Mapping[int, int | None] = field(default_factory=dict)
    past_sessions: tuple[PastSession, ...] = ()  # oldest first
    past_checkins: tuple[PastCheckin, ...] = ()

    def __post_init__(self) -> None:
        members: dict[int, list[int]] = {g: [] for g in self.groups}
        for student, group in sorted(self.students.items()):
            if group is not None and group in members:
                members[group].append(student)
        self.members: dict[int, tuple[int, ...]] = {g: tuple(m) for g, m in members.items()}
        # per group: check-in start times (sorted) and the prefix sums of their minutes
        starts: dict[int, list[tuple[float, float]]] = {}
        for c in self.past_checkins:
            minutes = 0.0 if c.ended_at is None else max(0.0, c.ended_at - c.started_at) / 60
            starts.setdefault(c.group, []).append((c.started_at, minutes))
        self._checkin_starts: dict[int, list[float]] = {}
        self._checkin_prefix: dict[int, list[float]] = {}
        for g, rows in starts.items():
            rows.sort()
            self._checkin_starts[g] = [s for s, _ in rows]
            prefix = [0.0]
            for _, m in rows:
                prefix.append(prefix[-1] + m)
            self._checkin_prefix[g] = prefix

    def subjects(self, key: Key) -> tuple[int, ...]:
        """The students a subject stands for (current membership)."""
        kind, ident = key
        if kind == "s":
            return (ident,)
        if kind == "g":
            return self.members.get(ident, ())
        return tuple(sorted(self.students))

    def past_checkin_minutes(self, group: int, since: float) -> tuple[float, int]:
        """Minutes and count of the group's earlier check-ins that started at or after ``since``."""
        starts = self._checkin_starts.get(group)
        if not starts:
            return 0.0, 0
        i = bisect.bisect_left(starts, since)
        prefix = self._checkin_prefix[group]
        return prefix[-1] - prefix[i], len(starts) - i

    def last_past_checkin(self, group: int) -> float | None:
        starts = self._checkin_starts.get(group)
        return starts[-1] if starts else None


# -- tallies -----------------------------------------------------------------------------


@dataclass
class Tally:
    """Counts of latest answers: how many, how many scored (the question has a key), right."""

    answered: int = 0
    scored: int = 0
    correct: int = 0
    students: Counter[int] = field(default_factory=Counter)
    wrong: Counter[str] = field(default_factory=Counter)

    def add(self, student: int, answer: str, correct: bool | None, sign: int) -> None:
        self.answered += sign
        if correct is not None:
            self.scored += sign
            if correct:
                self.correct += sign
            else:
                _bump(self.wrong, answer, sign)
        _bump(self.students, student, sign)


def _bump(counter: Counter[Any], item: Any, sign: int) -> None:
    value = counter[item] + sign
    if value:
        counter[item] = value
    else:
        del counter[item]


@dataclass(frozen=True)
class Measure:
    """One metric's value for one subject and window, with how much evidence it rests on.

    ``count`` is the evidence the minimum-evidence check reads (answers for answer metrics,
    check-ins for check-in time, sessions for goal progress); ``students`` is how many distinct
    students the answers came from.
    """

    value: float | None
    count: int = 0
    students: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)


NOTHING = Measure(None)


@dataclass
class Asked:
    id: int
    question: int
    number: int
    closed: bool = False
    opened_at: float = 0.0
    pos: int = 0  # its place in the session's order of questions, from 0


@dataclass(frozen=True)
class MetricSpec:
    """What a metric applies to: ``answers`` metrics are bound by minimum evidence."""

    scopes: frozenset[str]  # "student", "group", "class"
    windows: frozenset[str]
    answers: bool
    details: tuple[str, ...] = ()
    skill: bool = False
    description: str = ""


_Q = frozenset({"question", "closed", "last", "session"})
_ALL = _Q | {"sessions"}
_SGC = frozenset({"student", "group", "class"})
_G = frozenset({"group"})

METRICS: dict[str, MetricSpec] = {
    "accuracy": MetricSpec(
        _SGC,
        _ALL,
        True,
        skill=True,
        details=("questions",),
        description="share right of the scored answers",
    ),
    "seconds_open": MetricSpec(
        frozenset({"group", "class"}),
        frozenset({"question"}),
        False,
        description="seconds since the latest question was opened",
    ),
    "accuracy_vs_class": MetricSpec(
        frozenset({"student", "group"}),
        _ALL,
        True,
        skill=True,
        description="accuracy minus the class's, same window",
    ),
    "response_rate": MetricSpec(
        _SGC,
        frozenset({"question", "closed", "last", "session"}),
        True,
        details=("answered", "present", "question"),
        description="answers per present student and question",
    ),
    "shared_wrong": MetricSpec(
        _G,
        frozenset({"question", "closed"}),
        True,
        details=("answer", "choice", "chose", "answered", "question", "skill"),
        description="share of answers that are the most chosen wrong choice",
    ),
    "lost_odds": MetricSpec(
        _G,
        frozenset({"closed", "last"}),
        True,
        details=("right", "scored", "questions", "expected"),
        description="how many times likelier the group's answers are if it is lost than if it "
        "keeps up with the other groups, on the run of the last n closed questions that "
        "tells most",
    ),
    "trend": MetricSpec(
        _SGC,
        frozenset({"last"}),
        True,
        details=("before", "after"),
        description="accuracy on the last n closed questions minus the n before",
    ),
    "unanswered": MetricSpec(
        frozenset({"student"}),
        frozenset({"last"}),
        False,
        details=("questions",),
        description="how many of the last n closed questions had no answer",
    ),
    "minutes_since_checkin": MetricSpec(
        _G,
        frozenset({"session"}),
        False,
        description="minutes since the last check-in or the session's start",
    ),
    "days_since_checkin": MetricSpec(
        _G, frozenset({"sessions"}), False, description="days since the group's last check-in"
    ),
    "checkin_minutes": MetricSpec(
        _G, frozenset({"weeks"}), False, description="check-in minutes over the last n weeks"
    ),
    "checkin_share": MetricSpec(
        _G,
        frozenset({"weeks"}),
        False,
        details=("minutes", "total"),
        description="share of check-in time over the last n weeks before this session, "
        "1.0 = an even share",
    ),
    "goal_gain": MetricSpec(
        _G,
        frozenset({"sessions"}),
        True,
        details=("first", "last", "sessions"),
        description="accuracy on the group's skill, latest session minus "
        "first, over the last n sessions since the goal was set",
    ),
}


# -- the fold ----------------------------------------------------------------------------


class SessionMetrics:
    """Running tallies of one session, folded from its events in seq order."""

    def __init__(self, context: Context, session_id: int) -> None:
        self.ctx = context
        self.session_id = session_id
        self.started_at: float | None = None
        self.ended = False
        self.asked: dict[int, Asked] = {}
        self.order: list[int] = []
        self._closed: list[int] | None = []
        self.answers: dict[int, dict[int, tuple[str, bool | None]]] = {}
        self.per_question: dict[int, dict[Key, Tally]] = {}
        self.per_session: dict[Key, Tally] = {}
        self.per_skill: dict[tuple[Key, str], Tally] = {}
        self.checkins: list[list[Any]] = []  # [group, started, ended | None] in this session
        self.checkin_open: dict[int, float] = {}
        self.last_checkin: dict[int, float] = {}
        self._past_cache: dict[tuple[Key, str, int], tuple[int, int, frozenset[int]]] = {}
        self._keys_cache: dict[int, tuple[Key, ...]] = {}
        self._goal_cache: dict[int, tuple[tuple[float, ...], frozenset[int]]] = {}
        self._share_cache: tuple[tuple[float, int], dict[int, tuple[float, int]]] = ((-1.0, 0), {})
        self._since = 0  # the bounds of the measure being read (see ``measure``)
        self._anchor: int | None = None
        self._min_count = 0

    # -- apply ---------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Fold one committed event in; event types that change no metric are ignored."""
        p = event.payload
        if isinstance(p, ResponseRecorded):
            self._response(p)
        elif isinstance(p, QuestionAsked):
            if p.asked_id in self.asked:  # re-opened
                self.asked[p.asked_id].closed = False
            else:
                self.asked[p.asked_id] = Asked(
                    p.asked_id, p.question_id, p.number, opened_at=event.at, pos=len(self.order)
                )
                self.order.append(p.asked_id)
                self.answers[p.asked_id] = {}
                self.per_question[p.asked_id] = {}
            self._closed = None
        elif isinstance(p, QuestionClosed | QuestionRevealed):
            if p.asked_id in self.asked:
                self.asked[p.asked_id].closed = True
                self._closed = None
        elif isinstance(p, CheckinStarted | CheckinEnded):
            self._share_cache = ((-1.0, 0), {})
            self._checkin(p, event.at)
        elif isinstance(p, SessionStarted):
            self.started_at = event.at
        elif isinstance(p, SessionEnded):
            self.ended = True
        if self.started_at is None:
            self.started_at = event.at

    def _checkin(self, p: CheckinStarted | CheckinEnded, at: float) -> None:
        if isinstance(p, CheckinStarted):
            self.checkins.append([p.group, at, None])
            self.checkin_open[p.group] = at
            self.last_checkin[p.group] = at
            return
        self.checkin_open.pop(p.group, None)
        for c in reversed(self.checkins):
            if c[0] == p.group and c[2] is None:
                c[2] = at
                break

    def _keys(self, student: int) -> tuple[Key, ...]:
        keys = self._keys_cache.get(student)
        if keys is None:
            group = self.ctx.students.get(student)
            keys = (student_key(student), CLASS)
            if group is not None:
                keys = (*keys, group_key(group))
            self._keys_cache[student] = keys
        return keys

    def _response(self, p: ResponseRecorded) -> None:
        asked = self.asked.get(p.asked_id)
        if asked is None:
            return
        answers = self.answers[p.asked_id]
        old = answers.get(p.student)
        answers[p.student] = (p.answer, p.correct)
        question = self.ctx.questions.get(asked.question)
        skills = question.skills if question is not None else ()
        per_q = self.per_question[p.asked_id]
        for key in self._keys(p.student):
            tallies = [
                per_q.get(key) or per_q.setdefault(key, Tally()),
                self.per_session.get(key) or self.per_session.setdefault(key, Tally()),
            ]
            for skill in skills:
                tallies.append(
                    self.per_skill.get((key, skill))
                    or self.per_skill.setdefault((key, skill), Tally())
                )
            for t in tallies:
                if old is not None:
                    t.add(p.student, old[0], old[1], -1)
                t.add(p.student, p.answer, p.correct, 1)

    # -- windows -------------------------------------------------------------------------

    @property
    def closed(self) -> list[int]:
        if self._closed is None:
            self._closed = [a for a in self.order if self.asked[a].closed]
        return self._closed

    def window(
        self, window: str, n: int = 1, *, since: int = 0, anchor: int | None = None
    ) -> list[int]:
        """The asked ids a question window covers, oldest first (see the module's docstring
        for ``since`` and ``anchor``)."""
        order = self.order[since:] if since else self.order
        closed = [a for a in self.closed if self.asked[a].pos >= since] if since else self.closed
        if window == "question":
            return order[-1:]
        if window == "closed":
            if anchor is None:
                return closed[-1:]
            a = self.asked.get(anchor)
            return [anchor] if a is not None and a.closed and a.pos >= since else []
        if window == "after":
            a = self.asked.get(anchor) if anchor is not None else None
            q = self.ctx.questions.get(a.question) if a is not None else None
            if a is None or q is None:
                return []
            tags = set(q.skills)
            later = [
                b
                for b in closed
                if self.asked[b].pos > a.pos and tags & set(self._skills(self.asked[b].question))
            ]
            return later[-1:]
        if window == "last":
            return closed[-n:] if n > 0 else []
        return list(order)

    def _skills(self, question: int) -> tuple[str, ...]:
        q = self.ctx.questions.get(question)
        return q.skills if q is not None else ()

    def closed_since(self, since: int) -> int:
        """How many closed questions were asked at or after position ``since``."""
        return sum(1 for a in self.closed if self.asked[a].pos >= since)

    def _sum(self, key: Key, asked: Iterable[int], skill: str | None) -> Tally:
        total = Tally()
        students: set[int] = set()
        for a in asked:
            if skill is not None:
                q = self.ctx.questions.get(self.asked[a].question)
                if q is None or skill not in q.skills:
                    continue
            t = self.per_question[a].get(key)
            if t is None:
                continue
            total.answered += t.answered
            total.scored += t.scored
            total.correct += t.correct
            students.update(t.students)
        total.students = Counter(dict.fromkeys(students, 1))
        return total

    def tally(
        self,
        key: Key,
        window: str,
        n: int = 1,
        skill: str | None = None,
        *,
        since: int = 0,
        anchor: int | None = None,
    ) -> Tally:
        """The answers of ``key`` in a question window (``sessions`` is not one)."""
        if window == "session" and not since:
            if skill is None:
                return self.per_session.get(key) or Tally()
            return self.per_skill.get((key, skill)) or Tally()
        return self._sum(key, self.window(window, n, since=since, anchor=anchor), skill)

    def _past(self, key: Key, skill: str, n: int) -> tuple[int, int, frozenset[int]]:
        """Scored, right and the students who answered, over the last ``n`` earlier sessions."""
        cached = self._past_cache.get((key, skill, n))
        if cached is not None:
            return cached
        scored = right = 0
        who: set[int] = set()
        students = self.ctx.subjects(key)
        for past in self.ctx.past_sessions[-n:] if n > 0 else ():
            for s in students:
                r = past.results.get((s, skill))
                if r is not None and r[0]:
                    scored += r[0]
                    right += r[1]
                    who.add(s)
        out = (scored, right, frozenset(who))
        self._past_cache[(key, skill, n)] = out
        return out

    # -- measures ------------------------------------------------------------------------

    def measure(
        self,
        metric: str,
        key: Key,
        *,
        window: str,
        n: int = 1,
        skill: str | None = None,
        now: float,
        since: int = 0,
        anchor: int | None = None,
        min_count: int = 0,
    ) -> Measure:
        """``metric`` for subject ``key`` over ``window``; ``Measure(None)`` when undefined.

        ``skill`` "goal" means the skill of the subject's group. ``since`` and ``anchor``
        narrow the question windows (see the module's docstring). ``min_count`` is the evidence
        the condition asks for, for a metric that picks part of its window (``lost_odds``
        picks its run among those with that many answers). Raises ``KeyError`` for an unknown
        metric (rules are validated before they get here).
        """
        if skill == "goal":
            skill = self._group_skill(key)
            if skill is None:
                return NOTHING
        fn: Callable[..., Measure] = getattr(self, "_m_" + metric)
        self._since, self._anchor, self._min_count = since, anchor, min_count
        return fn(key, window, n, skill, now)

    def _group_skill(self, key: Key) -> str | None:
        group = key[1] if key[0] == "g" else self.ctx.students.get(key[1])
        g = self.ctx.groups.get(group) if group is not None else None
        return g.skill if g is not None else None

    def _m_accuracy(self, key: Key, window: str, n: int, skill: str | None, now: float) -> Measure:
        if window == "sessions":
            scored, right, who = self._past(key, skill or "", n - 1)
            t = self.tally(key, "session", skill=skill, since=self._since)
            scored += t.scored
            right += t.correct
            students = len(who | set(t.students))
        else:
            t = self.tally(key, window, n, skill, since=self._since, anchor=self._anchor)
            scored, right, students = t.scored, t.correct, len(t.students)
        if not scored:
            return Measure(None, 0, students)
        if window in ("question", "closed", "last", "after"):
            asked = self.window(window, n, since=self._since, anchor=self._anchor)
            return Measure(right / scored, scored, students, {"questions": len(asked)})
        return Measure(right / scored, scored, students)

    def _m_seconds_open(
        self, key: Key, window: str, n: int, skill: str | None, now: float
    ) -> Measure:
        if not self.order:
            return NOTHING
        return Measure(max(0.0, now - self.asked[self.order[-1]].opened_at), 1, 0)

    def _m_accuracy_vs_class(
        self, key: Key, window: str, n: int, skill: str | None, now: float
    ) -> Measure:
        own = self._m_accuracy(key, window, n, skill, now)
        whole = self._m_accuracy(CLASS, window, n, skill, now)
        if own.value is None or whole.value is None:
            return Measure(None, own.count, own.students)
        return Measure(own.value - whole.value, own.count, own.students, {"class": whole.value})

    def _m_response_rate(
        self, key: Key, window: str, n: int, skill: str | None, now: float
    ) -> Measure:
        asked = self.window(window, n, since=self._since)
        present = len(self.ctx.subjects(key))
        if not asked or not present:
            return NOTHING
        t = self._sum(key, asked, None)
        possible = present * len(asked)
        return Measure(
            t.answered / possible,
            t.answered,
            len(t.students),
            {"answered": t.answered, "present": possible, "question": self.asked[asked[-1]].number},
        )

    def _m_shared_wrong(
        self, key: Key, window: str, n: int, skill: str | None, now: float
    ) -> Measure:
        asked = self.window(window, since=self._since, anchor=self._anchor)
        if not asked:
            return NOTHING
        a = self.asked[asked[0]]
        question = self.ctx.questions.get(a.question)
        t = self.per_question[a.id].get(key)
        if question is None or question.correct is None or t is None or not t.answered:
            return NOTHING
        if not t.wrong:
            return Measure(0.0, t.answered, len(t.students))
        answer, count = min(t.wrong.items(), key=lambda kv: (-kv[1], kv[0]))
        index = "ABCD".index(answer)
        choice = question.choices[index] if index < len(question.choices) else answer
        return Measure(
            count / t.answered,
            t.answered,
            len(t.students),
            {
                "answer": answer,
                "choice": choice,
                "chose": count,
                "answered": t.answered,
                "question": a.number,
                "skill": ", ".join(question.skills) or "this question",
                "key": f"asked:{a.id}",
            },
        )

    def _m_lost_odds(self, key: Key, window: str, n: int, skill: str | None, now: float) -> Measure:
        """How many times likelier the group's answers are if it is lost than if it keeps up.

        Keeping up, a group answers a question as the other groups did: right as often as they
        were (so a hard question or a slow start, hard for everyone, is no evidence), and wrong
        with the wrong choices in their proportions (a distractor that took the class in is
        none either). Lost, it gets ``LOST_RATE`` right, little better than a guess, and its
        wrong answers are either spread over the wrong choices or most of them one shared wrong
        choice (a misconception), equally likely. The value is the ratio of the two likelihoods
        of the group's answers over a run of questions: the latest, the latest two, ... up to
        the whole window, whichever run tells most (trouble that started on the latest question
        is not averaged away by the ones before it). ``count`` and ``students`` are the answers
        and students of the whole window, the minimum evidence a condition asks of it.
        """
        asked = self.window(window, n, since=self._since, anchor=self._anchor)
        log_ratio = 0.0
        right = scored = 0
        expected = 0.0
        students: set[int] = set()
        best: tuple[float, int, int, int, float, int] | None = None
        for back, a in enumerate(reversed(asked), start=1):
            per = self.per_question[a]
            mine = per.get(key)
            question = self.ctx.questions.get(self.asked[a].question)
            if mine is None or not mine.scored or question is None or question.correct is None:
                continue
            keeping_up = self._keeping_up(per, key, question)
            if keeping_up is None:
                continue  # too few answers from the other groups to say what keeping up is
            p, shares = keeping_up
            log_ratio += _lost_log_ratio(mine, p, shares)
            right += mine.correct
            scored += mine.scored
            expected += p * mine.scored
            students.update(mine.students)
            if scored >= self._min_count and (best is None or log_ratio > best[0]):
                best = (log_ratio, right, scored, back, expected / scored, len(students))
        if best is None:
            return Measure(None, scored, len(students))
        log_best, r, sc, questions, rate, who = best
        return Measure(
            math.exp(min(log_best, 50.0)),
            sc,
            who,
            {"right": r, "scored": sc, "questions": questions, "expected": rate},
        )

    def _keeping_up(
        self, per: Mapping[Key, Tally], key: Key, question: Question
    ) -> tuple[float, dict[str, float]] | None:
        """How the other groups answered one question: their share right (leaving out the group
        that did worst when there are two or more: it may be lost too), bounded by ``MAX_RATE``,
        and the share of each wrong choice among their wrong answers (``SMOOTHING`` more of
        each, so a few answers do not decide it). None under ``MIN_OTHERS`` answers."""
        others = []
        for g in self.ctx.groups:
            t = per.get(group_key(g))
            if t is not None and t.scored and group_key(g) != key:
                others.append((t.correct / t.scored, t.scored, t.correct, t))
        if len(others) >= 2:
            others.remove(min(others, key=lambda o: (o[0], o[1])))
        scored = sum(o[1] for o in others)
        if scored < MIN_OTHERS:
            return None
        wrong = [c for c in "ABCD"[: max(2, len(question.choices))] if c != question.correct]
        counts = Counter({c: SMOOTHING for c in wrong})
        for o in others:
            for c, k in o[3].wrong.items():
                if c in counts:
                    counts[c] += k
        total = sum(counts.values())
        return (
            min(MAX_RATE, sum(o[2] for o in others) / scored),
            {c: k / total for c, k in counts.items()},
        )

    def _m_trend(self, key: Key, window: str, n: int, skill: str | None, now: float) -> Measure:
        closed = self.window("last", 2 * n, since=self._since)
        if len(closed) < 2 * n:
            return NOTHING
        after = self._sum(key, closed[-n:], skill)
        before = self._sum(key, closed[-2 * n : -n], skill)
        if not after.scored or not before.scored:
            return NOTHING
        a, b = after.correct / after.scored, before.correct / before.scored
        students = len(set(after.students) | set(before.students))
        return Measure(a - b, after.scored + before.scored, students, {"before": b, "after": a})

    def _m_unanswered(
        self, key: Key, window: str, n: int, skill: str | None, now: float
    ) -> Measure:
        asked = self.window("last", n, since=self._since)
        if len(asked) < n:
            return NOTHING
        missing = sum(1 for a in asked if key[1] not in self.answers[a])
        return Measure(float(missing), len(asked), 1, {"questions": len(asked)})

    def _session_start(self, now: float) -> float:
        return self.started_at if self.started_at is not None else now

    def _m_minutes_since_checkin(
        self, key: Key, window: str, n: int, skill: str | None, now: float
    ) -> Measure:
        if key[1] in self.checkin_open:
            return Measure(0.0, 1, 0)
        since = max(self.last_checkin.get(key[1], 0.0), self._session_start(now))
        return Measure(max(0.0, now - since) / 60, 1, 0)

    def _m_days_since_checkin(
        self, key: Key, window: str, n: int, skill: str | None, now: float
    ) -> Measure:
        group = self.ctx.groups.get(key[1])
        if group is None:
            return NOTHING
        if key[1] in self.checkin_open:
            return Measure(0.0, 1, 0)
        last = max(
            self.last_checkin.get(key[1], 0.0),
            self.ctx.last_past_checkin(key[1]) or 0.0,
            group.created_at,
        )
        return Measure(max(0.0, now - last) / 86400, 1, 0)

    def _checkin_minutes(
        self, group: int, since: float, now: float, *, this_session: bool = True
    ) -> tuple[float, int]:
        minutes, count = self.ctx.past_checkin_minutes(group, since)
        if not this_session:
            return minutes, count
        for g, started, ended in self.checkins:
            if g == group and started >= since:
                minutes += max(0.0, (now if ended is None else ended) - started) / 60
                count += 1
        return minutes, count

    def _m_checkin_minutes(
        self, key: Key, window: str, n: int, skill: str | None, now: float
    ) -> Measure:
        minutes, count = self._checkin_minutes(key[1], now - n * WEEK, now)
        return Measure(minutes, count, 0)

    def _m_checkin_share(
        self, key: Key, window: str, n: int, skill: str | None, now: float
    ) -> Measure:
        groups = [g for g in self.ctx.groups if self.ctx.members.get(g)]
        if key[1] not in groups:
            return NOTHING
        if self._share_cache[0] != (now, n):  # every group reads every group's minutes
            since = now - n * WEEK
            # the weeks before this session: a plan for the lesson, not a count of its visits
            per = {g: self._checkin_minutes(g, since, now, this_session=False) for g in groups}
            per[0] = (sum(m for m, _ in per.values()), sum(c for _, c in per.values()))
            self._share_cache = ((now, n), per)  # 0: the total (no group has id 0)
        per_group = self._share_cache[1]
        total, count = per_group[0]
        mine = per_group[key[1]][0]
        if total <= 0:
            return Measure(None, count, 0)
        return Measure(mine / total * len(groups), count, 0, {"minutes": mine, "total": total})

    def _m_goal_gain(self, key: Key, window: str, n: int, skill: str | None, now: float) -> Measure:
        group = self.ctx.groups.get(key[1])
        skill = group.skill if group is not None else None
        if group is None or skill is None:
            return NOTHING
        cached = self._goal_cache.get(key[1])
        if cached is None:
            cached = self._past_goal_points(key, group, skill)
            self._goal_cache[key[1]] = cached
        points = list(cached[0])
        who = set(cached[1])
        current = (
            self._sum(key, self.order[self._since :], skill)
            if self._since
            else self.per_skill.get((key, skill))
        )
        if current is not None and current.scored:
            points.append(current.correct / current.scored)
            who.update(current.students)
        points = points[-n:]
        if len(points) < 2:
            return Measure(None, len(points), len(who))
        return Measure(
            points[-1] - points[0],
            len(points),
            len(who),
            {"first": points[0], "last": points[-1], "sessions": len(points)},
        )

    def _past_goal_points(
        self, key: Key, group: Group, skill: str
    ) -> tuple[tuple[float, ...], frozenset[int]]:
        """The group's accuracy on ``skill`` in each earlier session since its goal was set."""
        points: list[float] = []
        who: set[int] = set()
        members = self.ctx.subjects(key)
        for past in self.ctx.past_sessions:
            if past.started_at < group.goal_since:
                continue
            scored = right = 0
            for s in members:
                r = past.results.get((s, skill))
                if r is not None and r[0]:
                    scored += r[0]
                    right += r[1]
                    who.add(s)
            if scored:
                points.append(right / scored)
        return tuple(points), frozenset(who)


MIN_OTHERS = 4
"""``lost_odds`` reads a question only when the other groups gave this many scored answers."""
LOST_RATE = 0.25
"""How often a lost group gets an answer right, for ``lost_odds``: a guess among four choices."""
MAX_RATE = 0.8
"""The most often a group keeping up is expected to be right, for ``lost_odds``: even a group
that follows slips and guesses now and then, and some of its members follow less well than the
others, so the other groups' share right is taken at most at this."""
SMOOTHING = 5
"""For ``lost_odds``, each wrong choice starts with this many answers before the other groups'
wrong answers are counted in, so that a few of them do not make a choice look impossible."""
SHARED = 0.8
"""In ``lost_odds``'s misconception, the share of a lost group's wrong answers on its one shared
wrong choice."""


def _lost_log_ratio(mine: Tally, p: float, shares: Mapping[str, float]) -> float:
    """log P(answers | lost) - log P(answers | keeping up) for one group on one question (see
    ``SessionMetrics._m_lost_odds``); 0 when the others did no better than a lost group."""
    if p <= LOST_RATE or not shares:
        return 0.0
    wrong = mine.scored - mine.correct
    fine = mine.correct * math.log(p)
    for c, k in mine.wrong.items():
        fine += k * math.log((1 - p) * shares.get(c, 1 / len(shares)))
    lost = mine.correct * math.log(LOST_RATE)
    spread = lost + wrong * math.log((1 - LOST_RATE) / len(shares))
    # the shared wrong choice is the group's most chosen one
    top = max(mine.wrong.values(), default=0)
    rest = (1 - SHARED) / max(1, len(shares) - 1)
    shared = (
        lost
        + top * math.log((1 - LOST_RATE) * SHARED)
        + (wrong - top) * math.log((1 - LOST_RATE) * rest)
    )
    high = max(spread, shared)
    return high + math.log(0.5 * math.exp(spread - high) + 0.5 * math.exp(shared - high)) - fine
