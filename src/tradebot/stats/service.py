"""Realised P&L and trade counts of a user's bots: per bot, per UTC day, today and ever."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.bots import service as bots
from tradebot.errors import InvalidInput
from tradebot.stats.schemas import BotTotalsOut, DayTotalsOut, StatsOut, TotalsOut
from tradebot.trades import repository as trades

DEFAULT_RANGE = timedelta(days=30)
MAX_RANGE = timedelta(days=366)


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
    total = await trades.totals(session, user_id, bot_id=bot_id, start=start, end=end)
    per_bot = await trades.totals_by_bot(session, user_id, bot_id=bot_id, start=start, end=end)
    per_day = await trades.totals_by_day(session, user_id, bot_id=bot_id, start=start, end=end)
    today = await trades.totals(session, user_id, bot_id=bot_id, start=midnight)
    ever = await trades.totals(session, user_id, bot_id=bot_id)
    return StatsOut(
        start=start,
        end=end,
        bot_id=bot_id,
        total=TotalsOut(**asdict(total)),
        by_bot=[BotTotalsOut(bot_id=b, name=n, **asdict(t)) for b, n, t in per_bot],
        by_day=[DayTotalsOut(day=d, **asdict(t)) for d, t in per_day],
        today=TotalsOut(**asdict(today)),
        all_time=TotalsOut(**asdict(ever)),
    )
