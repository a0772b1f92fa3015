"""Sessions are explicit: each class has a live session its projector shows; a session whose
server stopped is interrupted until the teacher resumes or ends it; the servers sharing the
database say they are alive. ``PRAGMA user_version = 3`` before Alembic.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.Double().with_variant(sa.REAL(), "sqlite")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # a column with its foreign key in place: SQLite cannot add the key later, and a batch
        # copy of classes would cascade-delete what refers to it
        op.execute(
            "ALTER TABLE classes ADD COLUMN live_session INTEGER"
            " REFERENCES sessions(id) ON DELETE SET NULL"
        )
    else:
        op.add_column("classes", sa.Column("live_session", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "classes_live_session_fkey",
            "classes",
            "sessions",
            ["live_session"],
            ["id"],
            ondelete="SET NULL",
        )
    op.add_column("sessions", sa.Column("interrupted_at", _TIME, nullable=True))
    op.create_table(
        "servers",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", _TIME, nullable=False),
        sa.Column("seen_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("servers")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("interrupted_at")
    with op.batch_alter_table("classes") as batch:
        batch.drop_column("live_session")
