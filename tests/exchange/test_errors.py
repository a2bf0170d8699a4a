"""Every failure Binance (here: the fake) can produce arrives as one of our error classes."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest

from tests.exchange.conftest import Account, AdapterFactory
from tests.fakes.binance import FakeBinance
from tradebot.core.types import Side
from tradebot.exchange.ccxt_adapter import CcxtAdapter
from tradebot.exchange.errors import (
    ExchangeError,
    InsufficientFunds,
    InvalidKey,
    InvalidOrder,
    RateLimited,
    TemporaryError,
    UnknownSymbol,
)

KLINES = "GET /api/v3/klines"
ORDER = "POST /api/v3/order"


class BudgetSpy:
    """Records what the adapter tells a request budget."""

    def __init__(self) -> None:
        self.reserved: list[int] = []
        self.observed: list[int] = []
        self.bans: list[float] = []

    async def reserve(self, weight: int) -> None:
        self.reserved.append(weight)

    async def observe(self, used_weight: int) -> None:
        self.observed.append(used_weight)

    async def ban(self, retry_after: float) -> None:
        self.bans.append(retry_after)


def assert_clean(err: BaseException, account: Account) -> None:
    """Neither our message nor ccxt's (kept as the cause) shows the key, secret or signature."""
    for text in (str(err), str(err.__cause__)):
        assert account.api_key not in text
        assert account.secret not in text
        assert not re.search(r"signature=[0-9a-f]{16}", text), text


@pytest.mark.parametrize("kind", ["429", "418"])
async def test_rate_limit_carries_retry_after_and_bans(
    kind: str, make_adapter: AdapterFactory, fake: FakeBinance
) -> None:
    spy = BudgetSpy()
    adapter = make_adapter(budget=spy)
    await adapter.load_markets()
    fake.fail_next(KLINES, kind, retry_after=7)
    with pytest.raises(RateLimited) as info:
        await adapter.fetch_candles("BTC/USDT", "1m", 10)
    assert info.value.retry_after == 7
    assert spy.bans == [7]
    assert fake.count(KLINES) == 1  # never retried at once


async def test_server_error_is_retried_then_succeeds(
    adapter: CcxtAdapter, fake: FakeBinance
) -> None:
    fake.fail_next(KLINES, "500")
    candles = await adapter.fetch_candles("BTC/USDT", "1m", 10)
    assert len(candles) == 10
    assert fake.count(KLINES) == 2


@pytest.mark.parametrize("kind", ["500", "503", "504", "drop"])
async def test_persistent_server_errors_are_temporary(
    kind: str, adapter: CcxtAdapter, fake: FakeBinance, account: Account
) -> None:
    await adapter.load_markets()
    fake.fail_next("GET /api/v3/account", kind, times=10)
    with pytest.raises(TemporaryError) as info:
        await adapter.fetch_balance()
    assert not isinstance(info.value, RateLimited)
    # Bounded retries: 3 attempts (aiohttp itself resends a GET once on a dropped keep-alive
    # connection, so a drop may count twice per attempt).
    assert 3 <= fake.count("GET /api/v3/account") <= (6 if kind == "drop" else 3)
    assert_clean(info.value, account)


async def test_timeout(make_adapter: AdapterFactory, fake: FakeBinance, account: Account) -> None:
    adapter = make_adapter(timeout=0.3, retries=1)
    await adapter.load_markets()
    fake.fail_next("GET /api/v3/account", "timeout", delay=1.0)
    started = time.monotonic()
    with pytest.raises(TemporaryError) as info:
        await adapter.fetch_balance()
    assert time.monotonic() - started < 0.9
    assert_clean(info.value, account)  # a signed GET: the URL held the signature


async def test_unknown_key(make_adapter: AdapterFactory) -> None:
    adapter = make_adapter(api_key="no-such-key")
    with pytest.raises(InvalidKey):
        await adapter.fetch_balance()


async def test_revoked_key_after_a_successful_call(
    adapter: CcxtAdapter, fake: FakeBinance, account: Account
) -> None:
    await adapter.fetch_balance()
    fake.remove_account(account.api_key)
    # ccxt now raises DDoSProtection for -2015; it is still a bad key, not a rate limit.
    with pytest.raises(InvalidKey) as info:
        await adapter.fetch_balance()
    assert_clean(info.value, account)


async def test_bad_signature(make_adapter: AdapterFactory, account: Account) -> None:
    adapter = make_adapter(secret="wrong-secret-value")
    with pytest.raises(InvalidKey) as info:
        await adapter.fetch_balance()
    assert "-1022" in str(info.value)
    assert_clean(info.value, account)


async def test_missing_key(make_adapter: AdapterFactory) -> None:
    adapter = make_adapter(api_key=None, secret=None)
    with pytest.raises(InvalidKey):
        await adapter.fetch_balance()


async def test_insufficient_funds(adapter: CcxtAdapter, fake: FakeBinance) -> None:
    with pytest.raises(InsufficientFunds):
        await adapter.create_market_order(
            "BTC/USDT", Side.BUY, quantity=Decimal("1"), client_order_id="e-funds"
        )
    assert fake.orders() == []


@pytest.mark.parametrize(
    ("size", "reason"),
    [
        ({"quantity": Decimal("0.00005")}, "NOTIONAL"),  # 3 USDT < 5 USDT minimum
        ({"quote_quantity": Decimal("2")}, "NOTIONAL"),
        ({"quantity": Decimal("9001")}, "LOT_SIZE"),  # above maxQty
    ],
)
async def test_filter_failures_are_invalid_orders(
    size: dict[str, Decimal], reason: str, adapter: CcxtAdapter, fake: FakeBinance
) -> None:
    with pytest.raises(InvalidOrder) as info:
        await adapter.create_market_order("BTC/USDT", Side.SELL, client_order_id="e-f", **size)
    assert reason in str(info.value)
    assert fake.count(ORDER) == 1  # permanent: not retried
    assert fake.orders() == []


async def test_symbol_delisted_on_the_exchange(adapter: CcxtAdapter, fake: FakeBinance) -> None:
    await adapter.load_markets()
    del fake.symbols["ETHUSDT"]  # ccxt still lists it; Binance answers -1121
    with pytest.raises(UnknownSymbol):
        await adapter.fetch_ticker("ETH/USDT")


async def test_used_weight_is_reported(make_adapter: AdapterFactory, fake: FakeBinance) -> None:
    spy = BudgetSpy()
    adapter = make_adapter(budget=spy)
    await adapter.fetch_candles("BTC/USDT", "1h", 10)
    await adapter.fetch_balance()
    assert spy.reserved == [20, 2, 20]  # exchangeInfo, klines, account
    assert spy.observed == [20, 22, 42]
    assert spy.observed[-1] == fake.used_weight()


async def test_every_error_is_an_exchange_error(adapter: CcxtAdapter, fake: FakeBinance) -> None:
    fake.fail_next("GET /api/v3/exchangeInfo", "500", times=3)
    with pytest.raises(ExchangeError):
        await adapter.load_markets()
    assert await adapter.load_markets()  # a failed load is not cached
