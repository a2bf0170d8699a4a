from dataclasses import replace
from decimal import Decimal
from types import SimpleNamespace

import pytest

from tradebot.core.config import StrategyConfig
from tradebot.core.strategy import (
    Action,
    PositionState,
    PriceRange,
    Reason,
    TradingStrategy,
)

from .helpers import make_candles

D = Decimal
# EMA 2/3 and RSI 2 keep the hand-made series short; RSI levels that never bind
CFG = StrategyConfig(2, 3, 2, 0, 100, D(2), D(4))
CROSS_UP = [10, 9.8, 9.6, 9.4, 9.2, 9.0, 9.5]  # golden cross at the last candle
REBOUND = [10, 10.5, 11, 11.5, 12, 12.5, 13, 13.5, 14, 14.5, 15, 14.0, 13.8, 14.3]
REBOUND_CFG = StrategyConfig(3, 8, 2, 30, 100, D(2), D(4))


def holding(entry: str = "100", **changes: object) -> PositionState:
    state = TradingStrategy(CFG).entered(PositionState(last_candle_time=0), D(entry), D(1))
    return replace(state, **changes)  # type: ignore[arg-type]


def test_config_from_mapping_and_object() -> None:
    row = SimpleNamespace(
        ema_fast=9,
        ema_slow=21,
        rsi_period=14,
        rsi_oversold=30,
        rsi_overbought=70,
        stop_loss_perc=D("2.5000"),
        take_profit_perc="5",
        trailing_stop_perc=None,
        trailing_stop_active=True,
        name="ignored",
    )
    cfg = StrategyConfig.from_orm(row)
    assert cfg.take_profit_perc == D(5) and cfg.stop_loss_perc == D("2.5")
    assert not cfg.trailing_enabled  # active without a percentage: no trailing stop
    assert StrategyConfig.from_mapping(vars(row)) == cfg
    with pytest.raises(ValueError, match="missing strategy settings: ema_fast"):
        StrategyConfig.from_mapping({"ema_slow": 3})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ema_fast": 21}, "ema_slow"),
        ({"rsi_oversold": 80}, "rsi_oversold < rsi_overbought"),
        ({"stop_loss_perc": 0}, "stop_loss_perc"),
        ({"take_profit_perc": -1}, "take_profit_perc"),
        ({"trailing_stop_perc": 100}, "trailing_stop_perc"),
        ({"ema_fast": 2.5}, "integer"),
        ({"stop_loss_perc": "abc"}, "number"),
    ],
)
def test_config_rejects_bad_values(changes: dict[str, object], message: str) -> None:
    base = {
        "ema_fast": 9,
        "ema_slow": 21,
        "rsi_period": 14,
        "rsi_oversold": 30,
        "rsi_overbought": 70,
        "stop_loss_perc": 2,
        "take_profit_perc": 4,
    }
    with pytest.raises(ValueError, match=message):
        StrategyConfig.from_mapping({**base, **changes})


def test_levels() -> None:
    cfg = StrategyConfig(9, 21, 14, 30, 70, D(2), D(4), D("1.5"), True)
    assert cfg.stop_loss_level(D(100)) == D(98)
    assert cfg.take_profit_level(D(100)) == D(104)
    assert cfg.trailing_level(D(200)) == D(197)


def test_golden_cross_entry_on_new_closed_candle() -> None:
    strategy = TradingStrategy(CFG)
    candles = make_candles(CROSS_UP)
    decision = strategy.step(candles, D("9.5"), PositionState())
    assert (decision.action, decision.reason) == (Action.ENTER, Reason.GOLDEN_CROSS)
    assert decision.state.last_candle_time == int(candles.open_time[-1])
    assert decision.stop_loss_price == D("9.31") and decision.take_profit_price == D("9.88")
    # the same candle is not evaluated twice
    again = strategy.step(candles, D("9.5"), strategy.exited(decision.state))
    assert (again.action, again.reason) == (Action.HOLD, Reason.WAITING)
    # entries blocked today: hold, but the candle counts as processed
    blocked = strategy.step(candles, D("9.5"), PositionState(), entries_allowed=False)
    assert (blocked.action, blocked.reason) == (Action.HOLD, Reason.ENTRIES_BLOCKED)
    assert blocked.state.last_candle_time == int(candles.open_time[-1])


def test_golden_cross_needs_rsi_below_overbought() -> None:
    strict = TradingStrategy(replace(CFG, rsi_overbought=D(70)))  # rsi[t] is 71.4 here
    decision = strict.step(make_candles(CROSS_UP), D("9.5"), PositionState())
    assert decision.action is Action.HOLD


def test_rsi_rebound_entry() -> None:
    decision = TradingStrategy(REBOUND_CFG).step(make_candles(REBOUND), D("14.3"), PositionState())
    assert (decision.action, decision.reason) == (Action.ENTER, Reason.RSI_REBOUND)


def test_warmup_and_no_candles() -> None:
    strategy = TradingStrategy(CFG)
    assert strategy.step(make_candles([10]), D(10), PositionState()).reason is Reason.WARMUP
    assert strategy.step(make_candles([]), D(10), PositionState()).reason is Reason.WARMUP


def test_stop_before_target_when_both_hit() -> None:
    strategy = TradingStrategy(CFG)
    prices = PriceRange(D(100), D(97), D(105), D(101))  # low under 98 and high over 104
    decision = strategy.step(make_candles([1, 2]), prices, holding())
    assert (decision.action, decision.reason, decision.price) == (
        Action.EXIT,
        Reason.STOP_LOSS,
        D(98),
    )
    assert not decision.state.in_position
    assert decision.state.last_candle_time == 0  # the candle is left for the next step


def test_gap_through_fills_at_first_price() -> None:
    strategy = TradingStrategy(CFG)
    down = strategy.price_exit(holding(), PriceRange(D(95), D(94), D(96), D(95)))
    up = strategy.price_exit(holding(), PriceRange(D(106), D(105), D(107), D(106)))
    inside = strategy.price_exit(holding(), PriceRange(D(103), D(103), D(104.5), D(104)))
    assert down is not None and (down.reason, down.price) == (Reason.STOP_LOSS, D(95))
    assert up is not None and (up.reason, up.price) == (Reason.TAKE_PROFIT, D(106))
    assert inside is not None and (inside.reason, inside.price) == (Reason.TAKE_PROFIT, D(104))


def test_live_price_is_checked_every_call_and_peak_rises_after() -> None:
    cfg = replace(CFG, trailing_stop_perc=D(1), trailing_stop_active=True, take_profit_perc=D(50))
    strategy = TradingStrategy(cfg)
    candles = make_candles([1, 2])
    state = strategy.entered(
        PositionState(last_candle_time=int(candles.open_time[-1])), D(100), D(1)
    )
    first = strategy.step(candles, D(110), state)
    assert (first.action, first.reason) == (Action.HOLD, Reason.WAITING)
    assert first.max_price_since_entry == D(110)
    assert first.trailing_stop_price == D("108.9")
    # one stop at the higher level: the trailing level 108.9 is above the stop loss 98
    second = strategy.step(candles, D("108.8"), first.state)
    assert (second.action, second.reason, second.price) == (
        Action.EXIT,
        Reason.TRAILING_STOP,
        D("108.8"),
    )


def test_stop_loss_reason_when_it_is_the_higher_level() -> None:
    cfg = replace(CFG, trailing_stop_perc=D(5), trailing_stop_active=True)
    state = TradingStrategy(cfg).entered(PositionState(), D(100), D(1))  # trailing 95 < stop 98
    decision = TradingStrategy(cfg).price_exit(state, PriceRange.at(D(97)))
    assert decision is not None and (decision.reason, decision.price) == (Reason.STOP_LOSS, D(97))


def test_peak_uses_range_high_only_after_exit_checks() -> None:
    cfg = replace(CFG, trailing_stop_perc=D(1), trailing_stop_active=True, take_profit_perc=D(50))
    strategy = TradingStrategy(cfg)
    # the high 120 would move the trailing stop to 118.8, above this range's low of 99.5
    prices = PriceRange(D(100), D("99.5"), D(120), D(119))
    decision = strategy.step(
        make_candles([1, 2]), prices, strategy.entered(PositionState(), D(100), D(1))
    )
    assert decision.action is not Action.EXIT
    assert decision.max_price_since_entry == D(120)


def test_signal_exit_death_cross_and_overbought() -> None:
    falling = make_candles([9.0, 9.5, 9.55, 9.6, 9.0])
    state = holding("9.5", max_price_since_entry=D("9.6"))
    decision = TradingStrategy(CFG).step(falling, D(9), replace(state, stop_loss_price=D(1)))
    assert (decision.action, decision.reason) == (Action.EXIT, Reason.DEATH_CROSS)
    hot_cfg = replace(CFG, rsi_overbought=D(60), take_profit_perc=D(50))
    rising = make_candles([9.0, 9.2, 9.4, 9.6, 9.8])
    decision = TradingStrategy(hot_cfg).step(
        rising, D("9.8"), TradingStrategy(hot_cfg).entered(PositionState(), D("9.5"), D(1))
    )
    assert (decision.action, decision.reason) == (Action.EXIT, Reason.RSI_OVERBOUGHT)


def test_position_state_from_orm_row() -> None:
    row = SimpleNamespace(
        in_position=True,
        entry_price=D(100),
        current_position_size_coins=D("0.5"),
        max_price_since_entry=D(101),
        stop_loss_price=D(98),
        take_profit_price=D(104),
        trailing_stop_price=None,
    )
    state = PositionState.from_object(row, last_candle_time=5)
    assert state.quantity == D("0.5") and state.last_candle_time == 5 and state.in_position


def test_price_range_must_be_consistent() -> None:
    with pytest.raises(ValueError):
        PriceRange(D(10), D(11), D(12), D(11))
