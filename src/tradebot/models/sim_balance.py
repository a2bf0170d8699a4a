from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tradebot.models.base import Base

if TYPE_CHECKING:
    from tradebot.models.bot_config import BotConfig


class SimBalance(Base):
    """The simulated account of a paper or demo bot: one row per asset."""

    __tablename__ = "sim_balances"

    bot_config_id: Mapped[int] = mapped_column(
        ForeignKey("bot_configs.id", ondelete="CASCADE"), primary_key=True
    )
    asset: Mapped[str] = mapped_column(String(16), primary_key=True)
    free: Mapped[Decimal] = mapped_column(Numeric(38, 18))

    bot: Mapped[BotConfig] = relationship(back_populates="sim_balances")
