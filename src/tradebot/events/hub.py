"""One Redis subscription per API process, fanned out to that process's streams.

The hub pattern-subscribes to every user's event channel (and the control channel) on one
connection and hands each message to the streams of its user through bounded in-memory
queues: a slow client fills only its own queue, which then overflows into a fresh snapshot
instead of holding up anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from tradebot import metrics
from tradebot.redis_client import Keys

log = logging.getLogger(__name__)
QUEUE_SIZE = 256  # events a stream may fall behind before it is resynchronised
READ_TIMEOUT = 30.0  # seconds one read of the subscription waits for a message
STOP_RECHECK = 1.0  # seconds between cancellations of a hub that has not yet stopped


# Event types a stream forwards under their own SSE event name (`backtest`: a backtest job's
# status and progress, on the all-bots stream only).
EVENT_KINDS = frozenset({"state", "deleted", "backtest"})


@dataclass(frozen=True)
class Event:
    id: str
    data: str  # JSON text of the event
    bot_id: int | None
    kind: str = "state"  # the SSE event name: `state`, `deleted` (a bot), or `backtest`

    @classmethod
    def parse(cls, event_id: str, data: str) -> Event:
        """An event as published (`tradebot.events.publisher`): its bot and kind read once."""
        try:
            body = json.loads(data)
            bot_id, kind = body.get("bot_id"), body.get("type")
        except (TypeError, ValueError, AttributeError):
            bot_id, kind = None, None
        return cls(event_id, data, bot_id, kind if kind in EVENT_KINDS else "state")


@dataclass(eq=False)
class Subscriber:
    """One open stream: its user, the token it was opened with, and its queue."""

    user_id: int
    jti: str
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: bool = False  # events were dropped: send a fresh snapshot
    resync: bool = False  # the hub's own subscription was interrupted
    ended: str | None = None  # why the stream must end (logout, deactivated)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, event: Event) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            dropped = self.queue.qsize() + 1
            while not self.queue.empty():
                self.queue.get_nowait()
            metrics.SSE_EVENTS.labels("dropped").inc(dropped)
        self.wake.set()

    def end(self, reason: str) -> None:
        self.ended = reason
        self.wake.set()


class EventHub:
    """Runs while the API process runs; streams register and unregister themselves."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self.by_user: dict[int, set[Subscriber]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._ready = asyncio.Event()
        self.received = 0  # messages read from Redis (for tests and benchmarks)

    @property
    def subscribers(self) -> int:
        return sum(len(s) for s in self.by_user.values())

    def start(self) -> None:
        if self._task is None:
            self._closing = False
            self._task = asyncio.create_task(self._run(), name="event-hub")

    async def wait_ready(self) -> None:
        """Until the Redis subscription is in place."""
        await self._ready.wait()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            self._closing = True
            # redis-py can swallow a cancellation that lands as its read timeout expires (the
            # task then waits in the next read): cancel again until the task has ended.
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=STOP_RECHECK)
            with contextlib.suppress(asyncio.CancelledError):
                task.result()
        for subs in self.by_user.values():
            for sub in subs:
                sub.end("shutdown")

    def add(self, user_id: int, jti: str) -> Subscriber:
        self.start()
        sub = Subscriber(user_id, jti)
        self.by_user[user_id].add(sub)
        return sub

    def remove(self, sub: Subscriber) -> None:
        subs = self.by_user.get(sub.user_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.by_user[sub.user_id]

    async def _run(self) -> None:
        backoff = 0.5
        while not self._closing:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self.keys.events_pattern)
                await pubsub.subscribe(self.keys.events_control)
                self._ready.set()
                backoff = 0.5
                while not self._closing:
                    message = await pubsub.get_message(timeout=READ_TIMEOUT)
                    if message is not None:
                        self._dispatch(message)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self._ready.clear()
                log.warning("event hub lost Redis (%s); resubscribing", type(exc).__name__)
                for subs in self.by_user.values():  # they may have missed events meanwhile
                    for sub in subs:
                        sub.resync = True
                        sub.wake.set()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _dispatch(self, message: dict[str, Any]) -> None:
        self.received += 1
        try:
            body = json.loads(message["data"])
        except (TypeError, ValueError):
            return
        if message.get("channel") == self.keys.events_control:
            self._control(body)
            return
        subs = self.by_user.get(int(body.get("user_id", -1)))
        if not subs:
            return
        event = Event.parse(str(body["id"]), str(body["data"]))
        for sub in list(subs):
            sub.offer(event)

    def _control(self, body: dict[str, Any]) -> None:
        kind = body.get("type")
        if kind == "logout":
            jti = body.get("jti")
            for subs in self.by_user.values():
                for sub in subs:
                    if sub.jti == jti:
                        sub.end("logged_out")
        elif kind == "user_deactivated":
            for sub in self.by_user.get(int(body.get("user_id", -1)), ()):
                sub.end("deactivated")
