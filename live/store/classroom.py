"""Classes, students, groups and goals in the store.

A student's card number is unique among the active students of a class. Group membership is a
history: a row per stay, ``left_at`` NULL while it lasts, one current group per student.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from live.errors import BadRequest, Conflict, NotFound
from live.store.database import Database, Row

__all__ = ["GROUP_COLOURS", "ClassroomRecords", "import_roster"]

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


class ClassroomRecords(Database):
    """Classes, their students and their groups."""

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


def import_roster(
    store: ClassroomRecords, class_id: int, rows: Sequence[Any], *, now: float
) -> dict[str, int]:
    """Add parsed roster rows (``live.reports.roster.RosterRow``) in one transaction: all or nothing.

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
