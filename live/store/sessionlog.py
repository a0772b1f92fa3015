"""Sessions in the store: the commands that change them and the event log they append to.

Each command is one transaction that changes its rows and appends its events to ``events``
with the session's next seq, so what a dashboard is told is always already stored, and seq
rises by one per session with no gaps. The decisions (may this answer count? did it change?)
are the pure ``live.session`` rules.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from live import session as rules_of_session
from live.errors import Conflict, NotFound
from live.events import (
    DisplayChanged,
    Event,
    Payload,
    QuestionAsked,
    QuestionClosed,
    QuestionRevealed,
    SessionEnded,
    SessionStarted,
    payload_from_dict,
)
from live.store.classroom import ClassroomRecords
from live.store.database import Row
from live.store.library import LibraryRecords

__all__ = ["SessionRecords"]


class SessionRecords(ClassroomRecords, LibraryRecords):
    """Sessions, asked questions, responses, flags, check-ins and the event log."""

    # -- sessions: reads -------------------------------------------------------------------

    def get_session(self, session_id: int) -> Row:
        row = self._one(
            "SELECT s.id, s.class_id, s.set_id, s.started_at, s.ended_at, s.show_names, s.seq,"
            " c.name AS class_name FROM sessions s JOIN classes c ON c.id = s.class_id"
            " WHERE s.id = ?",
            (session_id,),
        )
        if row is None:
            raise NotFound(f"no session {session_id}")
        row["show_names"] = bool(row["show_names"])
        row["status"] = "ended" if row["ended_at"] is not None else "running"
        return row

    def list_sessions(self, *, class_id: int | None = None) -> list[Row]:
        rows = self._all(
            "SELECT s.id FROM sessions s WHERE ? IS NULL OR s.class_id = ?"
            " ORDER BY s.started_at DESC, s.id DESC",
            (class_id, class_id),
        )
        out = []
        for r in rows:
            row = self.get_session(r["id"])
            stats = (
                self._one(
                    "SELECT count(DISTINCT a.id) AS asked,"
                    " sum(CASE WHEN r.answer = a.correct THEN 1 ELSE 0 END) AS correct,"
                    " sum(CASE WHEN a.correct IS NOT NULL AND r.answer IS NOT NULL THEN 1 ELSE 0 END)"
                    "  AS scored FROM asked a LEFT JOIN responses r ON r.asked_id = a.id"
                    " WHERE a.session_id = ?",
                    (row["id"],),
                )
                or {}
            )
            row["asked"] = stats.get("asked") or 0
            scored = stats.get("scored") or 0
            row["score"] = round(100 * (stats.get("correct") or 0) / scored) if scored else None
            out.append(row)
        return out

    def asked_rows(self, session_id: int) -> list[Row]:
        return self._all(
            "SELECT a.id, a.session_id, a.question_id, a.number, a.correct, a.opened_at,"
            " a.closed_at, a.revealed_at FROM asked a WHERE a.session_id = ? ORDER BY a.number",
            (session_id,),
        )

    def responses(self, asked_id: int) -> list[Row]:
        return self._all(
            "SELECT asked_id, student_id, answer, card, source, first_at, updated_at, changes"
            " FROM responses WHERE asked_id = ? ORDER BY first_at",
            (asked_id,),
        )

    def response_history(self, asked_id: int) -> list[Row]:
        return self._all(
            "SELECT asked_id, student_id, answer, previous, source, at FROM response_history"
            " WHERE asked_id = ? ORDER BY id",
            (asked_id,),
        )

    def session_data(self, session_id: int) -> rules_of_session.SessionData:
        """Everything a snapshot of the session is made from, read in one consistent view."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                session = self.get_session(session_id)
                asked = self.asked_rows(session_id)
                questions = {a["question_id"]: self.get_question(a["question_id"]) for a in asked}
                responses = {a["id"]: self.responses(a["id"]) for a in asked}
                students = self.list_students(session["class_id"])
                groups = self.list_groups(session["class_id"])
                flags = self.flags(session_id=session_id, open_only=True)
                question_set = self.get_set(session["set_id"]) if session["set_id"] else None
            finally:
                self._db.execute("COMMIT")
        return rules_of_session.SessionData(
            session=session,
            asked=asked,
            questions=questions,
            responses=responses,
            students=students,
            groups=groups,
            flags=flags,
            question_set=question_set,
        )

    def scan_context(self, session_id: int) -> tuple[Row, list[Row]]:
        """What a scanner frame is read against: the session with its newest asked question
        (``class_id``, ``ended_at``, ``asked``, ``closed_at``, ``revealed_at``; the last three
        None before the first question) and the class's active students holding a card
        (``id``, ``name``, ``card``). ``NotFound`` for an unknown session."""
        row = self._one(
            "SELECT s.class_id, s.ended_at, a.id AS asked, a.closed_at, a.revealed_at"
            " FROM sessions s LEFT JOIN asked a ON a.id = (SELECT id FROM asked"
            "  WHERE session_id = s.id ORDER BY number DESC LIMIT 1) WHERE s.id = ?",
            (session_id,),
        )
        if row is None:
            raise NotFound(f"no session {session_id}")
        students = self._all(
            "SELECT id, name, card FROM students"
            " WHERE class_id = ? AND active = 1 AND card IS NOT NULL",
            (row["class_id"],),
        )
        return row, students

    def newest_running_session(self, *, class_id: int | None = None) -> int | None:
        """The id of the newest session not ended (of ``class_id`` if given), or None."""
        row = self._one(
            "SELECT id FROM sessions WHERE ended_at IS NULL AND (? IS NULL OR class_id = ?)"
            " ORDER BY started_at DESC, id DESC LIMIT 1",
            (class_id, class_id),
        )
        return None if row is None else int(row["id"])

    def flags(
        self, *, session_id: int | None = None, class_id: int | None = None, open_only: bool = False
    ) -> list[Row]:
        rows = self._all(
            "SELECT id, session_id, class_id, group_id, student_id, rule, action, severity,"
            " message, evidence, raised_at, updated_at, resolved_at, resolution FROM flags"
            " WHERE (? IS NULL OR session_id = ?) AND (? IS NULL OR class_id = ?)"
            " AND (NOT ? OR resolved_at IS NULL) ORDER BY id",
            (session_id, session_id, class_id, class_id, open_only),
        )
        for r in rows:
            r["evidence"] = json.loads(r["evidence"])
        return rows

    def checkins(self, *, class_id: int | None = None, group_id: int | None = None) -> list[Row]:
        return self._all(
            "SELECT id, class_id, group_id, session_id, started_at, ended_at, note, goal, next_step"
            " FROM checkins WHERE (? IS NULL OR class_id = ?) AND (? IS NULL OR group_id = ?)"
            " ORDER BY started_at, id",
            (class_id, class_id, group_id, group_id),
        )

    def events_since(self, session_id: int, since: int, *, limit: int = 10_000) -> list[Event]:
        """The session's committed events with ``seq > since``, in order."""
        rows = self._all(
            "SELECT session_id, seq, type, data, at FROM events WHERE session_id = ? AND seq > ?"
            " ORDER BY seq LIMIT ?",
            (session_id, since, limit),
        )
        return [
            Event(
                session=r["session_id"],
                seq=r["seq"],
                at=r["at"],
                payload=payload_from_dict(r["type"], json.loads(r["data"])),
            )
            for r in rows
        ]

    # -- sessions: commands (each one transaction, events appended with their seq) ---------

    def append(
        self, db: sqlite3.Connection, session_id: int, payload: Payload, now: float
    ) -> Event:
        """Append one event to the session's log inside the caller's transaction."""
        row = db.execute(
            "UPDATE sessions SET seq = seq + 1 WHERE id = ? RETURNING seq", (session_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no session {session_id}")
        seq = int(row[0])
        db.execute(
            "INSERT INTO events(session_id, seq, type, data, at) VALUES (?, ?, ?, ?, ?)",
            (session_id, seq, payload.type, json.dumps(payload.to_dict()), now),
        )
        return Event(session=session_id, seq=seq, at=now, payload=payload)

    def _running(self, db: sqlite3.Connection, session_id: int) -> sqlite3.Row:
        row = db.execute(
            "SELECT id, class_id, ended_at FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no session {session_id}")
        if row["ended_at"] is not None:
            raise Conflict(f"session {session_id} has ended", code="session_ended")
        found: sqlite3.Row = row
        return found

    def _current(self, db: sqlite3.Connection, session_id: int) -> sqlite3.Row | None:
        return db.execute(  # type: ignore[no-any-return]
            "SELECT id, question_id, number, correct, closed_at, revealed_at FROM asked"
            " WHERE session_id = ? ORDER BY number DESC LIMIT 1",
            (session_id,),
        ).fetchone()

    def _close_open(
        self, db: sqlite3.Connection, session_id: int, current: sqlite3.Row | None, now: float
    ) -> list[Event]:
        """Close ``current`` if it is open; the ``question.closed`` event, or nothing."""
        if current is None or current["closed_at"] is not None:
            return []
        db.execute("UPDATE asked SET closed_at = ? WHERE id = ?", (now, current["id"]))
        return [self.append(db, session_id, QuestionClosed(current["id"]), now)]

    def start_session(
        self, class_id: int, *, set_id: int | None, now: float
    ) -> tuple[Row, list[Event]]:
        self.get_class(class_id)
        if set_id is not None:
            self.get_set(set_id)
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO sessions(class_id, set_id, started_at) VALUES (?, ?, ?)",
                (class_id, set_id, now),
            )
            session_id = int(cur.lastrowid or 0)
            events = [self.append(db, session_id, SessionStarted(class_id=class_id), now)]
        return self.get_session(session_id), events

    def ask(self, session_id: int, question_id: int, *, now: float) -> list[Event]:
        """Open ``question_id``; the question open before is closed first."""
        question = self.get_question(question_id)
        events: list[Event] = []
        with self.transaction() as db:
            self._running(db, session_id)
            current = self._current(db, session_id)
            events += self._close_open(db, session_id, current, now)
            number = 1 if current is None else int(current["number"]) + 1
            cur = db.execute(
                "INSERT INTO asked(session_id, question_id, number, correct, opened_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (session_id, question_id, number, question["correct"], now),
            )
            asked_id = int(cur.lastrowid or 0)
            events.append(
                self.append(db, session_id, QuestionAsked(asked_id, question_id, number), now)
            )
        return events

    def close_question(self, session_id: int, *, now: float) -> list[Event]:
        with self.transaction() as db:
            self._running(db, session_id)
            current = self._current(db, session_id)
            if current is None:
                raise Conflict("no question has been asked yet", code="no_question")
            return self._close_open(db, session_id, current, now)

    def reopen(self, session_id: int, *, now: float) -> list[Event]:
        """Open the current question again (after close, before reveal)."""
        with self.transaction() as db:
            self._running(db, session_id)
            current = self._current(db, session_id)
            if current is None:
                raise Conflict("no question has been asked yet", code="no_question")
            if current["revealed_at"] is not None:
                raise Conflict("the answer was revealed; ask the question again instead")
            if current["closed_at"] is None:
                return []
            db.execute("UPDATE asked SET closed_at = NULL WHERE id = ?", (current["id"],))
            return [
                self.append(
                    db,
                    session_id,
                    QuestionAsked(current["id"], current["question_id"], current["number"]),
                    now,
                )
            ]

    def reveal(self, session_id: int, *, now: float) -> list[Event]:
        """Reveal the current question's answer (closing it first if it is open)."""
        events: list[Event] = []
        with self.transaction() as db:
            self._running(db, session_id)
            current = self._current(db, session_id)
            if current is None:
                raise Conflict("no question has been asked yet", code="no_question")
            events += self._close_open(db, session_id, current, now)
            if current["revealed_at"] is None:
                db.execute("UPDATE asked SET revealed_at = ? WHERE id = ?", (now, current["id"]))
                events.append(
                    self.append(
                        db, session_id, QuestionRevealed(current["id"], current["correct"]), now
                    )
                )
        return events

    def end_session(self, session_id: int, *, now: float) -> list[Event]:
        events: list[Event] = []
        with self.transaction() as db:
            self._running(db, session_id)
            current = self._current(db, session_id)
            events += self._close_open(db, session_id, current, now)
            db.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", (now, session_id))
            events.append(self.append(db, session_id, SessionEnded(), now))
        return events

    def set_display(self, session_id: int, *, show_names: bool, now: float) -> list[Event]:
        with self.transaction() as db:
            self._running(db, session_id)
            db.execute(
                "UPDATE sessions SET show_names = ? WHERE id = ?", (int(show_names), session_id)
            )
            return [self.append(db, session_id, DisplayChanged(show_names), now)]

    def record(
        self,
        session_id: int,
        student_id: int,
        answer: str,
        *,
        source: str,
        card: int | None = None,
        now: float,
    ) -> list[Event]:
        """Record ``student_id``'s answer to the current question.

        A scan counts only while the question is open; a manual entry also after close (the
        teacher is filling in a missing card) but not after reveal. The same answer twice is
        recorded once (no event); a changed answer updates the latest and appends to history.
        """
        with self.transaction() as db:
            session = self._running(db, session_id)
            student = db.execute(
                "SELECT id, class_id, card FROM students WHERE id = ? AND active = 1",
                (student_id,),
            ).fetchone()
            if student is None or student["class_id"] != session["class_id"]:
                raise NotFound(f"no student {student_id} in this session's class")
            current = self._current(db, session_id)
            previous_row = (
                None
                if current is None
                else db.execute(
                    "SELECT answer FROM responses WHERE asked_id = ? AND student_id = ?",
                    (current["id"], student_id),
                ).fetchone()
            )
            decision = rules_of_session.decide_response(
                asked=None if current is None else dict(current),
                previous=None if previous_row is None else str(previous_row["answer"]),
                student=student_id,
                card=card if card is not None else student["card"],
                answer=answer,
                source=source,
            )
            if decision is None:
                return []
            if decision.changed_from is None:
                db.execute(
                    "INSERT INTO responses(asked_id, student_id, answer, card, source, first_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (decision.asked_id, student_id, answer, decision.card, source, now, now),
                )
            else:
                db.execute(
                    "UPDATE responses SET answer = ?, card = ?, source = ?, updated_at = ?,"
                    " changes = changes + 1 WHERE asked_id = ? AND student_id = ?",
                    (answer, decision.card, source, now, decision.asked_id, student_id),
                )
            db.execute(
                "INSERT INTO response_history(asked_id, student_id, answer, previous, source, at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (decision.asked_id, student_id, answer, decision.changed_from, source, now),
            )
            return [self.append(db, session_id, decision, now)]

    def student_for_card(self, class_id: int, card: int) -> Row | None:
        return self._one(
            "SELECT id, name, card FROM students WHERE class_id = ? AND card = ? AND active = 1",
            (class_id, card),
        )

    def append_events(
        self, session_id: int, payloads: Sequence[Payload], *, now: float
    ) -> list[Event]:
        """Append events that change no other row (scanner connected, and the like)."""
        with self.transaction() as db:
            return [self.append(db, session_id, p, now) for p in payloads]
