"""Bot rows, always scoped to their owner; the state is loaded with the config."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from tradebot.models import BotConfig


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
