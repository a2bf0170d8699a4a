"""Adapters, the Redis governor and the shared cache together against the fake."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from tests.exchange.conftest import AdapterFactory
from tests.fakes.binance import FakeBinance
from tradebot.exchange.errors import RateLimited
from tradebot.market_data import MarketData, WeightGovernor


async def test_rate_limit_bans_every_adapter(
    make_adapter: AdapterFactory, fake: FakeBinance, redis: Redis, prefix: str
) -> None:
    first = make_adapter(budget=WeightGovernor(redis, prefix=prefix, max_wait=1))
    other = make_adapter(budget=WeightGovernor(redis, prefix=prefix, max_wait=1))
    await first.load_markets()
    fake.fail_next("GET /api/v3/ticker/24hr", "418", retry_after=30)
    with pytest.raises(RateLimited):
        await first.fetch_ticker("BTC/USDT")
    sent = len(fake.requests)
    with pytest.raises(RateLimited) as info:
        await other.fetch_ticker("BTC/USDT")
    assert info.value.retry_after > 25
    assert len(fake.requests) == sent  # nothing reached the exchange during the ban


async def test_weight_header_feeds_the_governor(
    make_adapter: AdapterFactory, fake: FakeBinance, redis: Redis, prefix: str
) -> None:
    governor = WeightGovernor(redis, prefix=prefix)
    adapter = make_adapter(budget=governor)
    await adapter.fetch_balance()
    assert await governor.used() == fake.used_weight() == 40


async def test_bots_on_one_symbol_share_one_klines_request(
    make_adapter: AdapterFactory, fake: FakeBinance, redis: Redis, prefix: str
) -> None:
    market_data = MarketData(redis, prefix=prefix)
    adapters = [make_adapter() for _ in range(8)]
    await adapters[0].load_markets()
    results = await asyncio.gather(
        *(
            market_data.candles(
                "binance",
                "BTC/USDT",
                "15m",
                200,
                lambda a=a: a.fetch_candles("BTC/USDT", "15m", 200),
            )
            for a in adapters
        )
    )
    assert fake.count("GET /api/v3/klines") == 1
    assert all(len(r) == 200 for r in results)
