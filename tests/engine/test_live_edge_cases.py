"""Live-trading edge cases: order ids per venue, positions bound to their key, unresolved
orders, deactivated accounts, interrupted batches."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import select, update

from tests.conftest import Api, secret_marker
from tests.engine.conftest import make_due
from tests.engine.scripted import ScriptedSource, golden_cross_closes
from tests.fakes.binance import ERR_BALANCE, BinanceError, FakeBinance
from tradebot.context import AppContext
from tradebot.engine import runner
from tradebot.engine.context import EngineContext
from tradebot.engine.runner import run_batch
from tradebot.exchange.ccxt_adapter import CcxtAdapter
from tradebot.exchange.errors import OrderStatusUnknown, TemporaryError
from tradebot.models import ApiKey, BotConfig, BotState, Trade, User


@pytest.fixture
def market(engine: EngineContext, fake: FakeBinance) -> ScriptedSource:
    """A golden cross on every symbol, at the fake exchange's own price."""
    closes = [c * 600 for c in golden_cross_closes()]
    source = ScriptedSource(closes, Decimal(str(round(closes[-1], 2))))
    engine.exchanges._public[False] = source  # type: ignore[assignment]
    for symbol in ("BTCUSDT", "ETHUSDT"):
        fake.set_price(symbol, source.price)
    return source


async def _add_key(user: Api, fake: FakeBinance, usdt: str = "10000") -> dict[str, Any]:
    key, secret = secret_marker("key"), secret_marker("secret")
    fake.add_account(key, secret, {"USDT": usdt})
    r = await user.request("POST", "/api-keys", json={"api_key": key, "secret_key": secret})
    assert r.status_code == 201, r.text
    return {"id": r.json()["id"], "key": key}


async def _live_bot(user: Api, symbol: str = "BTC/USDT", **extra: Any) -> int:
    bot = await user.create_bot(
        mode="live",
        symbol=symbol,
        timeframe="1m",
        position_size_fixed="600",
        position_size_perc=None,
        **extra,
    )
    assert (await user.request("POST", f"/bots/{bot['id']}/start")).status_code == 200
    return int(bot["id"])


async def _state(ctx: AppContext, bot_id: int) -> BotState:
    async with ctx.sessions() as s:
        st = await s.get(BotState, bot_id)
        assert st is not None
        return st


async def _trades(ctx: AppContext, bot_id: int) -> list[Trade]:
    async with ctx.sessions() as s:
        rows = await s.execute(select(Trade).where(Trade.bot_config_id == bot_id))
        return list(rows.scalars())


async def _fall_through_the_stop(market: ScriptedSource, fake: FakeBinance) -> None:
    market.price = (market.price * Decimal("0.9")).quantize(Decimal("0.01"))
    fake.set_price("BTCUSDT", market.price)


async def test_the_same_order_id_on_two_symbols_is_recorded_twice(
    alice: Api, ctx: AppContext, engine: EngineContext, fake: FakeBinance, market: ScriptedSource
) -> None:
    """Binance numbers orders per symbol: ids collide across symbols (and venues)."""
    await _add_key(alice, fake)
    btc, eth = await _live_bot(alice, "BTC/USDT"), await _live_bot(alice, "ETH/USDT")
    result = await run_batch(engine, [btc, eth])
    assert sorted(result.done) == sorted([btc, eth]), result
    ids = [
        (t.symbol, t.venue, t.binance_order_id) for b in (btc, eth) for t in await _trades(ctx, b)
    ]
    assert ids == [("BTC/USDT", "binance", "1"), ("ETH/USDT", "binance", "1")]


async def test_a_position_stays_on_the_account_that_opened_it(
    alice: Api, ctx: AppContext, engine: EngineContext, fake: FakeBinance, market: ScriptedSource
) -> None:
    first = await _add_key(alice, fake)
    bot = await _live_bot(alice)  # no api_key_id: it follows the user's default key
    assert (await run_batch(engine, [bot])).done == [bot]
    assert (await _state(ctx, bot)).position_key_id == first["id"]
    # a newer, validated key becomes the default while the position is open
    second = await _add_key(alice, fake)
    async with ctx.sessions.begin() as s:  # as a successful validation leaves it
        await s.execute(update(ApiKey).where(ApiKey.id == second["id"]).values(is_valid=True))
    # the opening key cannot go while its account holds the position; the other can
    r = await alice.request("DELETE", f"/api-keys/{first['id']}")
    assert r.status_code == 409 and f"bot {bot} holds a position" in r.json()["detail"]
    await _fall_through_the_stop(market, fake)
    await make_due(ctx, bot)
    assert (await run_batch(engine, [bot])).done == [bot]
    sides = [t.side for t in await _trades(ctx, bot)]
    assert sides == ["BUY", "SELL"]
    assert [o["side"] for o in fake.orders(first["key"])] == ["BUY", "SELL"]
    assert fake.orders(second["key"]) == []
    # nothing left behind but what is below the lot step
    assert fake.balances(first["key"]).get("BTC", Decimal(0)) < Decimal("0.00001")
    st = await _state(ctx, bot)
    assert not st.in_position and st.position_key_id is None
    await alice.request("POST", f"/bots/{bot}/stop")
    assert (await alice.request("DELETE", f"/api-keys/{first['id']}")).status_code == 204


async def test_an_unresolved_order_is_shown_and_pins_the_bot(
    alice: Api,
    ctx: AppContext,
    engine: EngineContext,
    fake: FakeBinance,
    market: ScriptedSource,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = await _add_key(alice, fake)
    bot = await _live_bot(alice)
    real_save = runner.save_outcome

    async def lost(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("connection to the database lost")

    monkeypatch.setattr(runner, "save_outcome", lost)
    assert bot in (await run_batch(engine, [bot])).retry  # the order went out, unrecorded
    monkeypatch.setattr(runner, "save_outcome", real_save)
    shown = (await alice.request("GET", f"/bots/{bot}")).json()["state"]["pending_order"]
    sent = fake.orders(key["key"])[0]
    assert shown["side"] == "BUY" and shown["client_order_id"] == sent["clientOrderId"]
    assert shown["symbol"] == "BTC/USDT" and shown["since"]
    for change in ({"symbol": "ETH/USDT"}, {"mode": "testnet"}):
        r = await alice.request("PATCH", f"/bots/{bot}", json=change)
        assert r.status_code == 409, r.text
        assert "outcome is not known yet" in r.json()["detail"]
        assert r.json()["errors"][0]["field"] == next(iter(change))
    assert (await alice.request("PATCH", f"/bots/{bot}", json={"name": "ok"})).status_code == 200
    # its key cannot be deleted either, even with the bot stopped
    await alice.request("POST", f"/bots/{bot}/stop")
    assert (await alice.request("DELETE", f"/api-keys/{key['id']}")).status_code == 409
    await alice.request("POST", f"/bots/{bot}/start")
    assert (await run_batch(engine, [bot])).done == [bot]  # found and recorded
    assert len(await _trades(ctx, bot)) == 1 and len(fake.orders(key["key"])) == 1
    state = (await alice.request("GET", f"/bots/{bot}")).json()["state"]
    assert state["pending_order"] is None and state["in_position"] is True


async def test_client_order_ids_never_repeat(
    alice: Api,
    ctx: AppContext,
    engine: EngineContext,
    fake: FakeBinance,
    market: ScriptedSource,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An announced order that never reached the exchange: its id is not used again."""
    key = await _add_key(alice, fake)
    bot = await _live_bot(alice)
    real_order = CcxtAdapter.create_market_order

    async def never_arrives(*args: Any, **kwargs: Any) -> Any:
        raise OrderStatusUnknown("the request never arrived")

    monkeypatch.setattr(CcxtAdapter, "create_market_order", never_arrives)
    assert bot in (await run_batch(engine, [bot])).retry
    monkeypatch.setattr(CcxtAdapter, "create_market_order", real_order)
    st = await _state(ctx, bot)
    assert st.pending_order is not None
    lost_cid = st.pending_order["client_order_id"]
    async with ctx.sessions.begin() as s:  # long enough ago to be sure it never executed
        old = {**st.pending_order, "announced_at": st.pending_order["announced_at"] - 60}
        await s.execute(update(BotState).where(BotState.id == bot).values(pending_order=old))
    await make_due(ctx, bot)
    assert (await run_batch(engine, [bot])).done == [bot]
    sent = [o["clientOrderId"] for o in fake.orders(key["key"])]
    assert len(sent) == 1 and sent[0] != lost_cid
    assert (await _state(ctx, bot)).orders_announced == 2


async def test_a_refused_order_leaves_nothing_pending(
    alice: Api,
    ctx: AppContext,
    engine: EngineContext,
    fake: FakeBinance,
    market: ScriptedSource,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _add_key(alice, fake)
    bot = await _live_bot(alice)

    def refuse(*args: Any) -> None:
        raise BinanceError(ERR_BALANCE)  # the exchange's own view of the balance differs

    monkeypatch.setattr(fake, "_new_order", refuse)
    assert (await run_batch(engine, [bot])).failed == [bot]
    st = await _state(ctx, bot)
    assert st.status == "error" and "InsufficientFunds" in (st.last_error_message or "")
    assert st.pending_order is None and st.position_key_id is None
    r = await alice.request("PATCH", f"/bots/{bot}", json={"symbol": "ETH/USDT"})
    assert r.status_code == 200


async def test_deactivation_stops_the_bots_and_the_engine_skips_inactive_users(
    alice: Api, bob: Api, ctx: AppContext, engine: EngineContext
) -> None:
    from tradebot.auth.service import deactivate

    mine = await alice.create_bot(timeframe="1m")
    await alice.request("POST", f"/bots/{mine['id']}/start")
    async with ctx.sessions.begin() as s:
        await deactivate(ctx, s, alice.email)
    async with ctx.sessions() as s:
        cfg, st = await s.get(BotConfig, mine["id"]), await s.get(BotState, mine["id"])
        assert cfg is not None and st is not None
        assert cfg.is_active is False and st.status == "stopped"
        assert st.stop_reason == "user_deactivated"
    # an inactive user's bot that is somehow still marked running is never claimed
    theirs = await bob.create_bot(timeframe="1m")
    await bob.request("POST", f"/bots/{theirs['id']}/start")
    async with ctx.sessions.begin() as s:
        await s.execute(update(User).where(User.id == bob.user_id).values(is_active=False))
    result = await run_batch(engine, [theirs["id"]])
    assert result.done == [] and result.skipped == [theirs["id"]]
    assert (await _state(ctx, theirs["id"])).lease_token is None


async def test_the_soft_time_limit_ends_the_batch_and_gives_back_its_leases(
    alice: Api, ctx: AppContext, engine: EngineContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = []
    for _ in range(3):
        bot = await alice.create_bot(timeframe="1m", mode="demo")
        await alice.request("POST", f"/bots/{bot['id']}/start")
        ids.append(bot["id"])
    real_run = runner.BotCycle.run
    ran: list[int] = []

    async def slow(self: runner.BotCycle) -> Any:
        ran.append(self.cfg.id)
        if self.cfg.id == ids[1]:
            raise SoftTimeLimitExceeded()
        return await real_run(self)

    monkeypatch.setattr(runner.BotCycle, "run", slow)
    with pytest.raises(SoftTimeLimitExceeded):
        await run_batch(engine, ids)
    assert ran == ids[:2]  # the batch ended there: the third bot never ran
    for i in ids:
        st = await _state(ctx, i)
        assert st.lease_token is None and st.lease_expires_at is None  # due again at once
        assert st.retry_count == 0 and st.last_error_message is None  # not a bot's error
    assert [(await _state(ctx, i)).cycle_count for i in ids[1:]] == [0, 0]
    monkeypatch.setattr(runner.BotCycle, "run", real_run)
    result = await run_batch(engine, ids[1:])
    assert sorted(result.done) == sorted(ids[1:])


async def test_a_batch_reads_its_markets_at_once_and_a_failed_one_touches_only_its_bots(
    alice: Api, ctx: AppContext, engine: EngineContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    symbols = [f"M{i}/USDT" for i in range(24)]
    ids = {}
    for symbol in symbols:
        bot = await alice.create_bot(symbol=symbol, timeframe="1m", mode="demo")
        await alice.request("POST", f"/bots/{bot['id']}/start")
        ids[symbol] = bot["id"]
    real_view = runner.market_view
    reading = 0
    most = 0

    async def counted(ctx: Any, market: Any, *args: Any) -> Any:
        nonlocal reading, most
        reading += 1
        most = max(most, reading)
        try:
            await asyncio.sleep(0.01)  # an exchange round trip
            if market[2] == "M3/USDT":
                raise TemporaryError("the exchange timed out")
            return await real_view(ctx, market, *args)
        finally:
            reading -= 1

    monkeypatch.setattr(runner, "market_view", counted)
    result = await run_batch(engine, list(ids.values()))
    assert most == runner.MARKET_READS  # reads overlap, never more than the bound
    assert list(result.retry) == [ids["M3/USDT"]]
    assert sorted(result.done) == sorted(i for s, i in ids.items() if s != "M3/USDT")


async def test_the_soft_time_limit_during_market_reads_ends_the_batch(
    alice: Api, ctx: AppContext, engine: EngineContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = []
    for symbol in ("AAA/USDT", "BBB/USDT", "CCC/USDT"):
        bot = await alice.create_bot(symbol=symbol, timeframe="1m", mode="demo")
        await alice.request("POST", f"/bots/{bot['id']}/start")
        ids.append(bot["id"])
    real_view = runner.market_view

    async def interrupted(ctx: Any, market: Any, *args: Any) -> Any:
        if market[2] == "BBB/USDT":
            raise SoftTimeLimitExceeded()
        return await real_view(ctx, market, *args)

    monkeypatch.setattr(runner, "market_view", interrupted)
    with pytest.raises(SoftTimeLimitExceeded):
        await run_batch(engine, ids)
    for i in ids:  # nothing ran; every lease is back, no bot blamed
        st = await _state(ctx, i)
        assert st.lease_token is None and st.cycle_count == 0 and st.retry_count == 0
