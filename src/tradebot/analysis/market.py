"""Cache-first market reads for the chat commands, each value stamped with its age.

The hybrid model: the collector keeps watched markets in the shared cache; a command reads
the cache first and, when the value is missing or older than `command_max_age`, fetches it
live through the same cache (single flight, the shared weight budget). Candles are the
bots' own entry (CANDLE_LIMIT of them), so `/ta` sees exactly what a bot on the market sees.
The demo market is computed in-process: nothing is cached, its values are new.
"""

from __future__ import annotations

from functools import partial

from tradebot.charts.service import SOURCES
from tradebot.core.candles import Candles
from tradebot.core.types import Ticker
from tradebot.engine.context import EngineContext
from tradebot.engine.exchanges import market_id
from tradebot.exchange.perpetuals import FundingRate, OpenInterest
from tradebot.market_data.codec import Stamped
from tradebot.market_data.collector import command_max_age
from tradebot.market_data.watched import Watch


class MarketReader:
    """One source's prices, closed candles and perpetual data ("binance" or "demo")."""

    exchange = "binance"

    def __init__(self, ctx: EngineContext, source: str) -> None:
        self.ctx = ctx
        self.mode = SOURCES[source]
        self.namespace = market_id(self.mode, self.exchange)
        self.public = ctx.exchanges.public(self.mode)
        self.local = bool(getattr(self.public, "local", False))
        self.max_age = command_max_age(ctx.settings)

    def now(self) -> float:
        return self.ctx.market_data.now()

    def watch(self, symbol: str, timeframe: str | None = None) -> Watch:
        """This source's market of `symbol`, as the collector watches it."""
        return Watch(self.mode, self.exchange, symbol, timeframe)

    async def ticker(self, symbol: str) -> Stamped[Ticker]:
        """The last price, cached or fetched."""
        fetch = partial(self.public.fetch_ticker, symbol)
        if self.local:
            return Stamped(await fetch(), self.now())
        md = self.ctx.market_data
        return await md.ticker_entry(self.namespace, symbol, fetch, max_age=self.max_age)

    async def closed_candles(self, symbol: str, timeframe: str, ticker: Ticker) -> Stamped[Candles]:
        """The bots' candles of the market, closed ones only, as of `ticker` (the demo's
        clock) or now (an exchange's candles)."""
        limit = self.ctx.settings.candle_limit
        fetch = partial(self.public.fetch_candles, symbol, timeframe, limit)
        if self.local:
            candles, fetched_at = await fetch(), self.now()
            now_ms = int(ticker.timestamp.timestamp() * 1000)
        else:
            md = self.ctx.market_data
            entry = await md.candles_entry(self.namespace, symbol, timeframe, limit, fetch)
            candles, fetched_at = entry.candles, entry.fetched_at
            now_ms = int(self.now() * 1000)
        return Stamped(candles.closed(now_ms, timeframe), fetched_at)

    async def funding_rate(self, symbol: str) -> Stamped[FundingRate]:
        """The perpetual's funding; raises `NotAvailable` where there is none."""
        fetch = partial(self.ctx.exchanges.perpetuals(self.mode).fetch_funding_rate, symbol)
        if self.local:
            return Stamped(await fetch(), self.now())
        md = self.ctx.market_data
        return await md.funding_rate(self.namespace, symbol, fetch, max_age=self.max_age)

    async def open_interest(self, symbol: str) -> Stamped[OpenInterest]:
        """The perpetual's open interest; raises `NotAvailable` where there is none."""
        fetch = partial(self.ctx.exchanges.perpetuals(self.mode).fetch_open_interest, symbol)
        if self.local:
            return Stamped(await fetch(), self.now())
        md = self.ctx.market_data
        return await md.open_interest(self.namespace, symbol, fetch, max_age=self.max_age)
