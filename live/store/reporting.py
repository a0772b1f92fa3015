"""What reports, exports and grouping suggestions read: plain rows, many sessions at a time.

The reading half of ``live.reports.report`` and the grouping suggestions' evidence. Every method
returns rows as dicts (JSON lists still encoded) and raises nothing for unknown ids: the caller
decides what an empty answer means.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, select

from live.store.database import Database, Row
from live.store.tables import (
    asked,
    checkins,
    classes,
    flags,
    goals,
    group_members,
    groups,
    question_sets,
    questions,
    responses,
    sessions,
    students,
)

__all__ = ["ReportRecords"]

_s = sessions.c
_SESSIONS: Select[tuple[int, int, str, int | None, float, float | None]] = select(
    _s.id, _s.class_id, classes.c.name.label("class_name"), _s.set_id, _s.started_at, _s.ended_at
).join(classes, classes.c.id == _s.class_id)


class ReportRecords(Database):
    """Rows for reports, exports and grouping suggestions."""

    # -- which sessions ---------------------------------------------------------------------

    def report_session(self, session_id: int) -> list[Row]:
        """The session (id, class_id, class_name, set_id, started_at, ended_at), or []."""
        return self._all(_SESSIONS.where(_s.id == session_id))

    def report_class(self, class_id: int) -> Row | None:
        return self._one(select(classes.c.id, classes.c.name).where(classes.c.id == class_id))

    def report_class_sessions(self, class_id: int, start: float, end: float) -> list[Row]:
        """The class's sessions started in [start, end), oldest first."""
        return self._all(
            _SESSIONS.where(
                _s.class_id == class_id,
                _s.started_at >= max(start, -1e18),
                _s.started_at < min(end, 1e18),
            ).order_by(_s.started_at, _s.id)
        )

    def report_set(self, set_id: int) -> Row | None:
        qs = question_sets.c
        return self._one(select(qs.id, qs.name).where(qs.id == set_id))

    def report_set_sessions(self, set_id: int) -> list[Row]:
        """Every session run with question set ``set_id``, oldest first."""
        return self._all(_SESSIONS.where(_s.set_id == set_id).order_by(_s.started_at, _s.id))

    # -- what happened in them -------------------------------------------------------------
    # sessions are few (a year is ~200); an IN list keeps one statement per table

    def report_asked(self, session_ids: Sequence[int]) -> list[Row]:
        """Asked questions of the sessions with their prompt, choices and skills (JSON)."""
        if not session_ids:
            return []
        a, q = asked.c, questions.c
        return self._all(
            select(
                a.id,
                a.session_id,
                a.number,
                a.question_id,
                a.correct,
                a.opened_at,
                q.prompt,
                q.choices,
                q.skills,
            )
            .join(questions, q.id == a.question_id)
            .where(a.session_id.in_(session_ids))
        )

    def report_responses(self, session_ids: Sequence[int]) -> list[Row]:
        """Responses of the sessions: asked_id, student_id, answer, card, source, first_at,
        updated_at, changes, late (last changed after the answer was revealed: a late
        correction); in session, question and arrival order."""
        if not session_ids:
            return []
        r, a = responses.c, asked.c
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
                and_(a.revealed_at.is_not(None), r.updated_at > a.revealed_at).label("late"),
            )
            .join(asked, a.id == r.asked_id)
            .where(a.session_id.in_(session_ids))
            .order_by(a.session_id, a.number, r.first_at, r.student_id)
        )

    def report_groups(self, class_ids: Sequence[int]) -> list[Row]:
        g = groups.c
        rows = self._all(
            select(g.id, g.class_id, g.name, g.colour, g.goal, g.skill, g.archived_at)
            .where(g.class_id.in_(class_ids))
            .order_by(g.class_id, g.id)
        )
        for row in rows:
            row["archived"] = int(row.pop("archived_at") is not None)
        return rows

    def report_stays(self, class_ids: Sequence[int]) -> list[Row]:
        """Group membership history: class_id, group_id, student_id, joined_at, left_at."""
        m, g = group_members.c, groups.c
        return self._all(
            select(g.class_id, m.group_id, m.student_id, m.joined_at, m.left_at)
            .join(groups, g.id == m.group_id)
            .where(g.class_id.in_(class_ids))
            .order_by(m.id)
        )

    def report_students(self, class_ids: Sequence[int]) -> list[Row]:
        """Students (archived ones too) by card, then name; ``created_at`` is when they joined
        the roster, ``left_at`` when they left it (archived), ``school_id`` the school's ID."""
        st = students.c
        return self._all(
            select(
                st.id,
                st.class_id,
                st.name,
                st.card,
                st.active,
                st.created_at,
                st.left_at,
                st.school_id,
                st.email,
            )
            .where(st.class_id.in_(class_ids))
            .order_by(st.card.is_(None), st.card, st.name, st.id)
        )

    def report_goals(self, group_ids: Sequence[int]) -> list[Row]:
        if not group_ids:
            return []
        g = goals.c
        return self._all(
            select(g.id, g.group_id, g.text, g.skill, g.set_at, g.achieved_at)
            .where(g.group_id.in_(group_ids))
            .order_by(g.set_at, g.id)
        )

    def report_flags(
        self,
        class_ids: Sequence[int],
        session_ids: Sequence[int],
        *,
        between: tuple[float, float] | None = None,
    ) -> list[Row]:
        """Flags of the sessions, and with ``between`` also those raised in that time span."""
        f = flags.c
        which: ColumnElement[bool] = f.session_id.in_(session_ids)
        if between is not None:
            which = which | f.raised_at.between(*between)
        return self._all(
            select(
                f.id,
                f.session_id,
                f.group_id,
                f.student_id,
                f.rule,
                f.severity,
                f.message,
                f.raised_at,
                f.resolved_at,
                f.resolution,
            )
            .where(f.class_id.in_(class_ids), which)
            .order_by(f.raised_at, f.id)
        )

    def report_checkins(
        self,
        class_ids: Sequence[int],
        session_ids: Sequence[int],
        *,
        between: tuple[float, float] | None = None,
    ) -> list[Row]:
        """Check-ins of the sessions, and with ``between`` also those started in that span."""
        c = checkins.c
        which: ColumnElement[bool] = c.session_id.in_(session_ids)
        if between is not None:
            which = which | c.started_at.between(*between)
        return self._all(
            select(
                c.id,
                c.group_id,
                c.session_id,
                c.started_at,
                c.ended_at,
                c.note,
                c.goal,
                c.next_step,
            )
            .where(c.class_id.in_(class_ids), which)
            .order_by(c.started_at, c.id)
        )

    # -- grouping suggestions --------------------------------------------------------------

    def graded_answers(self, class_id: int, *, last_sessions: int | None = None) -> list[Row]:
        """Every answer of the class to a question with a key (student_id, question_id,
        correct, answer, skills and choices as JSON), oldest first; with ``last_sessions``,
        only from the class's newest N sessions."""
        r, a, q = responses.c, asked.c, questions.c
        query = (
            select(r.student_id, a.question_id, a.correct, r.answer, q.skills, q.choices)
            .select_from(responses)
            .join(asked, a.id == r.asked_id)
            .join(questions, q.id == a.question_id)
            .join(sessions, _s.id == a.session_id)
            .where(_s.class_id == class_id, a.correct.is_not(None))
            .order_by(_s.started_at, a.number)
        )
        if last_sessions is not None:
            newest = (
                select(_s.id)
                .where(_s.class_id == class_id)
                .order_by(_s.started_at.desc(), _s.id.desc())
                .limit(last_sessions)
            )
            # a LIMIT inside IN: PostgreSQL takes it as is, SQLite too; wrap once for both
            query = query.where(_s.id.in_(select(newest.subquery().c.id)))
        return self._all(query)
