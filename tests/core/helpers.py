"""Small candle builders for strategy and backtest tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tradebot.core.candles import Candles

T0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC
HOUR = 3_600_000


def make_candles(
    closes: Sequence[float],
    *,
    opens: Sequence[float] | None = None,
    highs: Sequence[float] | None = None,
    lows: Sequence[float] | None = None,
    step: int = HOUR,
) -> Candles:
    """Candles opening at the previous close unless given; wicks default to the body."""
    c = np.asarray(closes, dtype=float)
    o = np.asarray(opens, dtype=float) if opens is not None else np.r_[c[:1], c[:-1]]
    h = np.asarray(highs, dtype=float) if highs is not None else np.maximum(o, c)
    lo = np.asarray(lows, dtype=float) if lows is not None else np.minimum(o, c)
    return Candles.from_arrays(T0 + np.arange(len(c)) * step, o, h, lo, c, np.ones(len(c)))
