from decimal import Decimal
from types import SimpleNamespace

import pytest

from tradebot.core.risk import (
    SizingConfig,
    SkipReason,
    check_order,
    floor_to_step,
    position_size,
    round_price,
    round_trip_pnl,
    sell_size,
)
from tradebot.core.types import MarketRules

D = Decimal
BTC = MarketRules("BTC/USDT", "BTC", "USDT", D("0.00001"), D("0.01"), D("0.00001"), D(5))


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        ("0.123456", "0.001", "0.123"),
        ("0.1239999", "0.0001", "0.1239"),
        ("5", "2", "4"),
        ("7.25", "0.25", "7.25"),
        ("0.00000999", "0.00001", "0"),
        ("1.5", "0", "1.5"),
    ],
)
def test_floor_to_step(value: str, step: str, expected: str) -> None:
    assert floor_to_step(D(value), D(step)) == D(expected)


def test_round_price_to_tick() -> None:
    assert round_price(D("60000.129"), D("0.01")) == D("60000.12")
    assert round_price(D("60000.121"), D("0.01"), up=True) == D("60000.13")
    assert round_price(D("0.000123456"), D("0.0000001")) == D("0.0001234")


def test_size_from_percentage_includes_fee_and_floors_to_step() -> None:
    size = position_size(D(1000), D(60000), BTC, SizingConfig(position_size_perc=D(50)), D("0.001"))
    # 500 / (60000 * 1.001) = 0.0083250083... -> 0.00832
    assert size.ok and size.quantity == D("0.00832")
    assert size.notional == D("499.20")


def test_size_from_fixed_amount() -> None:
    size = position_size(D(1000), D(60000), BTC, SizingConfig(position_size_fixed=D(100)))
    assert size.quantity == D("0.00166")


def test_below_min_notional_is_skipped_with_reason() -> None:
    size = position_size(D(1000), D(60000), BTC, SizingConfig(position_size_fixed=D("4.99")))
    assert not size.ok and size.skip_reason is SkipReason.BELOW_MIN_NOTIONAL
    assert "below the minimum 5" in size.detail
    assert size.quantity == 0


def test_below_min_amount_and_balance_skips() -> None:
    tiny = position_size(D("0.5"), D(60000), BTC, SizingConfig())
    assert tiny.skip_reason is SkipReason.BELOW_MIN_AMOUNT  # 0.5 USDT buys less than one step
    assert position_size(D(0), D(1), BTC, SizingConfig()).skip_reason is SkipReason.NO_BALANCE
    over = position_size(D(50), D(1), BTC, SizingConfig(position_size_fixed=D(100)))
    assert over.skip_reason is SkipReason.INSUFFICIENT_BALANCE


def test_check_and_sell_size() -> None:
    assert check_order(D("0.0001"), D(60000), BTC).ok
    assert sell_size(D("0.000123456"), D(60000), BTC).quantity == D("0.00012")
    assert sell_size(D("0.00008"), D(60000), BTC).skip_reason is SkipReason.BELOW_MIN_NOTIONAL


def test_sizing_config() -> None:
    assert SizingConfig().budget(D(80)) == D(80)
    row = SimpleNamespace(position_size_perc=None, position_size_fixed=D(25))
    assert SizingConfig.from_object(row).budget(D(80)) == D(25)
    with pytest.raises(ValueError, match="only one"):
        SizingConfig(D(10), D(10))
    with pytest.raises(ValueError):
        SizingConfig(position_size_perc=D(150))


def test_round_trip_pnl_with_fees() -> None:
    trip = round_trip_pnl(D(100), D(110), D(2), D("0.2"), D("0.22"))
    assert trip.pnl == D("19.58")  # 20 gross - 0.42 fees
    assert trip.return_perc == D("19.58") / D("200.2") * 100
    assert round_trip_pnl(D(100), D(100), D(1), D("0.1"), D("0.1")).pnl == D("-0.2")
