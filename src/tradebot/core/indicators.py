"""Technical indicators: thin typed wrappers over TA-Lib plus streaming EMA/RSI.

Every batch function takes float64 arrays and returns float64 arrays of the same length,
NaN where the indicator is still warming up. EMA is seeded with the simple average of the
first `period` values; RSI uses Wilder smoothing seeded with the simple average of the first
`period` changes (its first value is at index `period`). Both are recursive, so values depend
on where the input starts: compare batch and streaming forms over the same window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import talib
from numpy.typing import ArrayLike, NDArray
from talib._ta_lib import MA_Type

FloatArray = NDArray[np.float64]


def as_float_array(values: ArrayLike) -> FloatArray:
    """Contiguous float64 copy-or-view of `values`, as TA-Lib requires."""
    return np.ascontiguousarray(values, dtype=np.float64)


def _check_period(period: int, minimum: int = 2) -> None:
    if period < minimum:
        raise ValueError(f"period must be at least {minimum}, got {period}")


def ema(close: ArrayLike, period: int) -> FloatArray:
    """Exponential moving average, k = 2/(period+1), seeded by the SMA of the first `period`."""
    _check_period(period)
    return talib.EMA(as_float_array(close), timeperiod=period)  # type: ignore[no-any-return]


def rsi(close: ArrayLike, period: int = 14) -> FloatArray:
    """Relative strength index with Wilder smoothing (alpha = 1/period)."""
    _check_period(period)
    return talib.RSI(as_float_array(close), timeperiod=period)  # type: ignore[no-any-return]


class Macd(NamedTuple):
    macd: FloatArray
    signal: FloatArray
    histogram: FloatArray


def macd(close: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9) -> Macd:
    """MACD line (EMA fast - EMA slow), its signal EMA and the histogram."""
    _check_period(fast)
    _check_period(slow)
    _check_period(signal, minimum=1)
    line, sig, hist = talib.MACD(
        as_float_array(close), fastperiod=fast, slowperiod=slow, signalperiod=signal
    )
    return Macd(line, sig, hist)


class Bands(NamedTuple):
    upper: FloatArray
    middle: FloatArray
    lower: FloatArray


def bollinger(close: ArrayLike, period: int = 20, deviations: float = 2.0) -> Bands:
    """Bollinger Bands: SMA middle band +/- `deviations` population standard deviations."""
    _check_period(period)
    upper, middle, lower = talib.BBANDS(
        as_float_array(close),
        timeperiod=period,
        nbdevup=deviations,
        nbdevdn=deviations,
        matype=MA_Type.SMA,
    )
    return Bands(upper, middle, lower)


def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> FloatArray:
    """Average true range with Wilder smoothing; first value at index `period`."""
    _check_period(period, minimum=1)
    return talib.ATR(  # type: ignore[no-any-return]
        as_float_array(high), as_float_array(low), as_float_array(close), timeperiod=period
    )


class Stochastic(NamedTuple):
    k: FloatArray
    d: FloatArray


def stochastic(
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    k_period: int = 14,
    k_smooth: int = 3,
    d_period: int = 3,
) -> Stochastic:
    """Slow stochastic oscillator: %K smoothed by an SMA of `k_smooth`, %D an SMA of %K."""
    _check_period(k_period, minimum=1)
    k, d = talib.STOCH(
        as_float_array(high),
        as_float_array(low),
        as_float_array(close),
        fastk_period=k_period,
        slowk_period=k_smooth,
        slowk_matype=MA_Type.SMA,
        slowd_period=d_period,
        slowd_matype=MA_Type.SMA,
    )
    return Stochastic(k, d)


@dataclass
class StreamingEma:
    """EMA fed one value at a time; matches `ema()` over the same window."""

    period: int
    value: float = math.nan
    _seed: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        _check_period(self.period)

    def update(self, x: float) -> float:
        """Add one value; return the EMA so far (NaN while warming up)."""
        if len(self._seed) < self.period:
            self._seed.append(x)
            if len(self._seed) == self.period:
                self.value = sum(self._seed) / self.period
            return self.value
        k = 2.0 / (self.period + 1)
        self.value = (x - self.value) * k + self.value
        return self.value


@dataclass
class StreamingRsi:
    """Wilder RSI fed one close at a time; matches `rsi()` over the same window."""

    period: int
    value: float = math.nan
    _prev: float | None = None
    _count: int = 0
    _gain: float = 0.0
    _loss: float = 0.0

    def __post_init__(self) -> None:
        _check_period(self.period)

    def update(self, x: float) -> float:
        """Add one close; return the RSI so far (NaN while warming up)."""
        prev, self._prev = self._prev, x
        if prev is None:
            return self.value
        change = x - prev
        gain, loss = max(change, 0.0), max(-change, 0.0)
        self._count += 1
        n = self.period
        if self._count <= n:
            self._gain += gain
            self._loss += loss
            if self._count < n:
                return self.value
            self._gain /= n
            self._loss /= n
        else:
            self._gain = (self._gain * (n - 1) + gain) / n
            self._loss = (self._loss * (n - 1) + loss) / n
        total = self._gain + self._loss
        self.value = 0.0 if total == 0 else 100.0 * self._gain / total
        return self.value
