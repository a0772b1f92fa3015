"""A small class and a driver for the pure rule engine: events in, flags out, no store.

``Run`` plays the shell's part: after each event it asks the engine to decide, gives each
raised flag an id and applies the flag events back, so the engine's log is a real session log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from live.events import (
    CheckinEnded,
    CheckinStarted,
    Event,
    FlagRaised,
    FlagResolved,
    FlagUpdated,
    Payload,
    QuestionAsked,
    QuestionClosed,
    ResponseRecorded,
    SessionEnded,
    SessionStarted,
)
from live.rules.engine import Decision, Engine, Raise, Resolve, Update
from live.rules.metrics import Context, Group, PastCheckin, PastSession, Question
from live.rules.rules import Rule, load_rules
from live.store import Store

QUESTIONS = {
    1: Question(1, "A", ("5/6", "2/5", "1/5", "2/6"), ("fraction-addition",)),
    2: Question(2, "B", ("3/15", "1/2", "3/10", "2/10"), ("fraction-addition",)),
    3: Question(3, "A", ("3/4", "5/8", "equal"), ("fraction-compare",)),
    4: Question(4, "A", ("4/6", "3/4", "2/6", "6/4"), ("equivalence",)),
    5: Question(5, None, ("Very", "Mostly", "A little", "Not yet"), ("fraction-addition",)),
}


def make_context(
    groups: Mapping[str, Sequence[int]] | None = None,
    *,
    skills: Mapping[str, str] | None = None,
    past_sessions: Sequence[PastSession] = (),
    past_checkins: Sequence[PastCheckin] = (),
    loners: Sequence[int] = (),
) -> Context:
    """Groups by name -> student ids (cards equal ids); group ids are 1, 2, ... in order."""
    groups = groups or {"Blue": [1, 2, 3, 4], "Red": [5, 6, 7, 8]}
    skills = skills or {}
    students: dict[int, int | None] = {}
    gs = {}
    for i, (name, members) in enumerate(groups.items(), start=1):
        gs[i] = Group(i, name, skills.get(name), f"goal of {name}", 0.0, 0.0)
        for s in members:
            students[s] = i
    for s in loners:
        students[s] = None
    return Context(
        class_id=1,
        students=students,
        groups=gs,
        questions=QUESTIONS,
        cards={s: s for s in students},
        past_sessions=tuple(past_sessions),
        past_checkins=tuple(past_checkins),
    )


@dataclass
class Flag:
    id: int
    rule: str
    group: int | None
    student: int | None
    message: str
    evidence: dict[str, Any]
    raised_at: float
    raised_seq: int
    resolved: str | None = None


@dataclass
class Run:
    context: Context
    rules: tuple[Rule, ...] = field(default_factory=load_rules)
    session: int = 1
    seq: int = 0
    flags: dict[int, Flag] = field(default_factory=dict)
    log: list[Event] = field(default_factory=list)
    decisions: list[tuple[float, Decision]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.engine = Engine(self.context, self.rules, session_id=self.session)
        self.asked_question: dict[int, int] = {}

    def _append(self, payload: Payload, at: float) -> Event:
        self.seq += 1
        e = Event(self.session, self.seq, at, payload)
        self.log.append(e)
        self.engine.apply(e)
        return e

    def emit(self, payload: Payload, at: float) -> list[Decision]:
        """Commit one event, then decide and store the decisions like the shell does."""
        self._append(payload, at)
        return self.decide(at)

    def decide(self, at: float) -> list[Decision]:
        return self._keep(self.engine.decide(at), at)

    def tick(self, at: float) -> list[Decision]:
        """No event, only time passing to ``at``: what the shell's ticker does."""
        return self._keep(self.engine.tick(at), at)

    def _keep(self, decisions: list[Decision], at: float) -> list[Decision]:
        for d in decisions:
            self.decisions.append((at, d))
            if isinstance(d, Raise):
                fid = len(self.flags) + 1
                e = self._append(
                    FlagRaised(
                        fid,
                        d.ident.rule,
                        d.scope,
                        d.ident.group,
                        d.ident.student,
                        d.severity,
                        d.message,
                        d.evidence,
                        d.action,
                    ),
                    at,
                )
                self.flags[fid] = Flag(
                    fid,
                    d.ident.rule,
                    d.ident.group,
                    d.ident.student,
                    d.message,
                    d.evidence,
                    at,
                    e.seq,
                )
            elif isinstance(d, Update):
                self._append(FlagUpdated(d.flag, d.severity, d.message, d.evidence), at)
                self.flags[d.flag].message = d.message
            elif isinstance(d, Resolve):
                self._append(FlagResolved(d.flag, d.reason), at)
                self.flags[d.flag].resolved = d.reason
        return decisions

    # -- the teacher's and the class's moves ---------------------------------------------

    def start(self, at: float = 0.0) -> None:
        self.emit(SessionStarted(1), at)

    def ask(self, asked: int, question: int, at: float) -> None:
        self.asked_question[asked] = question
        self.emit(QuestionAsked(asked, question, len(self.asked_question)), at)

    def answer(
        self, asked: int, student: int, letter: str, at: float, previous: str | None = None
    ) -> None:
        key = self.context.questions[self.asked_question[asked]].correct
        correct = None if key is None else letter == key
        self.emit(ResponseRecorded(asked, student, student, letter, correct, previous, "scan"), at)

    def answers(self, asked: int, letters: Mapping[int, str], at: float) -> None:
        for student, letter in letters.items():
            self.answer(asked, student, letter, at)

    def close(self, asked: int, at: float) -> None:
        self.emit(QuestionClosed(asked), at)

    def question(self, asked: int, question: int, letters: Mapping[int, str], at: float) -> None:
        """Ask, collect ``letters``, close."""
        self.ask(asked, question, at)
        self.answers(asked, letters, at + 1)
        self.close(asked, at + 2)

    def checkin(self, group: int, at: float, checkin: int = 1) -> None:
        self.emit(CheckinStarted(checkin, group), at)

    def end_checkin(self, group: int, at: float, checkin: int = 1) -> None:
        self.emit(CheckinEnded(checkin, group, "note", "", ""), at)

    def dismiss(self, flag: int, at: float) -> None:
        """What the shell does on the dismiss endpoint."""
        decision = self.engine.dismiss(flag)
        assert decision is not None
        self._append(FlagResolved(flag, decision.reason), at)
        self.flags[flag].resolved = decision.reason
        self.decide(at)

    def end(self, at: float) -> None:
        self.emit(SessionEnded(), at)

    # -- reading the result --------------------------------------------------------------

    def open(self) -> set[tuple[str, str | None, int | None]]:
        """(rule, group name, card) of each open flag."""
        return {
            (f.rule, self.context.groups[f.group].name if f.group else None, f.student)
            for f in self.flags.values()
            if f.resolved is None
        }

    def open_flags(self) -> list[Flag]:
        return [f for f in self.flags.values() if f.resolved is None]


class RacingStore(Store):
    """A second process's connection to the same file: right after it first reads the session's
    log, the other process (``race``) commits."""

    def __init__(self, path: str | Path, race: Callable[[], object]) -> None:
        super().__init__(path)
        self.race: Callable[[], object] | None = race

    def events_since(self, session_id: int, since: int, *, limit: int = 10_000) -> list[Event]:
        out = super().events_since(session_id, since, limit=limit)
        race, self.race = self.race, None
        if race is not None:
            race()
        return out
