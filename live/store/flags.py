"""The rule engine's records: what it reads of a class, and its flags, written with their events.

The rule engine (``live.rules.flags``) decides; this module reads what it decides on and writes
what it decided, each write in one transaction with the events it appends. Flag writes are the
event payloads themselves (``FlagRaised``, ``FlagUpdated``, ``FlagResolved``): a raise is stored
as a new ``flags`` row whose id the stored event then carries.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from live.errors import Conflict, NotFound
from live.events import Event, FlagRaised, FlagResolved, FlagUpdated
from live.store.database import Row
from live.store.sessionlog import SessionRecords
from live.store.tables import (
    asked,
    checkins,
    classes,
    flags,
    goals,
    group_members,
    groups,
    questions,
    responses,
    sessions,
    students,
)

__all__ = ["FlagRecords", "FlagWrite", "LogMoved", "PastSessionRows", "RuleInputs"]

FlagWrite = FlagRaised | FlagUpdated | FlagResolved
"""One decision of the rule engine as the store writes it (a raise's ``flag`` is ignored)."""


class LogMoved(Exception):
    """The session's log moved on since the engine read it; nothing was written."""


@dataclass(frozen=True)
class PastSessionRows:
    """An earlier session of the class: when it started, and its graded answers
    (``student_id``, ``answer``, ``correct``, ``skills`` as a JSON list, ``question_id``)."""

    id: int
    started_at: float
    answers: list[Row]


@dataclass(frozen=True)
class RuleInputs:
    """The class as the store has it now, for one session's rule engine (rows as dicts)."""

    class_id: int
    rules: str | None  # the class's TOML override
    students: list[Row]  # id, card, group_id (the group they are in now)
    groups: list[Row]  # id, name, skill, goal, created_at, goal_since
    questions: list[Row]  # id, correct, choices and skills (JSON lists)
    past_sessions: list[PastSessionRows]  # oldest first
    past_checkins: list[Row]  # group_id, started_at, ended_at, of other sessions


class FlagRecords(SessionRecords):
    """Reads for the rule engine, and its flags."""

    def rule_inputs(self, session_id: int, *, history: int) -> RuleInputs:
        """What the rules of ``session_id`` decide on; ``history``: how many earlier sessions
        of the class to read. ``NotFound`` for an unknown session."""
        session = self.get_session(session_id)
        class_id = int(session["class_id"])
        cls = self.get_class(class_id)
        st, g, q, a, r, s = students.c, groups.c, questions.c, asked.c, responses.c, sessions.c
        m = group_members.c
        current_group = (
            select(m.group_id)
            .where(m.student_id == st.id, m.left_at.is_(None))
            .scalar_subquery()
            .label("group_id")
        )
        roster = self._all(
            select(st.id, st.card, current_group).where(st.class_id == class_id, st.active == 1)
        )
        goal_since = (
            select(func.max(goals.c.set_at))
            .where(goals.c.group_id == g.id)
            .scalar_subquery()
            .label("goal_since")
        )
        class_groups = self._all(
            select(g.id, g.name, g.skill, g.goal, g.created_at, goal_since)
            .where(g.class_id == class_id, g.archived_at.is_(None))
            .order_by(g.id)
        )
        asked_here = select(a.question_id).where(a.session_id == session_id)
        library = self._all(
            select(q.id, q.correct, q.choices, q.skills)
            .where(q.archived_at.is_(None) | q.id.in_(asked_here))
            .distinct()
        )
        past = self._all(
            select(s.id, s.started_at)
            .where(
                s.class_id == class_id,
                s.id != session_id,
                s.started_at <= session["started_at"],
            )
            .order_by(s.started_at.desc(), s.id.desc())
            .limit(history)
        )
        past_sessions = [
            PastSessionRows(
                int(p["id"]),
                float(p["started_at"]),
                self._all(
                    select(r.student_id, r.answer, a.correct, q.skills, a.question_id)
                    .select_from(responses)
                    .join(asked, a.id == r.asked_id)
                    .join(questions, q.id == a.question_id)
                    .where(a.session_id == p["id"], a.correct.is_not(None))
                ),
            )
            for p in reversed(past)
        ]
        c = checkins.c
        past_checkins = self._all(
            select(c.group_id, c.started_at, c.ended_at)
            .where(c.class_id == class_id, c.session_id.is_(None) | (c.session_id != session_id))
            .order_by(c.started_at)
        )
        return RuleInputs(
            class_id, cls["rules"], roster, class_groups, library, past_sessions, past_checkins
        )

    def class_fingerprint(self, class_id: int) -> tuple[Any, ...]:
        """A cheap summary of the roster, the groups and the rule override of ``class_id``:
        it changes whenever any of them does."""
        m, st, g = group_members.c, students.c, groups.c
        with self.snapshot():
            stays = self._one(
                select(func.count(), func.coalesce(func.max(m.id), 0), func.count(m.left_at))
                .select_from(group_members)
                .join(groups, g.id == m.group_id)
                .where(g.class_id == class_id)
            )
            roster = self._one(
                select(
                    func.count(),
                    func.coalesce(func.max(st.id), 0),
                    func.coalesce(func.sum(st.active), 0),
                    func.coalesce(func.sum(st.card), 0),
                ).where(st.class_id == class_id)
            )
            class_groups = self._all(
                select(g.id, g.skill, g.goal, g.name, g.archived_at)
                .where(g.class_id == class_id)
                .order_by(g.id)
            )
            rules = self._one(select(classes.c.rules).where(classes.c.id == class_id))
        return (
            tuple((stays or {}).values()),
            tuple((roster or {}).values()),
            tuple(tuple(row.values()) for row in class_groups),
            (rules or {}).get("rules"),
        )

    def running_session_ids(self, *, started_since: float) -> list[int]:
        """Sessions running (not ended, not interrupted) that started at or after
        ``started_since``, oldest first."""
        s = sessions.c
        rows = self._all(
            select(s.id)
            .where(s.ended_at.is_(None), s.interrupted_at.is_(None), s.started_at >= started_since)
            .order_by(s.id)
        )
        return [int(r["id"]) for r in rows]

    def write_flags(
        self,
        session_id: int,
        class_id: int,
        writes: Sequence[FlagWrite],
        now: float,
        *,
        expect_seq: int | None = None,
    ) -> list[Event]:
        """Store ``writes`` as flag rows and their events in one transaction; the events.

        With ``expect_seq``, only if the session's log still ends there: ``LogMoved``
        otherwise, with nothing written.
        """
        with self.transaction() as db:
            locked = self.lock_session(db, session_id)
            if expect_seq is not None:
                seq = db.execute(select(sessions.c.seq).where(sessions.c.id == session_id)).scalar()
                if locked is None or seq != expect_seq:
                    raise LogMoved(session_id)
            return self._write_flags(db, session_id, class_id, writes, now)

    def dismiss_flag(
        self, session_id: int, flag_id: int, resolve: FlagResolved, now: float
    ) -> list[Event]:
        """Write ``resolve`` for open flag ``flag_id``; the one ``flag.resolved`` event.

        ``NotFound`` (no such flag in the session) or ``Conflict`` with code
        ``flag_resolved``. The check runs inside the write transaction, so of two processes
        dismissing one flag at once exactly one appends the event."""
        with self.transaction() as db:
            self.lock_session(db, session_id)
            row = (
                db.execute(
                    select(flags.c.class_id, flags.c.resolved_at).where(
                        flags.c.id == flag_id, flags.c.session_id == session_id
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise NotFound(f"no flag {flag_id} in session {session_id}")
            if row["resolved_at"] is not None:
                raise Conflict(f"flag {flag_id} is already resolved", code="flag_resolved")
            return self._write_flags(db, session_id, int(row["class_id"]), [resolve], now)

    def _write_flags(
        self,
        db: Connection,
        session_id: int,
        class_id: int,
        writes: Sequence[FlagWrite],
        now: float,
    ) -> list[Event]:
        out: list[Event] = []
        f = flags.c
        for w in writes:
            if isinstance(w, FlagRaised):
                flag_id = db.execute(
                    insert(flags)
                    .values(
                        session_id=session_id,
                        class_id=class_id,
                        group_id=w.group,
                        student_id=w.student,
                        rule=w.rule,
                        action=w.action,
                        severity=w.severity,
                        message=w.message,
                        evidence=json.dumps(w.evidence),
                        raised_at=now,
                        updated_at=now,
                    )
                    .returning(f.id)
                ).scalar_one()
                w = dataclasses.replace(w, flag=flag_id)
            elif isinstance(w, FlagUpdated):
                db.execute(
                    update(flags)
                    .where(f.id == w.flag)
                    .values(
                        severity=w.severity,
                        message=w.message,
                        evidence=json.dumps(w.evidence),
                        updated_at=now,
                    )
                )
            else:
                db.execute(
                    update(flags)
                    .where(f.id == w.flag, f.resolved_at.is_(None))
                    .values(resolved_at=now, resolution=w.reason, updated_at=now)
                )
            out.append(self.append(db, session_id, w, now))
        return out
