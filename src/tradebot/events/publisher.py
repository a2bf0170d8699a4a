"""Publish bot state changes: a capped per-user Redis stream (for resume) plus Pub/Sub.

Only real changes go out: the last event of each bot is kept in Redis (streams use it for
their snapshots), and an event equal to it is dropped, atomically, whichever worker process
publishes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from tradebot.redis_client import Keys

STREAM_MAXLEN = 1000  # events kept per user for `Last-Event-ID` resume
LAST_EVENT_TTL = 7 * 24 * 3600

# KEYS: last event, stream, channel. ARGV: dedupe (1/0), data, maxlen, ttl, user id.
_PUBLISH = """
if ARGV[1] == '1' and redis.call('GET', KEYS[1]) == ARGV[2] then return false end
if ARGV[1] == '1' then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[4]) end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'data', ARGV[2])
redis.call('PUBLISH', KEYS[3], cjson.encode({user_id = tonumber(ARGV[5]), id = id, data = ARGV[2]}))
return id
"""


def encode(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"), sort_keys=True, default=str)


class EventPublisher:
    """Appends events to the owner's stream and announces them on the owner's channel."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._script = redis.register_script(_PUBLISH)

    def _call(self, user_id: int, data: str, dedupe_key: str) -> tuple[list[str], list[Any]]:
        """The script's keys and arguments for one event."""
        keys = [
            self.keys.last_event(dedupe_key or "none"),
            self.keys.events_stream(user_id),
            self.keys.events_channel(user_id),
        ]
        return keys, ["1" if dedupe_key else "0", data, STREAM_MAXLEN, LAST_EVENT_TTL, user_id]

    async def publish(
        self, user_id: int, event: dict[str, Any], *, dedupe_key: str = ""
    ) -> str | None:
        """The new event's id, or None when `dedupe_key`'s last event was the same."""
        keys, args = self._call(user_id, encode(event), dedupe_key)
        result = await self._script(keys=keys, args=args)
        if result is None:
            return None
        return result.decode() if isinstance(result, bytes) else str(result)

    async def bot_state(self, user_id: int, bot_id: int, state: dict[str, Any]) -> str | None:
        """Publish a bot's state event if it differs from the last one published."""
        return await self.publish(user_id, {"type": "state", **state}, dedupe_key=f"bot:{bot_id}")

    async def bot_states(self, events: Sequence[tuple[int, int, dict[str, Any]]]) -> None:
        """`bot_state` for many bots (user id, bot id, state) in one round trip."""
        if not events:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for user_id, bot_id, state in events:
                data = encode({"type": "state", **state})
                keys, args = self._call(user_id, data, f"bot:{bot_id}")
                await self._script(keys=keys, args=args, client=pipe)
            await pipe.execute()

    async def last_states(self, bot_ids: list[int]) -> dict[int, dict[str, Any]]:
        """The last published state event of each bot that has one."""
        if not bot_ids:
            return {}
        raw = await self.redis.mget([self.keys.last_event(f"bot:{b}") for b in bot_ids])
        return {b: json.loads(v) for b, v in zip(bot_ids, raw, strict=True) if v}

    async def forget(self, bot_id: int) -> None:
        """Drop a deleted bot's last event."""
        await self.redis.delete(self.keys.last_event(f"bot:{bot_id}"))

    async def control(self, message: dict[str, Any]) -> None:
        """Tell every API process's streams about a logout or a deactivated user."""
        await self.redis.publish(self.keys.events_control, encode(message))
