"""The cluster-wide weight governor on real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from redis.asyncio import Redis

from tests.market_data.conftest import FakeClock
from tradebot.exchange.errors import RateLimited
from tradebot.market_data.governor import BackgroundBudget, WeightGovernor


def governor(redis: Redis, prefix: str, **kw: object) -> WeightGovernor:
    kw.setdefault("limit", 100)
    kw.setdefault("safety_margin", 0.0)
    return WeightGovernor(redis, prefix=prefix, **kw)  # type: ignore[arg-type]


async def test_budget_with_safety_margin(redis: Redis, prefix: str) -> None:
    assert governor(redis, prefix, limit=6000, safety_margin=0.1).budget == 5400


async def test_exhausted_budget_waits_for_the_next_window(
    redis: Redis, prefix: str, clock: FakeClock
) -> None:
    gov = governor(redis, prefix, window=60, max_wait=60, clock=clock, sleep=clock.sleep)
    clock.now = 1_800_000_030.0  # halfway through a window
    await gov.reserve(60)
    await gov.reserve(40)
    assert clock.slept == []
    await gov.reserve(20)  # does not fit: waits until the window turns
    assert len(clock.slept) == 1 and 30 <= clock.slept[0] < 30.1
    assert await gov.used() == 20


async def test_too_long_a_wait_raises_rate_limited(
    redis: Redis, prefix: str, clock: FakeClock
) -> None:
    gov = governor(redis, prefix, window=60, max_wait=5, clock=clock, sleep=clock.sleep)
    clock.now = 1_800_000_010.0
    await gov.reserve(100)
    with pytest.raises(RateLimited) as info:
        await gov.reserve(1)
    assert 49.9 < info.value.retry_after < 50.1
    assert clock.slept == []  # no pointless sleeping first


async def test_a_single_request_above_the_budget_still_passes_on_an_empty_window(
    redis: Redis, prefix: str
) -> None:
    gov = governor(redis, prefix, limit=10)
    await gov.reserve(20)
    assert await gov.used() == 20


async def test_header_raises_the_counter_never_lowers_it(
    redis: Redis, prefix: str, clock: FakeClock
) -> None:
    clock.now = 1_800_000_030.0  # halfway through a window
    gov = governor(redis, prefix, limit=6000, clock=clock)
    await gov.reserve(10)
    await gov.observe(4000)
    assert await gov.used() == 4000
    await gov.observe(15)
    assert await gov.used() == 4000
    # Other processes see it: a fresh governor on another connection.
    assert await governor(redis, prefix, limit=6000, clock=clock).used() == 4000


async def test_a_header_just_after_the_window_turns_is_not_this_windows(
    redis: Redis, prefix: str, clock: FakeClock
) -> None:
    clock.now = 1_800_000_060.5  # half a second into a new window
    gov = governor(redis, prefix, limit=6000, clock=clock)
    await gov.observe(5900)  # most likely the previous minute's figure
    assert await gov.used() == 0
    clock.now += 5
    await gov.observe(5900)
    assert await gov.used() == 5900


async def test_ban_blocks_every_caller_until_it_expires(
    redis_factory: Callable[[], Redis], prefix: str
) -> None:
    a = governor(redis_factory(), prefix)
    b = governor(redis_factory(), prefix)
    await a.ban(0.4)
    assert 0 < await b.banned_for() <= 0.4
    await a.ban(0.1)  # a shorter ban never shortens the current one
    assert await b.banned_for() > 0.2
    started = time.monotonic()
    await asyncio.gather(a.reserve(1), b.reserve(1))
    assert time.monotonic() - started >= 0.35
    assert await a.banned_for() == 0


async def test_long_ban_raises_at_once(redis: Redis, prefix: str) -> None:
    gov = governor(redis, prefix, max_wait=1)
    await gov.ban(120)
    started = time.monotonic()
    with pytest.raises(RateLimited) as info:
        await gov.reserve(1)
    assert info.value.retry_after > 100
    assert time.monotonic() - started < 0.5


async def test_concurrent_reservations_never_exceed_the_budget(
    redis_factory: Callable[[], Redis], prefix: str
) -> None:
    govs = [governor(redis_factory(), prefix, limit=50, max_wait=0) for _ in range(4)]
    results = await asyncio.gather(
        *(g.reserve(1) for g in govs for _ in range(25)), return_exceptions=True
    )
    granted = sum(1 for r in results if r is None)
    assert granted == 50
    assert all(isinstance(r, RateLimited) for r in results if r is not None)


async def test_background_share_never_waits_and_leaves_the_rest(
    redis: Redis, prefix: str, clock: FakeClock
) -> None:
    gov = governor(redis, prefix, window=60, clock=clock, sleep=clock.sleep)
    background = BackgroundBudget(gov, share=0.5)
    await background.reserve(30)
    await background.reserve(20)
    with pytest.raises(RateLimited):
        await background.reserve(1)  # its half is used up: refused at once, no sleeping
    assert clock.slept == [] and await gov.used() == 50
    await gov.reserve(50)  # the other half is still there for everyone else
    await gov.ban(10)
    clock.now += 60  # a new window, but the ban holds for the background share too
    with pytest.raises(RateLimited):
        await background.reserve(1)
