"""Backtest speed: tradebot's backtester against backtesting.py on the same EMA/RSI rules.

Builds 1,000,000 one-minute candles from the demo market, runs our backtester on all of
them, runs backtesting.py on the same candles (or on the first --bt-bars of them when the
whole series would take too long), and compares bars/second and the trades themselves.

Both sides use the same signals (EMA cross and RSI conditions, fills at the next open) and
a 0.1 % fee per fill. Slippage is off: backtesting.py charges its `spread` on entries only,
we slip both fills, so fill prices would differ. Stop-loss and take-profit are set out of
reach, because backtesting.py needs stop prices before the entry fills. Position sizes differ
(we buy a fixed quote amount, backtesting.py one unit); sizes do not change which trades
happen.

Run: .venv/bin/python bench/backtest.py [--bars N] [--bt-bars N]
"""

from __future__ import annotations

import argparse
import time
import warnings
from datetime import UTC, datetime
from decimal import Decimal
from unittest.mock import patch

import numpy as np
import pandas as pd
import talib
from backtesting import Backtest, Strategy
from backtesting import backtesting as backtesting_module

from tradebot.backtest import run_backtest
from tradebot.core.candles import Candles
from tradebot.core.config import StrategyConfig
from tradebot.core.risk import SizingConfig
from tradebot.core.signals import Reason
from tradebot.exchange.demo_market import DemoMarket

FAST, SLOW, RSI, OVERSOLD, OVERBOUGHT = 9, 21, 14, 30, 70
FEE, SLIPPAGE_BPS = Decimal("0.001"), Decimal(0)
CONFIG = StrategyConfig(
    ema_fast=FAST,
    ema_slow=SLOW,
    rsi_period=RSI,
    rsi_oversold=Decimal(OVERSOLD),
    rsi_overbought=Decimal(OVERBOUGHT),
    stop_loss_perc=Decimal(99),  # out of reach: see the module docstring
    take_profit_perc=Decimal(10_000),
)


class EmaRsiCross(Strategy):  # type: ignore[misc]
    """The same entry and exit signals as `TradingStrategy`, in backtesting.py."""

    def init(self) -> None:
        close = np.asarray(self.data.Close, dtype=np.float64)
        self.fast = self.I(talib.EMA, close, FAST)
        self.slow = self.I(talib.EMA, close, SLOW)
        self.rsi = self.I(talib.RSI, close, RSI)

    def next(self) -> None:
        f0, f1 = self.fast[-2], self.fast[-1]
        s0, s1 = self.slow[-2], self.slow[-1]
        r0, r1 = self.rsi[-2], self.rsi[-1]
        if not self.position:
            golden = f0 <= s0 and f1 > s1 and r1 < OVERBOUGHT
            rebound = r0 < OVERSOLD <= r1 and f1 > s1
            if golden or rebound:
                self.buy(size=1)
        elif (f0 >= s0 and f1 < s1) or r1 > OVERBOUGHT:
            self.position.close()


def demo_series(bars: int) -> Candles:
    """`bars` one-minute BTC/USDT candles of the demo market."""
    start = datetime(2023, 1, 1, tzinfo=UTC)
    return DemoMarket(seed=1, cache_days=2).candles_count("BTC/USDT", "1m", start, bars)


Trade = tuple[int, int, float, float]  # entry bar, exit bar, entry price, exit price


def ours(candles: Candles, repeats: int = 3) -> tuple[float, list[Trade], bool]:
    """Best time of `repeats` runs, the trades, and whether the last one closed at the end."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        result = run_backtest(
            CONFIG,
            candles,
            fee_rate=FEE,
            slippage_bps=SLIPPAGE_BPS,
            initial_balance=Decimal(10_000_000),
            sizing=SizingConfig(position_size_fixed=Decimal(1_000)),
            progress=False,
        )
        best = min(best, time.perf_counter() - started)
    trades = [
        (t.entry_bar, t.exit_bar, float(t.entry_price), float(t.exit_price)) for t in result.trades
    ]
    ended = bool(result.trades) and result.trades[-1].exit_reason is Reason.END
    return best, trades, ended


def theirs(candles: Candles) -> tuple[float, list[tuple[int, int, float, float]]]:
    """Seconds (frame building included) and trades of backtesting.py."""
    started = time.perf_counter()
    frame = pd.DataFrame(
        {
            "Open": candles.open,
            "High": candles.high,
            "Low": candles.low,
            "Close": candles.close,
            "Volume": candles.volume,
        },
        index=pd.to_datetime(candles.open_time, unit="ms"),
    )
    test = Backtest(
        frame,
        EmaRsiCross,
        cash=10_000_000,
        commission=float(FEE),
        spread=float(SLIPPAGE_BPS) / 10_000,
        trade_on_close=False,
        exclusive_orders=False,
        finalize_trades=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # no progress bar from backtesting.py: it would interleave with the figures
        with patch.object(backtesting_module, "_tqdm", lambda seq, **_: seq):
            stats = test.run()
    seconds = time.perf_counter() - started
    table = stats["_trades"]
    trades = [
        (int(e), int(x), float(p), float(q))
        for e, x, p, q in zip(
            table.EntryBar, table.ExitBar, table.EntryPrice, table.ExitPrice, strict=True
        )
    ]
    return seconds, trades


def compare(a: list[Trade], b: list[Trade], ended: bool) -> str:
    """Whether two trade lists agree (bars exactly, prices to 1e-9 relative).

    backtesting.py closes a trade still open at the end at the last candle's open, we at its
    close, so that one exit price is not compared.
    """
    if len(a) != len(b):
        return f"NO: {len(a)} vs {len(b)} trades"
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        prices = 1 if ended and i == len(a) - 1 else 2
        same_bars = x[:2] == y[:2]
        same_prices = np.allclose(x[2 : 2 + prices], y[2 : 2 + prices], rtol=1e-9, atol=0)
        if not (same_bars and same_prices):
            return f"NO: trade {i} differs: {x} vs {y}"
    note = " (the last one closes at the end: exit price not compared)" if ended else ""
    return f"yes, all {len(a):,} trades: entry/exit bar and price{note}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument(
        "--bt-bars", type=int, default=1_000_000, help="bars for backtesting.py (a prefix)"
    )
    args = parser.parse_args()
    bt_bars = min(args.bt_bars, args.bars)

    started = time.perf_counter()
    candles = demo_series(args.bars)
    print(f"demo market: {args.bars:,} 1m candles in {time.perf_counter() - started:.2f} s")
    print(
        f"rules: EMA {FAST}/{SLOW} cross, RSI {RSI} ({OVERSOLD}/{OVERBOUGHT}), next-open fills, "
        f"fee {FEE * 100:.1f}%, no slippage, stops out of reach"
    )
    ours(candles[:2000], repeats=1)  # warm up imports and caches

    full_s, full_trades, ended = ours(candles)
    print(
        f"tradebot       {args.bars:>9,} bars {full_s:7.2f} s {args.bars / full_s:>11,.0f} bars/s"
        f"  {len(full_trades):,} trades  (best of 3 runs)"
    )
    sub_s, sub_trades = full_s, full_trades
    if bt_bars < args.bars:
        print(f"backtesting.py runs on the first {bt_bars:,} bars only (--bt-bars)")
        sub_s, sub_trades, ended = ours(candles[:bt_bars])
        print(
            f"tradebot       {bt_bars:>9,} bars {sub_s:7.2f} s {bt_bars / sub_s:>11,.0f} bars/s"
            f"  {len(sub_trades):,} trades  (best of 3 runs)"
        )
    bt_s, bt_trades = theirs(candles[:bt_bars])
    print(
        f"backtesting.py {bt_bars:>9,} bars {bt_s:7.2f} s {bt_bars / bt_s:>11,.0f} bars/s"
        f"  {len(bt_trades):,} trades  (one run)"
    )
    print(f"speed ratio on the same {bt_bars:,} bars: {bt_s / sub_s:.1f}x")
    print(f"trades identical: {compare(sub_trades, bt_trades, ended)}")
    for label, rows in (("first", slice(0, 3)), ("last", slice(-3, None))):
        for x, y in zip(sub_trades[rows], bt_trades[rows], strict=False):
            print(f"  {label:5} tradebot       {x}\n        backtesting.py {y}")


if __name__ == "__main__":
    main()
