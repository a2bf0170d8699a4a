"""Backtest performance figures from the trades and the equity curve."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from tradebot.backtest.ledger import BacktestTrade
from tradebot.core.candles import Candles
from tradebot.core.config import HUNDRED
from tradebot.core.indicators import FloatArray

YEAR_MS = 365 * 86_400_000  # crypto trades every day of the year


@dataclass(frozen=True)
class Metrics:
    total_return_perc: Decimal
    num_trades: int
    win_rate_perc: Decimal
    max_drawdown_perc: float  # largest fall from a peak of the equity curve, as a positive %
    sharpe: float  # annualised from per-candle returns, risk-free rate 0
    total_fees: Decimal
    final_balance: Decimal
    buy_and_hold_perc: float  # first open to last close
    exposure_perc: float  # share of candles with a position held


def max_drawdown_perc(equity: FloatArray) -> float:
    """Largest peak-to-trough fall of `equity`, in percent of the peak."""
    if len(equity) == 0:
        return 0.0
    peaks = np.maximum.accumulate(equity)
    return float(np.max((peaks - equity) / peaks) * 100.0)


def sharpe_ratio(equity: FloatArray, bar_ms: int) -> float:
    """Mean over standard deviation of per-candle returns, times sqrt(candles per year)."""
    if len(equity) < 3:
        return 0.0
    returns = np.diff(equity) / equity[:-1]
    spread = float(np.std(returns, ddof=1))
    if spread == 0.0 or not math.isfinite(spread):
        return 0.0
    return float(np.mean(returns)) / spread * math.sqrt(YEAR_MS / bar_ms)


def compute_metrics(
    trades: list[BacktestTrade],
    equity: FloatArray,
    initial_balance: Decimal,
    final_balance: Decimal,
    total_fees: Decimal,
    candles: Candles,
    bar_ms: int,
) -> Metrics:
    """All figures of one backtest."""
    wins = sum(t.pnl > 0 for t in trades)
    held = sum(t.exit_bar for t in trades) - sum(t.entry_bar for t in trades) + len(trades)
    n = len(candles)
    return Metrics(
        total_return_perc=(final_balance / initial_balance - 1) * HUNDRED,
        num_trades=len(trades),
        win_rate_perc=Decimal(wins) / len(trades) * HUNDRED if trades else Decimal(0),
        max_drawdown_perc=max_drawdown_perc(equity),
        sharpe=sharpe_ratio(equity, bar_ms),
        total_fees=total_fees,
        final_balance=final_balance,
        buy_and_hold_perc=float(candles.close[-1] / candles.open[0] - 1) * 100.0 if n else 0.0,
        exposure_perc=held / n * 100.0 if n else 0.0,
    )
