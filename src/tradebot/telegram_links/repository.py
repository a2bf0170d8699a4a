"""Telegram link rows, always looked up by their owner or by the chat they bind."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.models import TelegramLink, User


async def get_for_user(session: AsyncSession, user_id: int) -> TelegramLink | None:
    result = await session.execute(select(TelegramLink).where(TelegramLink.user_id == user_id))
    return result.scalar_one_or_none()


async def get_for_chat(session: AsyncSession, chat_id: int) -> TelegramLink | None:
    result = await session.execute(select(TelegramLink).where(TelegramLink.chat_id == chat_id))
    return result.scalar_one_or_none()


async def active_user_for_chat(session: AsyncSession, chat_id: int) -> int | None:
    """The account linked to `chat_id`, unless it has been deactivated."""
    result = await session.execute(
        select(TelegramLink.user_id)
        .join(User, User.id == TelegramLink.user_id)
        .where(TelegramLink.chat_id == chat_id, User.is_active.is_(True))
    )
    return result.scalar_one_or_none()
