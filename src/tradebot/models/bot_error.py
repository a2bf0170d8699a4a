from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from tradebot.models.base import Base

ERROR_KINDS = ("temporary", "permanent")


class BotError(Base):
    """One failed cycle of a bot, as its owner sees it: the same sanitised sentence as
    `BotState.last_error_message` (never a secret or a traceback). The engine keeps the
    latest few hundred per bot."""

    __tablename__ = "bot_errors"
    __table_args__ = (
        # The bot's history, newest first (and the trim of its oldest rows).
        Index("ix_bot_errors_bot_config_id_occurred_at_id", "bot_config_id", "occurred_at", "id"),
        CheckConstraint("kind IN ('temporary', 'permanent')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    bot_config_id: Mapped[int] = mapped_column(ForeignKey("bot_configs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    message: Mapped[str] = mapped_column(Text)
    # temporary: the bot retries after a backoff; permanent: it stopped in status error.
    kind: Mapped[str] = mapped_column(String(16))
    # The cycle's attempt: 1 for a first failure, n for the (n-1)th retry in a row.
    attempt: Mapped[int] = mapped_column(Integer)
