"""The question library in the store: questions (2 to 4 choices, a key or none for a poll,
skill tags, an optional image) and ordered question sets."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from live.errors import BadRequest, NotFound
from live.store.database import Database, Row

__all__ = ["LibraryRecords"]


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
        row = self._one(
            "SELECT id, prompt, choices, correct, skills, image_type, created_at, archived_at"
            " FROM questions WHERE id = ?",
            (question_id,),
        )
        if row is None:
            raise NotFound(f"no question {question_id}")
        return self._question(row)

    def question_image(self, question_id: int) -> tuple[bytes, str] | None:
        row = self._one("SELECT image, image_type FROM questions WHERE id = ?", (question_id,))
        if row is None:
            raise NotFound(f"no question {question_id}")
        if row["image"] is None:
            return None
        return bytes(row["image"]), str(row["image_type"])

    def list_questions(
        self, *, include_archived: bool = False, skill: str | None = None
    ) -> list[Row]:
        rows = [
            self._question(r)
            for r in self._all(
                "SELECT id, prompt, choices, correct, skills, image_type, created_at, archived_at"
                " FROM questions WHERE ? OR archived_at IS NULL ORDER BY id",
                (include_archived,),
            )
        ]
        return [r for r in rows if skill is None or skill in r["skills"]]

    def create_question(
        self,
        prompt: str,
        choices: Sequence[str],
        *,
        correct: str | None,
        skills: Sequence[str] = (),
        image: tuple[bytes, str] | None = None,
        now: float,
    ) -> Row:
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO questions(prompt, choices, correct, skills, image, image_type,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    prompt,
                    json.dumps(list(choices)),
                    correct,
                    json.dumps(list(skills)),
                    image[0] if image else None,
                    image[1] if image else None,
                    now,
                ),
            )
            question_id = int(cur.lastrowid or 0)
        return self.get_question(question_id)

    def update_question(self, question_id: int, *, now: float, **fields: Any) -> Row:
        """Change prompt, choices, correct, skills, image or archived; answers already given keep
        the key they were asked with."""
        self.get_question(question_id)
        with self.transaction() as db:
            for key, value in fields.items():
                if key in ("choices", "skills"):
                    db.execute(
                        f"UPDATE questions SET {key} = ? WHERE id = ?",
                        (json.dumps(list(value)), question_id),
                    )
                elif key in ("prompt", "correct"):
                    db.execute(f"UPDATE questions SET {key} = ? WHERE id = ?", (value, question_id))
                elif key == "archived":
                    db.execute(
                        "UPDATE questions SET archived_at = ? WHERE id = ?",
                        (now if value else None, question_id),
                    )
                elif key == "image":
                    db.execute(
                        "UPDATE questions SET image = ?, image_type = ? WHERE id = ?",
                        (value[0] if value else None, value[1] if value else None, question_id),
                    )
                else:
                    raise BadRequest(f"unknown question field {key!r}")
        return self.get_question(question_id)

    def delete_question(self, question_id: int, *, now: float) -> bool:
        """Delete a question never asked; archive one that was. True when deleted."""
        self.get_question(question_id)
        with self.transaction() as db:
            used = db.execute(
                "SELECT 1 FROM asked WHERE question_id = ? LIMIT 1", (question_id,)
            ).fetchone()
            if used:
                db.execute("UPDATE questions SET archived_at = ? WHERE id = ?", (now, question_id))
                return False
            db.execute("DELETE FROM questions WHERE id = ?", (question_id,))
            return True

    def get_set(self, set_id: int) -> Row:
        row = self._one("SELECT id, name, created_at FROM question_sets WHERE id = ?", (set_id,))
        if row is None:
            raise NotFound(f"no question set {set_id}")
        row["questions"] = [
            r["question_id"]
            for r in self._all(
                "SELECT question_id FROM question_set_items WHERE set_id = ? ORDER BY position",
                (set_id,),
            )
        ]
        return row

    def list_sets(self) -> list[Row]:
        return [
            self.get_set(r["id"]) for r in self._all("SELECT id FROM question_sets ORDER BY id")
        ]

    def _set_items(self, db: sqlite3.Connection, set_id: int, questions: Sequence[int]) -> None:
        for qid in questions:
            if db.execute("SELECT 1 FROM questions WHERE id = ?", (qid,)).fetchone() is None:
                raise NotFound(f"no question {qid}")
        db.execute("DELETE FROM question_set_items WHERE set_id = ?", (set_id,))
        db.executemany(
            "INSERT INTO question_set_items(set_id, question_id, position) VALUES (?, ?, ?)",
            [(set_id, qid, i) for i, qid in enumerate(questions)],
        )

    def create_set(self, name: str, questions: Sequence[int], *, now: float) -> Row:
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO question_sets(name, created_at) VALUES (?, ?)", (name, now)
            )
            set_id = int(cur.lastrowid or 0)
            self._set_items(db, set_id, questions)
        return self.get_set(set_id)

    def update_set(
        self, set_id: int, *, name: str | None = None, questions: Sequence[int] | None = None
    ) -> Row:
        self.get_set(set_id)
        with self.transaction() as db:
            if name is not None:
                db.execute("UPDATE question_sets SET name = ? WHERE id = ?", (name, set_id))
            if questions is not None:
                self._set_items(db, set_id, questions)
        return self.get_set(set_id)

    def delete_set(self, set_id: int) -> None:
        self.get_set(set_id)
        with self.transaction() as db:
            db.execute("DELETE FROM question_sets WHERE id = ?", (set_id,))

    def import_question_set(self, name: str, rows: Sequence[Any], *, now: float) -> int:
        """Create the questions of ``rows`` (each with ``prompt``, ``choices``, ``correct``
        and ``skills``, as ``live.reports.imports.QuestionRow``) and a set holding them, in
        order, in one transaction: all or nothing. Returns the new set's id."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO question_sets(name, created_at) VALUES (?, ?)", (name, now)
            )
            set_id = int(cur.lastrowid or 0)
            for position, row in enumerate(rows):
                q = db.execute(
                    "INSERT INTO questions(prompt, choices, correct, skills, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        row.prompt,
                        json.dumps(list(row.choices)),
                        row.correct,
                        json.dumps(list(row.skills)),
                        now,
                    ),
                )
                db.execute(
                    "INSERT INTO question_set_items(set_id, question_id, position)"
                    " VALUES (?, ?, ?)",
                    (set_id, int(q.lastrowid or 0), position),
                )
        return set_id
