"""What reports, exports and grouping suggestions read: plain rows, many sessions at a time.

The reading half of ``live.reports.report`` and the grouping suggestions' evidence. Every method
returns rows as dicts (JSON lists still encoded) and raises nothing for unknown ids: the caller
decides what an empty answer means.
"""

from __future__ import annotations

from collections.abc import Sequence

from live.store.database import Database, Row

__all__ = ["ReportRecords"]

_SESSION_COLS = "s.id, s.class_id, c.name AS class_name, s.set_id, s.started_at, s.ended_at"


def _marks(n: int) -> str:
    return ",".join("?" * n)


class ReportRecords(Database):
    """Rows for reports, exports and grouping suggestions."""

    # -- which sessions ---------------------------------------------------------------------

    def report_session(self, session_id: int) -> list[Row]:
        """The session (id, class_id, class_name, set_id, started_at, ended_at), or []."""
        return self._all(
            f"SELECT {_SESSION_COLS} FROM sessions s JOIN classes c ON c.id = s.class_id"
            " WHERE s.id = ?",
            (session_id,),
        )

    def report_class(self, class_id: int) -> Row | None:
        return self._one("SELECT id, name FROM classes WHERE id = ?", (class_id,))

    def report_class_sessions(self, class_id: int, start: float, end: float) -> list[Row]:
        """The class's sessions started in [start, end), oldest first."""
        return self._all(
            f"SELECT {_SESSION_COLS} FROM sessions s JOIN classes c ON c.id = s.class_id"
            " WHERE s.class_id = ? AND s.started_at >= ? AND s.started_at < ?"
            " ORDER BY s.started_at, s.id",
            (class_id, max(start, -1e18), min(end, 1e18)),
        )

    def report_set(self, set_id: int) -> Row | None:
        return self._one("SELECT id, name FROM question_sets WHERE id = ?", (set_id,))

    def report_set_sessions(self, set_id: int) -> list[Row]:
        """Every session run with question set ``set_id``, oldest first."""
        return self._all(
            f"SELECT {_SESSION_COLS} FROM sessions s JOIN classes c ON c.id = s.class_id"
            " WHERE s.set_id = ? ORDER BY s.started_at, s.id",
            (set_id,),
        )

    # -- what happened in them -------------------------------------------------------------
    # sessions are few (a year is ~200); an IN list keeps one statement per table

    def report_asked(self, session_ids: Sequence[int]) -> list[Row]:
        """Asked questions of the sessions with their prompt, choices and skills (JSON)."""
        if not session_ids:
            return []
        return self._all(
            "SELECT a.id, a.session_id, a.number, a.question_id, a.correct, a.opened_at,"
            " q.prompt, q.choices, q.skills FROM asked a JOIN questions q ON q.id = a.question_id"
            f" WHERE a.session_id IN ({_marks(len(session_ids))})",
            list(session_ids),
        )

    def report_responses(self, session_ids: Sequence[int]) -> list[Row]:
        """Responses of the sessions: asked_id, student_id, answer, card, source, first_at,
        updated_at, changes; in session, question and arrival order."""
        if not session_ids:
            return []
        return self._all(
            "SELECT r.asked_id, r.student_id, r.answer, r.card, r.source, r.first_at,"
            " r.updated_at, r.changes FROM responses r JOIN asked a ON a.id = r.asked_id"
            f" WHERE a.session_id IN ({_marks(len(session_ids))})"
            " ORDER BY a.session_id, a.number, r.first_at, r.student_id",
            list(session_ids),
        )

    def report_groups(self, class_ids: Sequence[int]) -> list[Row]:
        return self._all(
            "SELECT g.id, g.class_id, g.name, g.colour, g.goal, g.skill,"
            " g.archived_at IS NOT NULL AS archived FROM groups g"
            f" WHERE g.class_id IN ({_marks(len(class_ids))}) ORDER BY g.class_id, g.id",
            list(class_ids),
        )

    def report_stays(self, class_ids: Sequence[int]) -> list[Row]:
        """Group membership history: class_id, group_id, student_id, joined_at, left_at."""
        return self._all(
            "SELECT g.class_id, m.group_id, m.student_id, m.joined_at, m.left_at"
            " FROM group_members m JOIN groups g ON g.id = m.group_id"
            f" WHERE g.class_id IN ({_marks(len(class_ids))}) ORDER BY m.id",
            list(class_ids),
        )

    def report_students(self, class_ids: Sequence[int]) -> list[Row]:
        """Students (archived ones too) by card, then name."""
        return self._all(
            "SELECT id, class_id, name, card, active FROM students"
            f" WHERE class_id IN ({_marks(len(class_ids))}) ORDER BY card IS NULL, card, name, id",
            list(class_ids),
        )

    def report_goals(self, group_ids: Sequence[int]) -> list[Row]:
        if not group_ids:
            return []
        return self._all(
            "SELECT id, group_id, text, skill, set_at, achieved_at FROM goals"
            f" WHERE group_id IN ({_marks(len(group_ids))}) ORDER BY set_at, id",
            list(group_ids),
        )

    def report_flags(
        self,
        class_ids: Sequence[int],
        session_ids: Sequence[int],
        *,
        between: tuple[float, float] | None = None,
    ) -> list[Row]:
        """Flags of the sessions, and with ``between`` also those raised in that time span."""
        lo, hi = between or (0.0, 0.0)
        sm = _marks(len(session_ids)) if session_ids else "NULL"
        return self._all(
            "SELECT id, session_id, group_id, student_id, rule, severity, message, raised_at,"
            f" resolved_at, resolution FROM flags WHERE class_id IN ({_marks(len(class_ids))})"
            f" AND (session_id IN ({sm}) OR (? AND raised_at BETWEEN ? AND ?))"
            " ORDER BY raised_at, id",
            [*class_ids, *session_ids, between is not None, lo, hi],
        )

    def report_checkins(
        self,
        class_ids: Sequence[int],
        session_ids: Sequence[int],
        *,
        between: tuple[float, float] | None = None,
    ) -> list[Row]:
        """Check-ins of the sessions, and with ``between`` also those started in that span."""
        lo, hi = between or (0.0, 0.0)
        sm = _marks(len(session_ids)) if session_ids else "NULL"
        return self._all(
            "SELECT id, group_id, session_id, started_at, ended_at, note, goal, next_step"
            f" FROM checkins WHERE class_id IN ({_marks(len(class_ids))})"
            f" AND (session_id IN ({sm}) OR (? AND started_at BETWEEN ? AND ?))"
            " ORDER BY started_at, id",
            [*class_ids, *session_ids, between is not None, lo, hi],
        )

    # -- grouping suggestions --------------------------------------------------------------

    def graded_answers(self, class_id: int, *, last_sessions: int | None = None) -> list[Row]:
        """Every answer of the class to a question with a key (student_id, question_id,
        correct, answer, skills and choices as JSON), oldest first; with ``last_sessions``,
        only from the class's newest N sessions."""
        return self._all(
            "SELECT r.student_id, a.question_id, a.correct, r.answer, q.skills, q.choices"
            " FROM responses r JOIN asked a ON a.id = r.asked_id"
            " JOIN questions q ON q.id = a.question_id JOIN sessions s ON s.id = a.session_id"
            " WHERE s.class_id = ? AND a.correct IS NOT NULL"
            " AND (? IS NULL OR s.id IN (SELECT id FROM sessions WHERE class_id = ?"
            "  ORDER BY started_at DESC, id DESC LIMIT ?))"
            " ORDER BY s.started_at, a.number",
            (class_id, last_sessions, class_id, last_sessions or 0),
        )
