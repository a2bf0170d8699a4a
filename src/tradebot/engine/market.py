"""One market's closed candles, latest price and rules, read through the shared cache.

Bot cycles and the API's charts read markets the same way: exchange-backed markets through
the Redis cache (one upstream request per candle period for every process), the demo market
computed in-process.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from tradebot.engine.context import EngineContext
from tradebot.engine.cycle import MarketView
from tradebot.engine.exchanges import market_id

Market = tuple[str, str, str, str]  # mode, exchange, symbol, timeframe


async def market_view(ctx: EngineContext, market: Market, limit: int | None = None) -> MarketView:
    """Closed candles (up to `limit`, else CANDLE_LIMIT, minus a forming one), the latest
    price and the rules of one market."""
    mode, exchange, symbol, timeframe = market
    source = ctx.exchanges.public(mode)
    namespace = market_id(mode, exchange)
    # Never ask for less than the bots do: a cached entry must serve both.
    limit = max(limit or 0, ctx.settings.candle_limit)
    closed_candles = getattr(source, "closed_candles", None)
    if closed_candles is not None:  # the demo market: computed in-process, kept per minute
        ticker = await source.fetch_ticker(symbol)
        now_ms = int(ticker.timestamp.timestamp() * 1000)
        closed = closed_candles(symbol, timeframe, limit, now_ms)
        return MarketView(await source.market(symbol), closed, ticker.last, ticker.timestamp)
    if getattr(source, "local", False):
        # Computed in-process (the demo market, whose clock may run fast): nothing to share.
        candles = await source.fetch_candles(symbol, timeframe, limit)
        ticker = await source.fetch_ticker(symbol)
    else:
        candles = await ctx.market_data.candles(
            namespace,
            symbol,
            timeframe,
            limit,
            lambda: source.fetch_candles(symbol, timeframe, limit),
        )
        ticker = await ctx.market_data.ticker(
            namespace, symbol, lambda: source.fetch_ticker(symbol)
        )
    rules = await source.market(symbol)
    now_ms = int(ticker.timestamp.timestamp() * 1000)
    return MarketView(rules, candles.closed(now_ms, timeframe), ticker.last, ticker.timestamp)


async def prime_tickers(ctx: EngineContext, markets: Iterable[Market]) -> None:
    """Fresh tickers for these markets' symbols, one request per exchange-backed namespace
    for all of them (instead of one request per symbol), ahead of their `market_view`s."""
    by_namespace: dict[tuple[str, str], set[str]] = defaultdict(set)
    for mode, exchange, symbol, _ in markets:
        by_namespace[(mode, exchange)].add(symbol)
    for (mode, exchange), symbols in by_namespace.items():
        source = ctx.exchanges.public(mode)
        fetch_prices = getattr(source, "fetch_prices", None)
        if getattr(source, "local", False) or fetch_prices is None:
            continue
        await ctx.market_data.prime_tickers(market_id(mode, exchange), symbols, fetch_prices)
