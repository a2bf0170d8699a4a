"""Fast backtests: indicators once over the whole series, then a walk over the trades only.

Fill rules (the same as `TradingStrategy` in live bots): signal entries and exits fill at the
next candle's open; within a candle the stop (first) and the take profit are checked against
its low and high and fill at their level, or at the open when the candle gaps through; exit
checks apply from the entry candle on; a position still open at the end is sold at the last
close (reason `end`). Every fill goes through the shared `FillModel`.
"""

from __future__ import annotations

import sys
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from tqdm import tqdm

from tradebot.backtest.ledger import BacktestTrade, Ledger
from tradebot.backtest.metrics import Metrics, compute_metrics
from tradebot.core.candles import Candles
from tradebot.core.config import StrategyConfig, to_decimal
from tradebot.core.fills import DEFAULT_FEE_RATE, DEFAULT_SLIPPAGE_BPS, FillModel
from tradebot.core.indicators import FloatArray
from tradebot.core.risk import SizingConfig, SkipReason, permissive_rules
from tradebot.core.signals import Signals
from tradebot.core.strategy import TradingStrategy
from tradebot.core.types import MarketRules
from tradebot.core.vector import ExitScanner

DAY_MS = 86_400_000
_PROGRESS_MIN_BARS = 200_000


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Trades, the equity curve at each close, metrics and the indicator series."""

    config: StrategyConfig
    candles: Candles
    signals: Signals
    trades: list[BacktestTrade]
    equity: FloatArray
    metrics: Metrics
    initial_balance: Decimal
    final_balance: Decimal
    skipped_entries: Counter[SkipReason] = field(default_factory=Counter)


def _show_progress(progress: bool | None, bars: int) -> bool:
    if progress is None:
        return bars >= _PROGRESS_MIN_BARS and sys.stderr.isatty()
    return progress and sys.stderr.isatty()


class DailyEntryLimit:
    """At most `limit` entries per UTC day (of the candle close that signalled them)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.counts: Counter[int] = Counter()

    def allowed(self, decided_at_ms: int) -> bool:
        """Whether another entry may be made on that day."""
        return self.limit is None or self.counts[decided_at_ms // DAY_MS] < self.limit

    def record(self, decided_at_ms: int) -> None:
        """Count one entry on that day."""
        if self.limit is not None:
            self.counts[decided_at_ms // DAY_MS] += 1


def run_backtest(
    config: StrategyConfig,
    candles: Candles,
    *,
    fee_rate: Decimal = DEFAULT_FEE_RATE,
    slippage_bps: Decimal = DEFAULT_SLIPPAGE_BPS,
    initial_balance: Decimal = Decimal(10_000),
    market_rules: MarketRules | None = None,
    sizing: SizingConfig | None = None,
    max_daily_trades: int | None = None,
    progress: bool | None = None,
) -> BacktestResult:
    """Backtest the strategy over `candles` (oldest first) and return trades and metrics."""
    if len(candles) == 0:
        raise ValueError("no candles to backtest")
    initial = to_decimal(initial_balance)
    if initial <= 0:
        raise ValueError(f"initial balance must be positive, got {initial}")
    strategy = TradingStrategy(config)
    signals = strategy.signals(candles)
    ledger = Ledger(
        candles,
        FillModel(to_decimal(fee_rate), to_decimal(slippage_bps)),
        initial,
        market_rules or permissive_rules(),
        sizing or SizingConfig(),
    )
    scanner = ExitScanner(strategy, candles, signals)
    step_ms = candles.infer_timeframe_ms()
    limit = DailyEntryLimit(max_daily_trades)
    n = len(candles)
    # a signal needs a next candle to fill in
    entries: list[int] = np.flatnonzero(signals.entry[:-1]).tolist()
    times, opens = candles.open_time, candles.open

    with tqdm(total=n, unit="bar", disable=not _show_progress(progress, n)) as bar_progress:
        k, done = 0, 0
        while True:
            k = bisect_left(entries, done, lo=k)
            if k >= len(entries):
                break
            signal_bar = entries[k]
            entry_bar = signal_bar + 1
            decided_at = int(times[signal_bar]) + step_ms
            reason = signals.entry_reason(signal_bar)
            price = None
            if reason is not None and limit.allowed(decided_at):
                price = ledger.buy(entry_bar, to_decimal(float(opens[entry_bar])), reason)
            if price is None:
                done = signal_bar + 1
                continue
            limit.record(decided_at)
            exit_ = scanner.scan(entry_bar, price)
            ledger.sell(exit_.bar, exit_.price, exit_.reason)
            done = exit_.resume
            bar_progress.update(min(done, n) - bar_progress.n)
        bar_progress.update(n - bar_progress.n)

    equity = ledger.equity()
    metrics = compute_metrics(
        ledger.trades, equity, initial, ledger.cash, ledger.total_fees, candles, step_ms
    )
    return BacktestResult(
        config=config,
        candles=candles,
        signals=signals,
        trades=ledger.trades,
        equity=equity,
        metrics=metrics,
        initial_balance=initial,
        final_balance=ledger.cash,
        skipped_entries=ledger.skipped,
    )
