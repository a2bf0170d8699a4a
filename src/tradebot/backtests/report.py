"""A finished backtest as stored and shown: metrics, trades, markers, and the price and
equity series merged into at most `MAX_POINTS` points; and the trades as CSV."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict
from typing import Any

import numpy as np

from tradebot.backtest.engine import BacktestResult
from tradebot.backtest.report import TRADE_FIELDS
from tradebot.backtests.schemas import (
    BacktestTradeOut,
    EquityPointOut,
    MetricsOut,
    PricePointOut,
    ResultOut,
)
from tradebot.charts.schemas import MarkerOut
from tradebot.core.candles import from_ms
from tradebot.schemas import decimal_text

MAX_POINTS = 2000


def _markers(trades: list[BacktestTradeOut]) -> list[MarkerOut]:
    out = []
    for t in trades:
        for side, at, price, reason in (
            ("BUY", t.entry_time, t.entry_price, t.entry_reason),
            ("SELL", t.exit_time, t.exit_price, t.exit_reason),
        ):
            seconds = int(at.timestamp())
            out.append(
                MarkerOut(
                    time=seconds, candle_time=seconds, side=side, price=float(price), reason=reason
                )
            )
    return out


def build(result: BacktestResult, bar_ms: int) -> dict[str, Any]:
    """The stored report (JSON) of `result`, whose candles are `bar_ms` apart."""
    c = result.candles
    n = len(c)
    per = math.ceil(n / MAX_POINTS)
    firsts = np.arange(0, n, per)
    lasts = np.r_[firsts[1:] - 1, n - 1]
    highs, lows = np.maximum.reduceat(c.high, firsts), np.minimum.reduceat(c.low, firsts)
    times = (c.open_time[firsts] // 1000).tolist()
    candles = [
        PricePointOut(time=t, open=o, high=h, low=lo, close=cl)
        for t, o, h, lo, cl in zip(
            times,
            c.open[firsts].tolist(),
            highs.tolist(),
            lows.tolist(),
            c.close[lasts].tolist(),
            strict=True,
        )
    ]
    closes = ((c.open_time[lasts] + bar_ms) // 1000).tolist()
    equity = [
        EquityPointOut(time=t, equity=v)
        for t, v in zip(closes, result.equity[lasts].tolist(), strict=True)
    ]
    trades = [
        BacktestTradeOut(
            entry_time=t.entry_time,
            exit_time=t.exit_time,
            entry_price=t.entry_price,
            exit_price=t.exit_price,
            quantity=t.quantity,
            entry_fee=t.entry_fee,
            exit_fee=t.exit_fee,
            pnl=t.pnl,
            return_perc=t.return_perc,
            entry_reason=t.entry_reason.value,
            exit_reason=t.exit_reason.value,
        )
        for t in result.trades
    ]
    m = result.metrics
    metrics = MetricsOut.model_validate({**asdict(m), "initial_balance": result.initial_balance})
    report = ResultOut(
        bars=n,
        start=from_ms(int(c.open_time[0])),
        end=from_ms(int(c.open_time[-1]) + bar_ms),
        metrics=metrics,
        trades=trades,
        markers=_markers(trades),
        step_seconds=per * bar_ms // 1000,
        candles=candles,
        equity=equity,
        skipped_entries={str(k): v for k, v in result.skipped_entries.items()},
    )
    return report.model_dump(mode="json")


def trades_csv(report: ResultOut) -> str:
    """One row per round trip, with the columns of the CLI's trades.csv."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TRADE_FIELDS)
    for t in report.trades:
        writer.writerow(
            [
                t.entry_time.isoformat(),
                t.exit_time.isoformat(),
                *(decimal_text(getattr(t, f)) for f in TRADE_FIELDS[2:9]),
                t.entry_reason,
                t.exit_reason,
            ]
        )
    return out.getvalue()
