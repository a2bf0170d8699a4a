from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tradebot.models.base import Base, Money, MoneyOpt

if TYPE_CHECKING:
    from tradebot.models.bot_config import BotConfig
    from tradebot.models.user import User


class Trade(Base):
    """One executed order fill. Kept when its bot is deleted (bot_config_id becomes NULL)."""

    __tablename__ = "trades"
    __table_args__ = (
        # Newest-first pagination per user and per bot.
        Index("ix_trades_user_id_timestamp_id", "user_id", "timestamp", "id"),
        Index("ix_trades_bot_config_id_timestamp_id", "bot_config_id", "timestamp", "id"),
        CheckConstraint("side IN ('BUY', 'SELL')", name="side"),
        CheckConstraint("order_type IN ('MARKET', 'LIMIT')", name="order_type"),
        # Exchange order ids are unique per venue and symbol only (Binance numbers each
        # symbol's orders on its own; testnet and simulated accounts have their own ids).
        UniqueConstraint(
            "venue", "symbol", "binance_order_id", name="uq_trades_venue_symbol_order_id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    bot_config_id: Mapped[int | None] = mapped_column(
        ForeignKey("bot_configs.id", ondelete="SET NULL"), nullable=True, index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Where the order was executed: binance, binance-testnet, paper or demo.
    venue: Mapped[str] = mapped_column(String(32))
    binance_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))  # BUY | SELL
    order_type: Mapped[str] = mapped_column(
        String(8), default="MARKET", server_default=text("'MARKET'")
    )  # MARKET | LIMIT
    price: Mapped[Money]
    quantity_filled: Mapped[Money]
    quote_quantity_filled: Mapped[Money]
    commission_amount: Mapped[MoneyOpt]
    commission_asset: Mapped[str | None] = mapped_column(String(16), nullable=True)
    pnl: Mapped[MoneyOpt]
    # Why the bot traded: golden_cross, rsi_rebound, stop_loss, take_profit, ...
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    bot: Mapped[BotConfig | None] = relationship(back_populates="trades")
    user: Mapped[User] = relationship(back_populates="trades")
