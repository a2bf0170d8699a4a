"""Publish bot state changes: a capped per-user Redis stream (for resume) plus Pub/Sub.

Only real changes go out: the digest of the last event of each bot is kept in Redis, and an
event equal to it is dropped, atomically, whichever worker process publishes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from redis.asyncio import Redis

from tradebot.redis_client import Keys

STREAM_MAXLEN = 1000  # events kept per user for `Last-Event-ID` resume
DIGEST_TTL = 7 * 24 * 3600

# KEYS: digest, stream, channel. ARGV: digest, data, maxlen, ttl, user id.
_PUBLISH = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) == ARGV[1] then return false end
if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4]) end
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

    async def publish(
        self, user_id: int, event: dict[str, Any], *, dedupe_key: str = ""
    ) -> str | None:
        """The new event's id, or None when `dedupe_key`'s last event was the same."""
        data = encode(event)
        digest = hashlib.blake2b(data.encode(), digest_size=16).hexdigest() if dedupe_key else ""
        result = await self._script(
            keys=[
                self.keys.event_digest(dedupe_key or "none"),
                self.keys.events_stream(user_id),
                self.keys.events_channel(user_id),
            ],
            args=[digest, data, STREAM_MAXLEN, DIGEST_TTL, user_id],
        )
        if result is None:
            return None
        return result.decode() if isinstance(result, bytes) else str(result)

    async def bot_state(self, user_id: int, bot_id: int, state: dict[str, Any]) -> str | None:
        """Publish a bot's state event if it differs from the last one published."""
        return await self.publish(user_id, {"type": "state", **state}, dedupe_key=f"bot:{bot_id}")
