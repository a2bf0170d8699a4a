from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from tradebot.models.base import Base

# price_above/price_below: the last price against `threshold`; rsi_above/rsi_below: RSI of
# the last closed candle of `timeframe`; ema_cross: the bots' fast EMA crossing the slow one.
ALARM_KINDS = ("price_above", "price_below", "rsi_above", "rsi_below", "ema_cross")


class Alarm(Base):
    """A user's market alarm: fires once each time its condition becomes true."""

    __tablename__ = "alarms"
    __table_args__ = (
        Index("ix_alarms_user_id_id", "user_id", "id"),
        # The evaluator reads every alarm grouped by market.
        Index("ix_alarms_market", "source", "symbol", "timeframe"),
        CheckConstraint(
            "kind IN ('price_above', 'price_below', 'rsi_above', 'rsi_below', 'ema_cross')",
            name="kind",
        ),
        CheckConstraint("source IN ('binance', 'demo')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Where its prices come from, as for the chat's market commands: Binance or the demo.
    source: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    # The price or RSI level; None for ema_cross.
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(30, 12), nullable=True)
    # The candles of RSI and EMA alarms; None for price alarms.
    timeframe: Mapped[str | None] = mapped_column(String(8), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The condition at the last evaluation: 1 true, 0 false (ema_cross: 1 fast above slow,
    # -1 below); None before the first. It fires when that turns true (or the sign flips).
    last_side: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    last_value: Mapped[Decimal | None] = mapped_column(Numeric(30, 12), nullable=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    fired_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
