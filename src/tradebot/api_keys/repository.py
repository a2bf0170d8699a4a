"""API key rows, always scoped to their owner."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.models import ApiKey


async def list_for(session: AsyncSession, user_id: int) -> Sequence[ApiKey]:
    result = await session.execute(
        select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id)
    )
    return result.scalars().all()


async def get_for(session: AsyncSession, user_id: int, key_id: int) -> ApiKey | None:
    result = await session.execute(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user_id)
    )
    return result.scalar_one_or_none()


async def newest_for(session: AsyncSession, user_id: int) -> ApiKey | None:
    """The user's default key: the newest valid one, else the newest."""
    result = await session.execute(
        select(ApiKey)
        .where(ApiKey.user_id == user_id)
        .order_by(ApiKey.is_valid.desc(), ApiKey.id.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def all_rows(session: AsyncSession) -> Sequence[ApiKey]:
    """Every key of every user, locked: only for re-encryption under a new key."""
    result = await session.execute(select(ApiKey).order_by(ApiKey.id).with_for_update())
    return result.scalars().all()
