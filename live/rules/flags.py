"""The rule engine's shell: reads the class from the store, runs the pure ``Engine`` after every
committed command, stores its flags and appends their events.

``RuleEngine.after`` is a ``Sessions.after`` hook: it gets the events a command committed and
``now``, and returns the ``flag.raised`` / ``flag.updated`` / ``flag.resolved`` events it
appended in one transaction (the flag rows and the events together), which ``Sessions`` then
publishes. Flag events are for the teacher only: ``live.realtime.views`` lets the projector see an
allow-list of event types, and ``flag.*`` and ``checkin.*`` are not on it.

One ``Engine`` per running session is kept in memory, built by replaying the session's log, and
caught up from the store when it missed events (another process committed them, or they were
appended without hooks). A cheap fingerprint of the roster, the groups and the class's rule
override is read per batch; when it changes (a student moved group, a goal changed, the rules
were edited), the engine is rebuilt from the log.

Decisions are stored only if the log has not moved since the engine read it: ``_store`` checks
the session's seq inside the write transaction (``BEGIN IMMEDIATE`` holds every other writer
off), and when another process got there first the engine is rebuilt from the log and decides
again. So two processes sharing the store, running hooks or ticks at the same moment, never
raise (or resolve) the same flag twice. ``RuleEngine.dismiss`` reads the flag row inside its
write transaction for the same reason: of two teachers dismissing one flag at once, one appends
``flag.resolved`` and the other gets a ``Conflict``.

``RuleEngine.tick`` is the same decision for one running session with no new event: time-based
rules (a check-in overdue, a question open 20 s with a group silent) fire in a quiet spell when
``live.rules.ticker`` calls it every few seconds.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from live.events import (
    Event,
    FlagRaised,
    FlagResolved,
    FlagUpdated,
    QuestionAsked,
)
from live.rules.engine import Decision, Engine, Raise, Resolve, Update
from live.rules.metrics import Context, Group, PastCheckin, PastSession, Question
from live.rules.rules import Rule, RulesError, load_rules
from live.store import Store
from live.store.calls import StoreCalls
from live.store.flags import FlagWrite, LogMoved

__all__ = ["HISTORY_SESSIONS", "TEACHER_ONLY", "TICK_HORIZON_S", "RuleEngine", "load_context"]

log = logging.getLogger("cardcheck.rules")

HISTORY_SESSIONS = 12
"""Earlier sessions read for rolling windows and goal progress (windows up to this many)."""

TEACHER_ONLY = frozenset(
    {"flag.raised", "flag.updated", "flag.resolved", "checkin.started", "checkin.ended"}
)
"""Event types this module and the check-ins append: never for the projector."""

TICK_HORIZON_S = 12 * 3600.0
"""Sessions started longer ago than this are not ticked: a lesson left running overnight would
otherwise update its overdue flags every minute, for ever (its events still run the rules)."""

_ATTEMPTS = 3
"""Tries at storing one round of decisions while other processes keep moving the log."""


@dataclass
class _Live:
    engine: Engine
    class_id: int
    fingerprint: tuple[Any, ...]


def load_context(store: Store, session_id: int) -> tuple[Context, str | None]:
    """The session's class as the store has it now, and its rule override text."""
    inputs = store.rule_inputs(session_id, history=HISTORY_SESSIONS)
    # a step of a progression is a skill of its own: a question measuring it has it as a tag,
    # a group whose goal is a step has it as its skill (so "goal" rules read the step)
    step_skills = store.step_skills()
    measured = {q: (step_skills[s],) for q, s in store.question_steps().items()}
    goal_steps = {
        g: step_skills[goal["step_id"]]
        for g, goal in store.goal_steps_of_class(inputs.class_id).items()
    }
    past_sessions = []
    for p in inputs.past_sessions:
        results: dict[tuple[int, str], list[int]] = {}
        for r in p.answers:
            right = int(r["answer"] == r["correct"])
            for skill in ("", *json.loads(r["skills"]), *measured.get(r["question_id"], ())):
                tally = results.setdefault((r["student_id"], skill), [0, 0])
                tally[0] += 1
                tally[1] += right
        past_sessions.append(
            PastSession(p.id, p.started_at, {k: (v[0], v[1]) for k, v in results.items()})
        )
    context = Context(
        class_id=inputs.class_id,
        students={r["id"]: r["group_id"] for r in inputs.students},
        cards={r["id"]: r["card"] for r in inputs.students},
        groups={
            g["id"]: Group(
                g["id"],
                g["name"],
                goal_steps.get(g["id"], g["skill"]),
                g["goal"],
                g["created_at"],
                g["goal_since"] if g["goal_since"] is not None else g["created_at"],
            )
            for g in inputs.groups
        },
        questions={
            q["id"]: Question(
                q["id"],
                q["correct"],
                tuple(json.loads(q["choices"])),
                (*json.loads(q["skills"]), *measured.get(q["id"], ())),
            )
            for q in inputs.questions
        },
        past_sessions=tuple(past_sessions),
        past_checkins=tuple(
            PastCheckin(c["group_id"], c["started_at"], c["ended_at"]) for c in inputs.past_checkins
        ),
    )
    return context, inputs.rules


def flag_write(decision: Decision) -> FlagWrite:
    """A decision as the store writes it (a raise's flag id is the store's to give)."""
    if isinstance(decision, Raise):
        return FlagRaised(
            0,
            decision.ident.rule,
            decision.scope,
            decision.ident.group,
            decision.ident.student,
            decision.severity,
            decision.message,
            decision.evidence,
            decision.action,
        )
    if isinstance(decision, Update):
        return FlagUpdated(decision.flag, decision.severity, decision.message, decision.evidence)
    return FlagResolved(decision.flag, decision.reason)


class RuleEngine:
    """Flags for every running session of one store. Thread-safe: its work (reading the store,
    deciding, writing flags) runs one call at a time, on ``calls``' worker threads from the
    async ``after`` hook and the ticker."""

    def __init__(
        self,
        store: Store,
        *,
        defaults: str | None = None,
        keep: int = 32,
        calls: StoreCalls | None = None,
    ) -> None:
        self.store = store
        self.defaults = defaults
        self.keep = keep
        self.calls = calls if calls is not None else StoreCalls(store, threads=0)
        self._live: OrderedDict[int, _Live] = OrderedDict()
        self._one_at_a_time = threading.RLock()

    def running(self, now: float) -> list[int]:
        """The running sessions a tick looks at: not ended, started within the horizon."""
        return self.store.running_session_ids(started_since=now - TICK_HORIZON_S)

    def tick(self, session_id: int, now: float) -> list[Event]:
        """Decide for ``session_id`` at ``now`` with no new event (catching up from the log
        first); the flag events appended, to publish. A failure is logged, never raised."""
        try:
            with self._one_at_a_time:
                return self._session(session_id, (), now, tick=True)
        except Exception:
            log.exception("the rule engine failed to tick session %d; it rebuilds", session_id)
            self._live.pop(session_id, None)
            return []

    async def after(self, events: Sequence[Event], now: float) -> list[Event]:
        """The ``Sessions.after`` hook. A failure here is logged and never fails the command
        that committed ``events`` (an answer is recorded whatever the rules make of it)."""
        try:
            return await self.calls.run(self.handle, events, now)
        except Exception:
            log.exception(
                "the rule engine failed on %d event(s); it rebuilds next time", len(events)
            )
            for e in events:
                self._live.pop(e.session, None)
            return []

    def handle(self, events: Sequence[Event], now: float) -> list[Event]:
        """Apply committed ``events``, decide, store the decisions; the events appended."""
        with self._one_at_a_time:
            return self._handle(events, now)

    def _handle(self, events: Sequence[Event], now: float) -> list[Event]:
        out: list[Event] = []
        for session_id in dict.fromkeys(e.session for e in events):
            batch = [e for e in events if e.session == session_id]
            if all(e.type in TEACHER_ONLY and e.type.startswith("flag.") for e in batch):
                live = self._live.get(session_id)
                if live is not None:
                    live.engine.replay(batch)
                continue
            out.extend(self._session(session_id, batch, now))
        return out

    def rules_for(self, override: str | None) -> tuple[Rule, ...]:
        try:
            return load_rules(self.defaults, override)
        except RulesError as exc:  # stored before validation existed, or defaults edited
            log.error("class rules are not usable, using the defaults: %s", exc)
            return load_rules(self.defaults)

    def engine(self, session_id: int) -> Engine:
        """The session's engine, up to date with the store's log."""
        with self._one_at_a_time:
            return self._engine(session_id, ()).engine

    def _fingerprint(self, class_id: int) -> tuple[Any, ...]:
        return self.store.class_fingerprint(class_id)

    def _engine(self, session_id: int, batch: Sequence[Event]) -> _Live:
        live = self._live.get(session_id)
        if live is not None:
            stale = live.fingerprint != self._fingerprint(live.class_id) or any(
                isinstance(e.payload, QuestionAsked)
                and e.payload.question_id not in live.engine.context.questions
                for e in batch
            )
            if stale:
                live = None
        if live is None:
            context, override = load_context(self.store, session_id)
            engine = Engine(context, self.rules_for(override), session_id=session_id)
            engine.replay(self.store.events_since(session_id, 0, limit=1_000_000))
            live = _Live(engine, context.class_id, self._fingerprint(context.class_id))
            self._live[session_id] = live
            while len(self._live) > self.keep:
                self._live.popitem(last=False)
        else:
            engine = live.engine
            if not batch or batch[0].seq > engine.seq + 1:
                engine.replay(self.store.events_since(session_id, engine.seq, limit=1_000_000))
            engine.replay(batch)
        self._live.move_to_end(session_id)
        return live

    def _session(
        self, session_id: int, batch: Sequence[Event], now: float, *, tick: bool = False
    ) -> list[Event]:
        for _ in range(_ATTEMPTS):
            live = self._engine(session_id, batch)
            decisions = live.engine.tick(now) if tick else live.engine.decide(now)
            try:
                events = (
                    self._store(session_id, live.class_id, decisions, now, seq=live.engine.seq)
                    if decisions
                    else []
                )
            except LogMoved:
                # another process appended since the engine read the log (maybe the very flag
                # decided here): decide again from the log as it is now. Not incrementally,
                # since deciding consumed what had changed.
                self._live.pop(session_id, None)
                continue
            live.engine.replay(events)
            if live.engine.ended:
                self._live.pop(session_id, None)
            return events
        log.warning("session %d: the log kept moving; the rules decide next time", session_id)
        return []

    def _store(
        self,
        session_id: int,
        class_id: int,
        decisions: Sequence[Decision],
        now: float,
        *,
        seq: int | None = None,
    ) -> list[Event]:
        """Store ``decisions`` as flag rows and events in one transaction; with ``seq``, only
        if the session's log still ends at ``seq`` (``LogMoved`` otherwise, nothing written)."""
        writes = [flag_write(d) for d in decisions]
        return self.store.write_flags(session_id, class_id, writes, now, expect_seq=seq)

    def dismiss(self, session_id: int, flag_id: int, now: float) -> list[Event]:
        """Resolve open flag ``flag_id`` as dismissed; the one ``flag.resolved`` event.

        Raises ``NotFound`` (no such flag in the session) or ``Conflict`` with code
        ``flag_resolved`` (it is resolved already). The check runs inside the write
        transaction, so of two processes dismissing the same flag at once exactly one appends
        the event and the other gets the ``Conflict`` (a 409 on the endpoint)."""
        with self._one_at_a_time:
            return self._dismiss(session_id, flag_id, now)

    def _dismiss(self, session_id: int, flag_id: int, now: float) -> list[Event]:
        live = self._engine(session_id, ())
        # the engine's view may be stale (another process may resolve the flag before the
        # transaction starts): whether it is open is decided by the flag row, read under the lock
        decision = live.engine.dismiss(flag_id) or Resolve(flag_id, "dismissed")
        events = self.store.dismiss_flag(
            session_id, flag_id, FlagResolved(flag_id, decision.reason), now
        )
        if events[0].seq != live.engine.seq + 1:
            # another process appended since the engine caught up: replaying the dismissal
            # alone would skip those events, so rebuild from the log next time instead
            self._live.pop(session_id, None)
        else:
            live.engine.replay(events)
        return events
