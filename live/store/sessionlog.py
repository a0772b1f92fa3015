"""Sessions in the store: the commands that change them and the event log they append to.

Each command is one transaction that changes its rows and appends its events to ``events``
with the session's next seq, so what a dashboard is told is always already stored, and seq
rises by one per session with no gaps: the counter is the session's row, which each command
locks first (``lock_session``), so of many workers writing to one session at once each takes
the next number in turn and a rolled-back command gives its number back. The decisions (may this answer count? did it change?)
are the pure ``live.session`` rules.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, case, func, insert, select, update

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
from live.store.tables import (
    asked,
    checkins,
    classes,
    events,
    flags,
    questions,
    response_history,
    responses,
    sessions,
    students,
)

__all__ = ["SessionRecords"]


def _status_of(row: Row) -> str:
    if row["ended_at"] is not None:
        return "ended"
    return "interrupted" if row["interrupted_at"] is not None else "running"


def _is_live() -> ColumnElement[int]:
    """1 when the session (``sessions`` in the query) is its class's live session, else 0."""
    return case((classes.c.live_session == sessions.c.id, 1), else_=0).label("live")


class SessionRecords(ClassroomRecords, LibraryRecords):
    """Sessions, asked questions, responses, flags, check-ins and the event log."""

    # -- sessions: reads -------------------------------------------------------------------

    def get_session(self, session_id: int) -> Row:
        """The session with its ``class_name``, ``status`` (``running``, ``interrupted`` or
        ``ended``) and ``live`` (whether it is its class's live session)."""
        s = sessions.c
        row = self._one(
            select(
                s.id,
                s.class_id,
                s.set_id,
                s.started_at,
                s.ended_at,
                s.interrupted_at,
                s.show_names,
                s.seq,
                classes.c.name.label("class_name"),
                _is_live(),
            )
            .join(classes, classes.c.id == s.class_id)
            .where(s.id == session_id)
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
        s, a, n, q = sessions.c, asked.c, asked.alias("n").c, questions.c
        newest = (
            select(n.id)
            .where(n.session_id == s.id)
            .order_by(n.number.desc())
            .limit(1)
            .correlate(sessions)
            .scalar_subquery()
        )
        rows = self._all(
            select(
                s.id,
                s.class_id,
                classes.c.name.label("class_name"),
                s.started_at,
                s.ended_at,
                s.interrupted_at,
                _is_live(),
                a.number,
                a.closed_at,
                a.revealed_at,
                q.prompt,
            )
            .select_from(
                sessions.join(classes, classes.c.id == s.class_id)
                .outerjoin(asked, a.id == newest)
                .outerjoin(questions, q.id == a.question_id)
            )
            .where(s.ended_at.is_(None))
            .order_by(s.started_at, s.id)
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
        s, e = sessions.c, events.c
        last = (
            select(func.max(e.at))
            .where(
                e.session_id == s.id,
                e.type.not_like("flag.%"),
                e.type != "session.interrupted",
            )
            .scalar_subquery()
        )
        rows = self._all(
            select(s.id)
            .where(s.ended_at.is_(None), func.coalesce(last, s.started_at) < before)
            .order_by(s.id)
        )
        return [int(r["id"]) for r in rows]

    def live_session(self, class_id: int) -> Row:
        """The class's live session, the one its projector link shows: ``class_id``,
        ``class_name``, ``session`` (an id, or None)."""
        c = classes.c
        cls = self._one(select(c.id, c.name, c.live_session).where(c.id == class_id))
        if cls is None:
            raise NotFound(f"no class {class_id}")
        return {"class_id": cls["id"], "class_name": cls["name"], "session": cls["live_session"]}

    def set_live_session(self, class_id: int, session_id: int | None) -> Row:
        """Make ``session_id`` (a session of the class not ended) its class's live session, or
        clear it with None. ``NotFound``, or ``Conflict`` for an ended session."""
        with self.transaction() as db:
            if db.execute(select(classes.c.id).where(classes.c.id == class_id)).first() is None:
                raise NotFound(f"no class {class_id}")
            if session_id is not None:
                row = self.lock_session(db, session_id)
                if row is None or row["class_id"] != class_id:
                    raise NotFound(f"no session {session_id} of class {class_id}")
                if row["ended_at"] is not None:
                    raise Conflict(f"session {session_id} has ended", code="session_ended")
            db.execute(
                update(classes).where(classes.c.id == class_id).values(live_session=session_id)
            )
        return self.live_session(class_id)

    def list_sessions(self, *, class_id: int | None = None) -> list[Row]:
        """Sessions newest first, each with ``asked``: the questions asked in it (its score is
        ``live.reports.report.read_session_scores``)."""
        query = select(sessions.c.id).order_by(sessions.c.started_at.desc(), sessions.c.id.desc())
        if class_id is not None:
            query = query.where(sessions.c.class_id == class_id)
        out = []
        for found in self._all(query):
            row = self.get_session(found["id"])
            count = self._one(
                select(func.count().label("n")).where(asked.c.session_id == row["id"])
            )
            row["asked"] = int(count["n"]) if count else 0
            out.append(row)
        return out

    def asked_rows(self, session_id: int) -> list[Row]:
        a = asked.c
        return self._all(
            select(
                a.id,
                a.session_id,
                a.question_id,
                a.number,
                a.correct,
                a.opened_at,
                a.closed_at,
                a.revealed_at,
            )
            .where(a.session_id == session_id)
            .order_by(a.number)
        )

    def responses(self, asked_id: int) -> list[Row]:
        r = responses.c
        return self._all(
            select(
                r.asked_id,
                r.student_id,
                r.answer,
                r.card,
                r.source,
                r.first_at,
                r.updated_at,
                r.changes,
            )
            .where(r.asked_id == asked_id)
            .order_by(r.first_at)
        )

    def response_history(self, asked_id: int) -> list[Row]:
        h = response_history.c
        return self._all(
            select(h.asked_id, h.student_id, h.answer, h.previous, h.source, h.at)
            .where(h.asked_id == asked_id)
            .order_by(h.id)
        )

    def session_data(self, session_id: int) -> rules_of_session.SessionData:
        """Everything a snapshot of the session is made from, read in one consistent view."""
        with self.snapshot():
            session = self.get_session(session_id)
            asked_rows = self.asked_rows(session_id)
            questions = {a["question_id"]: self.get_question(a["question_id"]) for a in asked_rows}
            answers = {a["id"]: self.responses(a["id"]) for a in asked_rows}
            class_students = self.list_students(session["class_id"])
            class_groups = self.list_groups(session["class_id"])
            open_flags = self.flags(session_id=session_id, open_only=True)
            question_set = self.get_set(session["set_id"]) if session["set_id"] else None
            e = events.c
            scanner_log = self._all(
                select(e.type, e.data)
                .where(
                    e.session_id == session_id,
                    e.type.like("scanner.%") | (e.type == "session.interrupted"),
                )
                .order_by(e.seq)
            )
        return rules_of_session.SessionData(
            session=session,
            asked=asked_rows,
            questions=questions,
            responses=answers,
            students=class_students,
            groups=class_groups,
            flags=open_flags,
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
        s, a, n = sessions.c, asked.c, asked.alias("n").c
        newest = (
            select(n.id)
            .where(n.session_id == s.id)
            .order_by(n.number.desc())
            .limit(1)
            .correlate(sessions)
            .scalar_subquery()
        )
        row = self._one(
            select(
                s.class_id,
                classes.c.name.label("class_name"),
                s.ended_at,
                s.interrupted_at,
                a.id.label("asked"),
                a.closed_at,
                a.revealed_at,
            )
            .select_from(
                sessions.join(classes, classes.c.id == s.class_id).outerjoin(asked, a.id == newest)
            )
            .where(s.id == session_id)
        )
        if row is None:
            raise NotFound(f"no session {session_id}")
        st = students.c
        holding = self._all(
            select(st.id, st.name, st.card).where(
                st.class_id == row["class_id"], st.active == 1, st.card.is_not(None)
            )
        )
        return row, holding

    def flags(
        self, *, session_id: int | None = None, class_id: int | None = None, open_only: bool = False
    ) -> list[Row]:
        f = flags.c
        query = select(
            f.id,
            f.session_id,
            f.class_id,
            f.group_id,
            f.student_id,
            f.rule,
            f.action,
            f.severity,
            f.message,
            f.evidence,
            f.raised_at,
            f.updated_at,
            f.resolved_at,
            f.resolution,
        ).order_by(f.id)
        if session_id is not None:
            query = query.where(f.session_id == session_id)
        if class_id is not None:
            query = query.where(f.class_id == class_id)
        if open_only:
            query = query.where(f.resolved_at.is_(None))
        rows = self._all(query)
        for r in rows:
            r["evidence"] = json.loads(r["evidence"])
        return rows

    def checkins(self, *, class_id: int | None = None, group_id: int | None = None) -> list[Row]:
        c = checkins.c
        query = select(
            c.id,
            c.class_id,
            c.group_id,
            c.session_id,
            c.started_at,
            c.ended_at,
            c.note,
            c.goal,
            c.next_step,
        ).order_by(c.started_at, c.id)
        if class_id is not None:
            query = query.where(c.class_id == class_id)
        if group_id is not None:
            query = query.where(c.group_id == group_id)
        return self._all(query)

    def events_since(self, session_id: int, since: int, *, limit: int = 10_000) -> list[Event]:
        """The session's committed events with ``seq > since``, in order."""
        e = events.c
        rows = self._all(
            select(e.session_id, e.seq, e.type, e.data, e.at)
            .where(e.session_id == session_id, e.seq > since)
            .order_by(e.seq)
            .limit(limit)
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

    def append(self, db: Connection, session_id: int, payload: Payload, now: float) -> Event:
        """Append one event to the session's log inside the caller's transaction."""
        seq = db.execute(
            update(sessions)
            .where(sessions.c.id == session_id)
            .values(seq=sessions.c.seq + 1)
            .returning(sessions.c.seq)
        ).scalar()
        if seq is None:
            raise NotFound(f"no session {session_id}")
        db.execute(
            insert(events).values(
                session_id=session_id,
                seq=seq,
                type=payload.type,
                data=json.dumps(payload.to_dict()),
                at=now,
            )
        )
        return Event(session=session_id, seq=seq, at=now, payload=payload)

    def _running(self, db: Connection, session_id: int, *, interrupted: bool = False) -> Row:
        """The session's row (``id``, ``class_id``, ``ended_at``, ``interrupted_at``), locked
        for the transaction, if it takes commands: ``NotFound``; ``Conflict`` when it has
        ended, or when it was interrupted (unless ``interrupted`` allows that)."""
        row = self.lock_session(db, session_id)
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
        return row

    def _current(self, db: Connection, session_id: int) -> Row | None:
        a = asked.c
        row = (
            db.execute(
                select(a.id, a.question_id, a.number, a.correct, a.closed_at, a.revealed_at)
                .where(a.session_id == session_id)
                .order_by(a.number.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        return None if row is None else dict(row)

    def _close_open(
        self, db: Connection, session_id: int, current: Row | None, now: float
    ) -> list[Event]:
        """Close ``current`` if it is open; the ``question.closed`` event, or nothing."""
        if current is None or current["closed_at"] is not None:
            return []
        db.execute(update(asked).where(asked.c.id == current["id"]).values(closed_at=now))
        return [self.append(db, session_id, QuestionClosed(current["id"]), now)]

    def start_session(
        self, class_id: int, *, set_id: int | None, now: float
    ) -> tuple[Row, list[Event]]:
        self.get_class(class_id)
        if set_id is not None:
            self.get_set(set_id)
        with self.transaction() as db:
            session_id = db.execute(
                insert(sessions)
                .values(class_id=class_id, set_id=set_id, started_at=now)
                .returning(sessions.c.id)
            ).scalar_one()
            # the class's projector link shows the session started last, until the teacher
            # puts another one on it
            db.execute(
                update(classes).where(classes.c.id == class_id).values(live_session=session_id)
            )
            started = [self.append(db, session_id, SessionStarted(class_id=class_id), now)]
        return self.get_session(session_id), started

    def ask(self, session_id: int, question_id: int, *, now: float) -> list[Event]:
        """Open ``question_id``; the question open before is closed first."""
        question = self.get_question(question_id)
        out: list[Event] = []
        with self.transaction() as db:
            self._running(db, session_id)
            current = self._current(db, session_id)
            out += self._close_open(db, session_id, current, now)
            number = 1 if current is None else int(current["number"]) + 1
            asked_id = db.execute(
                insert(asked)
                .values(
                    session_id=session_id,
                    question_id=question_id,
                    number=number,
                    correct=question["correct"],
                    opened_at=now,
                )
                .returning(asked.c.id)
            ).scalar_one()
            out.append(
                self.append(db, session_id, QuestionAsked(asked_id, question_id, number), now)
            )
        return out

    def close_question(self, session_id: int, *, now: float) -> list[Event]:
        with self.transaction() as db:
            self._running(db, session_id)
            current = self._current(db, session_id)
            if current is None:
                raise Conflict("no question has been asked yet", code="no_question")
            return self._close_open(db, session_id, current, now)

    def reopen(self, session_id: int, *, now: float) -> list[Event]:
        """Open the current question again, after close or after reveal (the chart is hidden
        again until the next reveal)."""
        with self.transaction() as db:
            self._running(db, session_id)
            current = self._current(db, session_id)
            if current is None:
                raise Conflict("no question has been asked yet", code="no_question")
            if current["closed_at"] is None and current["revealed_at"] is None:
                return []
            db.execute(
                update(asked)
                .where(asked.c.id == current["id"])
                .values(closed_at=None, revealed_at=None)
            )
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
        out: list[Event] = []
        with self.transaction() as db:
            self._running(db, session_id)
            current = self._current(db, session_id)
            if current is None:
                raise Conflict("no question has been asked yet", code="no_question")
            out += self._close_open(db, session_id, current, now)
            if current["revealed_at"] is None:
                db.execute(update(asked).where(asked.c.id == current["id"]).values(revealed_at=now))
                out.append(
                    self.append(
                        db, session_id, QuestionRevealed(current["id"], current["correct"]), now
                    )
                )
        return out

    def end_session(self, session_id: int, *, now: float, reason: str = "teacher") -> list[Event]:
        """End a running or interrupted session (``reason``: "teacher" or "idle")."""
        out: list[Event] = []
        with self.transaction() as db:
            self._running(db, session_id, interrupted=True)
            current = self._current(db, session_id)
            out += self._close_open(db, session_id, current, now)
            db.execute(update(sessions).where(sessions.c.id == session_id).values(ended_at=now))
            out.append(self.append(db, session_id, SessionEnded(reason), now))
        return out

    def interrupt_running(self, *, now: float) -> list[Event]:
        """Mark every running session interrupted (the server that ran them has stopped):
        a ``session.interrupted`` each. Answers and questions stay as they were."""
        s = sessions.c
        with self.transaction() as db:
            ids = db.execute(
                select(s.id)
                .where(s.ended_at.is_(None), s.interrupted_at.is_(None))
                .order_by(s.id)
                .with_for_update()
            ).scalars()
            out = []
            for session_id in list(ids):
                db.execute(update(sessions).where(s.id == session_id).values(interrupted_at=now))
                out.append(self.append(db, session_id, SessionInterrupted(), now))
        return out

    def resume_session(self, session_id: int, *, now: float) -> list[Event]:
        """Take an interrupted session up again where it stopped; nothing for a running one."""
        with self.transaction() as db:
            row = self._running(db, session_id, interrupted=True)
            if row["interrupted_at"] is None:
                return []
            db.execute(
                update(sessions).where(sessions.c.id == session_id).values(interrupted_at=None)
            )
            return [self.append(db, session_id, SessionResumed(), now)]

    def set_display(self, session_id: int, *, show_names: bool, now: float) -> list[Event]:
        with self.transaction() as db:
            self._running(db, session_id, interrupted=True)
            db.execute(
                update(sessions)
                .where(sessions.c.id == session_id)
                .values(show_names=int(show_names))
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
        st, r = students.c, responses.c
        with self.transaction() as db:
            session = self._running(db, session_id)
            student = (
                db.execute(
                    select(st.id, st.class_id, st.card).where(st.id == student_id, st.active == 1)
                )
                .mappings()
                .first()
            )
            if student is None or student["class_id"] != session["class_id"]:
                raise NotFound(f"no student {student_id} in this session's class")
            current = self._current(db, session_id)
            previous = (
                None
                if current is None
                else db.execute(
                    select(r.answer).where(r.asked_id == current["id"], r.student_id == student_id)
                ).scalar()
            )
            decision = rules_of_session.decide_response(
                asked=current,
                previous=None if previous is None else str(previous),
                student=student_id,
                card=card if card is not None else student["card"],
                answer=answer,
                source=source,
            )
            if decision is None:
                return []
            if decision.changed_from is None:
                db.execute(
                    insert(responses).values(
                        asked_id=decision.asked_id,
                        student_id=student_id,
                        answer=answer,
                        card=decision.card,
                        source=source,
                        first_at=now,
                        updated_at=now,
                    )
                )
            else:
                db.execute(
                    update(responses)
                    .where(r.asked_id == decision.asked_id, r.student_id == student_id)
                    .values(
                        answer=answer,
                        card=decision.card,
                        source=source,
                        updated_at=now,
                        changes=r.changes + 1,
                    )
                )
            db.execute(
                insert(response_history).values(
                    asked_id=decision.asked_id,
                    student_id=student_id,
                    answer=answer,
                    previous=decision.changed_from,
                    source=source,
                    at=now,
                )
            )
            return [self.append(db, session_id, decision, now)]

    def student_for_card(self, class_id: int, card: int) -> Row | None:
        st = students.c
        return self._one(
            select(st.id, st.name, st.card).where(
                st.class_id == class_id, st.card == card, st.active == 1
            )
        )

    def append_events(
        self, session_id: int, payloads: Sequence[Payload], *, now: float
    ) -> list[Event]:
        """Append events that change no other row (scanner connected, and the like)."""
        with self.transaction() as db:
            if self.lock_session(db, session_id) is None:
                raise NotFound(f"no session {session_id}")
            return [self.append(db, session_id, p, now) for p in payloads]
