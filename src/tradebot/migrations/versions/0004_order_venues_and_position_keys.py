"""order ids unique per venue and symbol; positions bound to their API key; order counter

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("trades", sa.Column("venue", sa.String(length=32), nullable=True))
    # Existing trades: the venue of their bot's mode (a deleted bot's trades were live).
    op.execute(
        """
        UPDATE trades SET venue = CASE b.mode
            WHEN 'live' THEN b.exchange
            WHEN 'testnet' THEN b.exchange || '-testnet'
            ELSE b.mode END
        FROM bot_configs b WHERE b.id = trades.bot_config_id
        """
    )
    op.execute("UPDATE trades SET venue = 'binance' WHERE venue IS NULL")
    op.alter_column("trades", "venue", nullable=False)
    op.drop_constraint(op.f("uq_trades_binance_order_id"), "trades", type_="unique")
    op.create_unique_constraint(
        "uq_trades_venue_symbol_order_id", "trades", ["venue", "symbol", "binance_order_id"]
    )
    op.add_column(
        "bot_states",
        sa.Column("orders_announced", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("bot_states", sa.Column("position_key_id", sa.Integer(), nullable=True))
    op.create_index(
        op.f("ix_bot_states_position_key_id"), "bot_states", ["position_key_id"], unique=False
    )
    op.create_foreign_key(
        op.f("fk_bot_states_position_key_id_api_keys"),
        "bot_states",
        "api_keys",
        ["position_key_id"],
        ["id"],
    )
    # A live position open today was opened with the key its bot trades with.
    op.execute(
        """
        UPDATE bot_states s SET position_key_id = COALESCE(b.api_key_id, (
            SELECT k.id FROM api_keys k WHERE k.user_id = b.user_id
            ORDER BY k.is_valid DESC, k.id DESC LIMIT 1))
        FROM bot_configs b
        WHERE b.id = s.id AND b.mode IN ('live', 'testnet')
          AND (s.in_position OR s.pending_order IS NOT NULL)
        """
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_bot_states_position_key_id_api_keys"), "bot_states", type_="foreignkey"
    )
    op.drop_index(op.f("ix_bot_states_position_key_id"), table_name="bot_states")
    op.drop_column("bot_states", "position_key_id")
    op.drop_column("bot_states", "orders_announced")
    op.drop_constraint("uq_trades_venue_symbol_order_id", "trades", type_="unique")
    op.create_unique_constraint(op.f("uq_trades_binance_order_id"), "trades", ["binance_order_id"])
    op.drop_column("trades", "venue")
