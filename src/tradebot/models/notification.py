from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from tradebot.models.base import Base


class Notification(Base):
    """One message for a user's linked chat, written in the transaction of the event it
    tells of (a trade, a stop, an error, an alarm) and sent later by the delivery task.

    `dedupe_key` names the event: the same event written twice is one row, so one message.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        # What is still to send, oldest first.
        Index(
            "ix_notifications_pending",
            "next_attempt_at",
            "id",
            postgresql_where=text("sent_at IS NULL"),
        ),
        Index("ix_notifications_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # one of NOTIFICATION_KINDS
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # A sender holds the row until then; one that died leaves it to the next after that.
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # sent | skipped (unlinked or switched off when its turn came) | failed (given up)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
