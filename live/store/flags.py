"""The rule engine's records: what it reads of a class, and its flags, written with their events.

The rule engine (``live.rules.flags``) decides; this module reads what it decides on and writes
what it decided, each write in one transaction with the events it appends. Flag writes are the
event payloads themselves (``FlagRaised``, ``FlagUpdated``, ``FlagResolved``): a raise is stored
as a new ``flags`` row whose id the stored event then carries.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from live.errors import Conflict, NotFound
from live.events import Event, FlagRaised, FlagResolved, FlagUpdated
from live.store.database import Row
from live.store.sessionlog import SessionRecords

__all__ = ["FlagRecords", "FlagWrite", "LogMoved", "PastSessionRows", "RuleInputs"]

FlagWrite = FlagRaised | FlagUpdated | FlagResolved
"""One decision of the rule engine as the store writes it (a raise's ``flag`` is ignored)."""


class LogMoved(Exception):
    """The session's log moved on since the engine read it; nothing was written."""


@dataclass(frozen=True)
class PastSessionRows:
    """An earlier session of the class: when it started, and its graded answers
    (``student_id``, ``answer``, ``correct``, ``skills`` as a JSON list)."""

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


_FINGERPRINT = """
SELECT
 (SELECT count(*) || '/' || coalesce(max(m.id), 0) || '/' || count(m.left_at)
    FROM group_members m JOIN groups g ON g.id = m.group_id WHERE g.class_id = ?),
 (SELECT count(*) || '/' || coalesce(max(id), 0) || '/' || coalesce(sum(active), 0)
    || '/' || coalesce(sum(card), 0) FROM students WHERE class_id = ?),
 (SELECT group_concat(id || ':' || coalesce(skill, '') || ':' || goal || ':' || name || ':'
    || coalesce(archived_at, ''), ',') FROM groups WHERE class_id = ?),
 (SELECT coalesce(rules, '') FROM classes WHERE id = ?)
"""


class FlagRecords(SessionRecords):
    """Reads for the rule engine, and its flags."""

    def rule_inputs(self, session_id: int, *, history: int) -> RuleInputs:
        """What the rules of ``session_id`` decide on; ``history``: how many earlier sessions
        of the class to read. ``NotFound`` for an unknown session."""
        session = self.get_session(session_id)
        class_id = int(session["class_id"])
        cls = self.get_class(class_id)
        students = self._all(
            "SELECT s.id, s.card, (SELECT m.group_id FROM group_members m"
            " WHERE m.student_id = s.id AND m.left_at IS NULL) AS group_id"
            " FROM students s WHERE s.class_id = ? AND s.active = 1",
            (class_id,),
        )
        groups = self._all(
            "SELECT g.id, g.name, g.skill, g.goal, g.created_at,"
            " (SELECT max(set_at) FROM goals WHERE group_id = g.id) AS goal_since"
            " FROM groups g WHERE g.class_id = ? AND g.archived_at IS NULL ORDER BY g.id",
            (class_id,),
        )
        questions = self._all(
            "SELECT DISTINCT q.id, q.correct, q.choices, q.skills FROM questions q"
            " WHERE q.archived_at IS NULL OR q.id IN (SELECT question_id FROM asked"
            " WHERE session_id = ?)",
            (session_id,),
        )
        past = self._all(
            "SELECT id, started_at FROM sessions WHERE class_id = ? AND id != ?"
            " AND started_at <= ? ORDER BY started_at DESC, id DESC LIMIT ?",
            (class_id, session_id, session["started_at"], history),
        )
        past_sessions = [
            PastSessionRows(
                int(p["id"]),
                float(p["started_at"]),
                self._all(
                    "SELECT r.student_id, r.answer, a.correct, q.skills FROM responses r"
                    " JOIN asked a ON a.id = r.asked_id JOIN questions q ON q.id = a.question_id"
                    " WHERE a.session_id = ? AND a.correct IS NOT NULL",
                    (p["id"],),
                ),
            )
            for p in reversed(past)
        ]
        checkins = self._all(
            "SELECT group_id, started_at, ended_at FROM checkins WHERE class_id = ?"
            " AND (session_id IS NULL OR session_id != ?) ORDER BY started_at",
            (class_id, session_id),
        )
        return RuleInputs(
            class_id, cls["rules"], students, groups, questions, past_sessions, checkins
        )

    def class_fingerprint(self, class_id: int) -> tuple[Any, ...]:
        """A cheap summary of the roster, the groups and the rule override of ``class_id``:
        it changes whenever any of them does."""
        rows = self._all(_FINGERPRINT, (class_id,) * 4)
        return tuple(rows[0].values())

    def running_session_ids(self, *, started_since: float) -> list[int]:
        """Sessions running (not ended, not interrupted) that started at or after
        ``started_since``, oldest first."""
        rows = self._all(
            "SELECT id FROM sessions WHERE ended_at IS NULL AND interrupted_at IS NULL"
            " AND started_at >= ? ORDER BY id",
            (started_since,),
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
            if expect_seq is not None:
                row = db.execute("SELECT seq FROM sessions WHERE id = ?", (session_id,)).fetchone()
                if row is None or int(row[0]) != expect_seq:
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
            row = db.execute(
                "SELECT class_id, resolved_at FROM flags WHERE id = ? AND session_id = ?",
                (flag_id, session_id),
            ).fetchone()
            if row is None:
                raise NotFound(f"no flag {flag_id} in session {session_id}")
            if row["resolved_at"] is not None:
                raise Conflict(f"flag {flag_id} is already resolved", code="flag_resolved")
            return self._write_flags(db, session_id, int(row["class_id"]), [resolve], now)

    def _write_flags(
        self,
        db: sqlite3.Connection,
        session_id: int,
        class_id: int,
        writes: Sequence[FlagWrite],
        now: float,
    ) -> list[Event]:
        events: list[Event] = []
        for w in writes:
            if isinstance(w, FlagRaised):
                cur = db.execute(
                    "INSERT INTO flags(session_id, class_id, group_id, student_id, rule,"
                    " action, severity, message, evidence, raised_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        session_id,
                        class_id,
                        w.group,
                        w.student,
                        w.rule,
                        w.action,
                        w.severity,
                        w.message,
                        json.dumps(w.evidence),
                        now,
                        now,
                    ),
                )
                w = dataclasses.replace(w, flag=int(cur.lastrowid or 0))
            elif isinstance(w, FlagUpdated):
                db.execute(
                    "UPDATE flags SET severity = ?, message = ?, evidence = ?, updated_at = ?"
                    " WHERE id = ?",
                    (w.severity, w.message, json.dumps(w.evidence), now, w.flag),
                )
            else:
                db.execute(
                    "UPDATE flags SET resolved_at = ?, resolution = ?, updated_at = ?"
                    " WHERE id = ? AND resolved_at IS NULL",
                    (now, w.reason, now, w.flag),
                )
            events.append(self.append(db, session_id, w, now))
        return events
