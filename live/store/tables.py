"""The tables, declared once: SQLAlchemy Core gives the DDL of both dialects (SQLite and
PostgreSQL), the statements of the store, and Alembic's migrations (``live/store/migrations``).

A change here goes with a new Alembic revision (``alembic revision --autogenerate`` from the
repository's root); ``tests/store/test_migrations.py`` fails while the two disagree.

Student names are personal data and live in exactly one column, ``students.name``: every other
table refers to a student by id, and the event log carries ids and card numbers only, so purging
a student (or a class) deletes every trace of the name.

Times are seconds since the epoch as floats (``REAL`` in SQLite, ``double precision`` in
PostgreSQL); flags that SQLite spells 0/1 stay integers on both, so rows read the same.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeEngine

__all__ = [
    "api_tokens",
    "asked",
    "audit",
    "checkins",
    "class_teachers",
    "classes",
    "events",
    "flags",
    "goals",
    "group_members",
    "groups",
    "links",
    "logins",
    "meta",
    "metadata",
    "question_set_items",
    "question_sets",
    "questions",
    "response_history",
    "responses",
    "servers",
    "sessions",
    "students",
    "users",
]

metadata = MetaData()

Time: TypeEngine[float] = Double().with_variant(sqlite.REAL(), "sqlite")
"""Seconds since the epoch: 8-byte floats on both dialects (PostgreSQL's ``real`` has 4)."""


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True)


def _ref(
    name: str, target: str, *, nullable: bool = False, ondelete: str | None = "CASCADE"
) -> Column[int]:
    return Column(name, Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable)


meta = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

classes = Table(
    "classes",
    metadata,
    _id(),
    Column("name", Text, nullable=False),
    CheckConstraint("length(name) BETWEEN 1 AND 200"),
    Column("created_at", Time, nullable=False),
    Column("archived_at", Time),
    Column("rules", Text),  # per-class rule overrides (TOML), NULL for the defaults
    # the session its projector link shows (0003); sessions refer to classes too, so this key
    # is added after both tables exist
    Column(
        "live_session",
        Integer,
        ForeignKey("sessions.id", ondelete="SET NULL", use_alter=True),
    ),
)

students = Table(
    "students",
    metadata,
    _id(),
    _ref("class_id", "classes.id"),
    Column("name", Text, nullable=False),
    CheckConstraint("length(name) BETWEEN 1 AND 200"),
    Column("card", Integer),
    CheckConstraint("card IS NULL OR card >= 1"),
    Column("active", Integer, nullable=False, server_default=text("1")),
    CheckConstraint("active IN (0, 1)"),
    Column("created_at", Time, nullable=False),  # joined the roster
    Column("left_at", Time),  # archived: off the roster since; NULL while on it
    Column("school_id", Text),  # the school's student ID (SIS id), as imported or typed
    Column("email", Text),
    Index(
        "students_school_id",
        "class_id",
        "school_id",
        unique=True,
        sqlite_where=text("active = 1 AND school_id IS NOT NULL"),
        postgresql_where=text("active = 1 AND school_id IS NOT NULL"),
    ),
    Index(
        "students_card",
        "class_id",
        "card",
        unique=True,
        sqlite_where=text("active = 1 AND card IS NOT NULL"),
        postgresql_where=text("active = 1 AND card IS NOT NULL"),
    ),
    Index("students_class", "class_id"),
)

groups = Table(
    "groups",
    metadata,
    _id(),
    _ref("class_id", "classes.id"),
    Column("name", Text, nullable=False),
    CheckConstraint("length(name) BETWEEN 1 AND 100"),
    Column("colour", Text, nullable=False),
    Column("goal", Text, nullable=False, server_default=text("''")),
    Column("skill", Text),  # the skill tag the goal is about, for progress metrics
    Column("created_at", Time, nullable=False),
    Column("archived_at", Time),
    Index(
        "groups_name",
        "class_id",
        "name",
        unique=True,
        sqlite_where=text("archived_at IS NULL"),
        postgresql_where=text("archived_at IS NULL"),
    ),
)

# who was in which group when: a row per stay, left_at NULL while it lasts
group_members = Table(
    "group_members",
    metadata,
    _id(),
    _ref("group_id", "groups.id"),
    _ref("student_id", "students.id"),
    Column("joined_at", Time, nullable=False),
    Column("left_at", Time),
    CheckConstraint("left_at IS NULL OR left_at >= joined_at"),
    Index(
        "group_members_current",
        "student_id",
        unique=True,
        sqlite_where=text("left_at IS NULL"),
        postgresql_where=text("left_at IS NULL"),
    ),
    Index("group_members_group", "group_id"),
)

# learning goals agreed with a group, oldest first; groups.goal mirrors the newest
goals = Table(
    "goals",
    metadata,
    _id(),
    _ref("group_id", "groups.id"),
    Column("text", Text, nullable=False),
    Column("skill", Text),
    Column("set_at", Time, nullable=False),
    Column("achieved_at", Time),
)

questions = Table(
    "questions",
    metadata,
    _id(),
    Column("prompt", Text, nullable=False),
    CheckConstraint("length(prompt) BETWEEN 1 AND 2000"),
    Column("choices", Text, nullable=False),  # JSON list of 2 to 4 texts, A first
    Column("correct", Text),
    CheckConstraint("correct IS NULL OR correct IN ('A', 'B', 'C', 'D')"),
    Column("skills", Text, nullable=False, server_default=text("'[]'")),  # JSON list of tags
    Column("image", LargeBinary),
    Column("image_type", Text),
    Column("created_at", Time, nullable=False),
    Column("archived_at", Time),
)

question_sets = Table(
    "question_sets",
    metadata,
    _id(),
    Column("name", Text, nullable=False),
    CheckConstraint("length(name) BETWEEN 1 AND 200"),
    Column("created_at", Time, nullable=False),
)

question_set_items = Table(
    "question_set_items",
    metadata,
    _ref("set_id", "question_sets.id"),
    _ref("question_id", "questions.id"),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("set_id", "position"),
)

sessions = Table(
    "sessions",
    metadata,
    _id(),
    _ref("class_id", "classes.id"),
    _ref("set_id", "question_sets.id", nullable=True, ondelete="SET NULL"),
    Column("started_at", Time, nullable=False),
    Column("ended_at", Time),
    Column("interrupted_at", Time),  # its server stopped; NULL again once resumed (0003)
    Column("show_names", Integer, nullable=False, server_default=text("1")),
    CheckConstraint("show_names IN (0, 1)"),
    # seq of the newest event in the log: the counter that keeps it gap-free
    Column("seq", Integer, nullable=False, server_default=text("0")),
    Index("sessions_class", "class_id"),
)

# a question as asked in a session
asked = Table(
    "asked",
    metadata,
    _id(),
    _ref("session_id", "sessions.id"),
    _ref("question_id", "questions.id", ondelete=None),
    Column("number", Integer, nullable=False),  # 1, 2, ... within the session
    Column("correct", Text),  # the key when asked (the question may be edited later)
    Column("opened_at", Time, nullable=False),
    Column("closed_at", Time),
    Column("revealed_at", Time),
    Index("asked_session", "session_id"),
)

# the latest answer of each student to each asked question
responses = Table(
    "responses",
    metadata,
    _ref("asked_id", "asked.id"),
    _ref("student_id", "students.id"),
    Column("answer", Text, nullable=False),
    CheckConstraint("answer IN ('A', 'B', 'C', 'D')"),
    Column("card", Integer),
    Column("source", Text, nullable=False),
    CheckConstraint("source IN ('scan', 'manual')"),
    Column("first_at", Time, nullable=False),
    Column("updated_at", Time, nullable=False),
    Column("changes", Integer, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("asked_id", "student_id"),
)

# every answer ever recorded, oldest first
response_history = Table(
    "response_history",
    metadata,
    _id(),
    _ref("asked_id", "asked.id"),
    _ref("student_id", "students.id"),
    Column("answer", Text, nullable=False),
    Column("previous", Text),
    Column("source", Text, nullable=False),
    Column("at", Time, nullable=False),
    Index("response_history_asked", "asked_id", "student_id"),
)

flags = Table(
    "flags",
    metadata,
    _id(),
    _ref("session_id", "sessions.id", nullable=True),
    _ref("class_id", "classes.id"),
    _ref("group_id", "groups.id", nullable=True),
    _ref("student_id", "students.id", nullable=True),
    Column("rule", Text, nullable=False),
    # what it asks of the teacher: a call to check in, or a note that the group does well (0002)
    Column("action", Text, nullable=False, server_default=text("'check-in'")),
    CheckConstraint("action IN ('check-in', 'acknowledge')"),
    Column("severity", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("evidence", Text, nullable=False, server_default=text("'{}'")),  # JSON
    Column("raised_at", Time, nullable=False),
    Column("updated_at", Time, nullable=False),
    Column("resolved_at", Time),
    Column("resolution", Text),
    Index("flags_session", "session_id"),
)

checkins = Table(
    "checkins",
    metadata,
    _id(),
    _ref("class_id", "classes.id"),
    _ref("group_id", "groups.id"),
    _ref("session_id", "sessions.id", nullable=True, ondelete="SET NULL"),
    Column("started_at", Time, nullable=False),
    Column("ended_at", Time),
    Column("note", Text, nullable=False, server_default=text("''")),
    Column("goal", Text, nullable=False, server_default=text("''")),
    Column("next_step", Text, nullable=False, server_default=text("''")),
    Index("checkins_group", "group_id"),
)

# the ordered log of each session's events; seq rises by one per session
events = Table(
    "events",
    metadata,
    _ref("session_id", "sessions.id"),
    Column("seq", Integer, nullable=False),
    Column("type", Text, nullable=False),
    Column("data", Text, nullable=False),  # JSON; ids and card numbers only, never names
    Column("at", Time, nullable=False),
    PrimaryKeyConstraint("session_id", "seq"),
    sqlite_with_rowid=False,
)

# the server processes sharing this database, each with its last heartbeat (0003)
servers = Table(
    "servers",
    metadata,
    Column("id", Text, primary_key=True),  # random, one per running process
    Column("host", Text, nullable=False),  # the machine it runs on, and its process id there
    Column("pid", Integer, nullable=False),
    Column("started_at", Time, nullable=False),
    Column("seen_at", Time, nullable=False),  # the process's last heartbeat
)

# -- people (0004): accounts, their tokens and sign-ins, who teaches which class, links, audit --

# an account: a teacher or an admin; the first one made is the owner of the installation
users = Table(
    "users",
    metadata,
    _id(),
    Column("username", Text, nullable=False, unique=True),  # lower case, as typed to log in
    CheckConstraint("length(username) BETWEEN 1 AND 64", name="users_username_length"),
    Column("display_name", Text, nullable=False),
    CheckConstraint("length(display_name) BETWEEN 1 AND 200", name="users_display_name_length"),
    Column("role", Text, nullable=False),
    CheckConstraint("role IN ('admin', 'teacher')", name="users_role"),
    Column("password_hash", Text, nullable=False),  # argon2id, PHC string
    Column("created_at", Time, nullable=False),
    Column("disabled_at", Time),
)

# personal API tokens (Bearer): only a hash is kept, the token is shown once
api_tokens = Table(
    "api_tokens",
    metadata,
    _id(),
    _ref("user_id", "users.id"),
    Column("name", Text, nullable=False),
    CheckConstraint("length(name) BETWEEN 1 AND 100", name="api_tokens_name_length"),
    Column("token_hash", Text, nullable=False, unique=True),  # sha256 of a 32-byte random token
    Column("created_at", Time, nullable=False),
    Column("last_used_at", Time),
    Column("revoked_at", Time),
    Index("api_tokens_user", "user_id"),
)

# a signed-in browser: the cookie holds a random value, this row its hash
logins = Table(
    "logins",
    metadata,
    _id(),
    _ref("user_id", "users.id"),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("created_at", Time, nullable=False),
    Column("expires_at", Time, nullable=False),
    Column("ended_at", Time),  # signed out
    Index("logins_user", "user_id"),
)

# who teaches a class: one owner, any number of co-teachers
class_teachers = Table(
    "class_teachers",
    metadata,
    _ref("class_id", "classes.id"),
    _ref("user_id", "users.id"),
    Column("role", Text, nullable=False),
    CheckConstraint("role IN ('owner', 'coteacher')", name="class_teachers_role"),
    Column("added_at", Time, nullable=False),
    PrimaryKeyConstraint("class_id", "user_id"),
    Index("class_teachers_user", "user_id"),
    Index(
        "class_teachers_one_owner",
        "class_id",
        unique=True,
        sqlite_where=text("role = 'owner'"),
        postgresql_where=text("role = 'owner'"),
    ),
)

# links scoped to one session or one class's live session: a projector's read-only view, a
# phone's scanner credential, or the short-lived pairing code a QR carries; hashes only
links = Table(
    "links",
    metadata,
    _id(),
    Column("kind", Text, nullable=False),
    CheckConstraint("kind IN ('projector', 'scanner', 'pairing')", name="links_kind"),
    _ref("class_id", "classes.id"),
    _ref("session_id", "sessions.id", nullable=True),  # NULL: the class's live session
    Column("token_hash", Text, nullable=False, unique=True),
    _ref("created_by", "users.id", nullable=True, ondelete="SET NULL"),
    Column("created_at", Time, nullable=False),
    Column("expires_at", Time),
    Column("revoked_at", Time),
    Index("links_class", "class_id"),
)

# who did what, when; ids only (no student names), so a purge leaves nothing personal here
audit = Table(
    "audit",
    metadata,
    _id(),
    Column("at", Time, nullable=False),
    _ref("user_id", "users.id", nullable=True, ondelete="SET NULL"),
    Column("actor", Text, nullable=False),  # the username then, or "owner link", "token"
    Column("action", Text, nullable=False),  # e.g. "session.started", "user.disabled"
    Column("class_id", Integer),  # no key: the record outlives a purged class
    Column("session_id", Integer),
    Column("detail", Text, nullable=False, server_default=text("'{}'")),  # JSON
    Index("audit_at", "at"),
)
