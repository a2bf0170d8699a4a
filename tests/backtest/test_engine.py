from dataclasses import replace
from decimal import Decimal
from itertools import pairwise

import numpy as np
import pytest

from tradebot.backtest import run_backtest
from tradebot.backtest.replay import replay
from tradebot.core.config import StrategyConfig
from tradebot.core.risk import SizingConfig, SkipReason
from tradebot.core.signals import PRICE_EXITS, Reason
from tradebot.core.types import MarketRules

from .helpers import make_candles, random_candles

D = Decimal
CFG = StrategyConfig(2, 3, 2, 0, 100, D(2), D(4))  # RSI conditions never bind
CROSS_UP = [10, 9.8, 9.6, 9.4, 9.2, 9.0, 9.5]  # golden cross at candle 6 -> entry at 7's open
NO_COSTS = {"fee_rate": D(0), "slippage_bps": D(0)}


def scenario(bars: list[tuple[float, float, float, float]]) -> tuple[list[float], ...]:
    """CROSS_UP followed by (open, high, low, close) candles."""
    closes = [*CROSS_UP, *(b[3] for b in bars)]
    opens = [CROSS_UP[0], *CROSS_UP[:-1], *(b[0] for b in bars)]
    highs = [max(o, c) for o, c in zip(opens, closes, strict=True)]
    lows = [min(o, c) for o, c in zip(opens, closes, strict=True)]
    for i, b in enumerate(bars, start=len(CROSS_UP)):
        highs[i], lows[i] = b[1], b[2]
    return closes, opens, highs, lows


def run(bars: list[tuple[float, float, float, float]], cfg: StrategyConfig = CFG, **kw: object):
    closes, opens, highs, lows = scenario(bars)
    candles = make_candles(closes, opens=opens, highs=highs, lows=lows)
    return run_backtest(cfg, candles, **{**NO_COSTS, **kw})  # type: ignore[arg-type]


def test_stop_first_when_stop_and_target_both_hit_in_the_entry_candle() -> None:
    result = run([(9.5, 10.0, 9.2, 9.6), (9.6, 9.7, 9.5, 9.6)])
    [trade] = result.trades
    assert (trade.entry_bar, trade.exit_bar) == (7, 7)  # exits apply from the fill candle on
    assert trade.entry_price == D("9.5") and trade.entry_reason is Reason.GOLDEN_CROSS
    assert (trade.exit_reason, trade.exit_price) == (Reason.STOP_LOSS, D("9.31"))


def test_gap_through_stop_fills_at_open() -> None:
    result = run([(9.5, 9.6, 9.45, 9.55), (9.0, 9.1, 8.9, 9.05)])
    [trade] = result.trades
    assert (trade.exit_bar, trade.exit_reason, trade.exit_price) == (8, Reason.STOP_LOSS, D(9))


def test_gap_through_target_fills_at_open_and_level_otherwise() -> None:
    gap = run([(9.5, 9.6, 9.45, 9.55), (10.2, 10.3, 10.1, 10.25)]).trades[0]
    assert (gap.exit_reason, gap.exit_price) == (Reason.TAKE_PROFIT, D("10.2"))
    touch = run([(9.5, 9.6, 9.45, 9.55), (9.56, 9.9, 9.5, 9.7)]).trades[0]
    assert (touch.exit_reason, touch.exit_price) == (Reason.TAKE_PROFIT, D("9.88"))


def test_trailing_stop_reason_and_level_from_previous_highs() -> None:
    cfg = replace(CFG, take_profit_perc=D(10), trailing_stop_perc=D(1), trailing_stop_active=True)
    # candle 7 peaks at 9.8 (trailing 9.702, stop loss 9.31); candle 8 dips to 9.6
    trade = run([(9.5, 9.8, 9.45, 9.75), (9.75, 9.76, 9.6, 9.7)], cfg).trades[0]
    assert (trade.exit_bar, trade.exit_reason, trade.exit_price) == (
        8,
        Reason.TRAILING_STOP,
        D("9.702"),
    )


def test_open_position_closes_at_last_close_with_reason_end() -> None:
    trade = run([(9.5, 9.6, 9.45, 9.55), (9.55, 9.65, 9.5, 9.62)]).trades[0]
    assert (trade.exit_bar, trade.exit_reason, trade.exit_price) == (8, Reason.END, D("9.62"))


def test_fees_and_slippage_go_through_the_fill_model() -> None:
    result = run(
        [(9.5, 9.6, 9.45, 9.55), (9.55, 9.65, 9.5, 9.62)],
        fee_rate=D("0.001"),
        slippage_bps=D(10),
        initial_balance=D(1000),
    )
    trade = result.trades[0]
    assert trade.entry_price == D("9.5") * D("1.001")
    assert trade.exit_price == D("9.62") * D("0.999")
    assert trade.entry_fee == trade.entry_price * trade.quantity * D("0.001")
    assert result.metrics.total_fees == trade.entry_fee + trade.exit_fee
    assert result.final_balance == D(1000) + trade.pnl
    assert result.equity[-1] == pytest.approx(float(result.final_balance))


def test_entry_below_min_notional_is_skipped() -> None:
    rules = MarketRules("X/USDT", "X", "USDT", D("0.01"), D("0.01"), D("0.01"), D(10))
    result = run(
        [(9.5, 9.6, 9.45, 9.55)],
        market_rules=rules,
        sizing=SizingConfig(position_size_fixed=D(9)),
    )
    assert result.trades == []
    assert result.skipped_entries == {SkipReason.BELOW_MIN_NOTIONAL: 1}


def test_metrics_on_a_known_trade() -> None:
    result = run([(9.5, 9.6, 9.45, 9.55), (9.55, 9.65, 9.5, 9.62)], initial_balance=D(950))
    m = result.metrics
    assert m.num_trades == 1 and m.win_rate_perc == 100
    assert result.trades[0].quantity == D(100)  # 950 / 9.5
    assert float(m.total_return_perc) == pytest.approx(12 / 950 * 100)  # 100 x (9.62 - 9.5)
    assert m.max_drawdown_perc >= 0
    assert m.sharpe is None  # two hours: fewer than two daily returns


def _key(trades: list) -> list[tuple]:  # type: ignore[type-arg]
    return [
        (
            t.entry_bar,
            t.exit_bar,
            t.entry_time,
            t.exit_time,
            t.entry_reason,
            t.exit_reason,
            t.entry_price,
            t.exit_price,
            t.quantity,
            t.pnl,
        )
        for t in trades
    ]


PARITY_CASES = [
    (StrategyConfig(9, 21, 14, 30, 70, D("1.5"), D(3)), 60_000, {}),
    (StrategyConfig(5, 13, 7, 35, 65, D(1), D(2), D("0.8"), True), 60_000, {}),
    (
        StrategyConfig(9, 21, 14, 30, 70, D(5), D(8), D(2), True),
        900_000,
        {"max_daily_trades": 2},
    ),
    (
        StrategyConfig(3, 8, 5, 40, 60, D("0.5"), D("0.7")),
        60_000,
        {
            "sizing": SizingConfig(position_size_fixed=D(2000)),
            "market_rules": MarketRules("X/Y", "X", "Y", D("0.1"), D("0.01"), D("0.1"), D(10)),
        },
    ),
]


@pytest.mark.parametrize(("cfg", "step", "extra"), PARITY_CASES)
def test_fast_backtest_matches_candle_by_candle_live_step(
    cfg: StrategyConfig, step: int, extra: dict[str, object]
) -> None:
    candles = random_candles(1500, seed=cfg.ema_fast + cfg.rsi_period, step=step)
    kwargs = {"fee_rate": D("0.001"), "slippage_bps": D(5), "initial_balance": D(10_000), **extra}
    fast = run_backtest(cfg, candles, **kwargs)  # type: ignore[arg-type]
    slow = replay(cfg, candles, **kwargs)  # type: ignore[arg-type]
    assert len(fast.trades) > 10
    assert _key(fast.trades) == _key(slow.trades)
    assert fast.final_balance == slow.cash
    np.testing.assert_allclose(fast.equity, slow.equity(), rtol=1e-12)
    reasons = {t.exit_reason for t in fast.trades}
    assert len(reasons) >= 3


def test_parity_covers_reentry_after_a_price_exit() -> None:
    cfg = StrategyConfig(5, 13, 7, 45, 65, D("0.3"), D(2))
    candles = random_candles(1500, seed=26)
    trades = run_backtest(cfg, candles).trades
    # an entry signalled at the close of a candle in which a stop/target exit filled
    assert any(
        b.entry_bar == a.exit_bar + 1 and a.exit_reason in PRICE_EXITS for a, b in pairwise(trades)
    )
    assert _key(trades) == _key(replay(cfg, candles).trades)


def test_max_daily_trades_limits_entries_per_day() -> None:
    cfg = StrategyConfig(3, 8, 5, 40, 60, D("0.5"), D("0.7"))
    candles = random_candles(3000, seed=5)
    trades = run_backtest(cfg, candles, max_daily_trades=1).trades
    days = [t.entry_time.date() for t in trades]
    assert len(days) == len(set(days)) and len(days) >= 2


def test_rejects_empty_input() -> None:
    with pytest.raises(ValueError, match="no candles"):
        run_backtest(CFG, make_candles([]))


@pytest.mark.parametrize("bars", [4000, pytest.param(30_000, marks=pytest.mark.slow)])
def test_parity_on_demo_market_candles(bars: int) -> None:
    from datetime import UTC, datetime

    from tradebot.exchange.demo_market import DemoMarket

    market = DemoMarket(seed=11)
    candles = market.candles_count("BTC/USDT", "1m", datetime(2024, 6, 1, tzinfo=UTC), bars)
    cfg = StrategyConfig(9, 21, 14, 30, 70, D("0.4"), D("0.8"), D("0.3"), True)
    kwargs = {"market_rules": market.market_rules("BTC/USDT"), "initial_balance": D(5000)}
    fast = run_backtest(cfg, candles, **kwargs)  # type: ignore[arg-type]
    slow = replay(cfg, candles, **kwargs)  # type: ignore[arg-type]
    assert len(fast.trades) > 20
    assert _key(fast.trades) == _key(slow.trades)
