"""The question library in the store: questions (2 to 4 choices, a key or none for a poll,
skill tags, an optional image) and ordered question sets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from live.errors import BadRequest, NotFound
from live.store.database import Database, Row
from live.store.tables import asked, question_set_items, question_sets, question_steps, questions

__all__ = ["LibraryRecords"]

_q = questions.c
_QUESTION = select(
    _q.id,
    _q.prompt,
    _q.choices,
    _q.correct,
    _q.skills,
    _q.image_type,
    _q.created_at,
    _q.archived_at,
    select(question_steps.c.step_id)
    .where(question_steps.c.question_id == _q.id)
    .scalar_subquery()
    .label("step_id"),
)


class LibraryRecords(Database):
    """Questions and question sets."""

    # -- questions and sets ----------------------------------------------------------------

    @staticmethod
    def _question(row: Row) -> Row:
        row["choices"] = json.loads(row["choices"])
        row["skills"] = json.loads(row["skills"])
        row["archived"] = row.pop("archived_at") is not None
        row["has_image"] = row.pop("image_type") is not None
        return row

    def get_question(self, question_id: int) -> Row:
        row = self._one(_QUESTION.where(_q.id == question_id))
        if row is None:
            raise NotFound(f"no question {question_id}")
        return self._question(row)

    def question_image(self, question_id: int) -> tuple[bytes, str] | None:
        row = self._one(select(_q.image, _q.image_type).where(_q.id == question_id))
        if row is None:
            raise NotFound(f"no question {question_id}")
        if row["image"] is None:
            return None
        return bytes(row["image"]), str(row["image_type"])

    def list_questions(
        self, *, include_archived: bool = False, skill: str | None = None
    ) -> list[Row]:
        query = _QUESTION.order_by(_q.id)
        if not include_archived:
            query = query.where(_q.archived_at.is_(None))
        rows = [self._question(r) for r in self._all(query)]
        return [r for r in rows if skill is None or skill in r["skills"]]

    def create_question(
        self,
        prompt: str,
        choices: Sequence[str],
        *,
        correct: str | None,
        skills: Sequence[str] = (),
        image: tuple[bytes, str] | None = None,
        step_id: int | None = None,
        now: float,
    ) -> Row:
        """A new question; ``step_id``, a step of a progression it measures (``NotFound``)."""
        with self.transaction() as db:
            question_id = db.execute(
                insert(questions)
                .values(
                    prompt=prompt,
                    choices=json.dumps(list(choices)),
                    correct=correct,
                    skills=json.dumps(list(skills)),
                    image=image[0] if image else None,
                    image_type=image[1] if image else None,
                    created_at=now,
                )
                .returning(_q.id)
            ).scalar_one()
            if step_id is not None:
                self._point_at_step(db, question_id, step_id)
        return self.get_question(question_id)

    @staticmethod
    def _point_at_step(db: Connection, question_id: int, step_id: int | None) -> None:
        db.execute(delete(question_steps).where(question_steps.c.question_id == question_id))
        if step_id is None:
            return
        try:
            db.execute(insert(question_steps).values(question_id=question_id, step_id=step_id))
        except IntegrityError:
            raise NotFound(f"no step {step_id}") from None

    def update_question(self, question_id: int, *, now: float, **fields: Any) -> Row:
        """Change prompt, choices, correct, skills, image, archived or step_id; answers already
        given keep the key they were asked with."""
        self.get_question(question_id)
        changes: dict[str, Any] = {}
        step = fields.pop("step_id", ...)
        for key, value in fields.items():
            if key in ("choices", "skills"):
                changes[key] = json.dumps(list(value))
            elif key in ("prompt", "correct"):
                changes[key] = value
            elif key == "archived":
                changes["archived_at"] = now if value else None
            elif key == "image":
                changes["image"] = value[0] if value else None
                changes["image_type"] = value[1] if value else None
            else:
                raise BadRequest(f"unknown question field {key!r}")
        if changes or step is not ...:
            with self.transaction() as db:
                if changes:
                    db.execute(update(questions).where(_q.id == question_id).values(**changes))
                if step is not ...:
                    self._point_at_step(db, question_id, step)
        return self.get_question(question_id)

    def delete_question(self, question_id: int, *, now: float) -> bool:
        """Delete a question never asked; archive one that was. True when deleted."""
        self.get_question(question_id)
        with self.transaction() as db:
            used = db.execute(
                select(asked.c.id).where(asked.c.question_id == question_id).limit(1)
            ).first()
            if used:
                db.execute(update(questions).where(_q.id == question_id).values(archived_at=now))
                return False
            db.execute(delete(questions).where(_q.id == question_id))
            return True

    def get_set(self, set_id: int) -> Row:
        s = question_sets.c
        row = self._one(select(s.id, s.name, s.created_at).where(s.id == set_id))
        if row is None:
            raise NotFound(f"no question set {set_id}")
        items = question_set_items.c
        row["questions"] = [
            r["question_id"]
            for r in self._all(
                select(items.question_id).where(items.set_id == set_id).order_by(items.position)
            )
        ]
        return row

    def list_sets(self) -> list[Row]:
        ids = select(question_sets.c.id).order_by(question_sets.c.id)
        return [self.get_set(r["id"]) for r in self._all(ids)]

    def _set_items(self, db: Connection, set_id: int, ids: Sequence[int]) -> None:
        for qid in ids:
            if db.execute(select(_q.id).where(_q.id == qid)).first() is None:
                raise NotFound(f"no question {qid}")
        db.execute(delete(question_set_items).where(question_set_items.c.set_id == set_id))
        if ids:
            db.execute(
                insert(question_set_items),
                [{"set_id": set_id, "question_id": q, "position": i} for i, q in enumerate(ids)],
            )

    def _insert_set(self, db: Connection, name: str, now: float) -> int:
        return int(
            db.execute(
                insert(question_sets)
                .values(name=name, created_at=now)
                .returning(question_sets.c.id)
            ).scalar_one()
        )

    def create_set(self, name: str, questions: Sequence[int], *, now: float) -> Row:
        with self.transaction() as db:
            set_id = self._insert_set(db, name, now)
            self._set_items(db, set_id, questions)
        return self.get_set(set_id)

    def update_set(
        self, set_id: int, *, name: str | None = None, questions: Sequence[int] | None = None
    ) -> Row:
        self.get_set(set_id)
        with self.transaction() as db:
            if name is not None:
                db.execute(
                    update(question_sets).where(question_sets.c.id == set_id).values(name=name)
                )
            if questions is not None:
                self._set_items(db, set_id, questions)
        return self.get_set(set_id)

    def delete_set(self, set_id: int) -> None:
        self.get_set(set_id)
        with self.transaction() as db:
            db.execute(delete(question_sets).where(question_sets.c.id == set_id))

    def import_question_set(self, name: str, rows: Sequence[Any], *, now: float) -> int:
        """Create the questions of ``rows`` (each with ``prompt``, ``choices``, ``correct``
        and ``skills``, as ``live.reports.imports.QuestionRow``) and a set holding them, in
        order, in one transaction: all or nothing. Returns the new set's id. The questions and
        the set's items go in one batch each, so the write lock is held briefly."""
        with self.transaction() as db:
            set_id = self._insert_set(db, name, now)
            if not rows:
                return set_id
            ids = (
                db.execute(
                    insert(questions).returning(_q.id, sort_by_parameter_order=True),
                    [
                        {
                            "prompt": row.prompt,
                            "choices": json.dumps(list(row.choices)),
                            "correct": row.correct,
                            "skills": json.dumps(list(row.skills)),
                            "created_at": now,
                        }
                        for row in rows
                    ],
                )
                .scalars()
                .all()
            )
            db.execute(
                insert(question_set_items),
                [{"set_id": set_id, "question_id": q, "position": i} for i, q in enumerate(ids)],
            )
        return set_id
