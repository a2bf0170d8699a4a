"""The dispatcher's INFO line: once a minute, what it sent out; nothing while it sends nothing.

The dispatcher runs every second in whichever worker process is free, so a count per process
would say half the story twice. Counts are summed in Redis per clock minute, and the first
dispatch of the next minute that claims the report logs it: one line per installation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("tradebot.worker.dispatch")
WINDOW_SECONDS = 60
KEEP_SECONDS = 3 * WINDOW_SECONDS  # a minute's counts outlive the minute that reports them


@dataclass
class DispatchTally:
    """Counts dispatched bots and batches per minute; one process of many reports each one."""

    redis: Redis
    prefix: str
    # The last minute this process has tried to report (every process tries once a minute).
    claimed_until: int = -1

    def _key(self, window: int) -> str:
        return f"{self.prefix}dispatch:tally:{window}"

    async def record(self, bots: int, batches: int, now: float) -> tuple[int, int] | None:
        """Count one dispatch at `now` (epoch seconds).

        Returns the previous minute's (bots, batches) when this call is the one to report
        them, and None otherwise or when nothing was dispatched in that minute.
        """
        window = int(now // WINDOW_SECONDS)
        previous = window - 1
        claim = self.claimed_until < previous
        async with self.redis.pipeline(transaction=False) as pipe:
            if bots:
                pipe.hincrby(self._key(window), "bots", bots)
                pipe.hincrby(self._key(window), "batches", batches)
                pipe.expire(self._key(window), KEEP_SECONDS)
            if claim:
                pipe.set(f"{self._key(previous)}:reported", 1, nx=True, ex=KEEP_SECONDS)
                pipe.hgetall(self._key(previous))
            results = await pipe.execute() if len(pipe) else []
        if not claim:
            return None
        self.claimed_until = previous
        claimed, counts = results[-2], results[-1]
        if not claimed or not counts:
            return None
        return int(counts.get("bots", 0)), int(counts.get("batches", 0))

    async def log(self, bots: int, batches: int, now: float) -> None:
        """Count one dispatch; log the previous minute's totals if it is ours to report."""
        if bots:
            log.debug("dispatched %d bots in %d batches", bots, batches)
        try:
            totals = await self.record(bots, batches, now)
        except RedisError as exc:  # the bots went out; only the summary is lost
            log.debug("dispatch tally unavailable: %s", type(exc).__name__)
            return
        if totals is not None and totals[0]:
            log.info("dispatched %d bots in %d batches in the last 60 s", *totals)
