"""The market commands' service: `/price`, `/ta`, `/chart`, `/funding`, `/oi`.

Telegram handlers stay thin: they parse nothing themselves, call one method and send what
it returns; a `MarketError` carries the sentence to send back instead (bad symbol or
timeframe, exchange unreachable). Symbols and timeframes are checked by the bots' own rules
(`bots.rules`), so a symbol a bot refuses is refused here too.

`/ta`'s indicators run inline: over the bots' 300 candles they take about 0.1 ms, less than
the hop to a thread would (bench/telegram_ta.py). Charts take about 0.35 s and are drawn in
a worker process (`analysis.offload`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from tradebot.analysis import replies
from tradebot.analysis.market import MarketReader
from tradebot.analysis.offload import ChartWorkers, process_workers
from tradebot.analysis.ta import analyse, default_strategy, last_close
from tradebot.bots.rules import TIMEFRAMES, normalize_symbol
from tradebot.engine.context import EngineContext
from tradebot.exchange.errors import (
    ExchangeError,
    NotAvailable,
    RateLimited,
    TemporaryError,
    UnknownSymbol,
)
from tradebot.market_data.collector import recent_markets
from tradebot.market_data.watched import Watch

DEFAULT_TIMEFRAME = "1h"
LABELS = {"binance": "Binance", "demo": "demo market"}
PERPETUAL_LABELS = {"binance": "Binance USDⓈ-M", "demo": "demo market"}


class MarketError(Exception):
    """A market command that cannot be answered; the message is the reply to send."""


class BadInput(MarketError):
    """An argument that cannot work (unknown symbol, bad timeframe)."""


class MarketUnavailable(MarketError):
    """The exchange cannot answer now (busy, down, or asking us to wait)."""


def parse_symbol(raw: str | None) -> str:
    """ "BTC/USDT" from "btc/usdt", "BTC-USDT", "BTCUSDT" or "btc" (USDT by default)."""
    try:
        return normalize_symbol(raw)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def parse_timeframe(raw: str | None, default: str = DEFAULT_TIMEFRAME) -> str:
    """One of the bots' timeframes ("1h"), `default` when none is given."""
    if raw is None or not raw.strip():
        return default
    timeframe = raw.strip().lower()
    if timeframe not in TIMEFRAMES:
        raise BadInput(f"Unknown timeframe {raw.strip()!r}: use one of {', '.join(TIMEFRAMES)}.")
    return timeframe


@dataclass(frozen=True)
class Chart:
    """`/chart`'s answer: the picture and its caption."""

    png: bytes
    caption: str


class MarketService:
    """The market commands over one source ("binance" or "demo") of an engine context.

    Cheap to make per command: the exchanges and the cache belong to the context, the chart
    processes to the process (`process_workers`).
    """

    def __init__(
        self, ctx: EngineContext, source: str | None = None, charts: ChartWorkers | None = None
    ) -> None:
        self.ctx = ctx
        self.source = source or ctx.settings.telegram_market
        self.reader = MarketReader(ctx, self.source)
        self.charts = charts or process_workers()
        self.recent = recent_markets(ctx)
        self.label = LABELS[self.source]

    @contextlib.asynccontextmanager
    async def _answering(self, symbol: str, watch: Watch | None = None) -> AsyncIterator[None]:
        """Turn exchange errors into replies; on success remember the market for the
        collector (demo markets are computed, never collected)."""
        try:
            yield
        except UnknownSymbol:
            raise BadInput(f"{symbol} is not listed on {self.label}.") from None
        except RateLimited as e:
            wait = max(1, round(e.retry_after))
            raise MarketUnavailable(
                f"{self.label} asks us to slow down: try again in {wait} s."
            ) from None
        except TemporaryError:
            raise MarketUnavailable(
                f"{self.label} is not answering right now: try again in a minute."
            ) from None
        except NotAvailable:
            raise
        except ExchangeError:
            raise MarketUnavailable(f"{self.label} refused the request for {symbol}.") from None
        if watch is not None and not self.reader.local:
            await self.recent.record(watch, self.reader.now())

    async def price_reply(self, symbol: str | None) -> str:
        """`/price SYM`."""
        sym = parse_symbol(symbol)
        async with self._answering(sym, self.reader.watch(sym)):
            ticker = await self.reader.ticker(sym)
        return replies.price_text(sym, self.label, ticker.value, ticker.age(self.reader.now()))

    async def ta_reply(self, symbol: str | None, timeframe: str | None = None) -> str:
        """`/ta SYM [tf]`."""
        sym, tf = parse_symbol(symbol), parse_timeframe(timeframe)
        async with self._answering(sym, self.reader.watch(sym, tf)):
            ticker = await self.reader.ticker(sym)
            candles = await self.reader.closed_candles(sym, tf, ticker.value)
        report = analyse(candles.value, tf, ticker.value.last, default_strategy())
        age = ticker.age(self.reader.now())
        return replies.ta_text(sym, tf, self.label, report, age)

    async def chart_png(self, symbol: str | None, timeframe: str | None = None) -> Chart:
        """`/chart SYM [tf]`: a PNG (drawn in a worker process) and its caption."""
        sym, tf = parse_symbol(symbol), parse_timeframe(timeframe)
        async with self._answering(sym, self.reader.watch(sym, tf)):
            ticker = await self.reader.ticker(sym)
            candles = await self.reader.closed_candles(sym, tf, ticker.value)
        c = candles.value
        title = f"{sym} · {tf} · {self.label}"
        png = await self.charts.render(c, title=title, config=default_strategy())
        age = ticker.age(self.reader.now())
        caption = replies.chart_caption(sym, tf, self.label, last_close(c, tf), age)
        return Chart(png, caption)

    async def funding_reply(self, symbol: str | None) -> str:
        """`/funding SYM`."""
        sym = parse_symbol(symbol)
        label = PERPETUAL_LABELS[self.source]
        try:
            async with self._answering(sym, self.reader.watch(sym)):
                funding = await self.reader.funding_rate(sym)
        except NotAvailable as e:
            return replies.not_available_text("Funding", str(e))
        now = self.reader.now()
        return replies.funding_text(label, funding.value, funding.age(now), now)

    async def oi_reply(self, symbol: str | None) -> str:
        """`/oi SYM`."""
        sym = parse_symbol(symbol)
        label = PERPETUAL_LABELS[self.source]
        try:
            async with self._answering(sym, self.reader.watch(sym)):
                interest = await self.reader.open_interest(sym)
                price = None if interest.value.value is not None else await self.reader.ticker(sym)
        except NotAvailable as e:
            return replies.not_available_text("Open interest", str(e))
        age = interest.age(self.reader.now())
        return replies.open_interest_text(
            label, interest.value, age, price.value if price is not None else None
        )
