"""The school's identifiers: a student keeps the school's student ID (unique among a class's
active students) and an email; and when they left the roster (archived), so a score counts
only the questions asked while they were on it.

Revision ID: 0005_school_ids
Revises: 0004_accounts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_school_ids"
down_revision: str | None = "0004_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.Double().with_variant(sa.REAL(), "sqlite")
_ACTIVE_WITH_ID = "active = 1 AND school_id IS NOT NULL"


def upgrade() -> None:
    op.add_column("students", sa.Column("left_at", _TIME, nullable=True))
    op.add_column("students", sa.Column("school_id", sa.Text(), nullable=True))
    op.add_column("students", sa.Column("email", sa.Text(), nullable=True))
    op.create_index(
        "students_school_id",
        "students",
        ["class_id", "school_id"],
        unique=True,
        sqlite_where=sa.text(_ACTIVE_WITH_ID),
        postgresql_where=sa.text(_ACTIVE_WITH_ID),
    )


def downgrade() -> None:
    op.drop_index("students_school_id", table_name="students")
    with op.batch_alter_table("students") as batch:
        batch.drop_column("email")
        batch.drop_column("school_id")
        batch.drop_column("left_at")
