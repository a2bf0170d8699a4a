"""Scheduling bookkeeping in PostgreSQL: due bots, queue marks and the per-bot cycle lease.

A bot is *due* when it is running and `next_run_at` has passed. The dispatcher marks the due
bots it enqueues (`queued_until`) so the next tick does not enqueue them again; a lost message
simply lets the mark expire. A cycle *claims* a bot by taking its lease (a random token and an
expiry beyond the task's hard time limit) with one conditional UPDATE, so two deliveries, a
double start or a chain and the dispatcher racing never run one bot twice at once; every write
at the end of the cycle is fenced on the token, so a cycle that lost its lease cannot write.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tradebot.models import BotConfig, BotState, User


@dataclass(frozen=True)
class DueBot:
    bot_id: int
    market: tuple[str, str, str, str]  # (mode, exchange, symbol, timeframe)
    due_at: datetime


def batches(due: Sequence[DueBot], size: int, *, live_size: int) -> list[list[int]]:
    """The due bots in batches of at most `size` (`live_size` for bots that place real
    orders, whose cycles take network round trips): a market's bots side by side, so they
    share one read of it, and small markets packed together, so many markets of a few bots
    each are a few tasks, not one task per market."""
    by_market: dict[tuple[str, str, str, str], list[int]] = {}
    for bot in due:
        by_market.setdefault(bot.market, []).append(bot.bot_id)
    out: list[list[int]] = []
    for simulated in (True, False):
        limit = size if simulated else live_size
        current: list[int] = []
        for market in sorted(m for m in by_market if (m[0] in ("paper", "demo")) == simulated):
            ids = by_market[market]
            if current and len(current) + len(ids) > limit:
                out.append(current)  # a market whose bots do not fit starts a batch of its own
                current = []
            for i in range(0, len(ids), limit):
                chunk = ids[i : i + limit]
                if len(chunk) == limit:
                    out.append(chunk)
                else:
                    current += chunk
        if current:
            out.append(current)
    return out


def new_token() -> str:
    return secrets.token_hex(16)


def _free() -> ColumnElement[bool]:
    return or_(BotState.lease_expires_at.is_(None), BotState.lease_expires_at < func.now())


def _in(seconds: float) -> ColumnElement[datetime]:
    """The database's now() plus `seconds`: every process judges leases by one clock."""
    return func.now() + func.make_interval(0, 0, 0, 0, 0, 0, seconds)


async def mark_due(
    session: AsyncSession, *, grace: float = 0.0, queue_ttl: float, limit: int
) -> list[DueBot]:
    """Running bots due at least `grace` seconds ago, not leased or queued, marked as
    queued; oldest due first."""
    due = (
        select(BotState.id)
        .where(
            BotState.status == "running",
            BotState.next_run_at <= _in(-grace),
            or_(BotState.queued_until.is_(None), BotState.queued_until < func.now()),
            _free(),
        )
        .order_by(BotState.next_run_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    marked = (
        update(BotState)
        .where(BotState.id.in_(due))
        .values(queued_until=_in(queue_ttl))
        .returning(BotState.id, BotState.next_run_at)
    )
    rows = (await session.execute(marked)).all()
    if not rows:
        return []
    due_at = {r.id: r.next_run_at for r in rows}
    markets = await session.execute(
        select(
            BotConfig.id, BotConfig.mode, BotConfig.exchange, BotConfig.symbol, BotConfig.timeframe
        ).where(BotConfig.id.in_(due_at))
    )
    return sorted(
        (DueBot(r.id, (r.mode, r.exchange, r.symbol, r.timeframe), due_at[r.id]) for r in markets),
        key=lambda d: d.due_at,
    )


async def claim(
    session: AsyncSession, bot_ids: Sequence[int], *, lease_ttl: float, token: str
) -> dict[int, datetime]:
    """Take the lease of every due, free, active bot of an active user among `bot_ids`:
    {bot_id: due_at}."""
    if not bot_ids:
        return {}
    active = (
        select(BotConfig.id)
        .join(User, User.id == BotConfig.user_id)
        # A deactivated account's bots never trade, whatever their own flags say.
        .where(BotConfig.id.in_(bot_ids), BotConfig.is_active.is_(True), User.is_active.is_(True))
    )
    stmt = (
        update(BotState)
        .where(
            # The ids themselves as well: the primary key is then the plan whatever the
            # statistics say (stale ones made the due index look cheaper, a scan of every
            # overdue bot per claim).
            BotState.id.in_(bot_ids),
            BotState.id.in_(active.scalar_subquery()),
            BotState.status == "running",
            BotState.next_run_at <= func.now(),
            # free, or still held by this very task (a retry of it after a lost connection)
            or_(_free(), BotState.lease_token == token),
        )
        .values(lease_token=token, lease_expires_at=_in(lease_ttl))
        .returning(BotState.id, BotState.next_run_at)
    )
    return {r.id: r.next_run_at for r in (await session.execute(stmt)).all()}


async def release(session: AsyncSession, bot_ids: Sequence[int], token: str) -> None:
    """Give leases back without recording a cycle (the bot stays due)."""
    if bot_ids:
        await session.execute(
            update(BotState)
            .where(BotState.id.in_(bot_ids), BotState.lease_token == token)
            .values(lease_token=None, lease_expires_at=None, queued_until=None)
        )


def fenced(bot_id: int, token: str) -> ColumnElement[bool]:
    """The WHERE clause every end-of-cycle write of `bot_id` carries."""
    return and_(BotState.id == bot_id, BotState.lease_token == token)
