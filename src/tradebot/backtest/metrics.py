"""Backtest performance figures from the trades and the equity curve.

Sharpe and Sortino are computed on daily returns of the equity curve (its value at the last
close of each UTC day), annualised with sqrt(365) as quantstats and freqtrade do for crypto,
which trades every day: the figures mean the same on 1m and 1d candles. Per-candle returns
would not (their noise grows with the number of candles per year).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from tradebot.backtest.ledger import BacktestTrade
from tradebot.core.candles import Candles
from tradebot.core.config import HUNDRED
from tradebot.core.indicators import FloatArray

DAY_MS = 86_400_000
DAYS_PER_YEAR = 365  # crypto trades every day of the year
YEAR_MS = DAYS_PER_YEAR * DAY_MS


@dataclass(frozen=True)
class Metrics:
    total_return_perc: Decimal
    num_trades: int
    win_rate_perc: Decimal
    max_drawdown_perc: float  # largest fall from a peak of the equity curve, as a positive %
    sharpe: float | None  # daily returns, annualised (sqrt 365), risk-free rate 0
    total_fees: Decimal
    final_balance: Decimal
    buy_and_hold_perc: float  # first open to last close
    exposure_perc: float  # share of candles with a position held
    sortino: float | None = None  # as sharpe, over the downside deviation
    profit_factor: Decimal | None = None  # gross profit / gross loss; None without losses
    expectancy: Decimal = Decimal(0)  # mean P&L per round trip (quote)
    avg_trade_seconds: float = 0.0  # from the entry fill's candle to the exit fill's
    longest_trade_seconds: int = 0
    cagr_perc: float | None = None  # compound annual growth; None for less than a day


def max_drawdown_perc(equity: FloatArray) -> float:
    """Largest peak-to-trough fall of `equity`, in percent of the peak."""
    if len(equity) == 0:
        return 0.0
    peaks = np.maximum.accumulate(equity)
    return float(np.max((peaks - equity) / peaks) * 100.0)


def daily_returns(
    equity: FloatArray, open_time: NDArray[np.int64], bar_ms: int, initial: float
) -> FloatArray:
    """Returns of the equity at each UTC day's last close, the first against `initial`."""
    if len(equity) == 0:
        return np.empty(0)
    days = (open_time + bar_ms - 1) // DAY_MS  # the day in which each candle closes
    last_of_day = np.r_[np.flatnonzero(np.diff(days)), len(days) - 1]
    closes = np.r_[initial, equity[last_of_day]]
    returns: FloatArray = np.diff(closes) / closes[:-1]
    return returns


def sharpe_ratio(returns: FloatArray) -> float | None:
    """Mean over standard deviation of daily returns, times sqrt(365); None when undefined."""
    if len(returns) < 2:
        return None
    spread = float(np.std(returns, ddof=1))
    if spread == 0.0 or not math.isfinite(spread):
        return None
    return float(np.mean(returns)) / spread * math.sqrt(DAYS_PER_YEAR)


def sortino_ratio(returns: FloatArray) -> float | None:
    """Mean daily return over the downside deviation (root mean square of the losses, over
    every day), times sqrt(365); None without a losing day."""
    if len(returns) < 2:
        return None
    downside = math.sqrt(float(np.sum(np.minimum(returns, 0.0) ** 2)) / len(returns))
    if downside == 0.0:
        return None
    return float(np.mean(returns)) / downside * math.sqrt(DAYS_PER_YEAR)


def cagr_perc(initial: float, final: float, period_ms: int) -> float | None:
    """Compound annual growth in percent over `period_ms`; None for less than a day."""
    if period_ms < DAY_MS or initial <= 0 or final <= 0:
        return None
    try:
        return float(((final / initial) ** (YEAR_MS / period_ms) - 1) * 100.0)
    except OverflowError:
        return None


def profit_factor(trades: list[BacktestTrade]) -> Decimal | None:
    """Gross profit over gross loss of the round trips; None when nothing was lost."""
    loss = -sum((t.pnl for t in trades if t.pnl < 0), Decimal(0))
    if loss == 0:
        return None
    return sum((t.pnl for t in trades if t.pnl > 0), Decimal(0)) / loss


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
    returns = daily_returns(equity, candles.open_time, bar_ms, float(initial_balance))
    durations = [t.exit_ms - t.entry_ms for t in trades]
    period = int(candles.open_time[-1]) + bar_ms - int(candles.open_time[0]) if n else 0
    return Metrics(
        total_return_perc=(final_balance / initial_balance - 1) * HUNDRED,
        num_trades=len(trades),
        win_rate_perc=Decimal(wins) / len(trades) * HUNDRED if trades else Decimal(0),
        max_drawdown_perc=max_drawdown_perc(equity),
        sharpe=sharpe_ratio(returns),
        total_fees=total_fees,
        final_balance=final_balance,
        buy_and_hold_perc=float(candles.close[-1] / candles.open[0] - 1) * 100.0 if n else 0.0,
        exposure_perc=held / n * 100.0 if n else 0.0,
        sortino=sortino_ratio(returns),
        profit_factor=profit_factor(trades),
        expectancy=sum((t.pnl for t in trades), Decimal(0)) / len(trades) if trades else Decimal(0),
        avg_trade_seconds=sum(durations) / len(durations) / 1000 if durations else 0.0,
        longest_trade_seconds=max(durations) // 1000 if durations else 0,
        cagr_perc=cagr_perc(float(initial_balance), float(final_balance), period),
    )
