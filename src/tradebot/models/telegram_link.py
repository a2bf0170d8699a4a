from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, String, func, true
from sqlalchemy.orm import Mapped, mapped_column

from tradebot.models.base import Base

# The kinds of notification a user can switch on or off, each a `notify_<kind>` column.
NOTIFICATION_KINDS = ("trade", "stopped", "error", "alarm")


class TelegramLink(Base):
    """A user's Telegram chat: one per user, one user per chat (a private chat only)."""

    __tablename__ = "telegram_links"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True, index=True)
    # The Telegram @username when the link was made, for the dashboard to show.
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    notify_trade: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_stopped: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_error: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_alarm: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class TelegramLinkCode(Base):
    """A one-time code that links the chat it is sent from to its user; only its hash is
    kept, so a database reader cannot link a chat of their own."""

    __tablename__ = "telegram_link_codes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
