import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradebot.core.fills import FillModel, cash_delta, client_order_id
from tradebot.core.types import Side

D = Decimal
NOW = datetime(2024, 1, 1, tzinfo=UTC)


def test_slippage_is_adverse_and_fee_in_quote() -> None:
    model = FillModel()  # 0.1 % fee, 5 bps
    buy = model.fill(
        symbol="BTC/USDT",
        side=Side.BUY,
        reference_price=D(60000),
        quantity=D("0.5"),
        timestamp=NOW,
        client_order_id="cid-1",
    )
    assert buy.price == D("60030.0000")
    assert buy.quote_quantity == D("30015.00000")
    assert buy.commission == D("30.01500000")
    assert buy.commission_asset == "USDT"
    assert buy.order_id == "sim-cid-1"
    sell = model.fill(
        symbol="BTC/USDT",
        side=Side.SELL,
        reference_price=D(60000),
        quantity=D("0.5"),
        timestamp=NOW,
        client_order_id="cid-2",
        order_id="42",
    )
    assert sell.price == D(59970) and sell.order_id == "42"
    assert cash_delta(Side.BUY, buy.quote_quantity, buy.commission) == D("-30045.015")
    assert cash_delta(Side.SELL, sell.quote_quantity, sell.commission) == D("29955.015")


def test_zero_costs_and_validation() -> None:
    assert FillModel(D(0), D(0)).execute(Side.BUY, D(10), D(2)) == (D(10), D(20), D(0))
    with pytest.raises(ValueError):
        FillModel(fee_rate=D(-1))


def test_client_order_id_is_deterministic_short_and_safe() -> None:
    cid = client_order_id(42, "2024-01-01T00:00:00Z", "entry")
    assert cid == client_order_id(42, "2024-01-01T00:00:00Z", "entry")
    assert cid != client_order_id(42, "2024-01-01T00:00:00Z", "exit")
    assert cid != client_order_id(43, "2024-01-01T00:00:00Z", "entry")
    long_id = client_order_id("x" * 80, "k" * 200, "weird leg/with spaces")
    for value in (cid, long_id):
        assert len(value) <= 36
        assert re.fullmatch(r"[A-Za-z0-9_-]+", value)
    assert cid.startswith("tb42-entry-")
