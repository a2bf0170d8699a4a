"""Entry and exit signals of the EMA/RSI strategy, vectorised over a whole close series."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradebot.core.config import StrategyConfig
from tradebot.core.indicators import FloatArray, as_float_array, ema, rsi

BoolArray = NDArray[np.bool_]


class Action(StrEnum):
    ENTER = "enter"
    EXIT = "exit"
    HOLD = "hold"


class Reason(StrEnum):
    # entries
    GOLDEN_CROSS = "golden_cross"
    RSI_REBOUND = "rsi_rebound"
    # price exits (checked against every observed price)
    STOP_LOSS = "stop_loss"
    TRAILING_STOP = "trailing_stop"
    TAKE_PROFIT = "take_profit"
    # signal exits (checked once per closed candle)
    DEATH_CROSS = "death_cross"
    RSI_OVERBOUGHT = "rsi_overbought"
    # a backtest ended with the position open
    END = "end"
    # holds
    NO_SIGNAL = "no_signal"
    WAITING = "waiting_for_candle"
    WARMUP = "warmup"
    ENTRIES_BLOCKED = "entries_blocked"


PRICE_EXITS = frozenset({Reason.STOP_LOSS, Reason.TRAILING_STOP, Reason.TAKE_PROFIT})


def _previous(values: FloatArray) -> FloatArray:
    """values shifted one step later; NaN at index 0 (so comparisons there are False)."""
    out = np.empty_like(values)
    out[:1] = np.nan
    out[1:] = values[:-1]
    return out


@dataclass(frozen=True, eq=False)
class Signals:
    """Indicator series and per-candle signals; index t means "at the close of candle t"."""

    ema_fast: FloatArray
    ema_slow: FloatArray
    rsi: FloatArray
    golden_cross: BoolArray  # entry: cross up with rsi < overbought
    rsi_rebound: BoolArray  # entry: rsi crosses up through oversold while fast > slow
    death_cross: BoolArray  # exit
    rsi_overbought: BoolArray  # exit

    @property
    def entry(self) -> BoolArray:
        """Either entry signal."""
        return self.golden_cross | self.rsi_rebound

    @property
    def exit(self) -> BoolArray:
        """Either signal exit."""
        return self.death_cross | self.rsi_overbought

    def entry_reason(self, t: int) -> Reason | None:
        """The entry signal at candle t (golden cross first), if any."""
        if self.golden_cross[t]:
            return Reason.GOLDEN_CROSS
        if self.rsi_rebound[t]:
            return Reason.RSI_REBOUND
        return None

    def exit_reason(self, t: int) -> Reason | None:
        """The signal exit at candle t (death cross first), if any."""
        if self.death_cross[t]:
            return Reason.DEATH_CROSS
        if self.rsi_overbought[t]:
            return Reason.RSI_OVERBOUGHT
        return None


def compute_signals(close: ArrayLike, config: StrategyConfig) -> Signals:
    """Every signal of the strategy over closes of CLOSED candles (TA-Lib EMA and RSI)."""
    closes = as_float_array(close)
    fast = ema(closes, config.ema_fast)
    slow = ema(closes, config.ema_slow)
    strength = rsi(closes, config.rsi_period)
    fast_prev, slow_prev, rsi_prev = _previous(fast), _previous(slow), _previous(strength)
    oversold, overbought = float(config.rsi_oversold), float(config.rsi_overbought)
    above = fast > slow
    golden = (fast_prev <= slow_prev) & above & (strength < overbought)
    rebound = (rsi_prev < oversold) & (strength >= oversold) & above
    death = (fast_prev >= slow_prev) & (fast < slow)
    hot = strength > overbought
    return Signals(fast, slow, strength, golden, rebound, death, hot)
