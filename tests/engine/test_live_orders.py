"""Live bots against the fake Binance: exactly-once orders and the error paths."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import Api, secret_marker
from tests.engine.conftest import expire_lease, make_due
from tests.engine.scripted import ScriptedSource, golden_cross_closes
from tests.fakes.binance import FakeBinance
from tradebot.context import AppContext
from tradebot.engine import runner
from tradebot.engine.context import EngineContext
from tradebot.engine.runner import run_batch
from tradebot.models import BotConfig, BotState, Trade


class Died(BaseException):
    """The worker process vanishing mid-cycle (nothing after it runs)."""


@pytest.fixture
def market(engine: EngineContext, fake: FakeBinance) -> ScriptedSource:
    """Candles with a golden cross at the end, and the fake's price equal to the script's."""
    closes = [c * 600 for c in golden_cross_closes()]
    source = ScriptedSource(closes, Decimal(str(round(closes[-1], 2))))
    engine.exchanges._public[False] = source  # type: ignore[assignment]
    fake.set_price("BTCUSDT", source.price)
    return source


@pytest.fixture
async def live_bot(alice: Api, fake: FakeBinance) -> dict[str, Any]:
    key, secret = secret_marker("live-key"), secret_marker("live-secret")
    fake.add_account(key, secret, {"USDT": "10000"})
    r = await alice.request("POST", "/api-keys", json={"api_key": key, "secret_key": secret})
    assert r.status_code == 201
    bot = await alice.create_bot(
        mode="live", timeframe="1m", position_size_fixed="600", position_size_perc=None
    )
    assert (await alice.request("POST", f"/bots/{bot['id']}/start")).status_code == 200
    return {"id": bot["id"], "key": key, "secret": secret}


async def _trades(ctx: AppContext, bot_id: int) -> list[Trade]:
    async with ctx.sessions() as s:
        return list((await s.execute(select(Trade).where(Trade.bot_config_id == bot_id))).scalars())


async def _state(ctx: AppContext, bot_id: int) -> tuple[BotConfig, BotState]:
    async with ctx.sessions() as s:
        cfg, st = await s.get(BotConfig, bot_id), await s.get(BotState, bot_id)
        assert cfg is not None and st is not None
        return cfg, st


async def test_live_entry_places_one_real_order(
    ctx: AppContext,
    engine: EngineContext,
    fake: FakeBinance,
    market: ScriptedSource,
    live_bot: dict[str, Any],
) -> None:
    result = await run_batch(engine, [live_bot["id"]])
    assert result.done == [live_bot["id"]], result
    orders = fake.orders(live_bot["key"])
    assert len(orders) == 1
    trades = await _trades(ctx, live_bot["id"])
    assert len(trades) == 1 and trades[0].side == "BUY"
    _, st = await _state(ctx, live_bot["id"])
    assert st.in_position and st.pending_order is None
    assert st.current_position_size_coins == fake.balances(live_bot["key"])["BTC"]


async def test_lost_response_is_resolved_without_a_second_order(
    ctx: AppContext,
    engine: EngineContext,
    fake: FakeBinance,
    market: ScriptedSource,
    live_bot: dict[str, Any],
) -> None:
    fake.fail_next("POST /api/v3/order", "lost_response")
    result = await run_batch(engine, [live_bot["id"]])
    assert result.done == [live_bot["id"]], result
    assert len(fake.orders(live_bot["key"])) == 1
    assert len(await _trades(ctx, live_bot["id"])) == 1


@pytest.mark.parametrize("dies", [False, True], ids=["cycle-fails", "worker-dies"])
async def test_crash_after_sending_records_the_order_once(
    ctx: AppContext,
    engine: EngineContext,
    fake: FakeBinance,
    market: ScriptedSource,
    live_bot: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    dies: bool,
) -> None:
    real_save = runner.save_outcome

    async def crash(*args: Any, **kwargs: Any) -> None:
        raise Died() if dies else RuntimeError("connection to the database lost")

    monkeypatch.setattr(runner, "save_outcome", crash)
    if dies:
        with pytest.raises(Died):
            await run_batch(engine, [live_bot["id"]])
        await expire_lease(ctx, live_bot["id"])
    else:
        result = await run_batch(engine, [live_bot["id"]])
        assert live_bot["id"] in result.retry
    assert len(fake.orders(live_bot["key"])) == 1  # the order went out
    _, st = await _state(ctx, live_bot["id"])
    assert (
        st.pending_order is not None
        and not st.in_position
        and await _trades(ctx, live_bot["id"]) == []
    )

    monkeypatch.setattr(runner, "save_outcome", real_save)
    await make_due(ctx, live_bot["id"])  # skip the backoff
    result = await run_batch(engine, [live_bot["id"]])
    assert result.done == [live_bot["id"]], result
    assert len(fake.orders(live_bot["key"])) == 1  # ...and only once
    trades = await _trades(ctx, live_bot["id"])
    assert (
        len(trades) == 1
        and trades[0].binance_order_id == fake.orders(live_bot["key"])[0]["orderId"].__str__()
    )
    _, st = await _state(ctx, live_bot["id"])
    assert st.in_position and st.pending_order is None and st.retry_count == 0


async def test_revoked_key_stops_the_bot_with_error(
    ctx: AppContext,
    engine: EngineContext,
    fake: FakeBinance,
    market: ScriptedSource,
    live_bot: dict[str, Any],
    alice: Api,
) -> None:
    fake.remove_account(live_bot["key"])
    result = await run_batch(engine, [live_bot["id"]])
    assert result.failed == [live_bot["id"]]
    cfg, st = await _state(ctx, live_bot["id"])
    assert st.status == "error" and cfg.is_active is False
    assert st.last_error_message and "InvalidKey" in st.last_error_message
    assert (
        live_bot["key"] not in st.last_error_message
        and live_bot["secret"] not in st.last_error_message
    )
    shown = (await alice.request("GET", f"/bots/{live_bot['id']}")).json()["state"]
    assert shown["status"] == "error" and shown["last_error_message"] == st.last_error_message


async def test_temporary_errors_retry_then_give_up(
    ctx: AppContext,
    engine: EngineContext,
    fake: FakeBinance,
    market: ScriptedSource,
    live_bot: dict[str, Any],
) -> None:
    limit = engine.settings.cycle_max_retries
    for attempt in range(1, limit + 2):
        fake.fail_next("GET /api/v3/account", "503", times=10)
        await make_due(ctx, live_bot["id"])  # skip the backoff
        result = await run_batch(engine, [live_bot["id"]])
        _, st = await _state(ctx, live_bot["id"])
        if attempt <= limit:
            assert live_bot["id"] in result.retry and st.status == "running"
            assert st.retry_count == attempt and st.lease_token is None
        else:
            assert result.failed == [live_bot["id"]]
            assert st.status == "error" and "gave up" in (st.last_error_message or "")
        fake.clear_faults()
    assert fake.orders(live_bot["key"]) == []


async def test_rate_limit_waits_without_counting_an_attempt(
    ctx: AppContext,
    engine: EngineContext,
    fake: FakeBinance,
    market: ScriptedSource,
    live_bot: dict[str, Any],
) -> None:
    fake.fail_next("GET /api/v3/account", "429", retry_after=7)
    result = await run_batch(engine, [live_bot["id"]])
    assert result.retry[live_bot["id"]] >= 6
    _, st = await _state(ctx, live_bot["id"])
    assert st.retry_count == 0 and st.status == "running"
    # due again only once the exchange's Retry-After has passed
    assert st.next_run_at is not None
    assert (st.next_run_at - datetime.now(UTC)).total_seconds() > 5
    assert (await run_batch(engine, [live_bot["id"]])).done == []
    assert await engine.governor.banned_for() > 0


async def test_recovered_order_is_recorded_before_any_new_order(
    ctx: AppContext,
    engine: EngineContext,
    fake: FakeBinance,
    market: ScriptedSource,
    live_bot: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_save = runner.save_outcome

    async def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("lost")

    monkeypatch.setattr(runner, "save_outcome", crash)
    await run_batch(engine, [live_bot["id"]])
    monkeypatch.setattr(runner, "save_outcome", real_save)
    # the price falls through the stop while the outcome is unknown
    market.price = (market.price * Decimal("0.9")).quantize(Decimal("0.01"))
    fake.set_price("BTCUSDT", market.price)
    await make_due(ctx, live_bot["id"])
    await run_batch(engine, [live_bot["id"]])
    assert [t.side for t in await _trades(ctx, live_bot["id"])] == ["BUY"]
    assert len(fake.orders(live_bot["key"])) == 1  # no sell in the same cycle
    await make_due(ctx, live_bot["id"])
    await run_batch(engine, [live_bot["id"]])
    rows = await _trades(ctx, live_bot["id"])
    assert [t.side for t in rows] == ["BUY", "SELL"] and len(fake.orders(live_bot["key"])) == 2
    sell = rows[1]
    assert sell.reason == "stop_loss" and sell.pnl is not None and sell.pnl < 0
    _, st = await _state(ctx, live_bot["id"])
    assert st.daily_pnl == sell.pnl and st.daily_entries == 1 and st.daily_trades_count == 2


async def test_a_key_that_no_longer_decrypts_fails_only_its_bot(
    alice: Api,
    ctx: AppContext,
    engine: EngineContext,
    fake: FakeBinance,
    market: ScriptedSource,
    live_bot: dict[str, Any],
) -> None:
    from sqlalchemy import update

    from tradebot.models import ApiKey

    other = await signup_other(alice)
    key, secret = secret_marker("k2"), secret_marker("s2")
    fake.add_account(key, secret, {"USDT": "10000"})
    await other.request("POST", "/api-keys", json={"api_key": key, "secret_key": secret})
    bot = await other.create_bot(
        mode="live", timeframe="1m", position_size_fixed="600", position_size_perc=None
    )
    await other.request("POST", f"/bots/{bot['id']}/start")
    async with ctx.sessions.begin() as s:
        await s.execute(
            update(ApiKey)
            .where(ApiKey.user_id == other.user_id)
            .values(encrypted_secret_key="gAAAAAbroken")
        )
    result = await run_batch(engine, [live_bot["id"], bot["id"]])
    assert result.done == [live_bot["id"]] and result.failed == [bot["id"]]
    _, st = await _state(ctx, bot["id"])
    assert st.status == "error" and "cannot be used" in (st.last_error_message or "")


async def signup_other(alice: Api) -> Api:
    from tests.conftest import signup

    return await signup(alice.client)


async def test_a_live_bot_keeps_its_accounts_client_between_cycles(
    ctx: AppContext,
    engine: EngineContext,
    fake: FakeBinance,
    market: ScriptedSource,
    live_bot: dict[str, Any],
) -> None:
    await run_batch(engine, [live_bot["id"]])  # enters: markets loaded, an order sent
    loads = fake.count("GET /api/v3/exchangeInfo")
    for _ in range(2):
        await make_due(ctx, live_bot["id"])
        assert (await run_batch(engine, [live_bot["id"]])).done == [live_bot["id"]]
    # The same client (its session, its loaded markets) served the later cycles.
    assert fake.count("GET /api/v3/exchangeInfo") == loads
    assert len(engine.exchanges._accounts) == 1
    assert len(fake.orders(live_bot["key"])) == 1
