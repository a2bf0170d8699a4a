"""Single-flight caching of candles and tickers across callers, instances and connections."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest
from redis.asyncio import Redis

from tests.market_data.conftest import FakeClock
from tradebot.core.candles import Candles
from tradebot.core.types import Ticker
from tradebot.exchange.perpetuals import FundingRate, OpenInterest
from tradebot.market_data import MarketData
from tradebot.market_data.codec import (
    CachedCandles,
    Stamped,
    decode_candles,
    decode_funding,
    decode_open_interest,
    decode_ticker,
    encode_candles,
    encode_funding,
    encode_open_interest,
    encode_ticker,
)


def make_candles(n: int, start: int = 1_800_000_000_000, step: int = 60_000) -> Candles:
    rows = [[start + i * step, 1.0 + i, 2.0 + i, 0.5 + i, 1.5 + i, 10.0 * i] for i in range(n)]
    return Candles.from_rows(rows)


def same(a: Candles, b: Candles) -> bool:
    """Equal rows and values, NaN equal to NaN."""
    return bool(np.array_equal(a.open_time, b.open_time)) and all(
        np.array_equal(getattr(a, c), getattr(b, c), equal_nan=True)
        for c in ("open", "high", "low", "close", "volume")
    )


class Upstream:
    """A counting fetch function that takes a while, like the exchange."""

    def __init__(self, delay: float = 0.1, fail: int = 0) -> None:
        self.calls = 0
        self.delay = delay
        self.fail = fail

    async def candles(self) -> Candles:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.fail:
            self.fail -= 1
            raise RuntimeError("upstream down")
        return make_candles(100)

    async def ticker(self) -> Ticker:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.fail:
            self.fail -= 1
            raise RuntimeError("upstream down")
        return Ticker("BTC/USDT", Decimal("60000.12"), datetime.now(UTC))


def test_codec_round_trips_exactly() -> None:
    candles = make_candles(5)
    candles.close[2] = np.nan
    value = decode_candles(encode_candles(CachedCandles(candles, 500, 42)))
    assert value is not None and same(value.candles, candles)
    assert (value.limit, value.period) == (500, 42)
    empty = decode_candles(encode_candles(CachedCandles(Candles.from_rows([]), 10, 1)))
    assert empty is not None and len(empty.candles) == 0
    assert decode_candles("garbage") is None
    ticker = Ticker("ETH/USDT", Decimal("3000.01"), datetime(2026, 1, 1, tzinfo=UTC))
    assert decode_ticker(encode_ticker(Stamped(ticker, 1_800_000_000.5))) == Stamped(
        ticker, 1_800_000_000.5
    )


async def test_one_fetch_serves_all_callers_of_two_instances(
    redis_factory: Callable[..., Redis], prefix: str
) -> None:
    a = MarketData(redis_factory(), prefix=prefix)
    b = MarketData(redis_factory(decode=False), prefix=prefix)  # bytes client works too
    upstream = Upstream(delay=0.2)
    results = await asyncio.gather(
        *(md.candles("binance", "BTC/USDT", "1h", 100, upstream.candles) for md in (a, b) * 10)
    )
    assert upstream.calls == 1
    assert all(same(r, results[0]) for r in results)
    assert len(results[0]) == 100


async def test_smaller_limit_is_served_from_a_larger_fetch(redis: Redis, prefix: str) -> None:
    md = MarketData(redis, prefix=prefix)
    upstream = Upstream(delay=0)
    await md.candles("binance", "BTC/USDT", "1h", 100, upstream.candles)
    tail = await md.candles("binance", "BTC/USDT", "1h", 30, upstream.candles)
    assert len(tail) == 30 and upstream.calls == 1
    await md.candles("binance", "BTC/USDT", "1h", 200, upstream.candles)  # more than cached
    assert upstream.calls == 2


async def test_ticker_expires_after_its_ttl(redis: Redis, prefix: str) -> None:
    md = MarketData(redis, prefix=prefix, ticker_ttl=0.2)
    upstream = Upstream(delay=0)
    first = await md.ticker("binance", "BTC/USDT", upstream.ticker)
    assert await md.ticker("binance", "BTC/USDT", upstream.ticker) == first
    assert await md.cached_ticker("binance", "BTC/USDT") == first
    assert upstream.calls == 1
    await asyncio.sleep(0.3)
    assert await md.cached_ticker("binance", "BTC/USDT") is None
    await md.ticker("binance", "BTC/USDT", upstream.ticker)
    assert upstream.calls == 2


async def test_candles_live_until_the_candle_closes(
    redis: Redis, prefix: str, clock: FakeClock
) -> None:
    clock.now = 1_800_000_000.0 + 3_590  # 10 s before an hourly close
    md = MarketData(redis, prefix=prefix, clock=clock, candle_grace=2)
    upstream = Upstream(delay=0)
    await md.candles("binance", "BTC/USDT", "1h", 50, upstream.candles)
    ttl = await redis.pttl(md.candles_key("binance", "BTC/USDT", "1h"))
    assert 11_000 <= ttl <= 12_000  # until the close plus the grace
    clock.now += 5
    await md.candles("binance", "BTC/USDT", "1h", 50, upstream.candles)
    assert upstream.calls == 1
    clock.now += 6  # the candle closed: a value from the previous period is never served
    assert await md.cached_candles("binance", "BTC/USDT", "1h", 50) is None
    await md.candles("binance", "BTC/USDT", "1h", 50, upstream.candles)
    assert upstream.calls == 2


async def test_failed_fetch_is_not_cached_and_releases_the_lock(
    redis_factory: Callable[..., Redis], prefix: str
) -> None:
    a = MarketData(redis_factory(), prefix=prefix)
    b = MarketData(redis_factory(), prefix=prefix)
    upstream = Upstream(delay=0.1, fail=1)
    results = await asyncio.gather(
        a.candles("binance", "ETH/USDT", "1m", 100, upstream.candles),
        b.candles("binance", "ETH/USDT", "1m", 100, upstream.candles),
        return_exceptions=True,
    )
    # The first holder failed; the other instance, waiting, took over and succeeded.
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError)
    assert upstream.calls == 2
    key = a.candles_key("binance", "ETH/USDT", "1m")
    assert not await a._redis.exists(f"{key}:lock")
    await a.candles("binance", "ETH/USDT", "1m", 100, upstream.candles)
    assert upstream.calls == 2  # the successful value is cached


async def test_failure_alone_leaves_nothing_behind(redis: Redis, prefix: str) -> None:
    md = MarketData(redis, prefix=prefix)
    upstream = Upstream(delay=0, fail=1)
    with pytest.raises(RuntimeError):
        await md.ticker("binance", "BTC/USDT", upstream.ticker)
    upstream.fail = 1
    with pytest.raises(RuntimeError):
        await md.candles("binance", "BTC/USDT", "1m", 10, upstream.candles)
    assert [k async for k in redis.scan_iter(match=f"{prefix}*")] == []
    await md.candles("binance", "BTC/USDT", "1m", 10, upstream.candles)
    assert upstream.calls == 3


async def test_stuck_lock_holder_is_outwaited(redis: Redis, prefix: str) -> None:
    md = MarketData(redis, prefix=prefix, wait_timeout=0.3)
    key = md.candles_key("binance", "BTC/USDT", "1m")
    await redis.set(f"{key}:lock", "a-dead-process", px=60_000)
    upstream = Upstream(delay=0)
    candles = await md.candles("binance", "BTC/USDT", "1m", 10, upstream.candles)
    assert len(candles) == 10 and upstream.calls == 1


async def test_cancelled_holder_does_not_fail_its_followers(redis: Redis, prefix: str) -> None:
    md = MarketData(redis, prefix=prefix)
    upstream = Upstream(delay=0.2)
    holder = asyncio.create_task(md.candles("binance", "BNB/USDT", "1m", 10, upstream.candles))
    await asyncio.sleep(0.05)
    follower = asyncio.create_task(md.candles("binance", "BNB/USDT", "1m", 10, upstream.candles))
    await asyncio.sleep(0.05)
    holder.cancel()
    assert len(await follower) == 10
    assert upstream.calls == 2


async def test_an_answer_that_straddles_a_close_is_not_served_as_the_new_period(
    redis: Redis, prefix: str, clock: FakeClock
) -> None:
    hour = 3_600_000
    clock.now = 1_800_000_000.0 + 3_599.8  # sent 0.2 s before an hourly close
    md = MarketData(redis, prefix=prefix, clock=clock, candle_grace=2)
    forming_open = (int(clock.now * 1000) // hour) * hour

    async def slow_fetch() -> Candles:
        clock.now += 0.5  # ...and answered after it, its last candle still the old one
        return make_candles(50, start=forming_open - 49 * hour, step=hour)

    await md.candles("binance", "BTC/USDT", "1h", 50, slow_fetch)
    # labelled with the period of its newest candle: stale at once in the new hour
    assert await md.cached_candles("binance", "BTC/USDT", "1h", 50) is None
    ttl = await redis.pttl(md.candles_key("binance", "BTC/USDT", "1h"))
    assert ttl <= 2_000


async def test_each_reader_says_how_old_a_price_it_accepts(
    redis: Redis, prefix: str, clock: FakeClock
) -> None:
    md = MarketData(redis, prefix=prefix, ticker_ttl=2, keep=600, clock=clock)
    upstream = Upstream(delay=0)
    first = await md.ticker_entry("binance", "BTC/USDT", upstream.ticker)
    assert first.fetched_at == clock.now and upstream.calls == 1
    clock.now += 30
    # a chat command takes the 30 s old price; a bot's cycle (ticker_ttl) fetches anew
    lenient = await md.ticker_entry("binance", "BTC/USDT", upstream.ticker, max_age=45)
    assert lenient == first and lenient.age(clock.now) == 30 and upstream.calls == 1
    assert await md.cached_ticker("binance", "BTC/USDT") is None
    await md.ticker("binance", "BTC/USDT", upstream.ticker)
    assert upstream.calls == 2
    assert 590_000 < await redis.pttl(md.ticker_key("binance", "BTC/USDT")) <= 600_000


async def test_candles_carry_when_they_were_fetched(
    redis: Redis, prefix: str, clock: FakeClock
) -> None:
    md = MarketData(redis, prefix=prefix, clock=clock)
    upstream = Upstream(delay=0)
    entry = await md.candles_entry("binance", "BTC/USDT", "1h", 30, upstream.candles)
    fetched = clock.now
    clock.now += 5
    again = await md.candles_entry("binance", "BTC/USDT", "1h", 30, upstream.candles)
    assert entry.fetched_at == again.fetched_at == fetched and upstream.calls == 1
    assert len(again.candles) == 30


async def test_funding_and_open_interest_are_cached_by_age(
    redis: Redis, prefix: str, clock: FakeClock
) -> None:
    md = MarketData(redis, prefix=prefix, clock=clock)
    moment = datetime(2026, 5, 1, 12, tzinfo=UTC)
    funding = FundingRate("BTC/USDT", Decimal("-0.00012"), Decimal("1.5"), None, moment, moment)
    interest = OpenInterest("BTC/USDT", Decimal("8451.123"), None, moment)
    calls = []

    async def fetch_funding() -> FundingRate:
        calls.append("funding")
        return funding

    async def fetch_interest() -> OpenInterest:
        calls.append("oi")
        return interest

    for _ in range(2):
        got = await md.funding_rate("binance", "BTC/USDT", fetch_funding, max_age=45)
        assert got.value == funding
        oi = await md.open_interest("binance", "BTC/USDT", fetch_interest, max_age=45)
        assert oi.value == interest
    assert calls == ["funding", "oi"]
    clock.now += 46
    await md.funding_rate("binance", "BTC/USDT", fetch_funding, max_age=45)
    assert calls == ["funding", "oi", "funding"]
    assert decode_funding(encode_funding(Stamped(funding, 1.5))) == Stamped(funding, 1.5)
    assert decode_open_interest(encode_open_interest(Stamped(interest, 2.0))) == Stamped(
        interest, 2.0
    )


async def test_entries_from_before_stamps_read_as_too_old(redis: Redis, prefix: str) -> None:
    md = MarketData(redis, prefix=prefix)
    old = '{"s": "BTC/USDT", "p": "1", "t": "2026-01-01T00:00:00+00:00"}'
    await redis.set(md.ticker_key("binance", "BTC/USDT"), old)
    assert await md.cached_ticker("binance", "BTC/USDT", max_age=3600) is None


async def test_stale_tickers_of_many_symbols_come_from_one_request_for_every_price(
    redis: Redis, prefix: str
) -> None:
    md = MarketData(redis, prefix=prefix, ticker_ttl=0.2)
    bulk_calls = 0
    at = datetime.now(UTC)

    async def every_price() -> dict[str, Ticker]:
        nonlocal bulk_calls
        bulk_calls += 1
        return {s: Ticker(s, Decimal(n + 1) / 3, at) for n, s in enumerate(["A/USDT", "B/USDT"])}

    async def one(symbol: str) -> Ticker:
        raise AssertionError(f"{symbol} asked for on its own")

    await md.prime_tickers("binance", {"A/USDT", "B/USDT"}, every_price)
    # the second batch finds the prices fresh, and so does each market's own ticker read
    await asyncio.gather(
        *(md.prime_tickers("binance", ["A/USDT", "B/USDT"], every_price) for _ in range(3))
    )
    assert bulk_calls == 1
    a = await md.ticker("binance", "A/USDT", lambda: one("A/USDT"))
    assert a.last == Decimal(1) / 3 and a.timestamp == at  # the exact price text kept
    # one stale symbol alone is read on its own (2 weight, not 4 for every symbol)
    await asyncio.sleep(0.3)
    await md.prime_tickers("binance", ["A/USDT"], every_price)
    assert bulk_calls == 1
    await md.prime_tickers("binance", ["A/USDT", "B/USDT"], every_price)
    assert bulk_calls == 2
    # a symbol the exchange does not list is left to its own read
    await md.prime_tickers("binance", ["A/USDT", "Z/USDT"], every_price)
    assert await md.cached_ticker("binance", "Z/USDT") is None
