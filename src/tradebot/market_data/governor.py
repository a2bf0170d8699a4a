"""Cluster-wide request-weight governor in Redis.

Binance counts request weight per IP and minute (6,000) and answers 429, then 418 bans, when
it is exceeded. Every process reserves weight here before a request, so all workers together
stay under the budget; response headers and bans feed back into the same keys.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from tradebot import metrics
from tradebot.config import Settings
from tradebot.exchange.capabilities import BINANCE_USDM
from tradebot.exchange.ccxt_client import api_host, usdm_host
from tradebot.exchange.errors import RateLimited

log = logging.getLogger(__name__)

# KEYS: counter, ban. ARGV: weight, budget, counter ttl ms.
# Returns {1, used} when granted, {0, ban ms} while banned, {0, -1} when the window is full.
# A request heavier than the whole budget still goes through on an empty window.
_RESERVE = """
local ban = redis.call('PTTL', KEYS[2])
if ban > 0 then return {0, ban} end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local weight = tonumber(ARGV[1])
if used > 0 and used + weight > tonumber(ARGV[2]) then return {0, -1} end
used = redis.call('INCRBY', KEYS[1], weight)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, used}
"""

# KEYS: counter. ARGV: used weight reported by the exchange, counter ttl ms.
_OBSERVE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local seen = tonumber(ARGV[1])
if seen > used then
  redis.call('SET', KEYS[1], seen, 'PX', ARGV[2])
  return seen
end
return used
"""

# KEYS: ban. ARGV: ms. A ban only ever grows.
_BAN = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return redis.call('PTTL', KEYS[1])
"""


# A weight header seen this soon after our window turned may belong to the previous minute.
BOUNDARY_SECONDS = 2.0


class WeightGovernor:
    """A shared per-minute weight budget; implements `tradebot.exchange.port.RequestBudget`."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        scope: str = "binance",
        limit: int = 6000,
        safety_margin: float = 0.1,
        window: float = 60.0,
        max_wait: float = 30.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not 0 <= safety_margin < 1:
            raise ValueError("safety_margin must be in [0, 1)")
        self._redis = redis
        self._base = f"{prefix}gov:{scope}"
        self.budget = max(1, int(limit * (1 - safety_margin)))
        self.window = window
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._ttl_ms = int(window * 2000)
        self._reserve = redis.register_script(_RESERVE)
        self._observe = redis.register_script(_OBSERVE)
        self._ban = redis.register_script(_BAN)

    def _counter_key(self) -> tuple[str, float]:
        """The current window's counter key and the seconds until the window ends."""
        now = self._clock()
        index = int(now // self.window)
        return f"{self._base}:w:{index}", (index + 1) * self.window - now

    @property
    def _ban_key(self) -> str:
        return f"{self._base}:ban"

    async def try_reserve(self, weight: int, *, budget: int | None = None) -> float:
        """Take `weight` now and return 0, or return how many seconds to wait first.

        `budget` (at most the whole one) caps what this caller may fill the window to.
        """
        key, window_left = self._counter_key()
        cap = self.budget if budget is None else min(budget, self.budget)
        granted, value = await self._reserve(
            keys=[key, self._ban_key], args=[weight, cap, self._ttl_ms]
        )
        if int(granted):
            return 0.0
        value = int(value)
        return value / 1000 if value > 0 else window_left

    async def reserve(self, weight: int) -> None:
        """Wait until `weight` fits; raises `RateLimited` if that would exceed `max_wait`."""
        waited = 0.0
        while True:
            wait = await self.try_reserve(weight)
            if wait <= 0:
                if waited:
                    metrics.GOVERNOR_WAITS.observe(waited)
                return
            # A little jitter so that waiting processes do not all return at the same instant.
            wait += random.uniform(0, min(0.05, self.window / 100))  # noqa: S311
            if waited + wait > self.max_wait:
                raise RateLimited(f"request budget exhausted for {wait:.1f}s", retry_after=wait)
            log.debug("request budget: waiting %.2fs for %d weight", wait, weight)
            await self._sleep(wait)
            waited += wait

    async def observe(self, used_weight: int) -> None:
        """Raise this window's counter to at least what the exchange reports.

        Just after our window turns, the figure may still be the exchange's previous minute
        (its clock and ours differ by a little): then it says nothing about this window.
        """
        key, left = self._counter_key()
        if self.window - left < BOUNDARY_SECONDS:
            return
        await self._observe(keys=[key], args=[int(used_weight), self._ttl_ms])

    async def ban(self, retry_after: float) -> None:
        """Stop every caller for `retry_after` seconds (after a 429 or 418)."""
        ms = max(1, int(retry_after * 1000))
        await self._ban(keys=[self._ban_key], args=[ms])
        log.warning("exchange asked to back off for %.1fs; all callers wait", retry_after)

    async def banned_for(self) -> float:
        """Seconds left on the current ban, 0 when none."""
        ms = int(await self._redis.pttl(self._ban_key))
        return ms / 1000 if ms > 0 else 0.0

    async def used(self) -> int:
        """Weight counted in the current window."""
        key, _ = self._counter_key()
        raw = await self._redis.get(key)
        return int(raw) if raw is not None else 0


class BackgroundBudget:
    """A share of a governor's budget for work that can wait for its next run (the market
    data collector): it never waits and never fills the window past `share`, so the bots'
    cycles and users' commands always find the rest."""

    def __init__(self, governor: WeightGovernor, share: float = 0.5) -> None:
        if not 0 < share <= 1:
            raise ValueError("share must be in (0, 1]")
        self.governor = governor
        self.cap = max(1, int(governor.budget * share))

    async def reserve(self, weight: int) -> None:
        """Take `weight` if it fits under the share now; else raise `RateLimited`."""
        wait = await self.governor.try_reserve(weight, budget=self.cap)
        if wait > 0:
            raise RateLimited(
                f"background share of the request budget used up for {wait:.1f}s", retry_after=wait
            )

    async def observe(self, used_weight: int) -> None:
        await self.governor.observe(used_weight)

    async def ban(self, retry_after: float) -> None:
        await self.governor.ban(retry_after)


def exchange_budget(redis: Redis, settings: Settings, *, sandbox: bool) -> WeightGovernor:
    """The weight budget of the Binance host that live (or, with `sandbox`, testnet) calls
    reach. Binance limits per host and IP, so every caller of a host (the engine's bots, key
    validation in the API) shares one budget, and live and testnet never share theirs."""
    host = api_host(sandbox=sandbox, base_url=settings.binance_base_url)
    return WeightGovernor(
        redis,
        prefix=settings.redis_key_prefix,
        scope=f"binance@{host}",
        limit=settings.weight_per_minute,
    )


def futures_budget(redis: Redis, settings: Settings) -> WeightGovernor:
    """The weight budget of Binance's USDⓈ-M host (funding, open interest): 2,400 a minute,
    apart from spot's."""
    host = usdm_host(base_url=settings.binance_base_url)
    return WeightGovernor(
        redis,
        prefix=settings.redis_key_prefix,
        scope=f"binanceusdm@{host}",
        limit=BINANCE_USDM.weight_per_minute,
    )
