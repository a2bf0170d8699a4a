"""Shared market data: one upstream fetch serves every bot, handler and process.

Candles, tickers, funding rates and open interest live in Redis, each stamped with when it
was fetched. Candles are served while their period lasts (closed candles do not change);
the others are kept for `keep` seconds and each reader says how old a value it accepts
(`max_age`): a bot's cycle wants a price at most `ticker_ttl` old, a chat command accepts
what the collector fetched half a minute ago, and both read the same key.

A miss takes a per-key Redis lock (`SET NX PX` with a token); the winner fetches and stores,
the others poll for the value and fetch themselves only if the winner goes quiet for
`wait_timeout`. Within one process, concurrent callers of the same key
share a single attempt before Redis is even asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Collection
from typing import Any, TypeVar

from redis.asyncio import Redis

from tradebot import metrics
from tradebot.core.candles import Candles, timeframe_ms
from tradebot.core.types import Ticker
from tradebot.exchange.perpetuals import FundingRate, OpenInterest
from tradebot.market_data.codec import (
    CachedCandles,
    Stamped,
    decode_candles,
    decode_funding,
    decode_open_interest,
    decode_prices,
    decode_ticker,
    encode_candles,
    encode_funding,
    encode_open_interest,
    encode_prices,
    encode_ticker,
)

T = TypeVar("T")

# Delete the lock only if we still hold it (it may have expired and been taken by another).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _tail(value: CachedCandles, n: int) -> CachedCandles:
    c = value.candles
    if n >= len(c):
        return value
    return CachedCandles(c[len(c) - max(n, 0) :], value.limit, value.period, value.fetched_at)


class MarketData:
    """Market data cached in Redis, fetched once per key across the cluster."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        ticker_ttl: float = 5.0,
        keep: float = 600.0,
        candle_grace: float = 2.0,
        candle_max_ttl: float | None = None,
        lock_ttl: float = 30.0,
        wait_timeout: float = 20.0,
        poll_interval: float = 0.05,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._prefix = f"{prefix}md"
        self.ticker_ttl = ticker_ttl
        self.keep = max(keep, ticker_ttl)
        self.candle_grace = candle_grace
        self.candle_max_ttl = candle_max_ttl
        self._lock_ms = int(lock_ttl * 1000)
        self._wait_timeout = wait_timeout
        self._poll = poll_interval
        self._clock = clock
        self._release = redis.register_script(_RELEASE)
        self._inflight: dict[tuple[str, int], asyncio.Future[Any]] = {}

    # --- keys ----------------------------------------------------------------------------

    def candles_key(self, exchange: str, symbol: str, timeframe: str) -> str:
        return f"{self._prefix}:candles:{exchange}:{symbol}:{timeframe}"

    def ticker_key(self, exchange: str, symbol: str) -> str:
        return f"{self._prefix}:ticker:{exchange}:{symbol}"

    def prices_key(self, exchange: str) -> str:
        return f"{self._prefix}:prices:{exchange}"

    def funding_key(self, exchange: str, symbol: str) -> str:
        return f"{self._prefix}:funding:{exchange}:{symbol}"

    def open_interest_key(self, exchange: str, symbol: str) -> str:
        return f"{self._prefix}:oi:{exchange}:{symbol}"

    def now(self) -> float:
        """The cache's clock (epoch seconds), against which ages are measured."""
        return self._clock()

    # --- candles ---------------------------------------------------------------------------

    async def candles(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        limit: int,
        fetch: Callable[[], Awaitable[Candles]],
    ) -> Candles:
        """The latest `limit` candles; `fetch` (which should ask for `limit`) runs on a miss.

        Cached until the current candle closes (plus a small grace): values fetched in an
        earlier period are never served, so a new closed candle is seen at once.
        """
        return (await self.candles_entry(exchange, symbol, timeframe, limit, fetch)).candles

    async def candles_entry(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        limit: int,
        fetch: Callable[[], Awaitable[Candles]],
    ) -> CachedCandles:
        """`candles`, with when they were fetched."""
        step = timeframe_ms(timeframe)

        def usable(value: CachedCandles) -> bool:
            return value.limit >= limit and value.period == int(self._now_ms() // step)

        async def load() -> CachedCandles:
            sent = self._clock()
            period = int(self._now_ms() // step)
            candles = await fetch()
            # The period the data belongs to: that of its newest (forming) candle when the
            # answer carries one, never later than when the request was sent, so a candle
            # still forming then is never served as closed in a later period.
            if len(candles):
                period = min(period, int(candles.open_time[-1]) // step)
            return CachedCandles(candles, limit, period, sent)

        def ttl(value: CachedCandles) -> float:
            now = self._now_ms()
            closes_at = (value.period + 1) * step  # Binance aligns candles to the epoch
            seconds = max(0.001, (closes_at - now) / 1000 + self.candle_grace)
            if self.candle_max_ttl is not None:
                seconds = min(seconds, self.candle_max_ttl)
            return seconds

        key = self.candles_key(exchange, symbol, timeframe)
        value = await self._get(key, limit, load, encode_candles, decode_candles, usable, ttl)
        return _tail(value, limit)

    async def cached_candles(
        self, exchange: str, symbol: str, timeframe: str, limit: int
    ) -> Candles | None:
        """Cached candles of the current period if there are enough of them; never fetches."""
        raw = await self._redis.get(self.candles_key(exchange, symbol, timeframe))
        value = decode_candles(raw) if raw is not None else None
        step = timeframe_ms(timeframe)
        if value is None or value.limit < limit or value.period != self._now_ms() // step:
            return None
        return _tail(value, limit).candles

    # --- ticker, funding, open interest: stamped values, fresh enough per reader ----------

    async def ticker(
        self, exchange: str, symbol: str, fetch: Callable[[], Awaitable[Ticker]]
    ) -> Ticker:
        """The last price, at most `ticker_ttl` seconds old."""
        return (await self.ticker_entry(exchange, symbol, fetch)).value

    async def ticker_entry(
        self,
        exchange: str,
        symbol: str,
        fetch: Callable[[], Awaitable[Ticker]],
        *,
        max_age: float | None = None,
    ) -> Stamped[Ticker]:
        """The last price, at most `max_age` (default `ticker_ttl`) seconds old."""
        key = self.ticker_key(exchange, symbol)
        age = self.ticker_ttl if max_age is None else max_age
        return await self._stamped(key, fetch, encode_ticker, decode_ticker, age)

    async def prime_tickers(
        self,
        exchange: str,
        symbols: Collection[str],
        fetch_all: Callable[[], Awaitable[dict[str, Ticker]]],
    ) -> None:
        """Refresh the stale tickers among `symbols` from one request for every price of the
        exchange (itself shared and single-flight like any entry) when more than one is
        stale: one request instead of one per symbol. Later `ticker` reads find them fresh."""
        if len(symbols) < 2:
            return
        wanted = list(symbols)
        raws = await self._redis.mget([self.ticker_key(exchange, s) for s in wanted])
        stale = []
        for symbol, raw in zip(wanted, raws, strict=True):
            found = decode_ticker(raw) if raw is not None else None
            if found is None or not self._fresh(found, self.ticker_ttl):
                stale.append(symbol)
        if len(stale) < 2:
            return
        prices = await self._stamped(
            self.prices_key(exchange), fetch_all, encode_prices, decode_prices, self.ticker_ttl
        )
        keep_ms = max(1, int(self.keep * 1000))
        async with self._redis.pipeline(transaction=False) as pipe:
            for symbol in stale:
                ticker = prices.value.get(symbol)
                if ticker is not None:
                    value = encode_ticker(Stamped(ticker, prices.fetched_at))
                    pipe.set(self.ticker_key(exchange, symbol), value, px=keep_ms)
            await pipe.execute()

    async def cached_ticker(
        self, exchange: str, symbol: str, *, max_age: float | None = None
    ) -> Ticker | None:
        """The cached ticker if at most `max_age` (default `ticker_ttl`) old; never fetches."""
        raw = await self._redis.get(self.ticker_key(exchange, symbol))
        value = decode_ticker(raw) if raw is not None else None
        limit = self.ticker_ttl if max_age is None else max_age
        return value.value if value is not None and self._fresh(value, limit) else None

    async def funding_rate(
        self,
        exchange: str,
        symbol: str,
        fetch: Callable[[], Awaitable[FundingRate]],
        *,
        max_age: float,
    ) -> Stamped[FundingRate]:
        """The perpetual's funding rate, at most `max_age` seconds old."""
        key = self.funding_key(exchange, symbol)
        return await self._stamped(key, fetch, encode_funding, decode_funding, max_age)

    async def open_interest(
        self,
        exchange: str,
        symbol: str,
        fetch: Callable[[], Awaitable[OpenInterest]],
        *,
        max_age: float,
    ) -> Stamped[OpenInterest]:
        """The perpetual's open interest, at most `max_age` seconds old."""
        key = self.open_interest_key(exchange, symbol)
        return await self._stamped(key, fetch, encode_open_interest, decode_open_interest, max_age)

    def _fresh(self, value: Stamped[Any], max_age: float) -> bool:
        return value.age(self._clock()) <= max_age

    async def _stamped(
        self,
        key: str,
        fetch: Callable[[], Awaitable[T]],
        encode: Callable[[Stamped[T]], str],
        decode: Callable[[Any], Stamped[T] | None],
        max_age: float,
    ) -> Stamped[T]:
        async def load() -> Stamped[T]:
            sent = self._clock()
            return Stamped(await fetch(), sent)

        return await self._get(
            key, 0, load, encode, decode, lambda v: self._fresh(v, max_age), lambda _: self.keep
        )

    # --- single flight -------------------------------------------------------------------

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    async def _get(
        self,
        key: str,
        variant: int,
        fetch: Callable[[], Awaitable[T]],
        encode: Callable[[T], str],
        decode: Callable[[Any], T | None],
        usable: Callable[[T], bool],
        ttl: Callable[[T], float],
    ) -> T:
        raw = await self._redis.get(key)
        kind = key[len(self._prefix) + 1 :].split(":", 1)[0]
        if raw is not None:
            value = decode(raw)
            if value is not None and usable(value):
                metrics.CACHE.labels(kind, "hit").inc()
                return value
        metrics.CACHE.labels(kind, "miss").inc()
        flight = (key, variant)
        while (pending := self._inflight.get(flight)) is not None:
            try:
                result: T = await asyncio.shield(pending)
                return result
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise
                # Only the caller doing the fetch was cancelled: carry on without it.
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        # Mark a failure as seen even when no other caller was waiting for it.
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._inflight[flight] = future
        try:
            value = await self._fetch_once(key, fetch, encode, decode, usable, ttl)
        except BaseException as e:
            if isinstance(e, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(e)
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._inflight[flight]

    async def _fetch_once(
        self,
        key: str,
        fetch: Callable[[], Awaitable[T]],
        encode: Callable[[T], str],
        decode: Callable[[Any], T | None],
        usable: Callable[[T], bool],
        ttl: Callable[[T], float],
    ) -> T:
        lock = f"{key}:lock"
        deadline = time.monotonic() + self._wait_timeout
        while True:
            token = uuid.uuid4().hex
            if await self._redis.set(lock, token, nx=True, px=self._lock_ms):
                try:
                    # The value may have landed between our miss and taking the lock.
                    raw = await self._redis.get(key)
                    cached = decode(raw) if raw is not None else None
                    if cached is not None and usable(cached):
                        return cached
                    return await self._fetch_and_store(key, fetch, encode, ttl)
                finally:
                    with contextlib.suppress(Exception):
                        await self._release(keys=[lock], args=[token])
            while time.monotonic() < deadline:
                await asyncio.sleep(self._poll)
                async with self._redis.pipeline(transaction=False) as pipe:
                    pipe.get(key)
                    pipe.exists(lock)
                    raw, held = await pipe.execute()
                cached = decode(raw) if raw is not None else None
                if cached is not None and usable(cached):
                    return cached
                if not held:
                    break  # the holder failed or finished without a usable value: try again
            else:
                # The holder is stuck (or its process died with the lock held).
                return await self._fetch_and_store(key, fetch, encode, ttl)

    async def _fetch_and_store(
        self,
        key: str,
        fetch: Callable[[], Awaitable[T]],
        encode: Callable[[T], str],
        ttl: Callable[[T], float],
    ) -> T:
        value = await fetch()
        await self._redis.set(key, encode(value), px=max(1, int(ttl(value) * 1000)))
        return value
