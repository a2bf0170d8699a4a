"""The ccxt adapter against the fake Binance: data, balances, orders, shared markets."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import numpy as np
import pytest

from tests.exchange.conftest import Account, AdapterFactory
from tests.fakes.binance import FakeBinance
from tradebot.core.types import Side
from tradebot.exchange.ccxt_adapter import CcxtAdapter
from tradebot.exchange.errors import InvalidOrder, UnknownSymbol
from tradebot.exchange.port import ExchangePort


async def test_implements_the_port(adapter: CcxtAdapter) -> None:
    assert isinstance(adapter, ExchangePort)
    assert adapter.capabilities.quote_order_qty


async def test_market_rules_are_exact_decimals(adapter: CcxtAdapter) -> None:
    rules = await adapter.market("BTC/USDT")
    assert (rules.base, rules.quote) == ("BTC", "USDT")
    assert rules.amount_step == Decimal("0.00001")
    assert rules.price_tick == Decimal("0.01")
    assert rules.min_amount == Decimal("0.00001")
    assert rules.min_notional == Decimal("5")
    assert set(await adapter.load_markets()) >= {"BTC/USDT", "ETH/USDT", "ETH/BTC"}


async def test_unknown_symbol(adapter: CcxtAdapter) -> None:
    with pytest.raises(UnknownSymbol):
        await adapter.market("NOPE/USDT")
    with pytest.raises(UnknownSymbol):
        await adapter.fetch_ticker("NOPE/USDT")


async def test_candles(adapter: CcxtAdapter, fake: FakeBinance) -> None:
    candles = await adapter.fetch_candles("BTC/USDT", "1h", limit=50)
    assert len(candles) == 50
    assert candles.open_time.dtype == np.int64 and candles.close.dtype == np.float64
    assert np.all(np.diff(candles.open_time) == 3_600_000)
    assert np.all(candles.high >= candles.low)
    assert candles.close[-1] == 60000.0  # the forming candle closes at the current price
    now = int(time.time() * 1000)
    assert len(candles.closed(now, "1h")) == 49
    assert fake.requests[-1].params["limit"] == "50"


async def test_ticker_and_balance(adapter: CcxtAdapter) -> None:
    ticker = await adapter.fetch_ticker("ETH/USDT")
    assert ticker.last == Decimal("3000")
    assert ticker.symbol == "ETH/USDT"
    balance = await adapter.fetch_balance()
    assert balance["USDT"].free == Decimal("10000")
    assert balance["BTC"].used == 0
    assert "BNB" not in balance


async def test_buy_by_quote_amount_and_sell_by_quantity(
    adapter: CcxtAdapter, fake: FakeBinance, account: Account
) -> None:
    buy = await adapter.create_market_order(
        "BTC/USDT", Side.BUY, quote_quantity=Decimal("120"), client_order_id="t-buy-1"
    )
    assert buy.side is Side.BUY
    assert buy.quantity == Decimal("0.002")
    assert buy.quote_quantity == Decimal("120")
    assert buy.price == Decimal("60000")
    assert (buy.commission, buy.commission_asset) == (Decimal("0.000002"), "BTC")
    assert buy.client_order_id == "t-buy-1"
    assert fake.requests[-1].params["quoteOrderQty"] == "120"

    sell = await adapter.create_market_order(
        "BTC/USDT", Side.SELL, quantity=Decimal("0.001"), client_order_id="t-sell-1"
    )
    assert (sell.quantity, sell.quote_quantity) == (Decimal("0.001"), Decimal("60"))
    assert (sell.commission, sell.commission_asset) == (Decimal("0.06"), "USDT")
    assert fake.balances(account.api_key)["USDT"] == Decimal("10000") - 120 + 60 - Decimal("0.06")


async def test_fetch_order_by_client_id(adapter: CcxtAdapter) -> None:
    made = await adapter.create_market_order(
        "ETH/USDT", Side.BUY, quantity=Decimal("0.1"), client_order_id="t-q-1"
    )
    found = await adapter.fetch_order_by_client_id("ETH/USDT", "t-q-1")
    assert found == made  # commission recovered from the order's trades
    assert await adapter.fetch_order_by_client_id("ETH/USDT", "t-missing") is None


async def test_order_arguments_are_checked_before_sending(
    adapter: CcxtAdapter, fake: FakeBinance
) -> None:
    with pytest.raises(InvalidOrder):
        await adapter.create_market_order(
            "BTC/USDT",
            Side.BUY,
            quantity=Decimal(1),
            quote_quantity=Decimal(1),
            client_order_id="x",
        )
    with pytest.raises(InvalidOrder):
        await adapter.create_market_order(
            "BTC/USDT", Side.BUY, quantity=Decimal("0.001"), client_order_id="bad id!"
        )
    with pytest.raises(InvalidOrder):
        await adapter.create_market_order(
            "BTC/USDT", Side.BUY, quantity=Decimal("0.001"), client_order_id="x" * 37
        )
    assert fake.count("POST /api/v3/order") == 0


async def test_markets_load_once_across_adapters(
    make_adapter: AdapterFactory, fake: FakeBinance
) -> None:
    adapters = [make_adapter() for _ in range(5)]
    await asyncio.gather(*(a.market("BTC/USDT") for a in adapters))
    later = make_adapter()
    await later.fetch_ticker("ETH/USDT")
    assert fake.count("GET /api/v3/exchangeInfo") == 1


async def test_markets_reload_after_ttl(make_adapter: AdapterFactory, fake: FakeBinance) -> None:
    await make_adapter(markets_ttl=0.05).load_markets()
    await asyncio.sleep(0.1)
    await make_adapter(markets_ttl=0.05).load_markets()
    assert fake.count("GET /api/v3/exchangeInfo") == 2


async def test_testnet_uses_the_base_url_too(
    make_adapter: AdapterFactory, fake: FakeBinance
) -> None:
    testnet = make_adapter(sandbox=True)
    assert all(url.startswith(fake.url) for url in testnet._ex.urls["api"].values())
    assert (await testnet.fetch_balance())["USDT"].free == Decimal("10000")
    assert fake.count("GET /api/v3/account") == 1
