"""Live status over SSE with a real server, real Redis and a real SSE client (httpx-sse)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import ServerSentEvent, aconnect_sse

from tests.conftest import Api, serving, signup
from tests.engine.conftest import engine_settings
from tradebot.app import create_app
from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.events.hub import EventHub, Subscriber
from tradebot.events.publisher import EventPublisher


@pytest.fixture
async def server(settings: Settings, tmp_path: Path) -> AsyncIterator[tuple[str, Any]]:
    """The API on a real port (streams need a real HTTP connection)."""
    app = create_app(engine_settings(settings, tmp_path, SSE_PING_SECONDS=1))
    async with serving(app) as port:
        await app.state.hub.wait_ready()
        yield f"http://127.0.0.1:{port}/api/v1", app


@pytest.fixture
async def http(server: tuple[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server[0], timeout=10) as c:
        yield c


async def _next(events: AsyncIterator[ServerSentEvent], timeout: float = 5) -> ServerSentEvent:
    """The next event, as a browser sees it: heartbeats are not events."""

    async def real() -> ServerSentEvent:
        while True:
            event = await anext(events)
            # httpx-sse turns a `: ping` comment into an empty "message" carrying the last
            # id, which EventSource never dispatches (the SSE spec drops empty data).
            if event.event != "message" or event.data:
                return event

    return await asyncio.wait_for(real(), timeout)


def _publisher(ctx: AppContext) -> EventPublisher:
    return EventPublisher(ctx.redis, ctx.keys)


async def _publish_state(ctx: AppContext, user_id: int, bot_id: int, **fields: Any) -> str | None:
    return await _publisher(ctx).bot_state(user_id, bot_id, {"bot_id": bot_id, **fields})


async def test_snapshot_then_live_changes(http: httpx.AsyncClient, ctx: AppContext) -> None:
    user = await signup(http)
    bot = await user.create_bot()
    async with aconnect_sse(http, "GET", "/bots/status-stream", headers=user.headers) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        assert source.response.headers["cache-control"] == "no-cache"
        events = source.aiter_sse()
        snap = await _next(events)
        assert snap.event == "snapshot" and snap.retry == 3000 and snap.id
        bots = json.loads(snap.data)["bots"]
        assert [b["bot_id"] for b in bots] == [bot["id"]]
        assert bots[0]["status"] == "stopped" and bots[0]["daily_pnl"] == "0"
        event_id = await _publish_state(
            ctx, user.user_id, bot["id"], status="running", daily_pnl="1.5"
        )
        change = await _next(events)
        assert change.event == "state" and change.id == event_id
        assert json.loads(change.data)["daily_pnl"] == "1.5"
        # the same state again is no change, and sends nothing
        assert (
            await _publish_state(ctx, user.user_id, bot["id"], status="running", daily_pnl="1.5")
            is None
        )
        await _publish_state(ctx, user.user_id, bot["id"], status="in_position")
        assert json.loads((await _next(events)).data)["status"] == "in_position"


async def test_login_cookie_authorizes_a_browser_stream(http: httpx.AsyncClient) -> None:
    user = await signup(http)
    r = await http.post("/auth/login", json={"email": user.email, "password": "wrong-password"})
    assert r.status_code == 401
    # sign in again to get the cookie into the client, as a browser would
    from tests.conftest import secret_marker

    pw = secret_marker("pw")
    await http.post("/auth/register", json={"email": "cookie@example.com", "password": pw})
    assert (
        await http.post("/auth/login", json={"email": "cookie@example.com", "password": pw})
    ).status_code == 200
    assert "tradebot_session" in http.cookies
    async with aconnect_sse(http, "GET", "/bots/status-stream") as source:
        assert source.response.status_code == 200
        assert (await _next(source.aiter_sse())).event == "snapshot"


async def test_no_auth_is_401_and_foreign_bot_is_404(http: httpx.AsyncClient) -> None:
    alice, bob = await signup(http), await signup(http)
    bot = await alice.create_bot()
    http.cookies.clear()
    r = await http.get("/bots/status-stream")
    assert r.status_code == 401
    r = await http.get(f"/bots/{bot['id']}/status-stream", headers=bob.headers)
    assert r.status_code == 404
    r = await http.get("/bots/999999/status-stream", headers=alice.headers)
    assert r.status_code == 404


async def test_each_user_sees_only_their_bots(http: httpx.AsyncClient, ctx: AppContext) -> None:
    alice, bob = await signup(http), await signup(http)
    a_bot, b_bot = await alice.create_bot(), await bob.create_bot()
    async with aconnect_sse(http, "GET", "/bots/status-stream", headers=bob.headers) as source:
        events = source.aiter_sse()
        snap = json.loads((await _next(events)).data)
        assert [b["bot_id"] for b in snap["bots"]] == [b_bot["id"]]
        await _publish_state(ctx, alice.user_id, a_bot["id"], status="running")
        await _publish_state(ctx, bob.user_id, b_bot["id"], status="running")
        got = json.loads((await _next(events)).data)
        assert got["bot_id"] == b_bot["id"]


async def test_one_bot_stream_filters_the_others(http: httpx.AsyncClient, ctx: AppContext) -> None:
    user = await signup(http)
    one, other = await user.create_bot(), await user.create_bot(name="other")
    async with aconnect_sse(
        http, "GET", f"/bots/{one['id']}/status-stream", headers=user.headers
    ) as source:
        events = source.aiter_sse()
        assert [b["bot_id"] for b in json.loads((await _next(events)).data)["bots"]] == [one["id"]]
        await _publish_state(ctx, user.user_id, other["id"], status="running")
        await _publish_state(ctx, user.user_id, one["id"], status="running")
        assert json.loads((await _next(events)).data)["bot_id"] == one["id"]


async def _first_snapshot(http: httpx.AsyncClient) -> tuple[Api, dict[str, Any], ServerSentEvent]:
    """A new user with one bot, and the snapshot their first stream begins with."""
    user = await signup(http)
    bot = await user.create_bot()
    async with aconnect_sse(http, "GET", "/bots/status-stream", headers=user.headers) as source:
        return user, bot, await _next(source.aiter_sse())


async def test_reconnect_with_last_event_id_gets_what_it_missed(
    http: httpx.AsyncClient, ctx: AppContext
) -> None:
    user, bot, snap = await _first_snapshot(http)
    missed = [
        await _publish_state(ctx, user.user_id, bot["id"], daily_trades_count=i) for i in (1, 2)
    ]
    headers = user.headers | {"Last-Event-ID": snap.id}
    async with aconnect_sse(http, "GET", "/bots/status-stream", headers=headers) as source:
        events = source.aiter_sse()
        first, second = await _next(events), await _next(events)
        assert [first.event, second.event] == ["state", "state"]
        assert [first.id, second.id] == missed
        # then live, as usual
        live = await _publish_state(ctx, user.user_id, bot["id"], daily_trades_count=3)
        assert (await _next(events)).id == live
    # an id the server no longer has (or never had) gives a fresh snapshot
    for stale in ("1-0", "garbage"):
        headers = user.headers | {"Last-Event-ID": stale}
        async with aconnect_sse(http, "GET", "/bots/status-stream", headers=headers) as source:
            assert (await _next(source.aiter_sse())).event == "snapshot"


async def test_heartbeats_keep_an_idle_stream_alive(server: tuple[str, Any]) -> None:
    base, _ = server
    async with httpx.AsyncClient(base_url=base, timeout=10) as c:
        user = await signup(c)
        async with c.stream("GET", "/bots/status-stream", headers=user.headers) as r:
            seen = ""
            async for chunk in r.aiter_text():
                seen += chunk
                if seen.count(": ping") >= 1 and "event: snapshot" in seen:
                    break
    assert "retry: 3000" in seen


async def test_logout_and_deactivation_end_the_stream(
    http: httpx.AsyncClient, server: tuple[str, Any], ctx: AppContext
) -> None:
    user = await signup(http)
    async with aconnect_sse(http, "GET", "/bots/status-stream", headers=user.headers) as source:
        events = source.aiter_sse()
        assert (await _next(events)).event == "snapshot"
        assert (await http.post("/auth/logout", headers=user.headers)).status_code == 204
        end = await _next(events)
        assert end.event == "end" and json.loads(end.data)["reason"] == "logged_out"
        with pytest.raises(StopAsyncIteration):
            await _next(events)

    other = await signup(http)
    async with aconnect_sse(http, "GET", "/bots/status-stream", headers=other.headers) as source:
        events = source.aiter_sse()
        await _next(events)
        from tradebot.auth.service import deactivate

        async with ctx.sessions.begin() as s:
            await deactivate(ctx, s, other.email)
        end = await _next(events)
        assert json.loads(end.data)["reason"] == "deactivated"
    assert (await http.get("/bots/status-stream", headers=other.headers)).status_code == 401


async def test_disconnects_are_cleaned_up_and_one_redis_subscription_serves_all(
    http: httpx.AsyncClient, server: tuple[str, Any], ctx: AppContext
) -> None:
    _, app = server
    hub: EventHub = app.state.hub
    user = await signup(http)
    bot = await user.create_bot()
    patterns_before = await ctx.redis.pubsub_numpat()
    tasks_before = len(asyncio.all_tasks())
    async with contextlib.AsyncExitStack() as stack:
        sources = [
            await stack.enter_async_context(
                aconnect_sse(http, "GET", "/bots/status-stream", headers=user.headers)
            )
            for _ in range(50)
        ]
        iters = [s.aiter_sse() for s in sources]
        for it in iters:
            assert (await _next(it)).event == "snapshot"
        assert hub.subscribers == 50
        assert await ctx.redis.pubsub_numpat() == patterns_before  # no subscription per stream
        assert app.state.ctx.engine.pool.checkedout() == 0  # nor a database connection
        event_id = await _publish_state(ctx, user.user_id, bot["id"], status="running")
        got = await asyncio.gather(*(_next(it) for it in iters))
        assert {e.id for e in got} == {event_id}
    for _ in range(50):
        if hub.subscribers == 0:
            break
        await asyncio.sleep(0.05)
    assert hub.subscribers == 0 and not hub.by_user
    await asyncio.sleep(0.2)
    assert len(asyncio.all_tasks()) <= tasks_before + 1


async def test_a_slow_client_cannot_hold_up_the_others(ctx: AppContext) -> None:
    hub = EventHub(ctx.redis, ctx.keys)
    hub.start()
    await hub.wait_ready()
    try:
        slow, fast = hub.add(7, "a"), hub.add(7, "b")
        received: list[str] = []

        async def drain(sub: Subscriber) -> None:
            while len(received) < 1000:
                await sub.wake.wait()
                sub.wake.clear()
                while not sub.queue.empty():
                    received.append(sub.queue.get_nowait().id)

        reader = asyncio.create_task(drain(fast))
        publisher = _publisher(ctx)
        for i in range(1000):
            await publisher.publish(7, {"bot_id": 1, "n": i})
        await asyncio.wait_for(reader, 10)
        assert len(received) == 1000  # the fast one got everything, in order
        assert received == sorted(received, key=lambda x: tuple(map(int, x.split("-"))))
        assert slow.overflowed and slow.queue.qsize() < 300  # bounded, flagged for a resync
    finally:
        await hub.stop()


async def test_every_api_process_delivers_to_its_own_streams(ctx: AppContext) -> None:
    hubs = [EventHub(ctx.redis, ctx.keys) for _ in range(2)]  # two API processes' hubs
    for hub in hubs:
        hub.start()
        await hub.wait_ready()
    try:
        subs = [hub.add(42, f"token-{i}") for i, hub in enumerate(hubs)]
        event_id = await _publisher(ctx).publish(42, {"bot_id": 5})
        for sub in subs:
            await asyncio.wait_for(sub.wake.wait(), 5)
            assert sub.queue.get_nowait().id == event_id
        # a logout reaches the stream of that token, whichever process holds it
        await _publisher(ctx).control({"type": "logout", "jti": "token-1"})
        await asyncio.wait_for(_ended(subs[1]), 5)
        assert subs[0].ended is None and subs[1].ended == "logged_out"
    finally:
        for hub in hubs:
            await hub.stop()


async def _ended(sub: Subscriber) -> None:
    while sub.ended is None:
        await asyncio.sleep(0.02)


async def test_changes_made_through_the_api_reach_open_streams(http: httpx.AsyncClient) -> None:
    """Start, stop, edit and delete publish like the engine's cycles do."""
    user = await signup(http)
    bot = await user.create_bot()
    async with aconnect_sse(http, "GET", "/bots/status-stream", headers=user.headers) as source:
        events = source.aiter_sse()
        assert (await _next(events)).event == "snapshot"
        await user.request("POST", f"/bots/{bot['id']}/start")
        started = await _next(events)
        assert started.event == "state" and json.loads(started.data)["status"] == "running"
        await user.request("PATCH", f"/bots/{bot['id']}", json={"name": "renamed"})
        assert json.loads((await _next(events)).data)["name"] == "renamed"
        # Every setting a card shows travels with the state, so other tabs' cards follow.
        edit = {"timeframe": "15m", "max_daily_trades": 6}
        await user.request("PATCH", f"/bots/{bot['id']}", json=edit)
        edited = json.loads((await _next(events)).data)
        assert {k: edited[k] for k in edit} == edit
        assert {k: edited[k] for k in ("name", "symbol", "mode")} == {
            "name": "renamed",
            "symbol": "BTC/USDT",
            "mode": "demo",
        }
        await user.request("POST", f"/bots/{bot['id']}/stop")
        stopped = json.loads((await _next(events)).data)
        assert stopped["status"] == "stopped" and stopped["stop_reason"] == "stopped_by_user"
        assert (await user.request("DELETE", f"/bots/{bot['id']}")).status_code == 204
        gone = await _next(events)
        assert gone.event == "deleted" and json.loads(gone.data) == {
            "type": "deleted",
            "bot_id": bot["id"],
        }
        # nothing is published for a request that changed nothing
        await user.request("POST", "/bots", json={"name": "x"})  # refused: 422
        other = await user.create_bot()
        created = await _next(events)
        assert json.loads(created.data)["bot_id"] == other["id"]


async def test_any_id_the_stream_cannot_resume_from_gets_a_fresh_snapshot(
    http: httpx.AsyncClient, ctx: AppContext
) -> None:
    """Malformed, out of Redis's range, unknown or future: the browser gets a snapshot."""
    user, bot, snap = await _first_snapshot(http)
    await _publish_state(ctx, user.user_id, bot["id"], daily_trades_count=1)
    ms, seq = (int(p) for p in snap.id.split("-"))
    for bad in (
        "99999999999999999999-1",  # beyond a 64-bit id
        "18446744073709551616-0",
        "-5",
        "abc",
        "",
        "1-",
        "1-2-3",
        f"{ms + 10**9}-0",  # the future
        f"{ms}-{seq + 1000}",  # never sent
        "9" * 500,
    ):
        for how in ("header", "query"):
            kw: dict[str, Any] = (
                {"headers": user.headers | {"Last-Event-ID": bad}}
                if how == "header"
                else {"headers": user.headers, "params": {"last_event_id": bad}}
            )
            async with aconnect_sse(http, "GET", "/bots/status-stream", **kw) as source:
                assert source.response.status_code == 200, (bad, how)
                first = await _next(source.aiter_sse())
                assert first.event == "snapshot", (bad, how, first.event)
                assert json.loads(first.data)["bots"][0]["bot_id"] == bot["id"]
    # the control: the snapshot's own id resumes with what came after it
    headers = user.headers | {"Last-Event-ID": snap.id}
    async with aconnect_sse(http, "GET", "/bots/status-stream", headers=headers) as source:
        assert (await _next(source.aiter_sse())).event == "state"


class _SwallowingPubSub:
    """A subscription whose read swallows the first cancellation, as redis-py's can when a
    cancel lands just as its read timeout expires."""

    def __init__(self) -> None:
        self.swallowed = 0

    async def psubscribe(self, *_: Any) -> None:
        return None

    async def subscribe(self, *_: Any) -> None:
        return None

    async def get_message(self, timeout: float) -> None:
        try:
            await asyncio.sleep(timeout)
        except asyncio.CancelledError:
            if self.swallowed:
                raise
            self.swallowed += 1
            asyncio.current_task().uncancel()  # type: ignore[union-attr]
        return None

    async def aclose(self) -> None:
        return None


async def test_hub_stops_even_when_its_redis_read_swallows_the_cancel(ctx: AppContext) -> None:
    pubsub = _SwallowingPubSub()

    class _Redis:
        def pubsub(self, **_: Any) -> _SwallowingPubSub:
            return pubsub

    hub = EventHub(_Redis(), ctx.keys)  # type: ignore[arg-type]
    hub.start()
    await asyncio.sleep(0.05)
    stopping = asyncio.ensure_future(hub.stop())
    done, _ = await asyncio.wait({stopping}, timeout=3)  # not wait_for: it would cancel again
    if not done:  # before: the hub read on, 30 s at a time, forever
        stopping.cancel()
    assert done and pubsub.swallowed == 1


async def test_backtest_events_reach_the_all_bots_stream_only(
    http: httpx.AsyncClient, ctx: AppContext
) -> None:
    from tradebot.events.notify import backtest_changed

    user = await signup(http)
    bot = await user.create_bot()
    publisher = _publisher(ctx)
    async with (
        aconnect_sse(http, "GET", "/bots/status-stream", headers=user.headers) as every,
        aconnect_sse(http, "GET", f"/bots/{bot['id']}/status-stream", headers=user.headers) as one,
    ):
        all_events, one_events = every.aiter_sse(), one.aiter_sse()
        await _next(all_events), await _next(one_events)  # snapshots
        await backtest_changed(publisher, user.user_id, 7, "running", 35)
        got = await _next(all_events)
        assert got.event == "backtest" and got.id
        assert json.loads(got.data) == {
            "type": "backtest",
            "id": 7,
            "status": "running",
            "progress": 35,
        }
        # the one-bot stream skips it and shows the bot's next change
        await _publish_state(ctx, user.user_id, bot["id"], status="running")
        assert (await _next(one_events)).event == "state"


async def test_batched_states_publish_changes_only(ctx: AppContext) -> None:
    publisher = _publisher(ctx)
    same = {"bot_id": 1, "status": "running"}
    await publisher.bot_states([(7, 1, same), (7, 2, {"bot_id": 2, "status": "running"})])
    await publisher.bot_states([(7, 1, same), (7, 2, {"bot_id": 2, "status": "stopped"})])
    stream = await ctx.redis.xrange(ctx.keys.events_stream(7))
    sent = [json.loads(f["data"]) for _, f in stream]
    assert [(e["bot_id"], e["status"]) for e in sent] == [
        (1, "running"),
        (2, "running"),
        (2, "stopped"),
    ]
    assert (await publisher.last_states([1, 2]))[2]["status"] == "stopped"
