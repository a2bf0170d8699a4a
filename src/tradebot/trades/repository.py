"""Trade rows, scoped to their owner: newest-first pages, chart markers, and P&L totals
aggregated in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, localcontext
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.models import BotConfig, Trade
from tradebot.paging import Order, Position, keyset


async def page_for(
    session: AsyncSession,
    user_id: int,
    *,
    bot_id: int | None,
    limit: int,
    after: Position | None,
    order: Order = "desc",
) -> Sequence[Trade]:
    """Up to `limit` trades past the `after` (timestamp, id) position, in `order`."""
    stmt = select(Trade).where(Trade.user_id == user_id)
    if bot_id is not None:
        stmt = stmt.where(Trade.bot_config_id == bot_id)
    stmt = keyset(stmt, Trade.timestamp, Trade.id, after=after, order=order)
    result = await session.execute(stmt.limit(limit))
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


EXACT_DIGITS = 60  # enough for a sum of many Numeric(38, 18) values


@dataclass(frozen=True)
class Totals:
    """Realised P&L, quote-asset fees, fills, winning and losing exits of a set of trades."""

    realised_pnl: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    trades: int = 0
    wins: int = 0
    losses: int = 0

    def __add__(self, other: Totals) -> Totals:
        # Exact, as PostgreSQL's sums are: Numeric(38, 18) has more digits than the default
        # decimal context's 28.
        with localcontext(prec=EXACT_DIGITS):
            return Totals(
                self.realised_pnl + other.realised_pnl,
                self.fees + other.fees,
                self.trades + other.trades,
                self.wins + other.wins,
                self.losses + other.losses,
            )


def _quote() -> Any:
    return func.split_part(Trade.symbol, "/", 2)


def _totals_columns() -> tuple[Any, ...]:
    # Fees count when paid in the quote asset (simulated accounts always are; a BNB fee is
    # not quote money and is left out rather than added to it).
    in_quote = Trade.commission_asset == _quote()
    return (
        func.coalesce(func.sum(Trade.pnl), 0),
        func.coalesce(func.sum(case((in_quote, Trade.commission_amount), else_=0)), 0),
        func.count(),
        func.count().filter(Trade.pnl > 0),
        func.count().filter(Trade.pnl < 0),
    )


def _scoped(user_id: int, bot_id: int | None, start: datetime | None, end: datetime | None):  # type: ignore[no-untyped-def]
    conds = [Trade.user_id == user_id]
    if bot_id is not None:
        conds.append(Trade.bot_config_id == bot_id)
    if start is not None:
        conds.append(Trade.timestamp >= start)
    if end is not None:
        conds.append(Trade.timestamp < end)
    return conds


def _totals(row: Sequence[Any]) -> Totals:
    pnl, fees, count, wins, losses = row
    return Totals(Decimal(pnl), Decimal(fees), int(count), int(wins), int(losses))


async def totals_by_bot(
    session: AsyncSession, user_id: int, *, bot_id: int | None, start: datetime, end: datetime
) -> list[tuple[int | None, str | None, Totals]]:
    """(bot id, bot name, totals) per bot in [start, end); deleted bots' trades under None."""
    stmt = (
        select(Trade.bot_config_id, BotConfig.name, *_totals_columns())
        .outerjoin(BotConfig, BotConfig.id == Trade.bot_config_id)
        .where(*_scoped(user_id, bot_id, start, end))
        .group_by(Trade.bot_config_id, BotConfig.name)
        .order_by(Trade.bot_config_id.nulls_last())
    )
    rows = (await session.execute(stmt)).all()
    return [(r[0], r[1], _totals(r[2:])) for r in rows]


async def totals_by_day(
    session: AsyncSession, user_id: int, *, bot_id: int | None, start: datetime, end: datetime
) -> list[tuple[date, Totals]]:
    """(UTC day, totals) for each day in [start, end) with trades, oldest first."""
    day = func.date(func.timezone("UTC", Trade.timestamp)).label("day")
    stmt = (
        select(day, *_totals_columns())
        .where(*_scoped(user_id, bot_id, start, end))
        .group_by(day)
        .order_by(day)
    )
    rows = (await session.execute(stmt)).all()
    return [(r[0], _totals(r[1:])) for r in rows]


async def totals_by_venue_and_quote(
    session: AsyncSession,
    user_id: int,
    *,
    bot_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[tuple[str, str, Totals]]:
    """(venue, quote asset, totals) per venue and quote asset with trades in [start, end)."""
    quote = _quote().label("quote")
    stmt = (
        select(Trade.venue, quote, *_totals_columns())
        .where(*_scoped(user_id, bot_id, start, end))
        .group_by(Trade.venue, quote)
        .order_by(Trade.venue, quote)
    )
    rows = (await session.execute(stmt)).all()
    return [(r[0], r[1], _totals(r[2:])) for r in rows]
