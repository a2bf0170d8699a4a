"""The strategy's exit rules over whole candle arrays, for backtests.

Candidate bars are found with float numpy masks (slightly widened), then each candidate is
confirmed with `TradingStrategy.price_exit` in Decimal, so the result is exactly what the
candle-by-candle step would decide.
"""

from __future__ import annotations

from bisect import bisect_left
from decimal import Decimal
from typing import NamedTuple

import numpy as np

from tradebot.core.candles import Candles
from tradebot.core.config import to_decimal
from tradebot.core.signals import Reason, Signals
from tradebot.core.strategy import PositionState, PriceRange, TradingStrategy

# Float masks may only miss a hit by rounding; widen them and let Decimal decide.
_TOLERANCE = 1e-9


class ExitScan(NamedTuple):
    """Where and why a position opened at `entry_bar` ends."""

    bar: int  # candle in which the exit fills
    reason: Reason
    price: Decimal  # reference fill price before slippage
    resume: int  # first candle whose close may signal the next entry


class ExitScanner:
    """Finds each position's exit with vectorised searches over the following candles."""

    def __init__(self, strategy: TradingStrategy, candles: Candles, signals: Signals) -> None:
        self.strategy = strategy
        self.candles = candles
        self.signals = signals
        self._exit_bars: list[int] = np.flatnonzero(signals.exit).tolist()
        cfg = strategy.config
        self._trail_factor: float | None = None
        if cfg.trailing_enabled and cfg.trailing_stop_perc is not None:
            self._trail_factor = 1.0 - float(cfg.trailing_stop_perc) / 100.0

    def scan(self, entry_bar: int, entry_price: Decimal) -> ExitScan:
        """The exit of a position filled at the open of `entry_bar` at `entry_price`."""
        candles, cfg, n = self.candles, self.strategy.config, len(self.candles)
        # a signal exit at the close of `last` bounds the search for stop/target exits
        k = bisect_left(self._exit_bars, entry_bar)
        has_signal = k < len(self._exit_bars)
        last = self._exit_bars[k] if has_signal else n - 1
        stop_loss, target = cfg.stop_loss_level(entry_price), cfg.take_profit_level(entry_price)

        low = candles.low[entry_bar : last + 1]
        high = candles.high[entry_bar : last + 1]
        loose_target = float(target) * (1 - _TOLERANCE)
        if self._trail_factor is None:
            maybe = (low <= float(stop_loss) * (1 + _TOLERANCE)) | (high >= loose_target)
        else:
            # the peak before each candle: the entry price, then the highs seen so far
            peak_before = np.empty_like(high)
            peak_before[0] = float(entry_price)
            np.maximum.accumulate(high[:-1], out=peak_before[1:])
            np.maximum(peak_before, peak_before[0], out=peak_before)
            stop = np.maximum(peak_before * self._trail_factor, float(stop_loss))
            maybe = (low <= stop * (1 + _TOLERANCE)) | (high >= loose_target)

        first = int(maybe.argmax())
        if maybe[first]:
            for j in range(first, len(maybe)):
                if not maybe[j]:
                    continue
                peak = entry_price
                if self._trail_factor is not None and j > 0:
                    peak = max(entry_price, to_decimal(float(high[:j].max())))
                state = PositionState(True, entry_price, None, peak, stop_loss, target)
                bar = entry_bar + j
                decision = self.strategy.price_exit(state, PriceRange.of_candle(candles, bar))
                if decision is not None:
                    return ExitScan(bar, decision.reason, decision.price, resume=bar)

        reason = self.signals.exit_reason(last) if has_signal and last + 1 < n else None
        if reason is not None:
            return ExitScan(last + 1, reason, to_decimal(float(candles.open[last + 1])), last + 1)
        return ExitScan(n - 1, Reason.END, to_decimal(float(candles.close[n - 1])), resume=n)
