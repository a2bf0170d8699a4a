"""Cycles run in-process on the real database, Redis and the demo market."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import Api, engine_settings
from tests.engine.conftest import make_due
from tests.engine.scripted import ScriptedSource, golden_cross_closes
from tests.fakes.binance import FakeBinance
from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.engine.context import EngineContext
from tradebot.engine.runner import run_batch
from tradebot.models import BotState, SimBalance, Trade


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


async def test_first_cycles_of_a_batch_seed_their_accounts_in_one_write(
    alice: Api, ctx: AppContext, engine: EngineContext
) -> None:
    bots = [
        await alice.create_bot(name=f"s{i}", timeframe="1m", initial_capital=str(100 * (i + 1)))
        for i in range(3)
    ]
    ids = [b["id"] for b in bots]
    for i in ids:
        await alice.request("POST", f"/bots/{i}/start")
    assert sorted((await run_batch(engine, ids)).done) == ids
    async with ctx.sessions() as s:
        rows = (await s.execute(select(SimBalance).where(SimBalance.bot_config_id.in_(ids)))).all()
    seeded = {(b.bot_config_id, b.asset): b.free for (b,) in rows}
    assert seeded == {(i, "USDT"): Decimal(100 * (n + 1)) for n, i in enumerate(ids)}
    for i in ids:  # the next cycles read the seeded accounts and leave them as they are
        await make_due(ctx, i)
    assert sorted((await run_batch(engine, ids)).done) == ids
    for i in ids:
        assert (await _state(ctx, i)).cycle_count == 2


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


async def test_an_idle_cycle_sends_nothing_to_redis_until_its_refresh_window(
    alice: Api, ctx: AppContext, engine: EngineContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from tradebot.engine import runner

    sent: list[list[int]] = []
    real = engine.publisher.bot_states

    async def counting(events: Any) -> None:
        sent.append([bot_id for _, bot_id, _ in events])
        await real(events)

    monkeypatch.setattr(engine.publisher, "bot_states", counting)
    bot = await alice.create_bot(timeframe="1m")
    await alice.request("POST", f"/bots/{bot['id']}/start")
    await run_batch(engine, [bot["id"]])  # the first cycle: a refresh, as every first one
    assert sent == [[bot["id"]]]
    monkeypatch.setattr(runner, "_refresh_due", lambda *_: False)
    for _ in range(2):
        await make_due(ctx, bot["id"])
        assert (await run_batch(engine, [bot["id"]])).done == [bot["id"]]
    assert sent[1:] == [[], []]  # nothing changed: no call reached Redis

    # A change committed but never published (its event lost on the way) ...
    async with ctx.sessions.begin() as s:
        st = await s.get(BotState, bot["id"])
        assert st is not None
        st.daily_trades_count = 1
    await make_due(ctx, bot["id"])
    await run_batch(engine, [bot["id"]])
    assert sent[-1] == []  # ... is what the loaded state already shows: not sent again ...
    monkeypatch.setattr(runner, "_refresh_due", lambda *_: True)
    await make_due(ctx, bot["id"])
    await run_batch(engine, [bot["id"]])
    assert sent[-1] == [bot["id"]]  # ... until the bot's refresh window comes round
    stream = ctx.keys.events_stream(alice.user_id)
    last = json.loads((await ctx.redis.xrange(stream))[-1][1]["data"])
    assert last["daily_trades_count"] == 1


def test_refresh_windows_come_once_per_period_and_spread_over_bots() -> None:
    import itertools
    from datetime import timedelta

    from tradebot.engine.runner import EVENT_REFRESH_SECONDS, _refresh_due

    start = datetime(2026, 1, 1, tzinfo=UTC)
    minutes = [start + timedelta(minutes=m) for m in range(60)]
    for bot_id in (1, 2, 77):
        due = [_refresh_due(bot_id, a, b) for a, b in itertools.pairwise(minutes)]
        assert sum(due) == 3600 // EVENT_REFRESH_SECONDS
    first = {
        bot_id: next(
            i for i, (a, b) in enumerate(itertools.pairwise(minutes)) if _refresh_due(bot_id, a, b)
        )
        for bot_id in range(1, 200)
    }
    assert len(set(first.values())) == EVENT_REFRESH_SECONDS // 60  # every minute has some
    assert _refresh_due(5, None, start)  # a bot's first cycle always publishes


@pytest.mark.parametrize("cycle", ["writing", "quiet"])
async def test_a_stop_made_while_the_cycle_runs_stands(
    alice: Api, ctx: AppContext, engine: EngineContext, monkeypatch: Any, cycle: str
) -> None:
    import json

    from tradebot.engine import runner

    if cycle == "writing":  # a market that makes the bot buy at once
        closes = golden_cross_closes()
        engine.exchanges.demo = ScriptedSource(closes, Decimal(str(closes[-1])))  # type: ignore[assignment]
    bot = await alice.create_bot(timeframe="1m")
    await alice.request("POST", f"/bots/{bot['id']}/start")
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
    async with ctx.sessions() as s:
        trades = (await s.execute(select(Trade).where(Trade.bot_config_id == bot["id"]))).all()
        balances = (
            await s.execute(select(SimBalance).where(SimBalance.bot_config_id == bot["id"]))
        ).all()
    assert len(trades) == len(balances) // 2 == (cycle == "writing")  # USDT and the coin
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
    closed = engine.exchanges.demo.closed_candles

    def counting(symbol: str, timeframe: str, limit: int, now_ms: int) -> Any:
        asked.append(limit)
        return closed(symbol, timeframe, limit, now_ms)

    monkeypatch.setattr(engine.exchanges.demo, "closed_candles", counting)
    bot = await alice.create_bot(timeframe="1m", ema_fast=100, ema_slow=450)
    await alice.request("POST", f"/bots/{bot['id']}/start")
    assert (await run_batch(engine, [bot["id"]])).done == [bot["id"]]
    assert asked and min(asked) >= 450 + 2


async def test_a_batch_of_many_symbols_reads_their_prices_in_one_request(
    alice: Api, ctx: AppContext, settings: Settings, fake: FakeBinance, tmp_path: Any
) -> None:
    # prices kept for the default two seconds (the suite's engine keeps them for none)
    engine = EngineContext.create(
        engine_settings(settings, tmp_path, BINANCE_BASE_URL=fake.url, TICKER_TTL_SECONDS=2)
    )
    ids = []
    for symbol in ("BTC/USDT", "ETH/USDT", "BNB/USDT"):
        bot = await alice.create_bot(symbol=symbol, timeframe="1m", mode="paper")
        await alice.request("POST", f"/bots/{bot['id']}/start")
        ids.append(bot["id"])
    before = fake.count("GET /api/v3/ticker/price"), fake.count("GET /api/v3/ticker/24hr")
    assert sorted((await run_batch(engine, ids)).done) == sorted(ids)
    every_price = [
        r for r in fake.requests if r.path == "/api/v3/ticker/price" and "symbol" not in r.params
    ]
    assert len(every_price) == 1
    after = fake.count("GET /api/v3/ticker/price"), fake.count("GET /api/v3/ticker/24hr")
    assert after == (before[0] + 1, before[1])  # and no symbol's own ticker
    async with ctx.sessions() as s:
        states = (await s.execute(select(BotState).where(BotState.id.in_(ids)))).scalars().all()
    assert all(st.cycle_count == 1 and st.last_error_message is None for st in states)
    await engine.close()
