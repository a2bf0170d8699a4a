"""Fixtures: a fake Binance per test, funded accounts, adapters pointed at it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from redis.asyncio import Redis

from tests.conftest import secret_marker
from tests.fakes.binance import FakeBinance
from tradebot.exchange import markets_cache
from tradebot.exchange.ccxt_adapter import CcxtAdapter


class Account:
    def __init__(self, api_key: str, secret: str) -> None:
        self.api_key, self.secret = api_key, secret


@pytest.fixture
def fake() -> Iterator[FakeBinance]:
    with FakeBinance() as server:
        yield server


@pytest.fixture
def account(fake: FakeBinance) -> Account:
    """A funded account; its key and secret must never reach a log."""
    acc = Account(secret_marker("binance-key"), secret_marker("binance-secret"))
    fake.add_account(acc.api_key, acc.secret, {"USDT": "10000", "BTC": "0.5", "ETH": "2"})
    fake.set_price("BTCUSDT", "60000")
    fake.set_price("ETHUSDT", "3000")
    return acc


AdapterFactory = Callable[..., CcxtAdapter]


@pytest.fixture
async def make_adapter(fake: FakeBinance, account: Account) -> AsyncIterator[AdapterFactory]:
    """Build adapters on the fake with fast test timings; all are closed afterwards."""
    made: list[CcxtAdapter] = []

    def build(**overrides: Any) -> CcxtAdapter:
        kwargs: dict[str, Any] = {
            "api_key": account.api_key,
            "secret": account.secret,
            "base_url": fake.url,
            "timeout": 1.0,
            "retries": 3,
            "backoff": 0.01,
            "recv_window_ms": 300,
            "clock_margin": 0.1,
        }
        kwargs.update(overrides)
        adapter = CcxtAdapter(**kwargs)
        made.append(adapter)
        return adapter

    yield build
    for adapter in made:
        await adapter.close()


@pytest.fixture
async def adapter(make_adapter: AdapterFactory) -> CcxtAdapter:
    return make_adapter()


@pytest.fixture
async def redis(services: tuple[str, str]) -> AsyncIterator[Redis]:
    """A connection to the run's Redis."""
    client = Redis.from_url(services[1], decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    value = f"test-exchange-{uuid.uuid4().hex[:12]}:"
    yield value
    keys = [k async for k in redis.scan_iter(match=f"{value}*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture(autouse=True)
def _fresh_markets() -> Iterator[None]:
    """Ports get reused, so markets cached for an earlier fake must not leak into a test."""
    markets_cache.forget()
    yield
    markets_cache.forget()
