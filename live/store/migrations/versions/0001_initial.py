"""The schema of cardcheck 0.1: what ``PRAGMA user_version = 1`` meant before Alembic.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("archived_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.Column("rules", sa.Text(), nullable=True),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 200"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "question_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 200"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("correct", sa.Text(), nullable=True),
        sa.Column("skills", sa.Text(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=True),
        sa.Column("image_type", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("archived_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.CheckConstraint("correct IS NULL OR correct IN ('A', 'B', 'C', 'D')"),
        sa.CheckConstraint("length(prompt) BETWEEN 1 AND 2000"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("colour", sa.Text(), nullable=False),
        sa.Column("goal", sa.Text(), server_default=sa.text("('')"), nullable=False),
        sa.Column("skill", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("archived_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 100"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.create_index(
            "groups_name",
            ["class_id", "name"],
            unique=True,
            sqlite_where=sa.text("archived_at IS NULL"),
            postgresql_where=sa.text("archived_at IS NULL"),
        )

    op.create_table(
        "question_set_items",
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["set_id"], ["question_sets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("set_id", "position"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("ended_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.Column("show_names", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("seq", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("show_names IN (0, 1)"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["set_id"], ["question_sets.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index("sessions_class", ["class_id"], unique=False)

    op.create_table(
        "students",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("card", sa.Integer(), nullable=True),
        sa.Column("active", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.CheckConstraint("active IN (0, 1)"),
        sa.CheckConstraint("card IS NULL OR card >= 1"),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 200"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.create_index(
            "students_card",
            ["class_id", "card"],
            unique=True,
            sqlite_where=sa.text("active = 1 AND card IS NOT NULL"),
            postgresql_where=sa.text("active = 1 AND card IS NOT NULL"),
        )
        batch_op.create_index("students_class", ["class_id"], unique=False)

    op.create_table(
        "asked",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("closed_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.Column("revealed_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
        ),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("asked", schema=None) as batch_op:
        batch_op.create_index("asked_session", ["session_id"], unique=False)

    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("ended_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.Column("note", sa.Text(), server_default=sa.text("('')"), nullable=False),
        sa.Column("goal", sa.Text(), server_default=sa.text("('')"), nullable=False),
        sa.Column("next_step", sa.Text(), server_default=sa.text("('')"), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("checkins_group", ["group_id"], unique=False)

    op.create_table(
        "events",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "seq"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("raised_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("resolved_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.create_index("flags_session", ["session_id"], unique=False)

    op.create_table(
        "goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("skill", sa.Text(), nullable=True),
        sa.Column("set_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("achieved_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("left_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.CheckConstraint("left_at IS NULL OR left_at >= joined_at"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index(
            "group_members_current",
            ["student_id"],
            unique=True,
            sqlite_where=sa.text("left_at IS NULL"),
            postgresql_where=sa.text("left_at IS NULL"),
        )
        batch_op.create_index("group_members_group", ["group_id"], unique=False)

    op.create_table(
        "response_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asked_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("previous", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["asked_id"], ["asked.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("response_history", schema=None) as batch_op:
        batch_op.create_index("response_history_asked", ["asked_id", "student_id"], unique=False)

    op.create_table(
        "responses",
        sa.Column("asked_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("card", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("first_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("changes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("answer IN ('A', 'B', 'C', 'D')"),
        sa.CheckConstraint("source IN ('scan', 'manual')"),
        sa.ForeignKeyConstraint(["asked_id"], ["asked.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("asked_id", "student_id"),
    )


def downgrade() -> None:
    op.drop_table("responses")
    with op.batch_alter_table("response_history", schema=None) as batch_op:
        batch_op.drop_index("response_history_asked")

    op.drop_table("response_history")
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_index("group_members_group")
        batch_op.drop_index(
            "group_members_current",
            sqlite_where=sa.text("left_at IS NULL"),
            postgresql_where=sa.text("left_at IS NULL"),
        )

    op.drop_table("group_members")
    op.drop_table("goals")
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_index("flags_session")

    op.drop_table("flags")
    op.drop_table("events")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("checkins_group")

    op.drop_table("checkins")
    with op.batch_alter_table("asked", schema=None) as batch_op:
        batch_op.drop_index("asked_session")

    op.drop_table("asked")
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_index("students_class")
        batch_op.drop_index(
            "students_card",
            sqlite_where=sa.text("active = 1 AND card IS NOT NULL"),
            postgresql_where=sa.text("active = 1 AND card IS NOT NULL"),
        )

    op.drop_table("students")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("sessions_class")

    op.drop_table("sessions")
    op.drop_table("question_set_items")
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_index(
            "groups_name",
            sqlite_where=sa.text("archived_at IS NULL"),
            postgresql_where=sa.text("archived_at IS NULL"),
        )

    op.drop_table("groups")
    op.drop_table("questions")
    op.drop_table("question_sets")
    op.drop_table("meta")
    op.drop_table("classes")
