"""Realised P&L and trade counts of a user's bots: per bot, per UTC day, today and ever, and
per quote asset and kind of money (which are what can be added up)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.bots import service as bots
from tradebot.errors import InvalidInput
from tradebot.stats.schemas import (
    BotTotalsOut,
    DayTotalsOut,
    GroupTotalsOut,
    Money,
    StatsOut,
    TotalsOut,
)
from tradebot.trades import repository as trades
from tradebot.trades.repository import Totals

DEFAULT_RANGE = timedelta(days=30)
MAX_RANGE = timedelta(days=366)
MONEY_ORDER: tuple[Money, ...] = ("real", "test", "simulated")
# Simulated accounts are their own venues; a testnet's is "<exchange>-testnet"
# (`engine.exchanges.venue`), any other is an exchange's real one.
SIMULATED_VENUES = frozenset({"paper", "demo"})

GroupKey = tuple[str, Money]  # (quote asset, money)


def money_of(venue: str) -> Money:
    """The kind of money a trade on `venue` was made with."""
    if venue in SIMULATED_VENUES:
        return "simulated"
    return "test" if venue.endswith("-testnet") else "real"


def _by_group(rows: list[tuple[str, str, Totals]]) -> dict[GroupKey, Totals]:
    """Venues' totals summed per (quote asset, money): a live bot on two exchanges is one group."""
    out: dict[GroupKey, Totals] = {}
    for venue, quote, t in rows:
        key = (quote, money_of(venue))
        out[key] = out.get(key, Totals()) + t
    return out


def _out(t: Totals) -> TotalsOut:
    return TotalsOut(**asdict(t))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def stats(
    session: AsyncSession,
    user_id: int,
    *,
    start: datetime | None,
    end: datetime | None,
    bot_id: int | None,
    now: datetime | None = None,
) -> StatsOut:
    """Totals for [start, end) (default: the last 30 days), for today and for all time."""
    now = now or datetime.now(UTC)
    end = _aware(end) if end else now
    start = _aware(start) if start else end - DEFAULT_RANGE
    if start >= end:
        raise InvalidInput("must be before to", field="from")
    if end - start > MAX_RANGE:
        raise InvalidInput(f"a range spans at most {MAX_RANGE.days} days", field="from")
    if bot_id is not None:
        await bots.get(session, user_id, bot_id)  # 404 for unknown or foreign bots
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)

    async def per_group(since: datetime | None, until: datetime | None) -> dict[GroupKey, Totals]:
        rows = await trades.totals_by_venue_and_quote(
            session, user_id, bot_id=bot_id, start=since, end=until
        )
        return _by_group(rows)

    # The mixed totals are the groups' sums: one grouped query per period serves both.
    in_range = await per_group(start, end)
    today = await per_group(midnight, None)
    ever = await per_group(None, None)
    per_bot = await trades.totals_by_bot(session, user_id, bot_id=bot_id, start=start, end=end)
    per_day = await trades.totals_by_day(session, user_id, bot_id=bot_id, start=start, end=end)
    return StatsOut(
        start=start,
        end=end,
        bot_id=bot_id,
        total=_out(_sum(in_range)),
        by_bot=[BotTotalsOut(bot_id=b, name=n, **asdict(t)) for b, n, t in per_bot],
        by_day=[DayTotalsOut(day=d, **asdict(t)) for d, t in per_day],
        today=_out(_sum(today)),
        all_time=_out(_sum(ever)),
        groups=_groups(in_range, today, ever),
    )


def _sum(groups: dict[GroupKey, Totals]) -> Totals:
    return sum(groups.values(), Totals())


def _groups(
    in_range: dict[GroupKey, Totals], today: dict[GroupKey, Totals], ever: dict[GroupKey, Totals]
) -> list[GroupTotalsOut]:
    """The range's, today's and all-time totals of each group with a trade ever."""
    order = sorted(ever, key=lambda k: (MONEY_ORDER.index(k[1]), k[0]))
    return [
        GroupTotalsOut(
            quote=quote,
            money=money,
            total=_out(in_range.get((quote, money), Totals())),
            today=_out(today.get((quote, money), Totals())),
            all_time=_out(ever[(quote, money)]),
        )
        for quote, money in order
    ]
