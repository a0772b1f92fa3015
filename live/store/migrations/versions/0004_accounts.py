"""People on a school's server: accounts (argon2id passwords), their personal API tokens and
signed-in browsers, the owner and co-teachers of each class, links scoped to one session or
class, and the audit log. A data folder from before has no accounts: its classes are given to
the first account made, the owner of the installation (``live.store.accounts``).

Revision ID: 0004_accounts
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_accounts"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("disabled_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.CheckConstraint("role IN ('admin', 'teacher')", name="users_role"),
        sa.CheckConstraint(
            "length(display_name) BETWEEN 1 AND 200", name="users_display_name_length"
        ),
        sa.CheckConstraint("length(username) BETWEEN 1 AND 64", name="users_username_length"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("last_used_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.Column("revoked_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 100", name="api_tokens_name_length"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index("api_tokens_user", ["user_id"], unique=False)

    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), server_default=sa.text("'{}'"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index("audit_at", ["at"], unique=False)

    op.create_table(
        "class_teachers",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("added_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'coteacher')", name="class_teachers_role"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("class_id", "user_id"),
    )
    with op.batch_alter_table("class_teachers", schema=None) as batch_op:
        batch_op.create_index(
            "class_teachers_one_owner",
            ["class_id"],
            unique=True,
            sqlite_where=sa.text("role = 'owner'"),
            postgresql_where=sa.text("role = 'owner'"),
        )
        batch_op.create_index("class_teachers_user", ["user_id"], unique=False)

    op.create_table(
        "logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("expires_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("ended_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("logins", schema=None) as batch_op:
        batch_op.create_index("logins_user", ["user_id"], unique=False)

    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("expires_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.Column("revoked_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.CheckConstraint("kind IN ('projector', 'scanner', 'pairing')", name="links_kind"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index("links_class", ["class_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index("links_class")

    op.drop_table("links")
    with op.batch_alter_table("logins", schema=None) as batch_op:
        batch_op.drop_index("logins_user")

    op.drop_table("logins")
    with op.batch_alter_table("class_teachers", schema=None) as batch_op:
        batch_op.drop_index("class_teachers_user")
        batch_op.drop_index(
            "class_teachers_one_owner",
            sqlite_where=sa.text("role = 'owner'"),
            postgresql_where=sa.text("role = 'owner'"),
        )

    op.drop_table("class_teachers")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index("audit_at")

    op.drop_table("audit")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index("api_tokens_user")

    op.drop_table("api_tokens")
    op.drop_table("users")
