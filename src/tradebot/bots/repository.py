"""Bot rows, always scoped to their owner; the state is loaded with the config, the error
history paged on its own."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from tradebot.models import BotConfig, BotError
from tradebot.paging import Position, keyset


def _owned(user_id: int):  # type: ignore[no-untyped-def]
    return (
        select(BotConfig).where(BotConfig.user_id == user_id).options(selectinload(BotConfig.state))
    )


async def list_for(
    session: AsyncSession, user_id: int, *, lock: bool = False
) -> Sequence[BotConfig]:
    stmt = _owned(user_id).order_by(BotConfig.id)
    if lock:
        stmt = stmt.with_for_update()
    result = await session.execute(stmt)
    return result.scalars().all()


async def get_for(
    session: AsyncSession, user_id: int, bot_id: int, *, lock: bool = False
) -> BotConfig | None:
    stmt = _owned(user_id).where(BotConfig.id == bot_id)
    if lock:
        stmt = stmt.with_for_update()
    result = await session.execute(stmt)
    return result.scalar_one_or_none()


async def errors_for(
    session: AsyncSession, user_id: int, bot_id: int, *, limit: int, after: Position | None
) -> Sequence[BotError]:
    """Up to `limit` of the bot's errors, newest first, older than the `after` position."""
    stmt = select(BotError).where(BotError.user_id == user_id, BotError.bot_config_id == bot_id)
    stmt = keyset(stmt, BotError.occurred_at, BotError.id, after=after)
    return (await session.execute(stmt.limit(limit))).scalars().all()
