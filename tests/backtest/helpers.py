"""Candle builders for backtest tests (the simple ones live in tests.core.helpers)."""

from __future__ import annotations

import numpy as np

from tests.core.helpers import HOUR, T0, make_candles
from tradebot.core.candles import Candles

__all__ = ["HOUR", "T0", "make_candles", "random_candles"]


def random_candles(n: int, seed: int, *, vol: float = 0.004, step: int = 60_000) -> Candles:
    """A seeded random walk with gaps and wicks, prices on a 0.01 tick."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, vol, n)))
    opens = np.r_[100.0, close[:-1]] * np.exp(rng.normal(0, vol / 4, n))
    high = np.maximum(opens, close) * np.exp(np.abs(rng.normal(0, vol / 2, n)))
    low = np.minimum(opens, close) * np.exp(-np.abs(rng.normal(0, vol / 2, n)))
    return Candles.from_arrays(
        T0 + np.arange(n) * step,
        np.round(opens, 2),
        np.round(high, 2),
        np.round(low, 2),
        np.round(close, 2),
        np.ones(n),
    )
