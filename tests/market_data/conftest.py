"""Fixtures: real Redis clients under a key prefix of each test's own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis


@pytest.fixture
async def redis_factory(services: tuple[str, str]) -> AsyncIterator[Callable[[], Redis]]:
    """Separate connections to the run's Redis, as separate worker processes would have."""
    clients: list[Redis] = []

    def make(decode: bool = True) -> Redis:
        client = Redis.from_url(services[1], decode_responses=decode)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def redis(redis_factory: Callable[[], Redis]) -> Redis:
    return redis_factory()


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    value = f"test-md-{uuid.uuid4().hex[:12]}:"
    yield value
    keys = [k async for k in redis.scan_iter(match=f"{value}*")]
    if keys:
        await redis.delete(*keys)


class FakeClock:
    """A clock the test moves; its sleep moves it instead of waiting."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
