"""Trade rows, scoped to their owner, newest first with keyset pagination."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.models import Trade


async def page_for(
    session: AsyncSession,
    user_id: int,
    *,
    bot_id: int | None,
    limit: int,
    after: tuple[datetime, int] | None,
) -> Sequence[Trade]:
    """Up to `limit` trades older than the `after` (timestamp, id) position."""
    stmt = select(Trade).where(Trade.user_id == user_id)
    if bot_id is not None:
        stmt = stmt.where(Trade.bot_config_id == bot_id)
    if after is not None:
        ts, tid = after
        stmt = stmt.where(or_(Trade.timestamp < ts, and_(Trade.timestamp == ts, Trade.id < tid)))
    stmt = stmt.order_by(Trade.timestamp.desc(), Trade.id.desc()).limit(limit)
    result = await session.execute(stmt)
    return result.scalars().all()


async def since_for_bot(
    session: AsyncSession, user_id: int, bot_id: int, since: datetime, *, limit: int
) -> Sequence[Trade]:
    """The bot's trades from `since` on, oldest first (the latest `limit` of them)."""
    stmt = (
        select(Trade)
        .where(Trade.user_id == user_id, Trade.bot_config_id == bot_id, Trade.timestamp >= since)
        .order_by(Trade.timestamp.desc(), Trade.id.desc())
        .limit(limit)
    )
    rows = (await session.execute(stmt)).scalars().all()
    return rows[::-1]
