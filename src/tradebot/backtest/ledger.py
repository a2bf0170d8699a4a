"""Simulated account for backtests: balance, fills through the shared fill model, trades."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import numpy as np

from tradebot.core.candles import Candles, from_ms
from tradebot.core.fills import FillModel, cash_delta
from tradebot.core.indicators import FloatArray
from tradebot.core.risk import SizingConfig, SkipReason, position_size, round_trip_pnl
from tradebot.core.signals import Reason
from tradebot.core.types import MarketRules, Side


class BacktestTrade(NamedTuple):
    """One round trip; times are the open times of the candles in which the fills happened."""

    entry_bar: int
    exit_bar: int
    entry_ms: int  # epoch milliseconds
    exit_ms: int
    entry_price: Decimal
    exit_price: Decimal
    quantity: Decimal
    entry_fee: Decimal
    exit_fee: Decimal
    pnl: Decimal
    return_perc: Decimal
    entry_reason: Reason
    exit_reason: Reason

    @property
    def entry_time(self) -> datetime:
        return from_ms(self.entry_ms)

    @property
    def exit_time(self) -> datetime:
        return from_ms(self.exit_ms)


class _Open(NamedTuple):
    bar: int
    price: Decimal
    quantity: Decimal
    fee: Decimal
    reason: Reason


class Ledger:
    """Quote balance and one long position, filled through `FillModel`."""

    def __init__(
        self,
        candles: Candles,
        fills: FillModel,
        initial_balance: Decimal,
        rules: MarketRules,
        sizing: SizingConfig,
    ) -> None:
        self.candles = candles
        self.fills = fills
        self.initial_balance = initial_balance
        self.cash = initial_balance
        self.rules = rules
        self.sizing = sizing
        self.trades: list[BacktestTrade] = []
        self.skipped: Counter[SkipReason] = Counter()
        self.total_fees = Decimal(0)
        self._open: _Open | None = None
        # (bar, cash after, quantity held after) at every fill, for the equity curve
        self._marks: list[tuple[int, float, float]] = []

    @property
    def in_position(self) -> bool:
        return self._open is not None

    @property
    def position_quantity(self) -> Decimal | None:
        """Base quantity held, or None when flat."""
        return None if self._open is None else self._open.quantity

    def buy(self, bar: int, reference: Decimal, reason: Reason) -> Decimal | None:
        """Buy at market in candle `bar`; the fill price, or None when sizing skipped it."""
        expected = self.fills.price(Side.BUY, reference)
        size = position_size(self.cash, expected, self.rules, self.sizing, self.fills.fee_rate)
        if size.skip_reason is not None:
            self.skipped[size.skip_reason] += 1
            return None
        price, quote, fee = self.fills.execute(Side.BUY, reference, size.quantity, price=expected)
        self.cash += cash_delta(Side.BUY, quote, fee)
        self.total_fees += fee
        self._open = _Open(bar, price, size.quantity, fee, reason)
        self._marks.append((bar, float(self.cash), float(size.quantity)))
        return price

    def sell(self, bar: int, reference: Decimal, reason: Reason) -> BacktestTrade:
        """Sell the whole position at market in candle `bar`."""
        if self._open is None:
            raise RuntimeError("no open position to sell")
        pos, times = self._open, self.candles.open_time
        price, quote, fee = self.fills.execute(Side.SELL, reference, pos.quantity)
        self.cash += cash_delta(Side.SELL, quote, fee)
        self.total_fees += fee
        result = round_trip_pnl(pos.price, price, pos.quantity, pos.fee, fee)
        trade = BacktestTrade(
            entry_bar=pos.bar,
            exit_bar=bar,
            entry_ms=int(times[pos.bar]),
            exit_ms=int(times[bar]),
            entry_price=pos.price,
            exit_price=price,
            quantity=pos.quantity,
            entry_fee=pos.fee,
            exit_fee=fee,
            pnl=result.pnl,
            return_perc=result.return_perc,
            entry_reason=pos.reason,
            exit_reason=reason,
        )
        self.trades.append(trade)
        self._open = None
        self._marks.append((bar, float(self.cash), 0.0))
        return trade

    def equity(self) -> FloatArray:
        """Account value at each candle's close (balance + position at the close)."""
        n = len(self.candles)
        cash = np.full(n, np.nan)
        held = np.full(n, np.nan)
        cash[0], held[0] = float(self.initial_balance), 0.0
        if self._marks:
            marks = np.asarray(self._marks, dtype=np.float64)
            bars = marks[:, 0].astype(np.int64)
            cash[bars], held[bars] = marks[:, 1], marks[:, 2]  # later marks of a bar win
        index = np.where(np.isnan(cash), 0, np.arange(n))
        np.maximum.accumulate(index, out=index)
        result: FloatArray = cash[index] + held[index] * self.candles.close
        return result
