from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tradebot.models.base import Base, CreatedAt, MoneyOpt, Percent, PercentOpt, UpdatedAt

if TYPE_CHECKING:
    from tradebot.models.api_key import ApiKey
    from tradebot.models.bot_state import BotState
    from tradebot.models.sim_balance import SimBalance
    from tradebot.models.trade import Trade
    from tradebot.models.user import User


class BotConfig(Base):
    """What a bot trades and how; its changing state lives in `BotState`."""

    __tablename__ = "bot_configs"
    __table_args__ = (
        Index("ix_bot_configs_is_active", "is_active"),
        CheckConstraint("mode IN ('live', 'testnet', 'paper', 'demo')", name="mode"),
        CheckConstraint("ema_fast < ema_slow", name="ema_order"),
        CheckConstraint("rsi_oversold < rsi_overbought", name="rsi_order"),
        CheckConstraint("check_interval_seconds >= 10", name="interval_min"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    symbol: Mapped[str] = mapped_column(String(32))
    timeframe: Mapped[str] = mapped_column(String(8))
    # live | testnet | paper | demo
    mode: Mapped[str] = mapped_column(String(16), default="demo", server_default=text("'demo'"))
    exchange: Mapped[str] = mapped_column(
        String(32), default="binance", server_default=text("'binance'")
    )
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"), nullable=True, index=True
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    initial_capital: Mapped[MoneyOpt]
    daily_target_perc: Mapped[PercentOpt]
    max_daily_loss_perc: Mapped[PercentOpt]
    position_size_perc: Mapped[PercentOpt]
    position_size_fixed: Mapped[MoneyOpt]
    stop_loss_perc: Mapped[Percent]
    take_profit_perc: Mapped[Percent]
    trailing_stop_perc: Mapped[PercentOpt]
    trailing_stop_active: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    ema_fast: Mapped[int] = mapped_column(Integer)
    ema_slow: Mapped[int] = mapped_column(Integer)
    rsi_period: Mapped[int] = mapped_column(Integer)
    rsi_oversold: Mapped[int] = mapped_column(Integer)
    rsi_overbought: Mapped[int] = mapped_column(Integer)
    max_daily_trades: Mapped[int | None] = mapped_column(Integer, nullable=True)
    check_interval_seconds: Mapped[int] = mapped_column(
        Integer, default=60, server_default=text("60")
    )
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    owner: Mapped[User] = relationship(back_populates="bot_configs")
    api_key: Mapped[ApiKey | None] = relationship(back_populates="bot_configs")
    state: Mapped[BotState] = relationship(
        back_populates="config", uselist=False, cascade="all, delete-orphan", passive_deletes=True
    )
    trades: Mapped[list[Trade]] = relationship(back_populates="bot", passive_deletes=True)
    sim_balances: Mapped[list[SimBalance]] = relationship(
        back_populates="bot", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def needs_api_key(self) -> bool:
        """Live and testnet bots trade on the exchange with the user's key."""
        return self.mode in ("live", "testnet")
