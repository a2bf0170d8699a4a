"""Chart data of a bot or a market: candles from the shared market data, the strategy's own
indicators over them, and (for a bot) its trades and its open position's levels."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.bots import rules
from tradebot.bots import service as bots
from tradebot.charts.schemas import (
    BotChartOut,
    CandleOut,
    ChartOut,
    IndicatorsOut,
    LevelsOut,
    MarkerOut,
    PeriodsOut,
)
from tradebot.core.candles import from_ms, timeframe_ms
from tradebot.core.indicators import FloatArray, ema, rsi
from tradebot.engine.context import EngineContext
from tradebot.engine.exchanges import market_id
from tradebot.engine.market import market_view
from tradebot.errors import exchange_errors, invalid
from tradebot.models import BotConfig, Trade
from tradebot.trades import repository as trades

MAX_CANDLES = 999  # Binance answers 1,000 candles per request, the last one still forming
MAX_MARKERS = 1000
SOURCES = {"demo": "demo", "binance": "live"}  # chart source -> the mode whose data it is


def _values(series: FloatArray) -> list[float | None]:
    """JSON-safe values: warm-up NaNs become null."""
    return [v if math.isfinite(v) else None for v in series.tolist()]


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


async def _chart(
    ctx: EngineContext,
    mode: str,
    exchange: str,
    symbol: str,
    timeframe: str,
    periods: PeriodsOut,
    limit: int,
) -> ChartOut:
    with exchange_errors():
        view = await market_view(ctx, (mode, exchange, symbol, timeframe), limit + 1)
    c = view.candles
    close = c.close
    # Over every candle read (the warm-up included), then the latest `limit` shown.
    fast, slow = ema(close, periods.ema_fast), ema(close, periods.ema_slow)
    strength = rsi(close, periods.rsi_period)
    shown = slice(max(0, len(c) - limit), len(c))
    times = (c.open_time[shown] // 1000).tolist()
    columns = zip(
        times,
        *(a[shown].tolist() for a in (c.open, c.high, c.low, c.close, c.volume)),
        strict=True,
    )
    return ChartOut(
        symbol=symbol,
        timeframe=timeframe,
        market=market_id(mode, exchange),
        periods=periods,
        price=float(view.price),
        candles=[
            CandleOut(time=t, open=o, high=h, low=lo, close=cl, volume=v)
            for t, o, h, lo, cl, v in columns
        ],
        indicators=IndicatorsOut(
            ema_fast=_values(fast[shown]),
            ema_slow=_values(slow[shown]),
            rsi=_values(strength[shown]),
        ),
    )


async def market_chart(
    ctx: EngineContext,
    *,
    symbol: str,
    timeframe: str,
    source: str,
    limit: int,
    periods: PeriodsOut,
) -> ChartOut:
    """A market's closed candles with EMAs and RSI of the given periods."""
    errors = rules.check_emas(periods.ema_fast, periods.ema_slow)
    if errors:
        raise invalid(errors)
    return await _chart(ctx, SOURCES[source], "binance", symbol, timeframe, periods, limit)


def _markers(bot: BotConfig, rows: Sequence[Trade]) -> list[MarkerOut]:
    step = timeframe_ms(bot.timeframe)
    out = []
    for t in rows:
        ms = int(t.timestamp.timestamp() * 1000)
        side = "BUY" if t.side == "BUY" else "SELL"
        out.append(
            MarkerOut(
                time=ms // 1000,
                candle_time=(ms - ms % step) // 1000,
                side=side,
                price=float(t.price),
                reason=t.reason,
            )
        )
    return out


async def bot_chart(
    ctx: EngineContext, session: AsyncSession, user_id: int, bot_id: int, limit: int
) -> BotChartOut:
    """The bot's market with its own indicator periods, its trades and its levels."""
    bot = await bots.get(session, user_id, bot_id)
    periods = PeriodsOut(ema_fast=bot.ema_fast, ema_slow=bot.ema_slow, rsi_period=bot.rsi_period)
    chart = await _chart(ctx, bot.mode, bot.exchange, bot.symbol, bot.timeframe, periods, limit)
    markers: list[MarkerOut] = []
    if chart.candles:
        since = from_ms(chart.candles[0].time * 1000)
        rows = await trades.since_for_bot(session, user_id, bot.id, since, limit=MAX_MARKERS)
        markers = _markers(bot, rows)
    st = bot.state
    levels = (
        LevelsOut(
            entry=_num(st.entry_price),
            stop_loss=_num(st.stop_loss_price),
            take_profit=_num(st.take_profit_price),
            trailing_stop=_num(st.trailing_stop_price),
        )
        if st.in_position
        else None
    )
    return BotChartOut(**chart.model_dump(), bot_id=bot.id, markers=markers, levels=levels)
