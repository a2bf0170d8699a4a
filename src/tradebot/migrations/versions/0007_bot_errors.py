"""bot error history

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bot_errors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bot_config_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "occurred_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('temporary', 'permanent')", name=op.f("ck_bot_errors_kind")),
        sa.ForeignKeyConstraint(
            ["bot_config_id"],
            ["bot_configs.id"],
            name=op.f("fk_bot_errors_bot_config_id_bot_configs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_bot_errors_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_errors")),
    )
    op.create_index(
        "ix_bot_errors_bot_config_id_occurred_at_id",
        "bot_errors",
        ["bot_config_id", "occurred_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_bot_errors_bot_config_id_occurred_at_id", table_name="bot_errors")
    op.drop_table("bot_errors")
