"""Skill progressions: named, ordered steps shared by every class; a question may measure a
step, a goal may be a step, and the teacher's placements of students on steps.

Revision ID: 0006_progressions
Revises: 0005_school_ids
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_progressions"
down_revision: str | None = "0005_school_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.Double().with_variant(sa.REAL(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "progressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("description", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("archived_at", _TIME, nullable=True),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 200"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "progression_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("progression_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("prompts", sa.Text(), server_default=sa.text("'[]'"), nullable=False),
        sa.CheckConstraint("position >= 1"),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 200"),
        sa.ForeignKeyConstraint(["progression_id"], ["progressions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "progression_steps_position",
        "progression_steps",
        ["progression_id", "position"],
        unique=True,
    )
    op.create_table(
        "question_steps",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["step_id"], ["progression_steps.id"]),
        sa.PrimaryKeyConstraint("question_id"),
    )
    op.create_index("question_steps_step", "question_steps", ["step_id"])
    op.create_table(
        "placements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("progression_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.CheckConstraint("kind IN ('confirmed', 'observed', 'conference')"),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["progression_id"], ["progressions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["step_id"], ["progression_steps.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("placements_student", "placements", ["student_id", "progression_id"])
    op.create_table(
        "goal_steps",
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["goal_id"], ["goals.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["step_id"], ["progression_steps.id"]),
        sa.PrimaryKeyConstraint("goal_id"),
    )


def downgrade() -> None:
    op.drop_table("goal_steps")
    op.drop_index("placements_student", table_name="placements")
    op.drop_table("placements")
    op.drop_index("question_steps_step", table_name="question_steps")
    op.drop_table("question_steps")
    op.drop_index("progression_steps_position", table_name="progression_steps")
    op.drop_table("progression_steps")
    op.drop_table("progressions")
