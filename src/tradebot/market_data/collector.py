"""The collector: keeps the watched markets' candles, prices, funding and open interest warm.

Run by Beat every MARKET_COLLECT_SECONDS. It writes into the engine's own cache
(`MarketData`, the same keys bots and commands read), through the background exchanges: a
capped share of each weight budget that never waits, so a busy minute starves the collector
and never the bots. Candles are fetched once per candle period (closed candles do not
change); prices and perpetual data when older than half the interval. Demo markets are
computed in-process and need no collecting.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from tradebot.config import Settings
from tradebot.engine.context import EngineContext
from tradebot.exchange.errors import ExchangeError, NotAvailable
from tradebot.exchange.perpetuals import PerpetualSource
from tradebot.exchange.simulated import MarketSource
from tradebot.market_data.watched import RecentMarkets, Watch, watched_symbols

log = logging.getLogger(__name__)
CONCURRENCY = 8
PERPETUAL_MODES = frozenset({"live", "paper"})  # the modes that read live Binance data


def command_max_age(settings: Settings) -> float:
    """How old a cached price or perpetual figure a chat command accepts: one collector
    interval and a half, so a warm market never costs a command an exchange call."""
    return settings.market_collect_interval * 1.5


def refresh_age(settings: Settings) -> float:
    """The collector refetches prices and perpetual data older than this."""
    return settings.market_collect_interval / 2


def recent_markets(ctx: EngineContext) -> RecentMarkets:
    """The record of the chat commands' markets, in this installation's Redis."""
    return RecentMarkets(ctx.redis, ctx.settings.redis_key_prefix)


@dataclass
class CollectReport:
    """What one run did: markets seen, jobs done (fetched or found fresh), failures."""

    markets: int = 0
    done: int = 0
    failures: Counter[str] = field(default_factory=Counter)


Job = Callable[[], Awaitable[None]]


async def _ticker(ctx: EngineContext, source: MarketSource, w: Watch) -> None:
    fetch = partial(source.fetch_ticker, w.symbol)
    await ctx.market_data.ticker_entry(
        w.namespace, w.symbol, fetch, max_age=refresh_age(ctx.settings)
    )


async def _candles(ctx: EngineContext, source: MarketSource, w: Watch, timeframe: str) -> None:
    limit = ctx.settings.candle_limit
    fetch = partial(source.fetch_candles, w.symbol, timeframe, limit)
    await ctx.market_data.candles_entry(w.namespace, w.symbol, timeframe, limit, fetch)


async def _perpetual(ctx: EngineContext, perps: PerpetualSource, w: Watch) -> None:
    fresh = refresh_age(ctx.settings)
    md = ctx.market_data
    funding = partial(perps.fetch_funding_rate, w.symbol)
    await md.funding_rate(w.namespace, w.symbol, funding, max_age=fresh)
    interest = partial(perps.fetch_open_interest, w.symbol)
    await md.open_interest(w.namespace, w.symbol, interest, max_age=fresh)


def _jobs(ctx: EngineContext, watched: set[Watch]) -> list[Job]:
    """One job per (namespace, symbol) price and perpetual, per timeframe's candles."""
    jobs: dict[tuple[str, ...], Job] = {}
    for w in watched:
        source = ctx.background.public(w.mode)
        if getattr(source, "local", False):
            continue
        market = (w.namespace, w.symbol)
        jobs.setdefault(("ticker", *market), partial(_ticker, ctx, source, w))
        if w.timeframe is not None:
            key = ("candles", *market, w.timeframe)
            jobs.setdefault(key, partial(_candles, ctx, source, w, w.timeframe))
        if w.mode in PERPETUAL_MODES:
            perps = ctx.background.perpetuals(w.mode)
            jobs.setdefault(("perpetual", *market), partial(_perpetual, ctx, perps, w))
    return list(jobs.values())


async def collect(ctx: EngineContext, now: float | None = None) -> CollectReport:
    """One collector run over every watched market, within one collector interval."""
    now = ctx.market_data.now() if now is None else now
    watched = await watched_symbols(ctx.sessions, recent_markets(ctx), now)
    report = CollectReport(markets=len(watched))
    jobs = _jobs(ctx, watched)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def run(job: Job) -> None:
        async with gate:
            try:
                await job()
                report.done += 1
            except NotAvailable:
                pass  # no perpetual for this symbol: nothing to keep
            except ExchangeError as exc:
                report.failures[type(exc).__name__] += 1
                log.debug("collector fetch failed: %s", exc)

    try:
        async with asyncio.timeout(ctx.settings.market_collect_interval):
            await asyncio.gather(*(run(job) for job in jobs))
    except TimeoutError:
        report.failures["Timeout"] += 1
    if report.failures:
        summary = ", ".join(f"{name} x{n}" for name, n in sorted(report.failures.items()))
        log.info("market data collector: %d markets, failures: %s", report.markets, summary)
    return report
