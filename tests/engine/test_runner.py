"""Cycles run in-process on the real database, Redis and the demo market."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
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


@pytest.mark.parametrize("cycle", ["writing", "quiet"])
async def test_a_stop_made_while_the_cycle_runs_stands(
    alice: Api, ctx: AppContext, engine: EngineContext, monkeypatch: Any, cycle: str
) -> None:
    import json

    from tradebot.engine import runner

    bot = await alice.create_bot(timeframe="1m")
    await alice.request("POST", f"/bots/{bot['id']}/start")
    if cycle == "quiet":  # the first cycle seeds balances (a full write); later ones are quiet
        await run_batch(engine, [bot["id"]])
        await make_due(ctx, bot["id"])
    before = (await _state(ctx, bot["id"])).cycle_count
    real_view = runner.market_view

    async def view_then_stop(*args: Any, **kwargs: Any) -> Any:
        view = await real_view(*args, **kwargs)
        # the owner stops the bot after the cycle loaded it, before the cycle writes
        assert (await alice.request("POST", f"/bots/{bot['id']}/stop")).status_code == 200
        return view

    monkeypatch.setattr(runner, "market_view", view_then_stop)
    result = await run_batch(engine, [bot["id"]])
    assert bot["id"] not in result.next_runs
    st = await _state(ctx, bot["id"])
    assert st.status == "stopped" and st.stop_reason == "stopped_by_user"
    assert st.next_run_at is None and st.lease_token is None
    # a quiet cycle has nothing worth keeping; a writing one keeps its balances and trades
    assert st.cycle_count == before + (cycle == "writing")
    # the last event any dashboard saw says stopped, not the cycle's stale "running"
    stream = ctx.keys.events_stream(alice.user_id)
    events = [json.loads(f["data"]) for _, f in await ctx.redis.xrange(stream)]
    assert events[-1]["status"] == "stopped" and events[-1]["is_active"] is False


async def test_a_slow_strategy_reads_enough_candles_to_warm_up(
    alice: Api, ctx: AppContext, engine: EngineContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ema_slow up to 500 is allowed; CANDLE_LIMIT (300 by default) must not keep such a bot
    # in warm-up for ever.
    asked: list[int] = []
    fetch = engine.exchanges.demo.fetch_candles

    async def counting(symbol: str, timeframe: str, limit: int = 500) -> Any:
        asked.append(limit)
        return await fetch(symbol, timeframe, limit)

    monkeypatch.setattr(engine.exchanges.demo, "fetch_candles", counting)
    bot = await alice.create_bot(timeframe="1m", ema_fast=100, ema_slow=450)
    await alice.request("POST", f"/bots/{bot['id']}/start")
    assert (await run_batch(engine, [bot["id"]])).done == [bot["id"]]
    assert asked and min(asked) >= 450 + 2
