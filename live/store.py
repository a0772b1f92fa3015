"""The store: SQLite in WAL mode, one writer, the whole domain.

Every write runs in ``transaction()``: an in-process lock (one writer per process) around
``BEGIN IMMEDIATE`` (one writer across processes sharing the file). Session commands append their
events to the ``events`` log in the same transaction as the rows they change, so what a dashboard
is told is always already in the store, and ``seq`` rises by one per session with no gaps.

Rows come back as plain ``dict``s ready for JSON. Bad references raise ``NotFound``, broken
constraints ``Conflict``; callers validate shapes before they get here.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from live import session as rules_of_session
from live.errors import BadRequest, Conflict, NotFound
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
from live.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["GROUP_COLOURS", "Store"]

Row = dict[str, Any]

GROUP_COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
)


class Store:
    """The database of one cardcheck installation. Thread-safe; one writer at a time."""

    def __init__(self, path: str | Path, *, max_card: int = 64) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_card = max_card
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=10.0
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=10000")
        self.migrate()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- plumbing --------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolls back on any exception."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, params).fetchall()]

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with self._lock:
            r = self._db.execute(sql, params).fetchone()
        return None if r is None else dict(r)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Read rows with any SELECT (reports and exports build their own queries)."""
        return self._all(sql, params)

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        """Bring the file to ``SCHEMA_VERSION``; refuses a file from a newer cardcheck."""
        with self.transaction() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has schema {version}, newer than this cardcheck ({SCHEMA_VERSION})"
                )
            for i in range(version, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[i]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {i + 1}")

    # -- meta and tokens -------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def token(self, kind: str) -> str:
        """The ``kind`` token of this data folder ("teacher" or "projector"), made on first use."""
        key = f"{kind}_token"
        with self._lock:
            existing = self.meta(key)
            if existing:
                return existing
            value = secrets.token_urlsafe(24)
            self.set_meta(key, value)
            return value

    # -- classes ---------------------------------------------------------------------------

    def create_class(self, name: str, *, now: float) -> Row:
        with self.transaction() as db:
            cur = db.execute("INSERT INTO classes(name, created_at) VALUES (?, ?)", (name, now))
            class_id = int(cur.lastrowid or 0)
        return self.get_class(class_id)

    def get_class(self, class_id: int) -> Row:
        row = self._one(
            "SELECT c.id, c.name, c.created_at, c.archived_at, c.rules,"
            " (SELECT count(*) FROM students s WHERE s.class_id = c.id AND s.active = 1) AS students"
            " FROM classes c WHERE c.id = ?",
            (class_id,),
        )
        if row is None:
            raise NotFound(f"no class {class_id}")
        row["archived"] = row.pop("archived_at") is not None
        return row

    def list_classes(self, *, include_archived: bool = False) -> list[Row]:
        ids = self._all(
            "SELECT id FROM classes WHERE ? OR archived_at IS NULL ORDER BY name, id",
            (include_archived,),
        )
        return [self.get_class(r["id"]) for r in ids]

    def find_class(self, name: str) -> Row | None:
        row = self._one(
            "SELECT id FROM classes WHERE name = ? AND archived_at IS NULL ORDER BY id", (name,)
        )
        return None if row is None else self.get_class(row["id"])

    def update_class(
        self,
        class_id: int,
        *,
        now: float,
        name: str | None = None,
        archived: bool | None = None,
        rules: str | None = None,
    ) -> Row:
        self.get_class(class_id)
        with self.transaction() as db:
            if name is not None:
                db.execute("UPDATE classes SET name = ? WHERE id = ?", (name, class_id))
            if archived is not None:
                db.execute(
                    "UPDATE classes SET archived_at = ? WHERE id = ?",
                    (now if archived else None, class_id),
                )
            if rules is not None:
                db.execute("UPDATE classes SET rules = ? WHERE id = ?", (rules or None, class_id))
        return self.get_class(class_id)

    def delete_class(self, class_id: int) -> None:
        """Purge a class and everything of it: students (names), groups, sessions, responses."""
        self.get_class(class_id)
        with self.transaction() as db:
            db.execute("DELETE FROM classes WHERE id = ?", (class_id,))

    # -- students --------------------------------------------------------------------------

    def _student_row(self, student_id: int) -> Row | None:
        return self._one(
            "SELECT s.id, s.class_id, s.name, s.card, s.active, s.created_at,"
            " (SELECT m.group_id FROM group_members m"
            "   WHERE m.student_id = s.id AND m.left_at IS NULL) AS group_id"
            " FROM students s WHERE s.id = ?",
            (student_id,),
        )

    def get_student(self, student_id: int, *, class_id: int | None = None) -> Row:
        row = self._student_row(student_id)
        if row is None or (class_id is not None and row["class_id"] != class_id):
            raise NotFound(
                f"no student {student_id}" + (f" in class {class_id}" if class_id else "")
            )
        row["active"] = bool(row["active"])
        return row

    def list_students(self, class_id: int, *, include_archived: bool = False) -> list[Row]:
        self.get_class(class_id)
        rows = self._all(
            "SELECT s.id, s.class_id, s.name, s.card, s.active, s.created_at,"
            " (SELECT m.group_id FROM group_members m"
            "   WHERE m.student_id = s.id AND m.left_at IS NULL) AS group_id"
            " FROM students s WHERE s.class_id = ? AND (? OR s.active = 1)"
            " ORDER BY s.card IS NULL, s.card, s.name",
            (class_id, include_archived),
        )
        for r in rows:
            r["active"] = bool(r["active"])
        return rows

    def _free_card(self, db: sqlite3.Connection, class_id: int) -> int:
        used = {
            int(r[0])
            for r in db.execute(
                "SELECT card FROM students WHERE class_id = ? AND active = 1 AND card IS NOT NULL",
                (class_id,),
            )
        }
        for n in range(1, self.max_card + 1):
            if n not in used:
                return n
        raise Conflict(f"every card 1-{self.max_card} is taken in this class")

    def _check_card(self, db: sqlite3.Connection, class_id: int, card: int, student: int) -> None:
        if not 1 <= card <= self.max_card:
            raise BadRequest(f"card must be between 1 and {self.max_card}, not {card}")
        clash = db.execute(
            "SELECT id, name FROM students WHERE class_id = ? AND card = ? AND active = 1 AND id != ?",
            (class_id, card, student),
        ).fetchone()
        if clash is not None:
            raise Conflict(f"card {card} already belongs to student {clash['id']} in this class")

    def add_student(self, class_id: int, name: str, *, card: int | None = None, now: float) -> Row:
        """Add a student; ``card`` None takes the lowest free card. ``Conflict`` if taken."""
        self.get_class(class_id)
        with self.transaction() as db:
            if card is None:
                card = self._free_card(db, class_id)
            self._check_card(db, class_id, card, 0)
            cur = db.execute(
                "INSERT INTO students(class_id, name, card, created_at) VALUES (?, ?, ?, ?)",
                (class_id, name, card, now),
            )
            student_id = int(cur.lastrowid or 0)
        return self.get_student(student_id)

    def update_student(
        self,
        student_id: int,
        *,
        now: float,
        class_id: int | None = None,
        name: str | None = None,
        card: int | None = None,
        active: bool | None = None,
    ) -> Row:
        row = self.get_student(student_id, class_id=class_id)
        with self.transaction() as db:
            if name is not None:
                db.execute("UPDATE students SET name = ? WHERE id = ?", (name, student_id))
            if active is False:
                # archiving frees the card and ends the group stay; history stays
                db.execute("UPDATE students SET active = 0 WHERE id = ?", (student_id,))
                db.execute(
                    "UPDATE group_members SET left_at = ? WHERE student_id = ? AND left_at IS NULL",
                    (now, student_id),
                )
            elif active is True and not row["active"]:
                if row["card"] is not None:
                    self._check_card(db, row["class_id"], row["card"], student_id)
                db.execute("UPDATE students SET active = 1 WHERE id = ?", (student_id,))
            if card is not None:
                self._check_card(db, row["class_id"], card, student_id)
                db.execute("UPDATE students SET card = ? WHERE id = ?", (card, student_id))
        return self.get_student(student_id)

    def delete_student(self, student_id: int, *, class_id: int | None = None) -> None:
        """Purge a student: the name and every response, membership and flag of theirs."""
        self.get_student(student_id, class_id=class_id)
        with self.transaction() as db:
            db.execute("DELETE FROM students WHERE id = ?", (student_id,))

    # -- groups ----------------------------------------------------------------------------

    def get_group(self, group_id: int, *, class_id: int | None = None) -> Row:
        row = self._one(
            "SELECT id, class_id, name, colour, goal, skill, created_at, archived_at"
            " FROM groups WHERE id = ?",
            (group_id,),
        )
        if row is None or (class_id is not None and row["class_id"] != class_id):
            raise NotFound(f"no group {group_id}" + (f" in class {class_id}" if class_id else ""))
        row["archived"] = row.pop("archived_at") is not None
        row["students"] = [
            r["student_id"]
            for r in self._all(
                "SELECT m.student_id FROM group_members m JOIN students s ON s.id = m.student_id"
                " WHERE m.group_id = ? AND m.left_at IS NULL ORDER BY s.card, s.name",
                (group_id,),
            )
        ]
        return row

    def list_groups(self, class_id: int, *, include_archived: bool = False) -> list[Row]:
        self.get_class(class_id)
        ids = self._all(
            "SELECT id FROM groups WHERE class_id = ? AND (? OR archived_at IS NULL) ORDER BY id",
            (class_id, include_archived),
        )
        return [self.get_group(r["id"]) for r in ids]

    def create_group(
        self,
        class_id: int,
        name: str,
        *,
        now: float,
        students: Iterable[int] = (),
        colour: str | None = None,
        goal: str = "",
        skill: str | None = None,
    ) -> Row:
        self.get_class(class_id)
        with self.transaction() as db:
            if colour is None:
                n = db.execute("SELECT count(*) FROM groups WHERE class_id = ?", (class_id,))
                colour = GROUP_COLOURS[int(n.fetchone()[0]) % len(GROUP_COLOURS)]
            try:
                cur = db.execute(
                    "INSERT INTO groups(class_id, name, colour, goal, skill, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (class_id, name, colour, goal, skill, now),
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"there is already a group called {name!r} in this class") from None
            group_id = int(cur.lastrowid or 0)
            if goal:
                db.execute(
                    "INSERT INTO goals(group_id, text, skill, set_at) VALUES (?, ?, ?, ?)",
                    (group_id, goal, skill, now),
                )
            self._set_members(db, class_id, group_id, list(students), now)
        return self.get_group(group_id)

    def _set_members(
        self, db: sqlite3.Connection, class_id: int, group_id: int, students: list[int], now: float
    ) -> None:
        if len(set(students)) != len(students):
            raise BadRequest("a student is listed twice")
        for sid in students:
            r = db.execute("SELECT class_id, active FROM students WHERE id = ?", (sid,)).fetchone()
            if r is None or r["class_id"] != class_id:
                raise NotFound(f"no student {sid} in class {class_id}")
            if not r["active"]:
                raise Conflict(f"student {sid} is archived")
        current = {
            int(r[0])
            for r in db.execute(
                "SELECT student_id FROM group_members WHERE group_id = ? AND left_at IS NULL",
                (group_id,),
            )
        }
        wanted = set(students)
        for sid in current - wanted:
            db.execute(
                "UPDATE group_members SET left_at = ? WHERE group_id = ? AND student_id = ?"
                " AND left_at IS NULL",
                (now, group_id, sid),
            )
        for sid in students:
            if sid in current:
                continue
            # a student is in one group at a time: moving ends the old stay
            db.execute(
                "UPDATE group_members SET left_at = ? WHERE student_id = ? AND left_at IS NULL",
                (now, sid),
            )
            db.execute(
                "INSERT INTO group_members(group_id, student_id, joined_at) VALUES (?, ?, ?)",
                (group_id, sid, now),
            )

    def update_group(
        self,
        group_id: int,
        *,
        now: float,
        class_id: int | None = None,
        name: str | None = None,
        colour: str | None = None,
        goal: str | None = None,
        skill: str | None = None,
        students: Sequence[int] | None = None,
    ) -> Row:
        row = self.get_group(group_id, class_id=class_id)
        with self.transaction() as db:
            if name is not None:
                try:
                    db.execute("UPDATE groups SET name = ? WHERE id = ?", (name, group_id))
                except sqlite3.IntegrityError:
                    raise Conflict(f"there is already a group called {name!r}") from None
            if colour is not None:
                db.execute("UPDATE groups SET colour = ? WHERE id = ?", (colour, group_id))
            if skill is not None:
                db.execute("UPDATE groups SET skill = ? WHERE id = ?", (skill or None, group_id))
            if goal is not None and goal != row["goal"]:
                db.execute("UPDATE groups SET goal = ? WHERE id = ?", (goal, group_id))
                db.execute(
                    "INSERT INTO goals(group_id, text, skill, set_at) VALUES (?, ?, ?, ?)",
                    (group_id, goal, skill if skill is not None else row["skill"], now),
                )
            if students is not None:
                self._set_members(db, row["class_id"], group_id, list(students), now)
        return self.get_group(group_id)

    def archive_group(self, group_id: int, *, now: float, class_id: int | None = None) -> None:
        """End a group: its members leave it, its history stays."""
        self.get_group(group_id, class_id=class_id)
        with self.transaction() as db:
            db.execute(
                "UPDATE group_members SET left_at = ? WHERE group_id = ? AND left_at IS NULL",
                (now, group_id),
            )
            db.execute("UPDATE groups SET archived_at = ? WHERE id = ?", (now, group_id))

    def membership_history(self, class_id: int) -> list[Row]:
        """Every stay of every student in every group of the class, oldest first."""
        self.get_class(class_id)
        return self._all(
            "SELECT m.group_id, m.student_id, m.joined_at, m.left_at FROM group_members m"
            " JOIN groups g ON g.id = m.group_id WHERE g.class_id = ? ORDER BY m.joined_at, m.id",
            (class_id,),
        )

    def goals(self, group_id: int) -> list[Row]:
        return self._all(
            "SELECT id, group_id, text, skill, set_at, achieved_at FROM goals"
            " WHERE group_id = ? ORDER BY set_at, id",
            (group_id,),
        )

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

    def flags(
        self, *, session_id: int | None = None, class_id: int | None = None, open_only: bool = False
    ) -> list[Row]:
        rows = self._all(
            "SELECT id, session_id, class_id, group_id, student_id, rule, severity, message,"
            " evidence, raised_at, updated_at, resolved_at, resolution FROM flags"
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
        events = []
        with self.transaction() as db:
            self._running(db, session_id)
            current = self._current(db, session_id)
            if current is not None and current["closed_at"] is None:
                db.execute("UPDATE asked SET closed_at = ? WHERE id = ?", (now, current["id"]))
                events.append(self.append(db, session_id, QuestionClosed(current["id"]), now))
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
            if current["closed_at"] is not None:
                return []
            db.execute("UPDATE asked SET closed_at = ? WHERE id = ?", (now, current["id"]))
            return [self.append(db, session_id, QuestionClosed(current["id"]), now)]

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
        events = []
        with self.transaction() as db:
            self._running(db, session_id)
            current = self._current(db, session_id)
            if current is None:
                raise Conflict("no question has been asked yet", code="no_question")
            if current["closed_at"] is None:
                db.execute("UPDATE asked SET closed_at = ? WHERE id = ?", (now, current["id"]))
                events.append(self.append(db, session_id, QuestionClosed(current["id"]), now))
            if current["revealed_at"] is None:
                db.execute("UPDATE asked SET revealed_at = ? WHERE id = ?", (now, current["id"]))
                events.append(
                    self.append(
                        db, session_id, QuestionRevealed(current["id"], current["correct"]), now
                    )
                )
        return events

    def end_session(self, session_id: int, *, now: float) -> list[Event]:
        events = []
        with self.transaction() as db:
            self._running(db, session_id)
            current = self._current(db, session_id)
            if current is not None and current["closed_at"] is None:
                db.execute("UPDATE asked SET closed_at = ? WHERE id = ?", (now, current["id"]))
                events.append(self.append(db, session_id, QuestionClosed(current["id"]), now))
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


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (``sqlite3.complete_statement`` knows the grammar)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            buffer = ""
            if statement:
                yield statement
    if buffer.strip():
        raise ValueError(f"incomplete statement in migration: {buffer.strip()[:60]}")


def import_roster(
    store: Store, class_id: int, rows: Sequence[Any], *, now: float
) -> dict[str, int]:
    """Add parsed roster rows (``live.roster.RosterRow``) in one transaction: all or nothing.

    Groups named in the rows are created when missing; a student joins their group.
    """
    store.get_class(class_id)
    created = grouped = 0
    with store.transaction() as db:
        groups = {
            str(r["name"]): int(r["id"])
            for r in db.execute(
                "SELECT id, name FROM groups WHERE class_id = ? AND archived_at IS NULL",
                (class_id,),
            )
        }
        for row in rows:
            store._check_card(db, class_id, row.card, 0)
            cur = db.execute(
                "INSERT INTO students(class_id, name, card, created_at) VALUES (?, ?, ?, ?)",
                (class_id, row.name, row.card, now),
            )
            created += 1
            if row.group:
                if row.group not in groups:
                    n = len(groups)
                    g = db.execute(
                        "INSERT INTO groups(class_id, name, colour, created_at) VALUES (?, ?, ?, ?)",
                        (class_id, row.group, GROUP_COLOURS[n % len(GROUP_COLOURS)], now),
                    )
                    groups[row.group] = int(g.lastrowid or 0)
                db.execute(
                    "INSERT INTO group_members(group_id, student_id, joined_at) VALUES (?, ?, ?)",
                    (groups[row.group], int(cur.lastrowid or 0), now),
                )
                grouped += 1
    return {"created": created, "grouped": grouped}
