"""An order is executed at most once per client order id, whatever happens to the reply."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.exchange.conftest import Account, AdapterFactory
from tests.fakes.binance import FakeBinance
from tradebot.core.types import Side
from tradebot.exchange.ccxt_adapter import CcxtAdapter
from tradebot.exchange.errors import OrderStatusUnknown, RateLimited, TemporaryError

ORDER = "POST /api/v3/order"
QUERY = "GET /api/v3/order"
BTC = "BTC/USDT"


async def buy(adapter: CcxtAdapter, cid: str, *, check_existing: bool = False) -> object:
    return await adapter.create_market_order(
        BTC,
        Side.BUY,
        quote_quantity=Decimal("60"),
        client_order_id=cid,
        check_existing=check_existing,
    )


@pytest.mark.parametrize("lost", ["lost_response", "500", "504"])
async def test_executed_order_with_lost_reply_is_found_not_resent(
    lost: str, adapter: CcxtAdapter, fake: FakeBinance, account: Account
) -> None:
    fake.fail_next(ORDER, lost, execute=True)
    fill = await buy(adapter, "eo-lost-1")
    orders = fake.orders()
    assert len(orders) == 1
    assert fake.count(ORDER) == 1
    assert fill.order_id == str(orders[0]["orderId"])
    assert fill.client_order_id == "eo-lost-1"
    assert fill.quantity == Decimal("0.001")
    assert (fill.commission, fill.commission_asset) == (Decimal("0.000001"), "BTC")
    assert fake.balances(account.api_key)["USDT"] == Decimal("9940")


@pytest.mark.parametrize("kind", ["500", "503", "504", "drop"])
async def test_order_that_did_not_execute_is_sent_again(
    kind: str, adapter: CcxtAdapter, fake: FakeBinance
) -> None:
    fake.fail_next(ORDER, kind)
    fill = await buy(adapter, "eo-retry-1")
    assert fake.count(ORDER) == 2
    assert fake.count(QUERY) == 1  # looked up (-2013) before sending again
    assert [o["clientOrderId"] for o in fake.orders()] == ["eo-retry-1"]
    assert fill.client_order_id == "eo-retry-1"


async def test_slow_order_reaching_the_engine_in_time_is_found(
    make_adapter: AdapterFactory, fake: FakeBinance
) -> None:
    adapter = make_adapter(timeout=0.3, recv_window_ms=800)
    # The server sits on the order for 0.5 s, then executes it (still inside recvWindow).
    fake.fail_next(ORDER, "timeout", delay=0.5, execute=True)
    fill = await buy(adapter, "eo-slow-1")
    assert len(fake.orders()) == 1
    assert fill.order_id == str(fake.orders()[0]["orderId"])
    assert fake.count(ORDER) == 1


async def test_slow_order_arriving_after_recv_window_is_rejected_and_resent(
    make_adapter: AdapterFactory, fake: FakeBinance
) -> None:
    adapter = make_adapter(timeout=0.3, recv_window_ms=300)
    # Reaches the "engine" after its recvWindow: Binance rejects it, so a re-send is safe.
    fake.fail_next(ORDER, "timeout", delay=0.5, execute=True)
    await buy(adapter, "eo-late-1")
    assert fake.count(ORDER) == 2
    assert len(fake.orders()) == 1


async def test_unknown_status_then_retried_cycle_buys_once(
    adapter: CcxtAdapter, fake: FakeBinance
) -> None:
    fake.fail_next(ORDER, "lost_response")
    fake.fail_next(QUERY, "500", times=3)  # the lookup keeps failing too
    with pytest.raises(OrderStatusUnknown):
        await buy(adapter, "eo-unknown-1")
    assert fake.count(ORDER) == 1  # never re-sent blindly

    fill = await buy(adapter, "eo-unknown-1", check_existing=True)  # the engine's retry
    assert fake.count(ORDER) == 1
    assert len(fake.orders()) == 1
    assert fill.order_id == str(fake.orders()[0]["orderId"])


async def test_retried_cycle_after_success_never_buys_twice(
    adapter: CcxtAdapter, fake: FakeBinance
) -> None:
    first = await buy(adapter, "eo-twice-1")
    again = await buy(adapter, "eo-twice-1", check_existing=True)
    assert again == first
    assert fake.count(ORDER) == 1
    assert len(fake.orders()) == 1


async def test_check_existing_sends_when_there_is_none(
    adapter: CcxtAdapter, fake: FakeBinance
) -> None:
    await buy(adapter, "eo-fresh-1", check_existing=True)
    assert fake.count(QUERY) == 1
    assert fake.count(ORDER) == 1


async def test_rate_limited_order_is_not_looked_up_or_resent(
    adapter: CcxtAdapter, fake: FakeBinance
) -> None:
    fake.fail_next(ORDER, "429", retry_after=3)
    with pytest.raises(RateLimited):
        await buy(adapter, "eo-429-1")
    assert fake.count(ORDER) == 1
    assert fake.count(QUERY) == 0
    assert fake.orders() == []


async def test_gives_up_after_bounded_attempts_without_executing_twice(
    adapter: CcxtAdapter, fake: FakeBinance
) -> None:
    fake.fail_next(ORDER, "503", times=5)
    with pytest.raises(TemporaryError) as info:
        await buy(adapter, "eo-down-1")
    assert "not placed" in str(info.value)
    assert fake.count(ORDER) == 2  # order_attempts
    assert fake.orders() == []
