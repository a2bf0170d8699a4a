"""One client's status stream: a snapshot, then every change of the caller's bots.

Event ids are the ids of the user's Redis stream, so a reconnect with `Last-Event-ID` replays
what was missed (or, when that is no longer kept, starts again from a fresh snapshot).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

from sse_starlette.event import ServerSentEvent

from tradebot import metrics
from tradebot.context import AppContext
from tradebot.events.hub import Event, EventHub, Subscriber
from tradebot.events.publisher import STREAM_MAXLEN, EventPublisher
from tradebot.events.snapshot import state_event, with_last_price
from tradebot.models import BotConfig
from tradebot.security import TokenClaims

RETRY_MS = 3000  # how soon a browser reconnects after a drop
IDLE_CHECK = 15.0  # seconds between checks of the token's expiry while idle


_STREAM_ID = re.compile(r"(\d{1,20})-(\d{1,20})")
_ID_MAX = 2**64 - 1  # each half of a Redis stream id is an unsigned 64-bit number


def parse_id(value: str | bytes | None) -> tuple[int, int] | None:
    """A Redis stream id ("1700000000000-3"), or None when it is not one Redis could take."""
    if not value:
        return None
    text = value.decode(errors="replace") if isinstance(value, bytes) else value
    match = _STREAM_ID.fullmatch(text.strip())
    if match is None:
        return None
    ms, seq = int(match[1]), int(match[2])
    return (ms, seq) if ms <= _ID_MAX and seq <= _ID_MAX else None


def _id_text(value: tuple[int, int]) -> str:
    return f"{value[0]}-{value[1]}"


class StatusStream:
    """Produces the server-sent events of one connection."""

    def __init__(
        self,
        ctx: AppContext,
        hub: EventHub,
        bots: Sequence[BotConfig],
        user_id: int,
        claims: TokenClaims,
        *,
        bot_id: int | None = None,
        last_event_id: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.hub = hub
        self.bots = list(bots)
        self.user_id = user_id
        self.claims = claims
        self.bot_id = bot_id
        self.last_event_id = last_event_id
        self.publisher = EventPublisher(ctx.redis, ctx.keys)
        self.cursor: tuple[int, int] = (0, 0)

    async def _latest_id(self) -> tuple[int, int]:
        """The user's latest event id; an empty stream gets a start mark, so that every
        snapshot carries an id a reconnect can resume from."""
        stream = self.ctx.keys.events_stream(self.user_id)
        entries = await self.ctx.redis.xrevrange(stream, count=1)
        if not entries:
            mark = await self.ctx.redis.xadd(
                stream, {"data": '{"type":"start"}'}, maxlen=STREAM_MAXLEN, approximate=True
            )
            return parse_id(mark) or (0, 0)
        return parse_id(entries[0][0]) or (0, 0)

    async def _reload_bots(self) -> None:
        from tradebot.bots import repository

        async with self.ctx.sessions() as session:
            if self.bot_id is None:
                self.bots = list(await repository.list_for(session, self.user_id))
            else:
                bot = await repository.get_for(session, self.user_id, self.bot_id)
                self.bots = [bot] if bot is not None else []

    async def snapshot(self, *, reload: bool) -> ServerSentEvent:
        """Every watched bot's current state, with the latest event id as its id."""
        self.cursor = await self._latest_id()
        if reload:
            await self._reload_bots()
        last = await self.publisher.last_states([b.id for b in self.bots])
        payload = []
        for bot in self.bots:
            # The latest price and open P&L come from the engine's last event.
            payload.append(with_last_price(state_event(bot, bot.state), last.get(bot.id)))
        data = json.dumps({"bots": payload}, separators=(",", ":"), default=str)
        return ServerSentEvent(
            data=data, event="snapshot", id=_id_text(self.cursor), retry=RETRY_MS
        )

    async def _backlog(self, since: tuple[int, int]) -> list[Event] | None:
        """Events after `since`, or None when `since` is not an event the stream still holds:
        trimmed, never sent (a future or made-up id), so the client starts from a snapshot."""
        stream = self.ctx.keys.events_stream(self.user_id)
        position = _id_text(since)
        if not await self.ctx.redis.xrange(stream, min=position, max=position, count=1):
            return None
        entries = await self.ctx.redis.xrange(stream, min=f"({position}")
        events = []
        for entry_id, fields in entries or []:
            events.append(Event.parse(str(entry_id), str((fields or {}).get("data", "{}"))))
        return events

    def _wanted(self, event: Event) -> bool:
        parsed = parse_id(event.id)
        if parsed is None or parsed <= self.cursor:
            return False
        if event.kind == "backtest":  # the user's jobs: news for the whole-app stream
            return self.bot_id is None
        # a bot's event (not a start mark), of the watched bot if the stream watches one
        return event.bot_id is not None and (self.bot_id is None or event.bot_id == self.bot_id)

    def _emit(self, event: Event) -> ServerSentEvent:
        metrics.SSE_EVENTS.labels("delivered").inc()
        self.cursor = parse_id(event.id) or self.cursor
        return ServerSentEvent(data=event.data, event=event.kind, id=event.id)

    async def events(self, sub: Subscriber) -> AsyncIterator[ServerSentEvent]:
        """The stream: resume or snapshot, then live changes until the client leaves."""
        since = parse_id(self.last_event_id)
        backlog = await self._backlog(since) if since is not None else None
        if backlog is None:
            yield await self.snapshot(reload=False)
        else:
            self.cursor = since  # type: ignore[assignment]
            first = True
            for event in backlog:
                if self._wanted(event):
                    sse = self._emit(event)
                    if first:
                        sse.retry, first = RETRY_MS, False
                    yield sse
        while True:
            if sub.ended:
                yield ServerSentEvent(data=json.dumps({"reason": sub.ended}), event="end")
                return
            if datetime.now(UTC) >= self.claims.expires_at:
                yield ServerSentEvent(data=json.dumps({"reason": "expired"}), event="end")
                return
            if sub.overflowed or sub.resync:
                sub.overflowed = sub.resync = False
                while not sub.queue.empty():
                    sub.queue.get_nowait()
                yield await self.snapshot(reload=True)
                continue
            if sub.queue.empty():
                sub.wake.clear()
                try:
                    await asyncio.wait_for(sub.wake.wait(), IDLE_CHECK)
                except TimeoutError:
                    continue
            while not sub.queue.empty() and not sub.overflowed:
                event = sub.queue.get_nowait()
                if self._wanted(event):
                    yield self._emit(event)


async def open_stream(stream: StatusStream) -> AsyncIterator[ServerSentEvent]:
    """Register with the hub for the connection's lifetime; unregister however it ends."""
    sub = stream.hub.add(stream.user_id, stream.claims.jti)
    metrics.SSE_STREAMS.inc()
    try:
        async for event in stream.events(sub):
            yield event
    finally:
        metrics.SSE_STREAMS.dec()
        stream.hub.remove(sub)


__all__ = ["StatusStream", "open_stream", "parse_id"]
