"""Backtest metrics pinned on hand-checkable equity curves; Sharpe and Sortino on daily
returns mean the same whatever the candle timeframe."""

from __future__ import annotations

import math
from decimal import Decimal as D

import numpy as np
import pytest

from tests.backtest.helpers import T0
from tradebot.backtest.ledger import BacktestTrade
from tradebot.backtest.metrics import (
    DAY_MS,
    cagr_perc,
    compute_metrics,
    daily_returns,
    profit_factor,
    sharpe_ratio,
    sortino_ratio,
)
from tradebot.backtest.report import duration_text
from tradebot.core.candles import Candles
from tradebot.core.signals import Reason

# Day-end equity 110, 99, 108.9, 119.79 from 100: daily returns +10 %, -10 %, +10 %, +10 %.
# mean 0.05; sample std sqrt((3 x 0.05^2 + 0.15^2) / 3) = 0.1; downside deviation
# sqrt(0.1^2 / 4) = 0.05. Sharpe = 0.05 / 0.1 x sqrt(365) = 9.5525; Sortino = 19.105.
DAY_END = [110.0, 99.0, 108.9, 119.79]
SHARPE = 0.5 * math.sqrt(365)
SORTINO = 1.0 * math.sqrt(365)


def _curve(bar_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """The same day-end equity on candles of `bar_ms`, wandering within each day."""
    per_day = DAY_MS // bar_ms
    times = T0 + np.arange(4 * per_day, dtype=np.int64) * bar_ms
    equity = np.repeat(DAY_END, per_day) * (1 + 0.03 * np.sin(np.arange(4 * per_day)))
    equity[per_day - 1 :: per_day] = DAY_END  # each day's last close
    return times, equity


@pytest.mark.parametrize("bar_ms", [60_000, 3_600_000, DAY_MS])
def test_sharpe_and_sortino_on_daily_returns_whatever_the_timeframe(bar_ms: int) -> None:
    times, equity = _curve(bar_ms)
    returns = daily_returns(equity, times, bar_ms, 100.0)
    np.testing.assert_allclose(returns, [0.1, -0.1, 0.1, 0.1])
    assert sharpe_ratio(returns) == pytest.approx(SHARPE)
    assert sortino_ratio(returns) == pytest.approx(SORTINO)


def test_undefined_ratios_are_none() -> None:
    assert sharpe_ratio(np.array([0.1])) is None  # one day
    assert sharpe_ratio(np.array([0.1, 0.1])) is None  # no spread
    assert sortino_ratio(np.array([0.1, 0.2])) is None  # no losing day


def test_cagr() -> None:
    assert cagr_perc(100, 121, 2 * 365 * DAY_MS) == pytest.approx(10.0)
    assert cagr_perc(100, 50, 365 * DAY_MS) == pytest.approx(-50.0)
    assert cagr_perc(100, 101, DAY_MS // 2) is None


def _trade(entry_ms: int, exit_ms: int, pnl: str) -> BacktestTrade:
    return BacktestTrade(
        0, 1, entry_ms, exit_ms, D(1), D(1), D(1), D(0), D(0), D(pnl), D(0),
        Reason.GOLDEN_CROSS, Reason.TAKE_PROFIT,
    )  # fmt: skip


def test_trade_figures() -> None:
    trades = [
        _trade(T0, T0 + 3_600_000, "30"),
        _trade(T0, T0 + 3 * 3_600_000, "-10"),
        _trade(T0, T0 + 2 * 3_600_000, "-5"),
        _trade(T0, T0 + 6 * 3_600_000, "5"),
    ]
    assert profit_factor(trades) == D(35) / D(15)
    assert profit_factor(trades[:1]) is None
    times, equity = _curve(DAY_MS)
    candles = Candles.from_arrays(times, equity, equity, equity, equity)
    m = compute_metrics(trades, equity, D(100), D("119.79"), D(2), candles, DAY_MS)
    assert m.expectancy == D(5)  # (30 - 10 - 5 + 5) / 4
    assert m.avg_trade_seconds == 3 * 3600 and m.longest_trade_seconds == 6 * 3600
    assert m.win_rate_perc == 50 and m.num_trades == 4
    assert m.sharpe == pytest.approx(SHARPE) and m.sortino == pytest.approx(SORTINO)
    assert m.cagr_perc == pytest.approx((1.1979 ** (365 / 4) - 1) * 100)
    assert m.total_return_perc == D("19.79")


def test_duration_text() -> None:
    assert [duration_text(s) for s in (30, 2700, 7500, 3 * 86_400 + 4 * 3600)] == [
        "30s",
        "45m",
        "2h 5m",
        "3d 4h",
    ]


def test_long_reports_embed_at_most_max_embed_buckets() -> None:
    from tests.backtest.helpers import random_candles
    from tradebot.backtest.engine import run_backtest
    from tradebot.backtest.report import MAX_EMBED, chart_data
    from tradebot.core.config import StrategyConfig

    candles = random_candles(MAX_EMBED * 2 + 7, seed=3)
    cfg = StrategyConfig(5, 20, 14, 30, 70, 1, 2)
    result = run_backtest(cfg, candles, progress=False)
    data = chart_data(result)
    assert len(data["t"]) == MAX_EMBED  # type: ignore[arg-type]
    assert max(m[0] for m in data["m"]) < MAX_EMBED  # type: ignore[attr-defined]
    # a bucket spans its candles' whole range
    assert min(data["lo"]) == pytest.approx(float(candles.low.min()))  # type: ignore[type-var]
