"""Cycles run in-process on the real database, Redis and the demo market."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from tests.conftest import Api
from tests.engine.conftest import make_due
from tradebot.context import AppContext
from tradebot.engine.context import EngineContext
from tradebot.engine.runner import run_batch
from tradebot.models import BotState


async def _state(ctx: AppContext, bot_id: int) -> BotState:
    async with ctx.sessions() as s:
        return (await s.execute(select(BotState).where(BotState.id == bot_id))).scalar_one()


async def test_demo_bot_cycle_updates_state_and_schedule(
    alice: Api, ctx: AppContext, engine: EngineContext
) -> None:
    bot = await alice.create_bot(timeframe="1m", check_interval_seconds=30)
    r = await alice.request("POST", f"/bots/{bot['id']}/start")
    assert r.json()["state"]["next_run_at"] is not None
    result = await run_batch(engine, [bot["id"]])
    assert result.done == [bot["id"]], result
    st = await _state(ctx, bot["id"])
    assert st.cycle_count == 1 and st.lease_token is None and st.retry_count == 0
    assert st.last_run_at is not None and st.next_run_at is not None
    assert 25 <= (st.next_run_at - datetime.now(UTC)).total_seconds() <= 31
    assert st.last_candle_time is not None
    # not due again yet: a second delivery does nothing
    again = await run_batch(engine, [bot["id"]])
    assert again.done == [] and again.skipped == [bot["id"]]
    got = (await alice.request("GET", f"/bots/{bot['id']}")).json()
    assert got["state"]["last_run_at"] is not None and got["state"]["next_run_at"] is not None


async def test_stopped_or_inactive_bot_does_not_run(
    alice: Api, ctx: AppContext, engine: EngineContext
) -> None:
    bot = await alice.create_bot()
    await make_due(ctx, bot["id"])
    assert (await run_batch(engine, [bot["id"]])).done == []  # never started
    await alice.request("POST", f"/bots/{bot['id']}/start")
    await alice.request("POST", f"/bots/{bot['id']}/stop")
    await make_due(ctx, bot["id"])
    result = await run_batch(engine, [bot["id"]])
    assert result.done == [] and result.skipped == [bot["id"]]
    assert (await _state(ctx, bot["id"])).cycle_count == 0


async def test_racing_deliveries_run_one_cycle(
    alice: Api, ctx: AppContext, engine: EngineContext
) -> None:
    bots = [await alice.create_bot(name=f"b{i}", timeframe="1m") for i in range(5)]
    ids = [b["id"] for b in bots]
    for i in ids:
        await alice.request("POST", f"/bots/{i}/start")
    results = await asyncio.gather(*(run_batch(engine, ids) for _ in range(4)))
    done = sorted(b for r in results for b in r.done)
    assert done == ids
    for i in ids:
        assert (await _state(ctx, i)).cycle_count == 1


async def test_every_visible_change_is_published_once_whoever_makes_it(
    alice: Api, ctx: AppContext, engine: EngineContext
) -> None:
    import json

    stream = ctx.keys.events_stream(alice.user_id)

    async def published() -> list[dict[str, Any]]:
        return [json.loads(f["data"]) for _, f in await ctx.redis.xrange(stream)]

    bot = await alice.create_bot(timeframe="1m")
    await alice.request("POST", f"/bots/{bot['id']}/start")
    events = await published()
    assert [(e["bot_id"], e["type"], e["status"]) for e in events] == [
        (bot["id"], "state", "stopped"),
        (bot["id"], "state", "running"),
    ]
    # the engine's cycle and the API share one "last event": a cycle that changes nothing a
    # client shows (after the start the API published) adds nothing, a second one neither
    await run_batch(engine, [bot["id"]])
    await make_due(ctx, bot["id"])
    await run_batch(engine, [bot["id"]])
    assert len(await published()) == 2
    await alice.request("POST", f"/bots/{bot['id']}/stop")
    last = (await published())[-1]
    assert last["status"] == "stopped" and last["stop_reason"] == "stopped_by_user"
    assert len(await published()) == 3
