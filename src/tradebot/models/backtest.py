from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tradebot.models.base import Base, CreatedAt

BACKTEST_STATUSES = ("queued", "running", "done", "failed", "cancelled")


class Backtest(Base):
    """One backtest job of a user: its parameters, progress and result (run on the workers)."""

    __tablename__ = "backtests"
    __table_args__ = (
        # The user's history, newest first.
        Index("ix_backtests_user_id_created_at_id", "user_id", "created_at", "id"),
        CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'cancelled')", name="status"
        ),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    # symbol, timeframe, source, bars or start/end, strategy settings, sizing, bot_id
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    progress: Mapped[int] = mapped_column(SmallInteger, default=0)
    # metrics, equity curve and trades once done
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[CreatedAt]
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Written with every progress update while running; a stale one means the worker died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
