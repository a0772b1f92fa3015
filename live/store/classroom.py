"""Classes, students, groups and goals in the store.

A student's card number, and the school's student ID when it has one, are unique among the
active students of a class; archiving a student records when they left the roster (``left_at``),
restoring them clears it. Group membership is a
history: a row per stay, ``left_at`` NULL while it lasts, one current group per student.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from live.errors import BadRequest, Conflict, NotFound
from live.store.database import Database, Row
from live.store.tables import classes, goals, group_members, groups, students

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

_m = group_members.alias("m")
_current_group = (
    select(_m.c.group_id)
    .where(_m.c.student_id == students.c.id, _m.c.left_at.is_(None))
    .scalar_subquery()
    .label("group_id")
)
"""The group a student (``students`` in the enclosing query) is in now, or NULL."""

_STUDENT = select(
    students.c.id,
    students.c.class_id,
    students.c.name,
    students.c.card,
    students.c.active,
    students.c.created_at,
    students.c.left_at,
    students.c.school_id,
    students.c.email,
    _current_group,
)


class ClassroomRecords(Database):
    """Classes, their students and their groups."""

    # -- classes ---------------------------------------------------------------------------

    def create_class(self, name: str, *, now: float) -> Row:
        with self.transaction() as db:
            class_id = db.execute(
                insert(classes).values(name=name, created_at=now).returning(classes.c.id)
            ).scalar_one()
        return self.get_class(class_id)

    def get_class(self, class_id: int) -> Row:
        enrolled = (
            select(func.count())
            .where(students.c.class_id == classes.c.id, students.c.active == 1)
            .scalar_subquery()
            .label("students")
        )
        row = self._one(
            select(
                classes.c.id,
                classes.c.name,
                classes.c.created_at,
                classes.c.archived_at,
                classes.c.rules,
                enrolled,
            ).where(classes.c.id == class_id)
        )
        if row is None:
            raise NotFound(f"no class {class_id}")
        row["archived"] = row.pop("archived_at") is not None
        return row

    def list_classes(self, *, include_archived: bool = False) -> list[Row]:
        query = select(classes.c.id).order_by(classes.c.name, classes.c.id)
        if not include_archived:
            query = query.where(classes.c.archived_at.is_(None))
        return [self.get_class(r["id"]) for r in self._all(query)]

    def find_class(self, name: str) -> Row | None:
        row = self._one(
            select(classes.c.id)
            .where(classes.c.name == name, classes.c.archived_at.is_(None))
            .order_by(classes.c.id)
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
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if archived is not None:
            changes["archived_at"] = now if archived else None
        if rules is not None:
            changes["rules"] = rules or None
        if changes:
            with self.transaction() as db:
                db.execute(update(classes).where(classes.c.id == class_id).values(**changes))
        return self.get_class(class_id)

    def delete_class(self, class_id: int) -> None:
        """Purge a class and everything of it: students (names), groups, sessions, responses."""
        self.get_class(class_id)
        with self.transaction() as db:
            db.execute(delete(classes).where(classes.c.id == class_id))

    # -- students --------------------------------------------------------------------------

    def get_student(self, student_id: int, *, class_id: int | None = None) -> Row:
        row = self._one(_STUDENT.where(students.c.id == student_id))
        if row is None or (class_id is not None and row["class_id"] != class_id):
            raise NotFound(
                f"no student {student_id}" + (f" in class {class_id}" if class_id else "")
            )
        row["active"] = bool(row["active"])
        return row

    def list_students(self, class_id: int, *, include_archived: bool = False) -> list[Row]:
        self.get_class(class_id)
        query = _STUDENT.where(students.c.class_id == class_id).order_by(
            students.c.card.is_(None), students.c.card, students.c.name
        )
        if not include_archived:
            query = query.where(students.c.active == 1)
        rows = self._all(query)
        for r in rows:
            r["active"] = bool(r["active"])
        return rows

    def _free_card(self, db: Connection, class_id: int) -> int:
        used = set(
            db.execute(
                select(students.c.card).where(
                    students.c.class_id == class_id,
                    students.c.active == 1,
                    students.c.card.is_not(None),
                )
            ).scalars()
        )
        for n in range(1, self.max_card + 1):
            if n not in used:
                return n
        raise Conflict(f"every card 1-{self.max_card} is taken in this class")

    def _check_card(self, db: Connection, class_id: int, card: int, student: int) -> None:
        if not 1 <= card <= self.max_card:
            raise BadRequest(f"card must be between 1 and {self.max_card}, not {card}")
        clash = db.execute(
            select(students.c.id).where(
                students.c.class_id == class_id,
                students.c.card == card,
                students.c.active == 1,
                students.c.id != student,
            )
        ).scalar()
        if clash is not None:
            raise Conflict(f"card {card} already belongs to student {clash} in this class")

    def _check_school_id(
        self, db: Connection, class_id: int, school_id: str | None, student: int
    ) -> None:
        if school_id is None:
            return
        clash = db.execute(
            select(students.c.id).where(
                students.c.class_id == class_id,
                students.c.school_id == school_id,
                students.c.active == 1,
                students.c.id != student,
            )
        ).scalar()
        if clash is not None:
            raise Conflict(
                f"student ID {school_id!r} already belongs to student {clash} in this class",
                code="school_id_taken",
            )

    def add_student(
        self,
        class_id: int,
        name: str,
        *,
        card: int | None = None,
        school_id: str | None = None,
        email: str | None = None,
        now: float,
    ) -> Row:
        """Add a student; ``card`` None takes the lowest free card. ``Conflict`` if the card or
        the school's student ID is taken in the class."""
        self.get_class(class_id)
        with self.transaction() as db:
            if card is None:
                card = self._free_card(db, class_id)
            self._check_card(db, class_id, card, 0)
            self._check_school_id(db, class_id, school_id, 0)
            student_id = _insert_student(
                db, class_id, name, card, now, school_id=school_id, email=email
            )
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
        school_id: str | None = None,
        email: str | None = None,
    ) -> Row:
        """Change what is given; ``school_id`` or ``email`` ``""`` clears it. ``Conflict`` for
        a card or student ID another active student of the class has."""
        row = self.get_student(student_id, class_id=class_id)
        this = update(students).where(students.c.id == student_id)
        with self.transaction() as db:
            if name is not None:
                db.execute(this.values(name=name))
            if school_id is not None:
                self._check_school_id(db, row["class_id"], school_id or None, student_id)
                db.execute(this.values(school_id=school_id or None))
            if email is not None:
                db.execute(this.values(email=email or None))
            if active is False and row["active"]:
                # archiving frees the card and ends the group stay; history stays
                db.execute(this.values(active=0, left_at=now))
                db.execute(
                    update(group_members)
                    .where(
                        group_members.c.student_id == student_id, group_members.c.left_at.is_(None)
                    )
                    .values(left_at=now)
                )
            elif active is True and not row["active"]:
                if row["card"] is not None:
                    self._check_card(db, row["class_id"], row["card"], student_id)
                current = school_id if school_id is not None else row["school_id"]
                self._check_school_id(db, row["class_id"], current or None, student_id)
                db.execute(this.values(active=1, left_at=None))
            if card is not None:
                self._check_card(db, row["class_id"], card, student_id)
                db.execute(this.values(card=card))
        return self.get_student(student_id)

    def delete_student(self, student_id: int, *, class_id: int | None = None) -> None:
        """Purge a student: the name and every response, membership and flag of theirs."""
        self.get_student(student_id, class_id=class_id)
        with self.transaction() as db:
            db.execute(delete(students).where(students.c.id == student_id))

    # -- groups ----------------------------------------------------------------------------

    def get_group(self, group_id: int, *, class_id: int | None = None) -> Row:
        row = self._one(
            select(
                groups.c.id,
                groups.c.class_id,
                groups.c.name,
                groups.c.colour,
                groups.c.goal,
                groups.c.skill,
                groups.c.created_at,
                groups.c.archived_at,
            ).where(groups.c.id == group_id)
        )
        if row is None or (class_id is not None and row["class_id"] != class_id):
            raise NotFound(f"no group {group_id}" + (f" in class {class_id}" if class_id else ""))
        row["archived"] = row.pop("archived_at") is not None
        members = (
            select(group_members.c.student_id)
            .join(students, students.c.id == group_members.c.student_id)
            .where(group_members.c.group_id == group_id, group_members.c.left_at.is_(None))
            .order_by(students.c.card, students.c.name)
        )
        row["students"] = [r["student_id"] for r in self._all(members)]
        return row

    def list_groups(self, class_id: int, *, include_archived: bool = False) -> list[Row]:
        self.get_class(class_id)
        query = select(groups.c.id).where(groups.c.class_id == class_id).order_by(groups.c.id)
        if not include_archived:
            query = query.where(groups.c.archived_at.is_(None))
        return [self.get_group(r["id"]) for r in self._all(query)]

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
                n = db.execute(
                    select(func.count()).where(groups.c.class_id == class_id)
                ).scalar_one()
                colour = GROUP_COLOURS[n % len(GROUP_COLOURS)]
            try:
                group_id = db.execute(
                    insert(groups)
                    .values(
                        class_id=class_id,
                        name=name,
                        colour=colour,
                        goal=goal,
                        skill=skill,
                        created_at=now,
                    )
                    .returning(groups.c.id)
                ).scalar_one()
            except IntegrityError:
                raise Conflict(f"there is already a group called {name!r} in this class") from None
            if goal:
                db.execute(
                    insert(goals).values(group_id=group_id, text=goal, skill=skill, set_at=now)
                )
            self._set_members(db, class_id, group_id, list(students), now)
        return self.get_group(group_id)

    def _set_members(
        self, db: Connection, class_id: int, group_id: int, wanted: list[int], now: float
    ) -> None:
        if len(set(wanted)) != len(wanted):
            raise BadRequest("a student is listed twice")
        for sid in wanted:
            r = (
                db.execute(
                    select(students.c.class_id, students.c.active).where(students.c.id == sid)
                )
                .mappings()
                .first()
            )
            if r is None or r["class_id"] != class_id:
                raise NotFound(f"no student {sid} in class {class_id}")
            if not r["active"]:
                raise Conflict(f"student {sid} is archived")
        stays = group_members.c
        current = set(
            db.execute(
                select(stays.student_id).where(stays.group_id == group_id, stays.left_at.is_(None))
            ).scalars()
        )
        for sid in current - set(wanted):
            db.execute(
                update(group_members)
                .where(stays.group_id == group_id, stays.student_id == sid, stays.left_at.is_(None))
                .values(left_at=now)
            )
        for sid in wanted:
            if sid in current:
                continue
            # a student is in one group at a time: moving ends the old stay
            db.execute(
                update(group_members)
                .where(stays.student_id == sid, stays.left_at.is_(None))
                .values(left_at=now)
            )
            db.execute(
                insert(group_members).values(group_id=group_id, student_id=sid, joined_at=now)
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
        this = update(groups).where(groups.c.id == group_id)
        with self.transaction() as db:
            if name is not None:
                try:
                    db.execute(this.values(name=name))
                except IntegrityError:
                    raise Conflict(f"there is already a group called {name!r}") from None
            if colour is not None:
                db.execute(this.values(colour=colour))
            if skill is not None:
                db.execute(this.values(skill=skill or None))
            if goal is not None and goal != row["goal"]:
                db.execute(this.values(goal=goal))
                db.execute(
                    insert(goals).values(
                        group_id=group_id,
                        text=goal,
                        skill=skill if skill is not None else row["skill"],
                        set_at=now,
                    )
                )
            if students is not None:
                self._set_members(db, row["class_id"], group_id, list(students), now)
        return self.get_group(group_id)

    def archive_group(self, group_id: int, *, now: float, class_id: int | None = None) -> None:
        """End a group: its members leave it, its history stays."""
        self.get_group(group_id, class_id=class_id)
        with self.transaction() as db:
            db.execute(
                update(group_members)
                .where(group_members.c.group_id == group_id, group_members.c.left_at.is_(None))
                .values(left_at=now)
            )
            db.execute(update(groups).where(groups.c.id == group_id).values(archived_at=now))

    def membership_history(self, class_id: int) -> list[Row]:
        """Every stay of every student in every group of the class, oldest first."""
        self.get_class(class_id)
        m = group_members.c
        return self._all(
            select(m.group_id, m.student_id, m.joined_at, m.left_at)
            .join(groups, groups.c.id == m.group_id)
            .where(groups.c.class_id == class_id)
            .order_by(m.joined_at, m.id)
        )

    def goals(self, group_id: int) -> list[Row]:
        g = goals.c
        return self._all(
            select(g.id, g.group_id, g.text, g.skill, g.set_at, g.achieved_at)
            .where(g.group_id == group_id)
            .order_by(g.set_at, g.id)
        )


def _insert_student(
    db: Connection,
    class_id: int,
    name: str,
    card: int | None,
    now: float,
    *,
    school_id: str | None = None,
    email: str | None = None,
) -> int:
    try:
        return int(
            db.execute(
                insert(students)
                .values(
                    class_id=class_id,
                    name=name,
                    card=card,
                    created_at=now,
                    school_id=school_id,
                    email=email,
                )
                .returning(students.c.id)
            ).scalar_one()
        )
    except IntegrityError:
        # another process gave the card (or the student ID) away between the check and the insert
        raise Conflict(
            f"card {card} or student ID {school_id!r} was just given to another student"
            " in this class"
        ) from None


def import_roster(
    store: ClassroomRecords, class_id: int, rows: Sequence[Any], *, now: float
) -> dict[str, int]:
    """Add parsed roster rows (``live.reports.roster.RosterRow``) in one transaction: all or nothing.

    Groups named in the rows are created when missing; a student joins their group. A handful of
    statements whatever the size of the roster (the students and the stays go in one batch
    each), so the write lock is held for milliseconds.
    """
    store.get_class(class_id)
    if not rows:
        return {"created": 0, "grouped": 0}
    st, g = students.c, groups.c
    with store.transaction() as db:
        taken = {
            int(card): int(sid)
            for sid, card in db.execute(
                select(st.id, st.card).where(
                    st.class_id == class_id, st.active == 1, st.card.is_not(None)
                )
            )
        }
        for row in rows:
            if not 1 <= row.card <= store.max_card:
                raise BadRequest(f"card must be between 1 and {store.max_card}, not {row.card}")
            if row.card in taken:
                raise Conflict(
                    f"card {row.card} already belongs to student {taken[row.card]} in this class"
                )
            taken[row.card] = 0
        ids_taken = {
            str(school_id): int(sid)
            for sid, school_id in db.execute(
                select(st.id, st.school_id).where(
                    st.class_id == class_id, st.active == 1, st.school_id.is_not(None)
                )
            )
        }
        for row in rows:
            sid_text = getattr(row, "school_id", None)
            if sid_text is None:
                continue
            if sid_text in ids_taken:
                raise Conflict(
                    f"student ID {sid_text!r} already belongs to student {ids_taken[sid_text]}"
                    " in this class",
                    code="school_id_taken",
                )
            ids_taken[sid_text] = 0
        by_name = {
            str(name): int(gid)
            for name, gid in db.execute(
                select(g.name, g.id).where(g.class_id == class_id, g.archived_at.is_(None))
            )
        }
        for name in dict.fromkeys(row.group for row in rows if row.group):
            if name not in by_name:
                colour = GROUP_COLOURS[len(by_name) % len(GROUP_COLOURS)]
                by_name[name] = db.execute(
                    insert(groups)
                    .values(class_id=class_id, name=name, colour=colour, created_at=now)
                    .returning(g.id)
                ).scalar_one()
        try:
            ids = (
                db.execute(
                    insert(students).returning(st.id, sort_by_parameter_order=True),
                    [
                        {
                            "class_id": class_id,
                            "name": row.name,
                            "card": row.card,
                            "created_at": now,
                            "school_id": getattr(row, "school_id", None),
                            "email": getattr(row, "email", None),
                        }
                        for row in rows
                    ],
                )
                .scalars()
                .all()
            )
        except IntegrityError:
            # another process gave one of the cards (or student IDs) away since they were read
            raise Conflict(
                "a card or student ID of this roster was just given to another student"
            ) from None
        stays = [
            {"group_id": by_name[row.group], "student_id": sid, "joined_at": now}
            for row, sid in zip(rows, ids, strict=True)
            if row.group
        ]
        if stays:
            db.execute(insert(group_members), stays)
    return {"created": len(ids), "grouped": len(stays)}
