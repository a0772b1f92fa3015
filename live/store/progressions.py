"""Skill progressions in the store: named, ordered steps shared by every class, the step a
question measures, the teacher's placements of students on steps, and the step a group's goal is.

A step keeps its id while its progression is edited (reordered, renamed), so the questions,
placements and goals that point at it follow it. A step that something points at cannot be
removed (``Conflict``); a progression in use is archived instead of deleted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from live.errors import BadRequest, Conflict, NotFound
from live.store.database import Database, Row
from live.store.tables import (
    asked,
    goal_steps,
    goals,
    groups,
    placements,
    progression_steps,
    progressions,
    question_steps,
    questions,
    responses,
    sessions,
    students,
)

__all__ = ["PLACEMENT_KINDS", "ProgressionRecords"]

PLACEMENT_KINDS = ("confirmed", "observed", "conference")
"""What the teacher's word on a student's step rests on: the estimate confirmed, something seen
in class, a one-to-one conference."""

_p = progressions.c
_s = progression_steps.c
_PROGRESSION = select(_p.id, _p.name, _p.subject, _p.description, _p.created_at, _p.archived_at)
_STEP = select(_s.id, _s.progression_id, _s.position, _s.name, _s.description, _s.prompts)


def _step(row: Row) -> Row:
    row["prompts"] = json.loads(row["prompts"])
    return row


class ProgressionRecords(Database):
    """Progressions and their steps, question steps, placements and goal steps."""

    # -- progressions ----------------------------------------------------------------------

    def get_progression(self, progression_id: int) -> Row:
        """The progression with its ``steps`` in order; ``NotFound``."""
        row = self._one(_PROGRESSION.where(_p.id == progression_id))
        if row is None:
            raise NotFound(f"no progression {progression_id}")
        row["archived"] = row.pop("archived_at") is not None
        used = (
            select(func.count())
            .select_from(question_steps)
            .where(question_steps.c.step_id == _s.id)
            .scalar_subquery()
            .label("questions")
        )
        row["steps"] = [
            _step(r)
            for r in self._all(
                _STEP.add_columns(used)
                .where(_s.progression_id == progression_id)
                .order_by(_s.position)
            )
        ]
        return row

    def list_progressions(self, *, include_archived: bool = False) -> list[Row]:
        query = select(_p.id).order_by(_p.name, _p.id)
        if not include_archived:
            query = query.where(_p.archived_at.is_(None))
        return [self.get_progression(r["id"]) for r in self._all(query)]

    def create_progression(
        self,
        name: str,
        steps: Sequence[Mapping[str, Any]],
        *,
        subject: str = "",
        description: str = "",
        now: float,
    ) -> Row:
        """A new progression with ``steps`` (each ``name``, ``description``, ``prompts``), in
        order, in one transaction."""
        with self.transaction() as db:
            progression_id = int(
                db.execute(
                    insert(progressions)
                    .values(name=name, subject=subject, description=description, created_at=now)
                    .returning(_p.id)
                ).scalar_one()
            )
            self._write_steps(db, progression_id, steps)
        return self.get_progression(progression_id)

    def update_progression(
        self,
        progression_id: int,
        *,
        now: float,
        name: str | None = None,
        subject: str | None = None,
        description: str | None = None,
        archived: bool | None = None,
        steps: Sequence[Mapping[str, Any]] | None = None,
    ) -> Row:
        """Change the fields given. ``steps`` is the whole new list, in order: a step with the
        ``id`` of one of this progression's steps keeps it (and what points at it); a step left
        out is removed, a ``Conflict`` when a question, placement or goal points at it."""
        self.get_progression(progression_id)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if subject is not None:
            changes["subject"] = subject
        if description is not None:
            changes["description"] = description
        if archived is not None:
            changes["archived_at"] = now if archived else None
        with self.transaction() as db:
            if changes:
                db.execute(update(progressions).where(_p.id == progression_id).values(**changes))
            if steps is not None:
                self._write_steps(db, progression_id, steps)
        return self.get_progression(progression_id)

    def delete_progression(self, progression_id: int, *, now: float) -> bool:
        """Delete a progression nothing points at; archive one in use. True when deleted."""
        row = self.get_progression(progression_id)
        with self.transaction() as db:
            ids = [s["id"] for s in row["steps"]]
            if ids and self._steps_in_use(db, ids):
                db.execute(
                    update(progressions).where(_p.id == progression_id).values(archived_at=now)
                )
                return False
            db.execute(delete(progressions).where(_p.id == progression_id))
            return True

    def _steps_in_use(self, db: Connection, ids: Sequence[int]) -> dict[int, str]:
        """Of ``ids``, the steps something points at, each with what does."""
        found: dict[int, str] = {}
        for table, what in (
            (question_steps, "a question measures it"),
            (placements, "a student is placed on it"),
            (goal_steps, "a group's goal is it"),
        ):
            for step_id in db.execute(
                select(table.c.step_id).where(table.c.step_id.in_(ids)).distinct()
            ).scalars():
                found.setdefault(int(step_id), what)
        return found

    def _write_steps(
        self, db: Connection, progression_id: int, steps: Sequence[Mapping[str, Any]]
    ) -> None:
        existing = {
            int(r["id"]): r
            for r in db.execute(
                select(_s.id, _s.name).where(_s.progression_id == progression_id)
            ).mappings()
        }
        kept = [int(s["id"]) for s in steps if s.get("id") is not None]
        if len(set(kept)) != len(kept):
            raise BadRequest("a step id is listed twice")
        for step_id in kept:
            if step_id not in existing:
                raise NotFound(f"no step {step_id} in progression {progression_id}")
        gone = [i for i in existing if i not in kept]
        if gone:
            used = self._steps_in_use(db, gone)
            if used:
                step_id, why = next(iter(sorted(used.items())))
                raise Conflict(
                    f"step {existing[step_id]['name']!r} cannot be removed: {why}",
                    code="step_in_use",
                )
            db.execute(delete(progression_steps).where(_s.id.in_(gone)))
        # move the kept steps out of the way of the unique positions first
        for step_id in kept:
            db.execute(
                update(progression_steps)
                .where(_s.id == step_id)
                .values(position=_s.position + 100_000)
            )
        for position, step in enumerate(steps, start=1):
            values = {
                "position": position,
                "name": step["name"],
                "description": step.get("description", ""),
                "prompts": json.dumps(list(step.get("prompts", []))),
            }
            if step.get("id") is not None:
                db.execute(
                    update(progression_steps).where(_s.id == int(step["id"])).values(**values)
                )
            else:
                db.execute(
                    insert(progression_steps).values(progression_id=progression_id, **values)
                )

    def get_step(self, step_id: int) -> Row:
        """One step with its progression's id and name; ``NotFound``."""
        row = self._one(
            _STEP.add_columns(_p.name.label("progression"))
            .join(progressions, _p.id == _s.progression_id)
            .where(_s.id == step_id)
        )
        if row is None:
            raise NotFound(f"no step {step_id}")
        return _step(row)

    # -- the step a question measures ------------------------------------------------------

    def question_step(self, question_id: int) -> int | None:
        row = self._one(
            select(question_steps.c.step_id).where(question_steps.c.question_id == question_id)
        )
        return None if row is None else int(row["step_id"])

    def set_question_step(self, question_id: int, step_id: int | None) -> None:
        """Make ``question_id`` measure ``step_id`` (None: no step). ``NotFound`` for either."""
        if self._one(select(questions.c.id).where(questions.c.id == question_id)) is None:
            raise NotFound(f"no question {question_id}")
        if step_id is not None:
            self.get_step(step_id)
        with self.transaction() as db:
            db.execute(delete(question_steps).where(question_steps.c.question_id == question_id))
            if step_id is not None:
                db.execute(insert(question_steps).values(question_id=question_id, step_id=step_id))

    def step_skills(self) -> dict[int, str]:
        """Every step as the rule engine names it, a skill of its own: step id ->
        ``Adding fractions, step 2``."""
        return {
            int(r["id"]): f"{r['progression']}, step {r['position']}"
            for r in self._all(
                select(_s.id, _s.position, _p.name.label("progression")).join(
                    progressions, _p.id == _s.progression_id
                )
            )
        }

    def question_steps(self) -> dict[int, int]:
        """Every question that measures a step: question id -> step id."""
        qs = question_steps.c
        return {
            int(r["question_id"]): int(r["step_id"])
            for r in self._all(select(qs.question_id, qs.step_id))
        }

    # -- answers on steps ------------------------------------------------------------------

    def step_answers(self, class_id: int, progression_id: int) -> list[Row]:
        """Each student's latest answer to each asked question with a key that measures a step
        of the progression, in the class's sessions, oldest first: ``student_id``, ``step_id``,
        ``session_id``, ``asked_id``, ``right`` and ``at``."""
        a, r, qs = asked.c, responses.c, question_steps.c
        rows = self._all(
            select(
                r.student_id,
                qs.step_id,
                a.session_id,
                a.id.label("asked_id"),
                r.answer,
                a.correct,
                r.updated_at.label("at"),
            )
            .select_from(responses)
            .join(asked, a.id == r.asked_id)
            .join(sessions, sessions.c.id == a.session_id)
            .join(question_steps, qs.question_id == a.question_id)
            .join(progression_steps, _s.id == qs.step_id)
            .where(
                sessions.c.class_id == class_id,
                _s.progression_id == progression_id,
                a.correct.is_not(None),
            )
            .order_by(r.updated_at, a.id, r.student_id)
        )
        for row in rows:
            row["right"] = row.pop("answer") == row.pop("correct")
        return rows

    def progressions_of_class(self, class_id: int) -> list[int]:
        """The progressions whose steps the class has answered questions on, by id."""
        a, qs = asked.c, question_steps.c
        return [
            int(r["progression_id"])
            for r in self._all(
                select(_s.progression_id)
                .select_from(asked)
                .join(sessions, sessions.c.id == a.session_id)
                .join(question_steps, qs.question_id == a.question_id)
                .join(progression_steps, _s.id == qs.step_id)
                .where(sessions.c.class_id == class_id)
                .distinct()
                .order_by(_s.progression_id)
            )
        ]

    # -- placements ------------------------------------------------------------------------

    def add_placement(
        self,
        student_id: int,
        progression_id: int,
        step_id: int | None,
        *,
        kind: str,
        note: str = "",
        now: float,
    ) -> Row:
        """The teacher places a student on ``step_id`` of the progression (None: not yet on
        its first step). ``NotFound`` for the student, progression or a step of another one."""
        if kind not in PLACEMENT_KINDS:
            raise BadRequest(f"kind must be one of {', '.join(PLACEMENT_KINDS)}")
        if self._one(select(students.c.id).where(students.c.id == student_id)) is None:
            raise NotFound(f"no student {student_id}")
        progression = self.get_progression(progression_id)
        if step_id is not None and step_id not in {s["id"] for s in progression["steps"]}:
            raise NotFound(f"no step {step_id} in progression {progression_id}")
        with self.transaction() as db:
            placement_id = db.execute(
                insert(placements)
                .values(
                    student_id=student_id,
                    progression_id=progression_id,
                    step_id=step_id,
                    kind=kind,
                    note=note,
                    at=now,
                )
                .returning(placements.c.id)
            ).scalar_one()
        [row] = self._all(self._placements().where(placements.c.id == placement_id))
        return row

    @staticmethod
    def _placements() -> Any:
        pl = placements.c
        return select(
            pl.id, pl.student_id, pl.progression_id, pl.step_id, pl.kind, pl.note, pl.at
        ).order_by(pl.at, pl.id)

    def placements(
        self,
        *,
        student_id: int | None = None,
        class_id: int | None = None,
        progression_id: int | None = None,
    ) -> list[Row]:
        """The teacher's placements, oldest first, of a student or of a class's students."""
        pl = placements.c
        query = self._placements()
        if student_id is not None:
            query = query.where(pl.student_id == student_id)
        if class_id is not None:
            query = query.join(students, students.c.id == pl.student_id).where(
                students.c.class_id == class_id
            )
        if progression_id is not None:
            query = query.where(pl.progression_id == progression_id)
        return list(self._all(query))

    # -- goals that are steps --------------------------------------------------------------

    def set_goal_step(self, group_id: int, step_id: int, *, now: float) -> Row:
        """Make ``step_id`` the group's new goal: its name becomes the goal's text, the goal's
        history gains a row pointing at the step. ``NotFound`` for either."""
        step = self.get_step(step_id)
        g = groups.c
        group = self._one(select(g.id, g.archived_at).where(g.id == group_id))
        if group is None:
            raise NotFound(f"no group {group_id}")
        if group["archived_at"] is not None:
            raise Conflict(f"group {group_id} is archived")
        text = f"Step {step['position']}: {step['name']}"[:500]
        with self.transaction() as db:
            db.execute(update(groups).where(g.id == group_id).values(goal=text))
            goal_id = db.execute(
                insert(goals)
                .values(group_id=group_id, text=text, skill=None, set_at=now)
                .returning(goals.c.id)
            ).scalar_one()
            db.execute(insert(goal_steps).values(goal_id=goal_id, step_id=step_id))
        return self.goal_step(group_id) or {}

    def goal_step(self, group_id: int) -> Row | None:
        """The group's current goal when it is a step: ``goal_id``, ``step_id``, ``set_at``,
        ``achieved_at``; None when its newest goal is not a step (or it has none)."""
        gl = goals.c
        newest = self._one(
            select(gl.id, gl.set_at, gl.achieved_at)
            .where(gl.group_id == group_id)
            .order_by(gl.set_at.desc(), gl.id.desc())
            .limit(1)
        )
        if newest is None:
            return None
        step = self._one(select(goal_steps.c.step_id).where(goal_steps.c.goal_id == newest["id"]))
        if step is None:
            return None
        return {
            "goal_id": newest["id"],
            "step_id": step["step_id"],
            "set_at": newest["set_at"],
            "achieved_at": newest["achieved_at"],
        }

    def goal_steps_of_class(self, class_id: int) -> dict[int, Row]:
        """Every active group of the class whose current goal is a step: group id -> as
        ``goal_step``."""
        found: dict[int, Row] = {}
        ids = select(groups.c.id).where(
            and_(groups.c.class_id == class_id, groups.c.archived_at.is_(None))
        )
        for r in self._all(ids):
            goal = self.goal_step(int(r["id"]))
            if goal is not None:
                found[int(r["id"])] = goal
        return found

    def achieve_goal(self, group_id: int, *, now: float) -> Row:
        """Mark the group's current step goal reached (the teacher acknowledged it).
        ``NotFound`` when its goal is not a step; ``Conflict`` when already reached."""
        goal = self.goal_step(group_id)
        if goal is None:
            raise NotFound(f"group {group_id} has no step as its goal")
        if goal["achieved_at"] is not None:
            raise Conflict("this goal was already acknowledged", code="goal_reached")
        with self.transaction() as db:
            db.execute(update(goals).where(goals.c.id == goal["goal_id"]).values(achieved_at=now))
        return self.goal_step(group_id) or {}
