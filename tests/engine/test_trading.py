"""Trades through the whole cycle on a scripted market: entry, stop, take profit, daily limits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import Api
from tests.engine.conftest import make_due
from tests.engine.scripted import ScriptedSource, golden_cross_closes
from tradebot.context import AppContext
from tradebot.engine.context import EngineContext
from tradebot.engine.runner import run_batch
from tradebot.models import BotConfig, BotState, SimBalance


async def _rows(ctx: AppContext, bot_id: int) -> tuple[BotConfig, BotState, dict[str, Decimal]]:
    async with ctx.sessions() as s:
        cfg = await s.get(BotConfig, bot_id)
        st = await s.get(BotState, bot_id)
        bal = (
            (await s.execute(select(SimBalance).where(SimBalance.bot_config_id == bot_id)))
            .scalars()
            .all()
        )
        assert cfg is not None and st is not None
        return cfg, st, {b.asset: b.free for b in bal}


@pytest.fixture
def scripted(engine: EngineContext) -> ScriptedSource:
    closes = golden_cross_closes()
    source = ScriptedSource(closes, Decimal(str(closes[-1])))
    engine.exchanges.demo = source  # type: ignore[assignment]
    return source


async def _start(alice: Api, symbol: str, **overrides: object) -> int:
    bot = await alice.create_bot(symbol=symbol, timeframe="1m", initial_capital="1000", **overrides)
    assert (await alice.request("POST", f"/bots/{bot['id']}/start")).status_code == 200
    return int(bot["id"])


async def test_entry_then_stop_loss_with_pnl(
    alice: Api, ctx: AppContext, engine: EngineContext, scripted: ScriptedSource
) -> None:
    bot_id = await _start(alice, "TSTA/USDT", position_size_perc="50")
    result = await run_batch(engine, [bot_id])
    assert result.done == [bot_id]
    _, st, bal = await _rows(ctx, bot_id)
    assert st.in_position and st.daily_trades_count == 1
    entry = st.entry_price
    assert entry is not None and entry > scripted.price  # slippage against the buyer
    assert st.stop_loss_price == entry * Decimal("0.98")
    assert st.take_profit_price == entry * Decimal("1.04")
    assert bal["USDT"] < Decimal(1000) and bal["TSTA"] == st.current_position_size_coins
    spent = Decimal(1000) - bal["USDT"]
    assert Decimal(490) < spent <= Decimal(500)

    scripted.price = (entry * Decimal("0.97")).quantize(Decimal("0.01"))
    await make_due(ctx, bot_id)
    assert (await run_batch(engine, [bot_id])).done == [bot_id]
    _, st, bal = await _rows(ctx, bot_id)
    assert not st.in_position and st.daily_trades_count == 2
    trades = (await alice.request("GET", f"/bots/{bot_id}/trades")).json()["items"]
    assert [t["side"] for t in trades] == ["SELL", "BUY"]
    assert trades[0]["reason"] == "stop_loss" and trades[1]["reason"] == "golden_cross"
    pnl = Decimal(trades[0]["pnl"])
    assert pnl < 0 and st.daily_pnl == pnl
    assert bal["USDT"] == Decimal(1000) + pnl  # every fee and slippage accounted for
    assert "TSTA" not in bal


async def test_take_profit(
    alice: Api, ctx: AppContext, engine: EngineContext, scripted: ScriptedSource
) -> None:
    bot_id = await _start(alice, "TSTB/USDT", position_size_fixed="100", position_size_perc=None)
    await run_batch(engine, [bot_id])
    _, st, _ = await _rows(ctx, bot_id)
    assert st.entry_price is not None
    scripted.price = (st.entry_price * Decimal("1.05")).quantize(Decimal("0.01"))
    await make_due(ctx, bot_id)
    await run_batch(engine, [bot_id])
    trades = (await alice.request("GET", f"/bots/{bot_id}/trades")).json()["items"]
    assert trades[0]["reason"] == "take_profit" and Decimal(trades[0]["pnl"]) > 0


async def test_max_daily_loss_closes_and_stops(
    alice: Api, ctx: AppContext, engine: EngineContext, scripted: ScriptedSource
) -> None:
    bot_id = await _start(
        alice, "TSTC/USDT", position_size_perc="100", max_daily_loss_perc="0.5", stop_loss_perc="10"
    )
    await run_batch(engine, [bot_id])
    _, st, _ = await _rows(ctx, bot_id)
    assert st.in_position and st.entry_price is not None
    # down 1 % on a full position: more than 0.5 % of the capital, well above the 10 % stop
    scripted.price = (st.entry_price * Decimal("0.99")).quantize(Decimal("0.01"))
    await make_due(ctx, bot_id)
    await run_batch(engine, [bot_id])
    cfg, st, _ = await _rows(ctx, bot_id)
    assert not st.in_position and cfg.is_active is False
    assert st.status == "stopped" and st.stop_reason == "max_daily_loss_reached"
    trades = (await alice.request("GET", f"/bots/{bot_id}/trades")).json()["items"]
    assert trades[0]["reason"] == "max_daily_loss_reached"
    await make_due(ctx, bot_id)
    assert (await run_batch(engine, [bot_id])).done == []


async def test_max_daily_trades_blocks_entries(
    alice: Api, ctx: AppContext, engine: EngineContext, scripted: ScriptedSource
) -> None:
    bot_id = await _start(alice, "TSTD/USDT", max_daily_trades=1)
    async with ctx.sessions.begin() as s:
        st = await s.get(BotState, bot_id)
        assert st is not None
        from datetime import UTC, datetime

        st.daily_entries, st.daily_trades_count, st.pnl_day = 1, 2, datetime.now(UTC).date()
    await run_batch(engine, [bot_id])
    _, st, _ = await _rows(ctx, bot_id)
    assert not st.in_position and st.daily_entries == 1 and st.daily_trades_count == 2
    assert (await alice.request("GET", f"/bots/{bot_id}/trades")).json()["items"] == []


async def test_entry_below_min_notional_is_skipped(
    alice: Api, ctx: AppContext, engine: EngineContext, scripted: ScriptedSource
) -> None:
    bot_id = await _start(alice, "TSTE/USDT", position_size_fixed="1", position_size_perc=None)
    result = await run_batch(engine, [bot_id])
    assert result.done == [bot_id]
    _, st, _ = await _rows(ctx, bot_id)
    assert not st.in_position and st.last_candle_time is not None
    assert (await alice.request("GET", f"/bots/{bot_id}/trades")).json()["items"] == []


async def test_full_balance_sizing_fills(
    alice: Api, ctx: AppContext, engine: EngineContext, scripted: ScriptedSource
) -> None:
    bot_id = await _start(alice, "TSTF/USDT", position_size_perc="100")
    assert (await run_batch(engine, [bot_id])).done == [bot_id]
    _cfg, st, bal = await _rows(ctx, bot_id)
    assert st.in_position and st.status == "running"
    assert Decimal(0) <= bal.get("USDT", Decimal(0)) < Decimal(1)


async def test_a_position_carried_into_a_new_day_counts_from_its_value_then(
    alice: Api, ctx: AppContext, engine: EngineContext, scripted: ScriptedSource
) -> None:
    from datetime import UTC, datetime, timedelta

    bot_id = await _start(
        alice, "TSTG/USDT", position_size_perc="100", max_daily_loss_perc="0.5", stop_loss_perc="10"
    )
    await run_batch(engine, [bot_id])
    # yesterday the position lost 1 %; today it has not moved
    async with ctx.sessions.begin() as s:
        st = await s.get(BotState, bot_id)
        assert st is not None and st.entry_price is not None
        st.pnl_day = datetime.now(UTC).date() - timedelta(days=1)
        scripted.price = (st.entry_price * Decimal("0.99")).quantize(Decimal("0.01"))
    await make_due(ctx, bot_id)
    await run_batch(engine, [bot_id])
    cfg, st, _ = await _rows(ctx, bot_id)
    assert cfg.is_active and st.in_position and st.stop_reason is None
    assert st.day_open_value is not None and st.daily_entries == 0
    # a further 1 % today does reach today's limit
    scripted.price = (scripted.price * Decimal("0.99")).quantize(Decimal("0.01"))
    await make_due(ctx, bot_id)
    await run_batch(engine, [bot_id])
    cfg, st, _ = await _rows(ctx, bot_id)
    assert not cfg.is_active and st.stop_reason == "max_daily_loss_reached" and not st.in_position
    assert st.daily_pnl < 0


async def test_a_batch_reads_every_open_positions_cost_at_once(
    alice: Api, ctx: AppContext, engine: EngineContext, scripted: ScriptedSource
) -> None:
    from tradebot.engine.runner import _entry_costs, _load
    from tradebot.models import Trade

    ids = [await _start(alice, f"TST{c}/USDT", position_size_perc="50") for c in "DEF"]
    await run_batch(engine, ids[:2])  # two enter; the third stays flat
    async with ctx.sessions() as s:
        costs = await _entry_costs(s, await _load(s, ids))
        buys = {t.bot_config_id: t for t in (await s.execute(select(Trade))).scalars()}
    assert set(costs) == set(ids[:2])
    for bot_id in ids[:2]:
        buy = buys[bot_id]
        fee = (
            buy.commission_amount * buy.price
            if buy.commission_asset != "USDT"
            else buy.commission_amount
        )
        assert costs[bot_id] == buy.quote_quantity_filled + fee


async def test_strategy_settings_are_rebuilt_when_the_bot_is_edited(
    alice: Api, ctx: AppContext
) -> None:
    from tradebot.engine.cycle import strategy_config
    from tradebot.engine.runner import _load

    bot_id = await _start(alice, "TSTG/USDT", position_size_perc="50")
    async with ctx.sessions() as s:
        [first] = await _load(s, [bot_id])
    assert strategy_config(first) is strategy_config(first)  # kept between cycles
    await alice.request("POST", f"/bots/{bot_id}/stop")
    r = await alice.request("PATCH", f"/bots/{bot_id}", json={"ema_fast": 7})
    assert r.status_code == 200, r.text
    async with ctx.sessions() as s:
        [edited] = await _load(s, [bot_id])
    assert strategy_config(edited).ema_fast == 7 and strategy_config(first).ema_fast == 9
