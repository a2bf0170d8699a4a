"""The markets worth keeping warm: those that active bots, alarms and recent commands use.

`watched_symbols` is the one place the collector asks. Its database half is a tuple of
queries, `DATABASE_SOURCES`, one per kind of user of market data: alarms (or anything else
that wants its markets kept warm) have a query there, `async (session) -> Iterable[Watch]`.
Its Redis half is `RecentMarkets`, the markets of the chat commands of the last hour.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tradebot.charts.service import SOURCES
from tradebot.engine.exchanges import market_id
from tradebot.models import Alarm, BotConfig

RECENT_SECONDS = 3600.0
RECENT_MAX = 200  # a cap on what chat users alone can make the collector fetch


@dataclass(frozen=True)
class Watch:
    """One market in use: `mode` says where its data comes from (paper reads live data)."""

    mode: str  # live | testnet | paper | demo
    exchange: str
    symbol: str
    timeframe: str | None  # None: the price (and perpetual data) only, no candles

    @property
    def namespace(self) -> str:
        """The market-data namespace it is cached under."""
        return market_id(self.mode, self.exchange)

    def member(self) -> str:
        return "|".join((self.mode, self.exchange, self.symbol, self.timeframe or ""))

    @classmethod
    def from_member(cls, member: str) -> Watch | None:
        parts = member.split("|")
        if len(parts) != 4:
            return None
        mode, exchange, symbol, timeframe = parts
        return cls(mode, exchange, symbol, timeframe or None)


WatchQuery = Callable[[AsyncSession], Awaitable[Iterable[Watch]]]


async def active_bots(session: AsyncSession) -> list[Watch]:
    """The market of every active bot (any user: this is the system's view)."""
    rows = await session.execute(
        select(BotConfig.mode, BotConfig.exchange, BotConfig.symbol, BotConfig.timeframe)
        .where(BotConfig.is_active)
        .distinct()
    )
    return [Watch(*row) for row in rows]


async def alarms(session: AsyncSession) -> list[Watch]:
    """The market of every alarm: its price, and the candles of RSI and EMA alarms."""
    rows = await session.execute(select(Alarm.source, Alarm.symbol, Alarm.timeframe).distinct())
    return [Watch(SOURCES[source], "binance", symbol, tf) for source, symbol, tf in rows]


# One query per kind of user of market data.
DATABASE_SOURCES: tuple[WatchQuery, ...] = (active_bots, alarms)


class RecentMarkets:
    """Markets of recent chat commands: a Redis sorted set scored by last use.

    Entries older than `window` seconds are dropped on every write and ignored on read, and
    the whole key expires `window` after the last write, so an idle installation keeps none.
    """

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        *,
        window: float = RECENT_SECONDS,
        max_entries: int = RECENT_MAX,
    ) -> None:
        self._redis = redis
        self.key = f"{prefix}md:recent"
        self.window = window
        self.max_entries = max_entries

    async def record(self, watch: Watch, now: float) -> None:
        """`watch` was used at `now` (epoch seconds)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self.key, {watch.member(): now})
            pipe.zremrangebyscore(self.key, "-inf", now - self.window)
            pipe.zremrangebyrank(self.key, 0, -(self.max_entries + 1))
            pipe.expire(self.key, max(1, int(self.window)))
            await pipe.execute()

    async def current(self, now: float) -> set[Watch]:
        """The markets used within the window before `now`."""
        members = await self._redis.zrangebyscore(self.key, now - self.window, "+inf")
        found = (Watch.from_member(m.decode() if isinstance(m, bytes) else str(m)) for m in members)
        return {w for w in found if w is not None}


async def watched_symbols(
    sessions: async_sessionmaker[AsyncSession], recent: RecentMarkets, now: float
) -> set[Watch]:
    """Every market that bots, alarms or recent commands use."""
    watched = await recent.current(now)
    async with sessions() as session:
        for query in DATABASE_SOURCES:
            watched.update(await query(session))
    return watched
