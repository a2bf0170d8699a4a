from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tradebot.models.base import Base, MoneyOpt

if TYPE_CHECKING:
    from tradebot.models.bot_config import BotConfig


class BotState(Base):
    """The changing state of one bot; its primary key is the bot's id."""

    __tablename__ = "bot_states"
    __table_args__ = (
        CheckConstraint("status IN ('stopped', 'running', 'error')", name="status"),
        # The dispatcher's query: running bots by due time.
        Index("ix_bot_states_due", "next_run_at", postgresql_where=text("status = 'running'")),
    )

    id: Mapped[int] = mapped_column(
        ForeignKey("bot_configs.id", ondelete="CASCADE"), primary_key=True
    )
    # stopped | running | error
    status: Mapped[str] = mapped_column(
        String(16), default="stopped", server_default=text("'stopped'"), index=True
    )
    in_position: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    entry_price: Mapped[MoneyOpt]
    current_position_size_coins: Mapped[MoneyOpt]
    trailing_stop_price: Mapped[MoneyOpt]
    max_price_since_entry: Mapped[MoneyOpt]
    take_profit_price: Mapped[MoneyOpt]
    stop_loss_price: Mapped[MoneyOpt]
    daily_pnl: Mapped[Decimal] = mapped_column(
        Numeric(38, 18), default=Decimal(0), server_default=text("0")
    )
    daily_trades_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    # Scheduling and the cycle lease (the engine's bookkeeping).
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    queued_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    cycle_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    retry_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Open time (epoch ms) of the last closed candle whose signals were evaluated.
    last_candle_time: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_trade_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Daily accounting: the day the counters belong to and the equity it started with.
    pnl_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    day_start_equity: Mapped[Decimal | None] = mapped_column(Numeric(38, 18), nullable=True)
    # Entries made today (what max_daily_trades limits), and the value of a position carried
    # into the day at its first cycle (today's P&L of that position is measured from it).
    daily_entries: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    day_open_value: Mapped[Decimal | None] = mapped_column(Numeric(38, 18), nullable=True)
    stop_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # An order sent to the exchange whose outcome is not yet recorded (exactly-once).
    pending_order: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    # Orders announced over the bot's life: client order ids are made from it, so they never
    # repeat, whatever happens to the bot's settings between cycles.
    orders_announced: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    # The API key whose account holds the open position or the pending order: the position
    # stays on that account even when the user's default key changes (and the key cannot be
    # deleted meanwhile).
    position_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id"), nullable=True, index=True
    )

    @property
    def has_position_or_order(self) -> bool:
        """An open position or an order whose outcome is not recorded yet."""
        return self.in_position or self.pending_order is not None

    config: Mapped[BotConfig] = relationship(back_populates="state")
