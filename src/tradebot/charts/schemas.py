"""Chart data: closed candles, the bots' indicators over them, trade markers and levels.

Values are JSON numbers, ready to plot (exact amounts are in `/trades`); times are epoch
seconds (UTC), as chart libraries take them. Indicator values are null while warming up.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class CandleOut(BaseModel):
    time: int = Field(description="open time, epoch seconds UTC")
    open: float
    high: float
    low: float
    close: float
    volume: float


class IndicatorsOut(BaseModel):
    """One value per candle (same order); null while the indicator warms up."""

    ema_fast: list[float | None]
    ema_slow: list[float | None]
    rsi: list[float | None]


class PeriodsOut(BaseModel):
    ema_fast: int
    ema_slow: int
    rsi_period: int


class MarkerOut(BaseModel):
    """One of the bot's trades."""

    time: int = Field(description="when it filled, epoch seconds UTC")
    candle_time: int = Field(description="open time of the candle it filled in")
    side: Literal["BUY", "SELL"]
    price: float
    reason: str | None


class LevelsOut(BaseModel):
    """The open position's levels (null when the bot holds none)."""

    entry: float | None
    stop_loss: float | None
    take_profit: float | None
    trailing_stop: float | None


class ChartOut(BaseModel):
    symbol: str
    timeframe: str
    market: str = Field(description="where the candles come from: demo, binance, ...")
    periods: PeriodsOut
    price: float = Field(description="the latest price")
    candles: list[CandleOut]
    indicators: IndicatorsOut


class BotChartOut(ChartOut):
    bot_id: int
    markers: list[MarkerOut]
    levels: LevelsOut | None
