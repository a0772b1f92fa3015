"""Reports: what was asked and answered, read from the store, and the item analysis on it.

Two halves. ``read_session``, ``read_class`` and ``read_set`` are the thin reading layer: a handful
of the store's report reads (``live.store.reporting``) into one ``ReportData`` of frozen dataclasses. Everything else here is
pure: rows in, numbers out, no I/O and no clock, so exports and the HTML report are plain functions
of a ``ReportData``.

Scoring. A question with a key (``correct`` not None) is *scored*; a poll is not. The score
(right out of the scored questions asked while the student was on the roster, with answered
beside it) is defined once, in ``live.reports.score``; everything here and in the exports uses it.

Item analysis. Per scored question: percent correct; the point-biserial discrimination (the
correlation between getting this item right and the student's percent correct on the *other*
scored items, the "corrected item-total" form), only with at least ``MIN_N`` students, because
below that its sampling error (about ``1/sqrt(n)``) swamps it; and each choice's share among the
top and bottom ``TOP_FRACTION`` (27 %, Kelley's split) of students ranked by percent correct, only
when each of those groups has at least ``MIN_GROUP`` students. Below either limit the number is
None and the note says "n too small".

Groups over time. Group membership is history (``group_members``: a row per stay), read into
``ReportData.stays``. The group a student was *in at a session* (``session_groups``) is the
group they were in when the session started; a student in no group then gets the first group
they joined while the session ran (groups formed during a lesson). Responses are labelled with
that group, so moving a student later never relabels their past answers. ``Student.group`` and
``Group.students`` follow the same rule for a one-session report; for a class over dates or a
question set (one row per student across many sessions) they are the *current* group and members.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from live.errors import NotFound
from live.reports.score import Score, score_by_session, student_scores, total
from live.store.reporting import ReportRecords as Reader

__all__ = [
    "MIN_GROUP",
    "MIN_N",
    "TOP_FRACTION",
    "Checkin",
    "ChoiceShare",
    "Flag",
    "Goal",
    "Group",
    "ItemStats",
    "Question",
    "ReportData",
    "Response",
    "SessionInfo",
    "SkillPoint",
    "Stay",
    "Student",
    "group_skills",
    "item_analysis",
    "read_class",
    "read_session",
    "read_session_scores",
    "read_set",
    "session_groups",
    "split_name",
    "student_skills",
]

MIN_N = 10
MIN_GROUP = 5
TOP_FRACTION = 0.27
ANSWERS = ("A", "B", "C", "D")

Scope = Literal["session", "class", "set"]


# -- the data ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: int
    class_id: int
    class_name: str
    set_id: int | None
    started_at: float
    ended_at: float | None


@dataclass(frozen=True, slots=True)
class Student:
    """A student of the class(es) reported on.

    ``group_id`` and ``group``: for a one-session report, the group the student was in at that
    session (see ``session_groups``); for a class or a question set, the current group.
    """

    id: int
    class_id: int
    name: str
    card: int | None
    group_id: int | None
    group: str | None
    active: bool
    joined_at: float = 0.0  # when the student was added to the class's roster
    left_at: float | None = None  # when they left it; None while they are on it
    school_id: str | None = None  # the school's student ID (cardcheck's own is ``id``)
    email: str | None = None

    @property
    def first_name(self) -> str:
        return split_name(self.name)[0]

    @property
    def last_name(self) -> str:
        return split_name(self.name)[1]


@dataclass(frozen=True, slots=True)
class Question:
    """One question as asked in one session (an ``asked`` row with its question's text)."""

    asked_id: int
    session_id: int
    number: int
    question_id: int
    prompt: str
    choices: tuple[str, ...]
    correct: str | None
    skills: tuple[str, ...]
    opened_at: float

    @property
    def scored(self) -> bool:
        return self.correct is not None


@dataclass(frozen=True, slots=True)
class Response:
    asked_id: int
    student_id: int
    answer: str
    card: int | None
    source: str
    first_at: float
    updated_at: float
    changes: int
    late: bool = False  # changed by hand after the reveal


@dataclass(frozen=True, slots=True)
class Stay:
    """One stay of a student in a group (a ``group_members`` row); ``left_at`` None while it lasts."""

    class_id: int  # the group's class
    group_id: int
    student_id: int
    joined_at: float
    left_at: float | None


@dataclass(frozen=True, slots=True)
class Group:
    """A group; ``students``: its members by the same rule as ``Student.group_id``."""

    id: int
    class_id: int
    name: str
    colour: str
    goal: str
    skill: str | None
    archived: bool
    students: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Goal:
    id: int
    group_id: int
    text: str
    skill: str | None
    set_at: float
    achieved_at: float | None


@dataclass(frozen=True, slots=True)
class Flag:
    id: int
    session_id: int | None
    group_id: int | None
    student_id: int | None
    rule: str
    severity: str
    message: str
    raised_at: float
    resolved_at: float | None
    resolution: str | None


@dataclass(frozen=True, slots=True)
class Checkin:
    id: int
    group_id: int
    session_id: int | None
    started_at: float
    ended_at: float | None
    note: str
    goal: str
    next_step: str


@dataclass(frozen=True)
class ReportData:
    """Everything one export is made of: a session, a class over dates, or a question set."""

    scope: Scope
    title: str
    sessions: tuple[SessionInfo, ...]
    students: tuple[Student, ...]
    questions: tuple[Question, ...]
    responses: tuple[Response, ...]
    groups: tuple[Group, ...] = ()
    goals: tuple[Goal, ...] = ()
    flags: tuple[Flag, ...] = ()
    checkins: tuple[Checkin, ...] = ()
    filters: dict[str, Any] = field(default_factory=dict)
    stays: tuple[Stay, ...] = ()  # every group stay of these classes' students, oldest first

    def session(self, session_id: int) -> SessionInfo:
        for s in self.sessions:
            if s.id == session_id:
                return s
        raise KeyError(session_id)


def split_name(name: str) -> tuple[str, str]:
    """(first, last): the first word and the rest, split at the first space.

    ``first + " " + last`` gives the name back exactly (``first`` alone when ``last`` is empty).
    """
    first, _, last = name.partition(" ")
    return first, last


# -- reading (the thin layer) --------------------------------------------------------------


def read_session(store: Reader, session_id: int) -> ReportData:
    """One session, its students in the groups they were in at it. ``NotFound`` for an
    unknown id."""
    rows = store.report_session(session_id)
    if not rows:
        raise NotFound(f"no session {session_id}")
    return _read(store, "session", f"Session {session_id}", rows, {"session": session_id})


def read_session_scores(store: Reader, session_ids: Sequence[int]) -> dict[int, Score]:
    """Session id -> the session's score (``live.reports.score.total`` of its students' scores)
    for each of ``session_ids``; a session with no scored question asked scores ``asked`` 0."""
    rows = [row for sid in session_ids for row in store.report_session(sid)]
    sessions = tuple(SessionInfo(**r) for r in rows)
    questions, responses = _asked_and_responses(store, [s.id for s in sessions])
    classes = sorted({s.class_id for s in sessions})
    roster = store.report_students(classes) if classes else []
    students = tuple(
        Student(
            id=r["id"],
            class_id=r["class_id"],
            name=r["name"],
            card=r["card"],
            group_id=None,
            group=None,
            active=bool(r["active"]),
            joined_at=r["created_at"],
            left_at=r["left_at"],
        )
        for r in roster
    )
    data = ReportData("class", "", sessions, students, tuple(questions), tuple(responses))
    # as in a session's own report: a student no longer active counts where they answered
    session_of = {q.asked_id: q.session_id for q in questions}
    answered_in = {(session_of[r.asked_id], r.student_id) for r in responses}
    active = {s.id for s in students if s.active}
    by_session: dict[int, list[Score]] = defaultdict(list)
    for (sid, st), sc in score_by_session(data).items():
        if st in active or (sid, st) in answered_in:
            by_session[sid].append(sc)
    return {s.id: total(by_session.get(s.id, ())) for s in sessions}


def day_bounds(start: date | None, end: date | None, tz: tzinfo) -> tuple[float, float]:
    """The epoch seconds from the start of ``start`` to the end of ``end`` (inclusive) in ``tz``."""
    lo = -math.inf if start is None else datetime.combine(start, time(), tz).timestamp()
    hi = (
        math.inf
        if end is None
        else datetime.combine(end + timedelta(days=1), time(), tz).timestamp()
    )
    return lo, hi


def read_class(
    store: Reader,
    class_id: int,
    *,
    start: date | None = None,
    end: date | None = None,
    tz: tzinfo,
) -> ReportData:
    """A class's sessions that started between ``start`` and ``end`` (inclusive local days).

    Its students carry their *current* group (one row per student spans every session), while
    each response's group at its session is ``session_groups(data.sessions, data.stays)``.
    """
    cls = store.report_class(class_id)
    if cls is None:
        raise NotFound(f"no class {class_id}")
    rows = store.report_class_sessions(class_id, *day_bounds(start, end, tz))
    filters: dict[str, Any] = {
        "class": class_id,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
    }
    return _read(store, "class", str(cls["name"]), rows, filters, class_ids=[class_id])


def read_set(store: Reader, set_id: int) -> ReportData:
    """Every session run with question set ``set_id`` (possibly of several classes)."""
    qset = store.report_set(set_id)
    if qset is None:
        raise NotFound(f"no question set {set_id}")
    rows = store.report_set_sessions(set_id)
    return _read(store, "set", str(qset["name"]), rows, {"set": set_id})


def _asked_and_responses(
    store: Reader, sids: Sequence[int]
) -> tuple[list[Question], list[Response]]:
    """The questions asked in sessions ``sids`` (in that order, then by number) and their
    responses."""
    questions: list[Question] = []
    responses: list[Response] = []
    if sids:
        for r in store.report_asked(sids):
            questions.append(
                Question(
                    asked_id=r["id"],
                    session_id=r["session_id"],
                    number=r["number"],
                    question_id=r["question_id"],
                    prompt=r["prompt"],
                    choices=tuple(json.loads(r["choices"])),
                    correct=r["correct"],
                    skills=tuple(json.loads(r["skills"])),
                    opened_at=r["opened_at"],
                )
            )
        order = {sid: i for i, sid in enumerate(sids)}
        questions.sort(key=lambda q: (order[q.session_id], q.number))
        responses = [_response(r) for r in store.report_responses(sids)]
    return questions, responses


def _read(
    store: Reader,
    scope: Scope,
    title: str,
    session_rows: list[dict[str, Any]],
    filters: dict[str, Any],
    *,
    class_ids: Sequence[int] = (),
) -> ReportData:
    sessions = tuple(SessionInfo(**r) for r in session_rows)
    sids = [s.id for s in sessions]
    classes = sorted({*class_ids, *(s.class_id for s in sessions)})
    if scope == "session" and sessions:
        title = f"{sessions[0].class_name}: session {sessions[0].id}"
    questions, responses = _asked_and_responses(store, sids)
    responders = {r.student_id for r in responses}
    stays: list[Stay] = []
    students: list[Student] = []
    groups: list[Group] = []
    goals: list[Goal] = []
    flags: list[Flag] = []
    checkins: list[Checkin] = []
    if classes:
        group_rows = store.report_groups(classes)
        stays = [Stay(**m) for m in store.report_stays(classes)]
        if scope == "session":
            member_of = {st: g for (_, st), g in session_groups(sessions, stays).items()}
        else:
            member_of = {m.student_id: m.group_id for m in stays if m.left_at is None}
        members: dict[int, list[int]] = defaultdict(list)
        for m in stays:
            mine = members[m.group_id]
            if member_of.get(m.student_id) == m.group_id and m.student_id not in mine:
                mine.append(m.student_id)
        groups = [
            Group(**{**g, "archived": bool(g["archived"]), "students": tuple(members[g["id"]])})
            for g in group_rows
        ]
        names = {g.id: g.name for g in groups}
        for s in store.report_students(classes):
            if not s["active"] and s["id"] not in responders:
                continue
            gid = member_of.get(s["id"])
            students.append(
                Student(
                    id=s["id"],
                    class_id=s["class_id"],
                    name=s["name"],
                    card=s["card"],
                    group_id=gid,
                    group=None if gid is None else names.get(gid),
                    active=bool(s["active"]),
                    joined_at=s["created_at"],
                    left_at=s["left_at"],
                    school_id=s["school_id"],
                    email=s["email"],
                )
            )
        gids = [g.id for g in groups]
        goals = [Goal(**r) for r in store.report_goals(gids)]
        lo = sessions[0].started_at if sessions else 0.0
        hi = max((s.ended_at or s.started_at for s in sessions), default=0.0)
        # flags and check-ins of these sessions; for a class, also those logged between them
        between = (lo, hi) if scope == "class" and sessions else None
        flags = [Flag(**r) for r in store.report_flags(classes, sids, between=between)]
        checkins = [Checkin(**r) for r in store.report_checkins(classes, sids, between=between)]
    return ReportData(
        scope=scope,
        title=title,
        sessions=sessions,
        students=tuple(students),
        questions=tuple(questions),
        responses=tuple(responses),
        groups=tuple(groups),
        goals=tuple(goals),
        flags=tuple(flags),
        checkins=tuple(checkins),
        filters=filters,
        stays=tuple(stays),
    )


# -- groups over time (pure) ---------------------------------------------------------------


def _response(row: Any) -> Response:
    values = dict(row)
    values["late"] = bool(values.get("late"))  # NULL where the answer was never revealed
    return Response(**values)


def session_groups(
    sessions: Iterable[SessionInfo], stays: Iterable[Stay]
) -> dict[tuple[int, int], int]:
    """``(session id, student id) -> group id``: the group each student of the session's class
    was in when it started, or else the first group they joined before it ended (or at all, while
    it runs). A student in no group at that session has no entry.

    A stay counts at the start when ``joined_at <= started_at < left_at``: a student moved at
    the very second the session started is in the new group.
    """
    by_class: dict[int, dict[int, list[Stay]]] = defaultdict(lambda: defaultdict(list))
    for m in stays:
        by_class[m.class_id][m.student_id].append(m)
    out: dict[tuple[int, int], int] = {}
    for s in sessions:
        start, end = s.started_at, s.ended_at
        for student, mine in by_class.get(s.class_id, {}).items():
            now = [
                m for m in mine if m.joined_at <= start and (m.left_at is None or m.left_at > start)
            ]
            if now:
                # one stay at a time by the schema's unique index; the latest if history overlaps
                out[(s.id, student)] = max(now, key=lambda m: m.joined_at).group_id
                continue
            later = [m for m in mine if m.joined_at > start and (end is None or m.joined_at <= end)]
            if later:
                out[(s.id, student)] = min(later, key=lambda m: m.joined_at).group_id
    return out


# -- item analysis (pure) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChoiceShare:
    choice: str  # "A".."D"
    text: str
    count: int
    share: float | None  # of everyone who answered
    top: float | None  # of the top group who answered; None when the groups are too small
    bottom: float | None


@dataclass(frozen=True, slots=True)
class ItemStats:
    asked_id: int
    session_id: int
    number: int
    prompt: str
    correct: str | None
    skills: tuple[str, ...]
    answered: int
    right: int
    percent_correct: float | None
    discrimination: float | None  # point-biserial, corrected item-total
    discrimination_n: int
    upper_lower: float | None  # p(top) - p(bottom)
    top_n: int
    bottom_n: int
    choices: tuple[ChoiceShare, ...]
    note: str  # why a number is missing, or ""


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def top_bottom(
    scores: dict[int, Score], fraction: float = TOP_FRACTION
) -> tuple[set[int], set[int]]:
    """The top and bottom ``fraction`` of students with a percent, ranked by it (ties by id).

    Both empty when either would have fewer than ``MIN_GROUP`` students.
    """
    ranked = sorted(
        (s for s in scores.values() if s.percent is not None),
        key=lambda s: (-(s.percent or 0.0), s.student_id),
    )
    k = round(len(ranked) * fraction)
    if k < MIN_GROUP:
        return set(), set()
    return {s.student_id for s in ranked[:k]}, {s.student_id for s in ranked[-k:]}


def item_analysis(data: ReportData) -> list[ItemStats]:
    """One ``ItemStats`` per question asked (polls included, with no percent correct)."""
    scores = student_scores(data)
    top, bottom = top_bottom(scores)
    by_item: dict[int, list[Response]] = defaultdict(list)
    for r in data.responses:
        by_item[r.asked_id].append(r)
    out = []
    for q in data.questions:
        rs = by_item.get(q.asked_id, [])
        counts = {a: 0 for a in ANSWERS[: max(len(q.choices), 1)]}
        tops = dict.fromkeys(counts, 0)
        bottoms = dict.fromkeys(counts, 0)
        top_n = bottom_n = 0
        for r in rs:
            counts[r.answer] = counts.get(r.answer, 0) + 1
            if r.student_id in top:
                tops[r.answer] = tops.get(r.answer, 0) + 1
                top_n += 1
            elif r.student_id in bottom:
                bottoms[r.answer] = bottoms.get(r.answer, 0) + 1
                bottom_n += 1
        split = bool(top) and top_n >= MIN_GROUP and bottom_n >= MIN_GROUP
        choices = tuple(
            ChoiceShare(
                choice=a,
                text=q.choices["ABCD".index(a)] if "ABCD".index(a) < len(q.choices) else "",
                count=n,
                share=n / len(rs) if rs else None,
                top=tops.get(a, 0) / top_n if split else None,
                bottom=bottoms.get(a, 0) / bottom_n if split else None,
            )
            for a, n in counts.items()
        )
        notes: list[str] = []
        right = sum(1 for r in rs if r.answer == q.correct) if q.scored else 0
        pb: float | None = None
        xs: list[float] = []
        ys: list[float] = []
        upper_lower: float | None = None
        if q.scored:
            for r in rs:
                s = scores.get(r.student_id)
                if s is None:
                    continue
                item = 1.0 if r.answer == q.correct else 0.0
                rest_n = s.answered - 1
                if rest_n <= 0:
                    continue
                xs.append(item)
                ys.append((s.correct - item) / rest_n)
            if len(xs) < MIN_N:
                notes.append(f"discrimination: n too small ({len(xs)} < {MIN_N})")
            else:
                pb = _pearson(xs, ys)
                if pb is None:
                    notes.append("discrimination: no variance")
            if split:
                upper_lower = (
                    tops.get(q.correct or "", 0) / top_n
                    - bottoms.get(q.correct or "", 0) / bottom_n
                )
        else:
            notes.append("poll: not scored")
        if not split:
            notes.append(f"top/bottom groups: n too small (need {MIN_GROUP} in each)")
        out.append(
            ItemStats(
                asked_id=q.asked_id,
                session_id=q.session_id,
                number=q.number,
                prompt=q.prompt,
                correct=q.correct,
                skills=q.skills,
                answered=len(rs),
                right=right,
                percent_correct=100.0 * right / len(rs) if q.scored and rs else None,
                discrimination=pb,
                discrimination_n=len(xs),
                upper_lower=upper_lower,
                top_n=top_n if split else 0,
                bottom_n=bottom_n if split else 0,
                choices=choices,
                note="; ".join(notes),
            )
        )
    return out


# -- skills over time (pure) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SkillPoint:
    """How one student (or group) did on one skill in one session."""

    who: int  # student id, or group id
    skill: str
    session_id: int
    started_at: float
    answered: int
    correct: int

    @property
    def percent(self) -> float | None:
        return None if self.answered == 0 else 100.0 * self.correct / self.answered


def _skill_points(data: ReportData, who_of: dict[int, Iterable[int]]) -> list[SkillPoint]:
    questions = {q.asked_id: q for q in data.questions if q.scored and q.skills}
    tally: dict[tuple[int, str, int], list[int]] = defaultdict(lambda: [0, 0])
    for r in data.responses:
        q = questions.get(r.asked_id)
        if q is None:
            continue
        for who in who_of.get(r.student_id, ()):
            for skill in q.skills:
                t = tally[(who, skill, q.session_id)]
                t[0] += 1
                t[1] += r.answer == q.correct
    started = {s.id: s.started_at for s in data.sessions}
    points = [
        SkillPoint(who, skill, sid, started.get(sid, 0.0), a, c)
        for (who, skill, sid), (a, c) in tally.items()
    ]
    points.sort(key=lambda p: (p.who, p.skill, p.started_at, p.session_id))
    return points


def student_skills(data: ReportData) -> list[SkillPoint]:
    """Accuracy by skill, per student and session, in time order."""
    return _skill_points(data, {s.id: (s.id,) for s in data.students})


def group_skills(data: ReportData) -> list[SkillPoint]:
    """Accuracy by skill, per group and session, in time order; a student counts for their
    ``Student.group_id`` (the group at the session for one session, else the current group)."""
    return _skill_points(
        data, {s.id: (s.group_id,) for s in data.students if s.group_id is not None}
    )
