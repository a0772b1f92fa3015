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
    SessionInterrupted,
    SessionResumed,
    SessionStarted,
    payload_from_dict,
)
from live.store.classroom import ClassroomRecords
from live.store.database import Row
from live.store.library import LibraryRecords

__all__ = ["SessionRecords"]


def _status_of(row: Row) -> str:
    if row["ended_at"] is not None:
        return "ended"
    return "interrupted" if row["interrupted_at"] is not None else "running"


class SessionRecords(ClassroomRecords, LibraryRecords):
    """Sessions, asked questions, responses, flags, check-ins and the event log."""

    # -- sessions: reads -------------------------------------------------------------------

    def get_session(self, session_id: int) -> Row:
        """The session with its ``class_name``, ``status`` (``running``, ``interrupted`` or
        ``ended``) and ``live`` (whether it is its class's live session)."""
        row = self._one(
            "SELECT s.id, s.class_id, s.set_id, s.started_at, s.ended_at, s.interrupted_at,"
            " s.show_names, s.seq, c.name AS class_name,"
            " CASE WHEN c.live_session = s.id THEN 1 ELSE 0 END AS live"
            " FROM sessions s JOIN classes c ON c.id = s.class_id WHERE s.id = ?",
            (session_id,),
        )
        if row is None:
            raise NotFound(f"no session {session_id}")
        row["show_names"] = bool(row["show_names"])
        row["live"] = bool(row["live"])
        row["status"] = _status_of(row)
        return row

    def running_sessions(self) -> list[Row]:
        """Every session not ended (running or interrupted), oldest first: ``id``, ``class_id``,
        ``class_name``, ``started_at``, ``interrupted_at``, ``status``, ``live``, and
        ``question`` (``number``, ``prompt``, ``status``; None before the first one)."""
        rows = self._all(
            "SELECT s.id, s.class_id, c.name AS class_name, s.started_at, s.ended_at,"
            " s.interrupted_at, CASE WHEN c.live_session = s.id THEN 1 ELSE 0 END AS live,"
            " a.number, a.closed_at, a.revealed_at, q.prompt"
            " FROM sessions s JOIN classes c ON c.id = s.class_id"
            " LEFT JOIN asked a ON a.id = (SELECT id FROM asked WHERE session_id = s.id"
            "  ORDER BY number DESC LIMIT 1) LEFT JOIN questions q ON q.id = a.question_id"
            " WHERE s.ended_at IS NULL ORDER BY s.started_at, s.id"
        )
        out = []
        for r in rows:
            question = None
            if r["number"] is not None:
                status = "revealed" if r["revealed_at"] else "closed" if r["closed_at"] else "open"
                question = {"number": r["number"], "prompt": r["prompt"], "status": status}
            out.append(
                {
                    "id": r["id"],
                    "class_id": r["class_id"],
                    "class_name": r["class_name"],
                    "started_at": r["started_at"],
                    "interrupted_at": r["interrupted_at"],
                    "status": _status_of(r),
                    "live": bool(r["live"]),
                    "question": question,
                }
            )
        return out

    def idle_sessions(self, *, before: float) -> list[int]:
        """Sessions not ended whose last activity was before ``before``, oldest first.

        Activity is any event but the ones nobody made: the rule engine's flags, and the
        ``session.interrupted`` a restarting server appends.
        """
        rows = self._all(
            "SELECT s.id FROM sessions s WHERE s.ended_at IS NULL AND coalesce((SELECT max(e.at)"
            " FROM events e WHERE e.session_id = s.id AND e.type NOT LIKE 'flag.%'"
            " AND e.type != 'session.interrupted'), s.started_at) < ? ORDER BY s.id",
            (before,),
        )
        return [int(r["id"]) for r in rows]

    def live_session(self, class_id: int) -> Row:
        """The class's live session, the one its projector link shows: ``class_id``,
        ``class_name``, ``session`` (an id, or None)."""
        cls = self._one("SELECT id, name, live_session FROM classes WHERE id = ?", (class_id,))
        if cls is None:
            raise NotFound(f"no class {class_id}")
        return {"class_id": cls["id"], "class_name": cls["name"], "session": cls["live_session"]}

    def set_live_session(self, class_id: int, session_id: int | None) -> Row:
        """Make ``session_id`` (a session of the class not ended) its class's live session, or
        clear it with None. ``NotFound``, or ``Conflict`` for an ended session."""
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM classes WHERE id = ?", (class_id,)).fetchone() is None:
                raise NotFound(f"no class {class_id}")
            if session_id is not None:
                row = db.execute(
                    "SELECT class_id, ended_at FROM sessions WHERE id = ?", (session_id,)
                ).fetchone()
                if row is None or row["class_id"] != class_id:
                    raise NotFound(f"no session {session_id} of class {class_id}")
                if row["ended_at"] is not None:
                    raise Conflict(f"session {session_id} has ended", code="session_ended")
            db.execute("UPDATE classes SET live_session = ? WHERE id = ?", (session_id, class_id))
        return self.live_session(class_id)

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
                scanner_log = self._all(
                    "SELECT type, data FROM events WHERE session_id = ?"
                    " AND (type LIKE 'scanner.%' OR type = 'session.interrupted') ORDER BY seq",
                    (session_id,),
                )
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
            scanners=rules_of_session.connected_scanners(
                (r["type"], json.loads(r["data"])) for r in scanner_log
            ),
        )

    def scan_context(self, session_id: int) -> tuple[Row, list[Row]]:
        """What a scanner frame is read against: the session with its newest asked question
        (``class_id``, ``class_name``, ``ended_at``, ``interrupted_at``, ``asked``,
        ``closed_at``, ``revealed_at``; the last three None before the first question) and the
        class's active students holding a card (``id``, ``name``, ``card``). ``NotFound`` for an
        unknown session."""
        row = self._one(
            "SELECT s.class_id, c.name AS class_name, s.ended_at, s.interrupted_at,"
            " a.id AS asked, a.closed_at, a.revealed_at FROM sessions s"
            " JOIN classes c ON c.id = s.class_id LEFT JOIN asked a ON a.id = (SELECT id FROM asked"
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

    def _running(
        self, db: sqlite3.Connection, session_id: int, *, interrupted: bool = False
    ) -> sqlite3.Row:
        """The session's row, if it takes commands: ``NotFound``; ``Conflict`` when it has
        ended, or when it was interrupted (unless ``interrupted`` allows that)."""
        row = db.execute(
            "SELECT id, class_id, ended_at, interrupted_at FROM sessions WHERE id = ?",
            (session_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no session {session_id}")
        if row["ended_at"] is not None:
            raise Conflict(f"session {session_id} has ended", code="session_ended")
        if row["interrupted_at"] is not None and not interrupted:
            raise Conflict(
                f"session {session_id} was interrupted when the server stopped;"
                " resume it (or end it) first",
                code="session_interrupted",
            )
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
            # the class's projector link shows the session started last, until the teacher
            # puts another one on it
            db.execute("UPDATE classes SET live_session = ? WHERE id = ?", (session_id, class_id))
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

    def end_session(self, session_id: int, *, now: float, reason: str = "teacher") -> list[Event]:
        """End a running or interrupted session (``reason``: "teacher" or "idle")."""
        events: list[Event] = []
        with self.transaction() as db:
            self._running(db, session_id, interrupted=True)
            current = self._current(db, session_id)
            events += self._close_open(db, session_id, current, now)
            db.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", (now, session_id))
            events.append(self.append(db, session_id, SessionEnded(reason), now))
        return events

    def interrupt_running(self, *, now: float) -> list[Event]:
        """Mark every running session interrupted (the server that ran them has stopped):
        a ``session.interrupted`` each. Answers and questions stay as they were."""
        with self.transaction() as db:
            ids = [
                int(r[0])
                for r in db.execute(
                    "SELECT id FROM sessions WHERE ended_at IS NULL AND interrupted_at IS NULL"
                    " ORDER BY id"
                )
            ]
            events = []
            for session_id in ids:
                db.execute("UPDATE sessions SET interrupted_at = ? WHERE id = ?", (now, session_id))
                events.append(self.append(db, session_id, SessionInterrupted(), now))
        return events

    def resume_session(self, session_id: int, *, now: float) -> list[Event]:
        """Take an interrupted session up again where it stopped; nothing for a running one."""
        with self.transaction() as db:
            row = self._running(db, session_id, interrupted=True)
            if row["interrupted_at"] is None:
                return []
            db.execute("UPDATE sessions SET interrupted_at = NULL WHERE id = ?", (session_id,))
            return [self.append(db, session_id, SessionResumed(), now)]

    def set_display(self, session_id: int, *, show_names: bool, now: float) -> list[Event]:
        with self.transaction() as db:
            self._running(db, session_id, interrupted=True)
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
