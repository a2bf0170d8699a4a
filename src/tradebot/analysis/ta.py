"""The `/ta` report: indicators at the last closed candle and the platform strategy's signal.

Pure, like `tradebot.core`: candles and a price in, a report out. EMA and RSI come from the
functions the bots' strategy uses (`core.indicators`, through `core.signals`), and the signal
from the bots' own `TradingStrategy.step`, so a bot on the same candles decides the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from tradebot.core import indicators as ind
from tradebot.core.candles import Candles, timeframe_ms
from tradebot.core.config import DEFAULT_STRATEGY, StrategyConfig
from tradebot.core.signals import Action, Reason
from tradebot.core.strategy import Decision, PositionState, TradingStrategy

# Conventional settings of the other indicators (TA-Lib's own defaults).
MACD_PERIODS = (12, 26, 9)
BOLLINGER = (20, 2.0)
ATR_PERIOD = 14
STOCHASTIC = (14, 3, 3)


def default_strategy() -> StrategyConfig:
    """The platform's default strategy settings (those a new bot starts with)."""
    return StrategyConfig.from_mapping(DEFAULT_STRATEGY)


def last_close(candles: Candles, timeframe: str) -> int | None:
    """When the newest of these candles closed (epoch ms), None when there are none."""
    return int(candles.open_time[-1]) + timeframe_ms(timeframe) if len(candles) else None


def _last(values: ind.FloatArray) -> float:
    return float(values[-1]) if len(values) else math.nan


@dataclass(frozen=True)
class StrategySignal:
    """What the strategy would do now: a bot without a position, and one holding."""

    flat: Decision
    holding: Decision

    @property
    def action(self) -> str:
        """BUY, SELL or HOLD (a bot would enter, exit, or do nothing)."""
        if self.flat.action is Action.ENTER:
            return "BUY"
        if self.holding.action is Action.EXIT:
            return "SELL"
        return "HOLD"

    @property
    def reasons(self) -> list[Reason]:
        """Why: the entry and/or exit reason, else why nothing happens (no signal, warm-up)."""
        found = [d.reason for d in (self.flat, self.holding) if d.action is not Action.HOLD]
        return found or [self.flat.reason]


def strategy_signal(candles: Candles, price: Decimal, config: StrategyConfig) -> StrategySignal:
    """The strategy's decision on these closed candles, for a flat bot and a holding one.

    The holding bot entered at `price`, so its stop and target are out of reach and only the
    candle signals (death cross, RSI overbought) can make it exit.
    """
    strategy = TradingStrategy(config)
    flat = strategy.step(candles, price, PositionState())
    holding = strategy.step(candles, price, strategy.entered(PositionState(), price, None))
    return StrategySignal(flat, holding)


@dataclass(frozen=True)
class TaReport:
    """Indicator values at the last closed candle (NaN while an indicator warms up)."""

    candles: int  # closed candles the values are computed over
    close_time: int | None  # epoch ms at which the last closed candle closed
    last_close: float
    price: Decimal
    config: StrategyConfig
    ema_fast: float
    ema_slow: float
    rsi: float
    macd: float
    macd_signal: float
    macd_histogram: float
    bb_upper: float
    bb_middle: float
    bb_lower: float
    atr: float
    stoch_k: float
    stoch_d: float
    signal: StrategySignal

    @property
    def atr_percent(self) -> float:
        """ATR as a share of the last close, in percent."""
        return 100 * self.atr / self.last_close if self.last_close else math.nan


def analyse(
    candles: Candles, timeframe: str, price: Decimal, config: StrategyConfig | None = None
) -> TaReport:
    """Every `/ta` indicator and the strategy signal over CLOSED candles, oldest first."""
    config = config or default_strategy()
    signal = strategy_signal(candles, price, config)
    sig = TradingStrategy(config).signals(candles)
    high, low, close = candles.high, candles.low, candles.close
    macd = ind.macd(close, *MACD_PERIODS)
    bands = ind.bollinger(close, *BOLLINGER)
    stoch = ind.stochastic(high, low, close, *STOCHASTIC)
    n = len(candles)
    return TaReport(
        candles=n,
        close_time=last_close(candles, timeframe),
        last_close=_last(close),
        price=price,
        config=config,
        ema_fast=_last(sig.ema_fast),
        ema_slow=_last(sig.ema_slow),
        rsi=_last(sig.rsi),
        macd=_last(macd.macd),
        macd_signal=_last(macd.signal),
        macd_histogram=_last(macd.histogram),
        bb_upper=_last(bands.upper),
        bb_middle=_last(bands.middle),
        bb_lower=_last(bands.lower),
        atr=_last(ind.atr(high, low, close, ATR_PERIOD)),
        stoch_k=_last(stoch.k),
        stoch_d=_last(stoch.d),
        signal=signal,
    )
