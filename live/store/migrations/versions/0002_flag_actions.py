"""What a flag asks of the teacher: a call to check in, or a note that the group is doing well
(the two default rules that were notes of progress become notes). ``PRAGMA user_version = 2``
before Alembic.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECK = "action IN ('check-in', 'acknowledge')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its CHECK in place; a batch copy of the table is not needed
        op.execute(
            f"ALTER TABLE flags ADD COLUMN action TEXT NOT NULL DEFAULT 'check-in' CHECK ({_CHECK})"
        )
    else:
        op.add_column(
            "flags",
            sa.Column("action", sa.Text(), nullable=False, server_default=sa.text("'check-in'")),
        )
        op.create_check_constraint("flags_action_check", "flags", _CHECK)
    op.execute(
        "UPDATE flags SET action = 'acknowledge'"
        " WHERE rule IN ('accuracy-70-90', 'accuracy-above-90')"
    )


def downgrade() -> None:
    with op.batch_alter_table("flags") as batch:
        batch.drop_column("action")
