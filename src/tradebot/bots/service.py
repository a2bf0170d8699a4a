"""Bot configuration and start/stop, for the owner only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.api_keys import repository as api_keys
from tradebot.api_keys.service import key_for_bot
from tradebot.bots import repository, rules
from tradebot.bots.schemas import REQUIRED_FIELDS, BotCreate, BotUpdate
from tradebot.errors import Conflict, NotFound, invalid
from tradebot.models import BotConfig, BotState

# Changing these under an open position would orphan it.
POSITION_BOUND_FIELDS = ("symbol", "mode", "api_key_id")


async def get(session: AsyncSession, user_id: int, bot_id: int, *, lock: bool = False) -> BotConfig:
    bot = await repository.get_for(session, user_id, bot_id, lock=lock)
    if bot is None:
        raise NotFound("bot not found")
    return bot


async def list_bots(session: AsyncSession, user_id: int) -> Sequence[BotConfig]:
    return await repository.list_for(session, user_id)


async def _check_key_owner(session: AsyncSession, user_id: int, key_id: int | None) -> None:
    if key_id is not None and await api_keys.get_for(session, user_id, key_id) is None:
        raise NotFound("API key not found", field="api_key_id")


def _validate(values: dict[str, Any]) -> None:
    errors = rules.check(values)
    if errors:
        raise invalid(errors)


async def create(session: AsyncSession, user_id: int, body: BotCreate) -> BotConfig:
    """A new, stopped bot with its state."""
    values = body.model_dump()
    _validate(values)
    await _check_key_owner(session, user_id, body.api_key_id)
    bot = BotConfig(user_id=user_id, is_active=False, **values)
    bot.state = BotState(status="stopped")
    session.add(bot)
    await session.flush()
    return bot


async def update(session: AsyncSession, user_id: int, bot_id: int, body: BotUpdate) -> BotConfig:
    """Apply a partial change; the merged config must satisfy every rule."""
    bot = await get(session, user_id, bot_id, lock=True)
    changes = body.model_dump(exclude_unset=True)
    nulls = sorted(k for k, v in changes.items() if v is None and k in REQUIRED_FIELDS)
    if nulls:
        raise invalid([{"field": k, "reason": "may not be null"} for k in nulls])
    if bot.state.in_position:
        moved = [k for k in POSITION_BOUND_FIELDS if k in changes and changes[k] != getattr(bot, k)]
        if moved:
            raise Conflict(
                f"cannot change {', '.join(moved)} while the bot holds a position", field=moved[0]
            )
    merged = {c.key: getattr(bot, c.key) for c in BotConfig.__table__.columns}
    merged.update(changes)
    _validate(merged)
    if "api_key_id" in changes:
        await _check_key_owner(session, user_id, changes["api_key_id"])
    for key, value in changes.items():
        setattr(bot, key, value)
    await session.flush()
    return bot


async def delete(session: AsyncSession, user_id: int, bot_id: int) -> None:
    """Delete a stopped bot; its trades stay in the history."""
    bot = await get(session, user_id, bot_id, lock=True)
    if bot.is_active:
        raise Conflict("stop the bot before deleting it")
    await session.delete(bot)
    await session.flush()


async def start(session: AsyncSession, user_id: int, bot_id: int) -> BotConfig:
    """Mark the bot active and running; live/testnet bots need an API key."""
    bot = await get(session, user_id, bot_id, lock=True)
    if bot.needs_api_key and await key_for_bot(session, bot) is None:
        raise Conflict(f"a {bot.mode} bot needs an API key: add one under /api-keys first")
    if not bot.is_active or bot.state.status != "running":
        bot.is_active = True
        st = bot.state
        st.status = "running"
        st.last_error_message = st.stop_reason = None
        st.retry_count = 0
        st.next_run_at = datetime.now(UTC)
        st.queued_until = None
        await session.flush()
    return bot


async def stop(session: AsyncSession, user_id: int, bot_id: int) -> BotConfig:
    """Mark the bot inactive and stopped."""
    bot = await get(session, user_id, bot_id, lock=True)
    if bot.is_active or bot.state.status != "stopped":
        bot.is_active = False
        bot.state.status = "stopped"
        bot.state.stop_reason = "stopped_by_user"
        bot.state.next_run_at = None
        await session.flush()
    return bot
