"""State events for changes made outside a bot's cycle (start, stop, edit, create, delete,
deactivation): published once the change has committed, whoever made it."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.db import after_commit
from tradebot.events.publisher import EventPublisher
from tradebot.events.snapshot import state_event, with_last_price
from tradebot.models import BotConfig

log = logging.getLogger(__name__)


def bot_changed(session: AsyncSession, publisher: EventPublisher, bot: BotConfig) -> None:
    """Publish `bot`'s state as it is now, after the session commits."""
    event = state_event(bot, bot.state)
    user_id, bot_id = bot.user_id, bot.id

    async def publish() -> None:
        # A manual change knows no price: an open position keeps the engine's last one.
        last = await publisher.last_states([bot_id])
        await publisher.bot_state(user_id, bot_id, with_last_price(event, last.get(bot_id)))

    after_commit(session, publish)


def bot_deleted(
    session: AsyncSession, publisher: EventPublisher, user_id: int, bot_id: int
) -> None:
    """Tell the owner's streams that `bot_id` is gone, after the session commits."""
    event: dict[str, Any] = {"type": "deleted", "bot_id": bot_id}

    async def publish() -> None:
        await publisher.forget(bot_id)
        await publisher.publish(user_id, event)

    after_commit(session, publish)


async def backtest_changed(
    publisher: EventPublisher, user_id: int, backtest_id: int, status: str, progress: int
) -> None:
    """Tell the owner's streams where a backtest job stands (a lost notice only logs)."""
    event = {"type": "backtest", "id": backtest_id, "status": status, "progress": progress}
    try:
        await publisher.publish(user_id, event)
    except (RedisError, OSError) as exc:
        log.warning("backtest %d: event not published (%s)", backtest_id, type(exc).__name__)


def backtest_committed(
    session: AsyncSession,
    publisher: EventPublisher,
    user_id: int,
    backtest_id: int,
    status: str,
    progress: int,
) -> None:
    """`backtest_changed`, once `session` commits."""

    async def publish() -> None:
        await backtest_changed(publisher, user_id, backtest_id, status, progress)

    after_commit(session, publish)
