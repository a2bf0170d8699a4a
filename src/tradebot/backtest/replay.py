"""Candle-by-candle simulation through the live `TradingStrategy.step`, as a paper bot runs.

At each candle's close the step sees the candles closed so far and the candle's open, low,
high and close as the prices observed since the last step. Market orders it decides fill at
the next candle's open; stop and target exits fill at the price the step reports. This is
the reference the fast backtester is checked against.
"""

from __future__ import annotations

from decimal import Decimal

from tradebot.backtest.engine import DailyEntryLimit
from tradebot.backtest.ledger import Ledger
from tradebot.core.candles import Candles
from tradebot.core.config import StrategyConfig, to_decimal
from tradebot.core.fills import DEFAULT_FEE_RATE, DEFAULT_SLIPPAGE_BPS, FillModel
from tradebot.core.risk import SizingConfig, permissive_rules
from tradebot.core.signals import PRICE_EXITS, Action, Reason
from tradebot.core.strategy import Decision, PositionState, PriceRange, TradingStrategy
from tradebot.core.types import MarketRules


def replay(
    config: StrategyConfig,
    candles: Candles,
    *,
    fee_rate: Decimal = DEFAULT_FEE_RATE,
    slippage_bps: Decimal = DEFAULT_SLIPPAGE_BPS,
    initial_balance: Decimal = Decimal(10_000),
    market_rules: MarketRules | None = None,
    sizing: SizingConfig | None = None,
    max_daily_trades: int | None = None,
) -> Ledger:
    """Run the live step over every candle; the ledger holds the trades and balance."""
    strategy = TradingStrategy(config)
    ledger = Ledger(
        candles,
        FillModel(to_decimal(fee_rate), to_decimal(slippage_bps)),
        to_decimal(initial_balance),
        market_rules or permissive_rules(),
        sizing or SizingConfig(),
    )
    step_ms = candles.infer_timeframe_ms()
    limit = DailyEntryLimit(max_daily_trades)
    state = PositionState()
    pending: Decision | None = None
    n = len(candles)
    for i in range(n):
        if pending is not None:  # a market order decided at the previous close
            state = _execute(strategy, ledger, pending, i, limit, step_ms)
            pending = None
        closed = candles[: i + 1]
        prices = PriceRange.of_candle(candles, i)
        decided_at = int(candles.open_time[i]) + step_ms
        decision = strategy.step(closed, prices, state, entries_allowed=limit.allowed(decided_at))
        if decision.action is Action.EXIT and decision.reason in PRICE_EXITS:
            ledger.sell(i, decision.price, decision.reason)
            state = decision.state
            # the candle is still unprocessed: its close may signal a new entry
            decision = strategy.step(
                closed, prices, state, entries_allowed=limit.allowed(decided_at)
            )
        if decision.action is Action.HOLD:
            state = decision.state
        elif i + 1 < n:
            pending = decision
        # else: a market order decided at the last close never fills
    if ledger.in_position:
        ledger.sell(n - 1, to_decimal(float(candles.close[n - 1])), Reason.END)
    return ledger


def _execute(
    strategy: TradingStrategy,
    ledger: Ledger,
    decision: Decision,
    bar: int,
    limit: DailyEntryLimit,
    step_ms: int,
) -> PositionState:
    """Fill a market order at the open of `bar`; the state afterwards."""
    price = to_decimal(float(ledger.candles.open[bar]))
    if decision.action is Action.EXIT:
        ledger.sell(bar, price, decision.reason)
        return decision.state
    filled = ledger.buy(bar, price, decision.reason)
    if filled is None:  # sizing skipped the order: stay flat, the candle stays processed
        return strategy.exited(decision.state)
    limit.record(int(ledger.candles.open_time[bar - 1]) + step_ms)
    return strategy.entered(decision.state, filled, ledger.position_quantity)
