"""Bot configuration and start/stop, for the owner only.

Every change is published to the owner's live streams once it commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.api_keys import repository as api_keys
from tradebot.api_keys.service import key_for_bot
from tradebot.bots import repository, rules
from tradebot.bots.schemas import (
    REQUIRED_FIELDS,
    BotCreate,
    BotErrorOut,
    BotErrorPage,
    BotUpdate,
)
from tradebot.context import AppContext
from tradebot.errors import Conflict, InvalidInput, NotFound, invalid
from tradebot.events import notify
from tradebot.models import BotConfig, BotState
from tradebot.notifications import outbox
from tradebot.paging import cut, decode_cursor

# Changing these under an open position would orphan it.
POSITION_BOUND_FIELDS = ("symbol", "mode", "api_key_id")


async def get(session: AsyncSession, user_id: int, bot_id: int, *, lock: bool = False) -> BotConfig:
    bot = await repository.get_for(session, user_id, bot_id, lock=lock)
    if bot is None:
        raise NotFound("bot not found")
    return bot


async def list_bots(session: AsyncSession, user_id: int) -> Sequence[BotConfig]:
    return await repository.list_for(session, user_id)


async def errors(
    session: AsyncSession, user_id: int, bot_id: int, *, limit: int, cursor: str | None
) -> BotErrorPage:
    """One page of the bot's error history, newest first."""
    await get(session, user_id, bot_id)  # 404 for unknown or foreign bots
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.errors_for(session, user_id, bot_id, limit=limit + 1, after=after)
    items, next_cursor = cut(rows, limit, lambda e: (e.occurred_at, e.id))
    page = [BotErrorOut.model_validate(e) for e in items]
    return BotErrorPage(items=page, next_cursor=next_cursor)


async def _check_key_owner(session: AsyncSession, user_id: int, key_id: int | None) -> None:
    if key_id is not None and await api_keys.get_for(session, user_id, key_id) is None:
        raise NotFound("API key not found", field="api_key_id")


def _validate(values: dict[str, Any]) -> None:
    errors = rules.check(values)
    if errors:
        raise invalid(errors)


async def create(
    ctx: AppContext, session: AsyncSession, user_id: int, body: BotCreate
) -> BotConfig:
    """A new, stopped bot with its state."""
    values = body.model_dump()
    _validate(values)
    await _check_key_owner(session, user_id, body.api_key_id)
    bot = BotConfig(user_id=user_id, is_active=False, **values)
    bot.state = BotState(status="stopped")
    session.add(bot)
    await session.flush()
    notify.bot_changed(session, ctx.publisher, bot)
    return bot


def _position_guard(bot: BotConfig, changes: dict[str, Any]) -> None:
    """Fields that would orphan an open position or an unresolved order cannot change."""
    st = bot.state
    if not st.has_position_or_order:
        return
    moved = [k for k in POSITION_BOUND_FIELDS if k in changes and changes[k] != getattr(bot, k)]
    if not moved:
        return
    if st.pending_order is not None:
        why = (
            f"an order ({st.pending_order.get('side', '?')}) was sent and its outcome is not "
            "known yet; start the bot to resolve it"
        )
    else:
        why = "the bot holds a position; close it first"
    raise Conflict(f"cannot change {', '.join(moved)}: {why}", field=moved[0])


async def update(
    ctx: AppContext, session: AsyncSession, user_id: int, bot_id: int, body: BotUpdate
) -> BotConfig:
    """Apply a partial change; the merged config must satisfy every rule."""
    bot = await get(session, user_id, bot_id, lock=True)
    changes = body.model_dump(exclude_unset=True)
    nulls = sorted(k for k, v in changes.items() if v is None and k in REQUIRED_FIELDS)
    if nulls:
        raise invalid([{"field": k, "reason": "may not be null"} for k in nulls])
    _position_guard(bot, changes)
    merged = {c.key: getattr(bot, c.key) for c in BotConfig.__table__.columns}
    merged.update(changes)
    _validate(merged)
    if "api_key_id" in changes:
        await _check_key_owner(session, user_id, changes["api_key_id"])
    for key, value in changes.items():
        setattr(bot, key, value)
    if bot.is_active:
        await _require_key(session, bot)  # e.g. a running demo bot switched to live
    await session.flush()
    notify.bot_changed(session, ctx.publisher, bot)
    return bot


async def delete(ctx: AppContext, session: AsyncSession, user_id: int, bot_id: int) -> None:
    """Delete a stopped bot; its trades stay in the history."""
    bot = await get(session, user_id, bot_id, lock=True)
    if bot.is_active:
        raise Conflict("stop the bot before deleting it")
    await session.delete(bot)
    await session.flush()
    notify.bot_deleted(session, ctx.publisher, user_id, bot_id)


async def _require_key(session: AsyncSession, bot: BotConfig) -> None:
    """Live and testnet bots cannot run without an API key: 422 naming it."""
    if bot.needs_api_key and await key_for_bot(session, bot) is None:
        raise InvalidInput(
            f"a {bot.mode} bot needs an API key: add one under /api-keys first",
            field="api_key_id",
        )


async def start(ctx: AppContext, session: AsyncSession, user_id: int, bot_id: int) -> BotConfig:
    """Mark the bot active and running; live/testnet bots need an API key."""
    bot = await get(session, user_id, bot_id, lock=True)
    await _require_key(session, bot)
    if not bot.is_active or bot.state.status != "running":
        bot.is_active = True
        st = bot.state
        st.status = "running"
        st.last_error_message = st.stop_reason = None
        st.retry_count = 0
        st.next_run_at = datetime.now(UTC)
        st.queued_until = None
        await session.flush()
        notify.bot_changed(session, ctx.publisher, bot)
    return bot


def _halt(bot: BotConfig, reason: str) -> bool:
    """Mark the bot inactive and stopped; False when it already was."""
    if not bot.is_active and bot.state.status == "stopped":
        return False
    bot.is_active = False
    bot.state.status = "stopped"
    bot.state.stop_reason = reason
    bot.state.next_run_at = None
    return True


async def _stopped(ctx: AppContext, session: AsyncSession, bot: BotConfig, reason: str) -> None:
    """After `_halt`: the state event once committed, and the owner's chat told."""
    notify.bot_changed(session, ctx.publisher, bot)
    key = f"stopped:{bot.id}:{reason}:{datetime.now(UTC).isoformat()}"
    text = outbox.stopped_text(outbox.bot_title(bot.id, bot.name), reason)
    await outbox.enqueue(session, bot.user_id, "stopped", key, text)


async def stop(ctx: AppContext, session: AsyncSession, user_id: int, bot_id: int) -> BotConfig:
    """Mark the bot inactive and stopped."""
    bot = await get(session, user_id, bot_id, lock=True)
    if _halt(bot, "stopped_by_user"):
        await session.flush()
        await _stopped(ctx, session, bot, "stopped_by_user")
    return bot


async def stop_all(ctx: AppContext, session: AsyncSession, user_id: int, reason: str) -> int:
    """Stop every bot of a user (as a manual stop does); returns how many were stopped."""
    bots = await repository.list_for(session, user_id, lock=True)
    stopped = [b for b in bots if _halt(b, reason)]
    await session.flush()
    for bot in stopped:
        await _stopped(ctx, session, bot, reason)
    return len(stopped)
