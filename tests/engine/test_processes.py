"""End-to-end and fault tests with real Celery worker and beat processes.

The processes share the test run's PostgreSQL database and Redis prefix; live bots trade on
the fake Binance server running in this process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
from sqlalchemy import select, text

from tests.conftest import Api, free_port, secret_marker
from tests.engine.conftest import make_due
from tests.engine.processes import OwnRedis, Stack, stack_env
from tests.engine.scripted import golden_cross_closes
from tests.fakes.binance import FakeBinance
from tests.stack import RunStack, reachable, require_in_ci
from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.models import BotConfig, BotState, SimBalance, Trade
from tradebot.worker.factory import make_celery

pytestmark = pytest.mark.slow
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672"

# Settings that make a demo bot trade often: short averages, a narrow RSI band.
BUSY = {
    "timeframe": "1m",
    "check_interval_seconds": 10,
    "ema_fast": 2,
    "ema_slow": 3,
    "rsi_period": 2,
    "rsi_oversold": 45,
    "rsi_overbought": 55,
    "stop_loss_perc": "50",
    "take_profit_perc": "50",
    "position_size_perc": "50",
    "initial_capital": "1000",
}


@pytest.fixture
def stack_factory(settings: Settings, tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    stacks: list[Stack] = []

    def make(**env: str) -> Stack:
        data = tmp_path / f"stack{len(stacks)}"
        data.mkdir()
        defaults = {
            "DEMO_SPEED": "600",
            "DEMO_EPOCH": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        }
        stack = Stack(stack_env(settings, data, **(defaults | env)), data)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop_all()


async def wait_until(
    check: Callable[[], Awaitable[bool]],
    timeout: float,
    what: str,
    stack: Stack | None = None,
    poke: Callable[[], Awaitable[None]] | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        if poke is not None:
            await poke()
        await asyncio.sleep(0.5)
    logs = stack.logs()[-8000:] if stack else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{logs}")


async def state(ctx: AppContext, bot_id: int) -> tuple[BotConfig, BotState]:
    async with ctx.sessions() as s:
        cfg, st = await s.get(BotConfig, bot_id), await s.get(BotState, bot_id)
        assert cfg is not None and st is not None
        return cfg, st


async def trades(ctx: AppContext, bot_id: int) -> list[Trade]:
    async with ctx.sessions() as s:
        rows = await s.execute(
            select(Trade).where(Trade.bot_config_id == bot_id).order_by(Trade.timestamp, Trade.id)
        )
        return list(rows.scalars())


async def cycles(ctx: AppContext, bot_id: int) -> int:
    return (await state(ctx, bot_id))[1].cycle_count


async def assert_books_balance(ctx: AppContext, bot_id: int, capital: Decimal) -> None:
    """Trades, position and simulated balances tell one story: nothing partial was written."""
    _, st = await state(ctx, bot_id)
    rows = await trades(ctx, bot_id)
    buys = [t for t in rows if t.side == "BUY"]
    sells = [t for t in rows if t.side == "SELL"]
    assert len(buys) - len(sells) == (1 if st.in_position else 0)
    cash = capital
    for t in rows:
        fee = t.commission_amount or Decimal(0)
        cash += (
            -(t.quote_quantity_filled + fee) if t.side == "BUY" else t.quote_quantity_filled - fee
        )
    async with ctx.sessions() as s:
        bal = {
            b.asset: b.free
            for b in (
                await s.execute(select(SimBalance).where(SimBalance.bot_config_id == bot_id))
            ).scalars()
        }
    if rows:
        assert bal.get("USDT", Decimal(0)) == cash
    assert len({t.binance_order_id for t in rows}) == len(rows)


def poke_all(ctx: AppContext, ids: list[int]) -> Callable[[], Awaitable[None]]:
    """Make bots due at once, so tests need not sit out their 10 s interval."""

    async def poke() -> None:
        for i in ids:
            await make_due(ctx, i)

    return poke


async def test_demo_bot_trades_on_its_own_then_stops(
    alice: Api, ctx: AppContext, stack_factory: Callable[..., Stack]
) -> None:
    stack = stack_factory()
    stack.worker()
    stack.beat()
    bot = await alice.create_bot(name="busy", **BUSY)
    assert (await alice.request("POST", f"/bots/{bot['id']}/start")).status_code == 200

    async def round_trip() -> bool:
        return sum(t.side == "SELL" for t in await trades(ctx, bot["id"])) >= 1

    await wait_until(round_trip, 90, "a demo round trip", stack, poke_all(ctx, [bot["id"]]))
    shown = (await alice.request("GET", f"/bots/{bot['id']}")).json()
    assert shown["state"]["last_run_at"] and shown["state"]["next_run_at"]
    listed = (await alice.request("GET", f"/bots/{bot['id']}/trades")).json()["items"]
    assert {t["side"] for t in listed} == {"BUY", "SELL"}
    assert all(t["reason"] for t in listed)
    await assert_books_balance(ctx, bot["id"], Decimal(1000))

    assert (await alice.request("POST", f"/bots/{bot['id']}/stop")).status_code == 200
    await asyncio.sleep(2)  # a cycle already running may finish
    before = await cycles(ctx, bot["id"])
    for _ in range(6):
        await make_due(ctx, bot["id"])
        await asyncio.sleep(0.5)
    assert await cycles(ctx, bot["id"]) == before


async def test_daily_limit_stops_a_running_bot(
    alice: Api, ctx: AppContext, stack_factory: Callable[..., Stack]
) -> None:
    stack = stack_factory()
    stack.worker()
    stack.beat()
    bot = await alice.create_bot(
        name="limited", **(BUSY | {"daily_target_perc": "0.01", "max_daily_loss_perc": "0.01"})
    )
    await alice.request("POST", f"/bots/{bot['id']}/start")

    async def stopped() -> bool:
        cfg, _st = await state(ctx, bot["id"])
        return not cfg.is_active

    await wait_until(stopped, 90, "the daily limit", stack, poke_all(ctx, [bot["id"]]))
    _cfg, st = await state(ctx, bot["id"])
    assert st.status == "stopped" and not st.in_position
    assert st.stop_reason in ("daily_target_reached", "max_daily_loss_reached")
    await assert_books_balance(ctx, bot["id"], Decimal(1000))


@pytest.fixture
def fake_market(fake: FakeBinance) -> FakeBinance:
    closes = [round(c * 600, 2) for c in golden_cross_closes()]
    fake.set_closes("BTCUSDT", closes)
    fake.set_price("BTCUSDT", Decimal(str(closes[-1])))
    return fake


async def test_worker_killed_mid_order_resumes_without_a_second_order(
    alice: Api, ctx: AppContext, stack_factory: Callable[..., Stack], fake_market: FakeBinance
) -> None:
    fake = fake_market
    stack = stack_factory(
        BINANCE_BASE_URL=fake.url,
        CYCLE_SOFT_TIME_LIMIT="8",
        CYCLE_TIME_LIMIT="10",
    )
    key, secret = secret_marker("live-key"), secret_marker("live-secret")
    fake.add_account(key, secret, {"USDT": "10000"})
    await alice.request("POST", "/api-keys", json={"api_key": key, "secret_key": secret})
    bot = await alice.create_bot(
        mode="live",
        timeframe="1m",
        position_size_fixed="600",
        position_size_perc=None,
        check_interval_seconds=10,
    )
    # The order executes but its response is lost; the worker dies while it waits out the
    # order's receive window before looking the order up.
    fake.fail_next("POST /api/v3/order", "lost_response")
    worker = stack.worker()
    stack.beat()
    await alice.request("POST", f"/bots/{bot['id']}/start")

    async def order_sent() -> bool:
        return len(fake.orders(key)) == 1

    await wait_until(order_sent, 60, "the order to reach the exchange", stack)
    stack.kill9(worker)
    _, st = await state(ctx, bot["id"])
    assert st.pending_order is not None and await trades(ctx, bot["id"]) == []

    killed_at = time.monotonic()
    stack.worker()

    async def recorded() -> bool:
        return len(await trades(ctx, bot["id"])) == 1

    # one interval, plus the dead cycle's lease (time limit + margin), plus a little
    await wait_until(recorded, 10 + 13 + 15, "the order to be recorded", stack)
    assert time.monotonic() - killed_at < 40
    assert len(fake.orders(key)) == 1
    _, st = await state(ctx, bot["id"])
    assert st.in_position and st.pending_order is None
    assert st.current_position_size_coins == fake.balances(key)["BTC"]
    # and it keeps running afterwards
    n = st.cycle_count
    await wait_until(
        lambda: _grew(ctx, bot["id"], n), 30, "the next cycle", stack, poke_all(ctx, [bot["id"]])
    )
    assert len(fake.orders(key)) == 1


async def _grew(ctx: AppContext, bot_id: int, n: int) -> bool:
    return await cycles(ctx, bot_id) > n


async def test_two_workers_never_run_one_bot_twice(
    alice: Api, ctx: AppContext, settings: Settings, stack_factory: Callable[..., Stack]
) -> None:
    stack = stack_factory()
    stack.worker(concurrency=2)
    stack.worker(concurrency=2)
    # An interval far beyond the test: a second cycle can only be a double run, however
    # late a loaded machine delivers the copies.
    bot = await alice.create_bot(**{**BUSY, "check_interval_seconds": 3600})
    await alice.request("POST", f"/bots/{bot['id']}/start")
    celery = make_celery(settings)
    for _ in range(40):  # forty deliveries of the same cycle, racing on four processes
        celery.send_task("tradebot.run_bot_strategy_cycle", args=[bot["id"]])

    async def ran() -> bool:
        return await cycles(ctx, bot["id"]) >= 1

    await wait_until(ran, 30, "the cycle", stack)
    await asyncio.sleep(3)
    assert await cycles(ctx, bot["id"]) == 1


async def test_cycles_survive_database_connections_dropped(
    alice: Api, ctx: AppContext, stack_factory: Callable[..., Stack], services: tuple[str, str]
) -> None:
    stack = stack_factory()
    stack.worker()
    stack.beat()
    ids = []
    for i in range(3):
        bot = await alice.create_bot(name=f"pg{i}", **BUSY)
        await alice.request("POST", f"/bots/{bot['id']}/start")
        ids.append(bot["id"])
    poke = poke_all(ctx, ids)
    await wait_until(lambda: _all_ran(ctx, ids), 60, "first cycles", stack, poke)

    async with ctx.engine.connect() as conn:
        db = (await conn.execute(text("SELECT current_database()"))).scalar_one()
    killer = await asyncpg.connect(services[0].replace("postgresql+asyncpg://", "postgresql://"))
    killed = 0
    try:
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            await poke()
            killed += await killer.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = $1 AND application_name = 'tradebot-worker'",
                db,
            )
            await asyncio.sleep(0.3)
    finally:
        await killer.close()
    assert killed > 0
    before = {i: await cycles(ctx, i) for i in ids}

    async def all_moved_on() -> bool:
        return all([await cycles(ctx, i) > before[i] for i in ids])

    await wait_until(all_moved_on, 60, "cycles after the drops", stack, poke)
    for i in ids:
        await assert_books_balance(ctx, i, Decimal(1000))


async def _all_ran(ctx: AppContext, ids: list[int]) -> bool:
    return all([await cycles(ctx, i) >= 1 for i in ids])


@pytest.fixture
def own_redis(run_stack: RunStack, tmp_path: Path) -> Iterator[OwnRedis]:
    """A Redis server of this test's own, of the kind the run's stack uses."""
    server = OwnRedis(embedded=run_stack.embedded_redis, data_dir=tmp_path)
    yield server
    server.stop()


async def test_cycles_resume_after_redis_restarts(
    alice: Api, ctx: AppContext, stack_factory: Callable[..., Stack], own_redis: OwnRedis
) -> None:
    server = own_redis.start()
    stack = stack_factory(REDIS_URL=own_redis.url, WORKER_STALL_SECONDS="20")
    # The whole supervised stack, as deployed: a worker whose consumer does not come back
    # after the broker restarts exits (watchdog) and is started again.
    stack.start("up", "--port", str(free_port()))
    bot = await alice.create_bot(**BUSY)
    await alice.request("POST", f"/bots/{bot['id']}/start")
    poke = poke_all(ctx, [bot["id"]])
    await wait_until(lambda: _grew(ctx, bot["id"], 1), 60, "two cycles", stack, poke)

    server.kill()
    server.wait(5)
    await asyncio.sleep(3)
    own_redis.start()  # empty: queued messages, cache and locks are gone
    n = await cycles(ctx, bot["id"])
    await wait_until(
        lambda: _grew(ctx, bot["id"], n + 1), 90, "cycles after the restart", stack, poke
    )
    await assert_books_balance(ctx, bot["id"], Decimal(1000))


async def test_chain_mode_runs_without_beat_and_stop_breaks_the_chain(
    alice: Api, ctx: AppContext, stack_factory: Callable[..., Stack]
) -> None:
    stack = stack_factory(SCHEDULER_MODE="chain")
    stack.worker()
    bot = await alice.create_bot(**BUSY)
    await alice.request("POST", f"/bots/{bot['id']}/start")
    started = time.monotonic()
    await wait_until(lambda: _grew(ctx, bot["id"], 2), 40, "three chained cycles", stack)
    assert time.monotonic() - started >= 19  # two full intervals: the chain keeps the cadence
    await alice.request("POST", f"/bots/{bot['id']}/stop")
    n = await cycles(ctx, bot["id"])
    await asyncio.sleep(13)
    assert await cycles(ctx, bot["id"]) <= n + 1  # at most the one already running


async def test_chain_lost_with_its_worker_is_recovered_by_the_dispatcher(
    alice: Api, ctx: AppContext, stack_factory: Callable[..., Stack]
) -> None:
    stack = stack_factory(SCHEDULER_MODE="chain", DISPATCH_GRACE_SECONDS="2")
    worker = stack.worker()
    stack.beat()
    bot = await alice.create_bot(**BUSY)
    await alice.request("POST", f"/bots/{bot['id']}/start")
    await wait_until(lambda: _grew(ctx, bot["id"], 0), 30, "the first cycle", stack)
    stack.kill9(worker)  # its countdown for the next cycle dies with it
    n = await cycles(ctx, bot["id"])
    stack.worker()
    await wait_until(lambda: _grew(ctx, bot["id"], n), 10 + 2 + 15, "the recovered chain", stack)


@pytest.fixture
def rabbit_vhost() -> Iterator[str]:
    """A vhost of this test's own on the RabbitMQ at TEST_AMQP_URL (default 127.0.0.1:5672)."""
    base = os.environ.get("TEST_AMQP_URL", DEFAULT_AMQP).rstrip("/")
    if not reachable(base, 5672):
        require_in_ci(f"no RabbitMQ answers at {urlsplit(base).netloc.rpartition('@')[2]}")
    name = f"tradebot-test-{uuid.uuid4().hex[:8]}"
    try:
        subprocess.run(
            ["rabbitmqctl", "add_vhost", name], check=True, capture_output=True, timeout=60
        )
        subprocess.run(
            ["rabbitmqctl", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
            check=True,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.fail(f"RabbitMQ answers but rabbitmqctl cannot add a vhost: {exc}")
    yield f"{base}/{name}"
    subprocess.run(["rabbitmqctl", "delete_vhost", name], capture_output=True, timeout=60)


async def test_rabbitmq_broker(
    alice: Api, ctx: AppContext, stack_factory: Callable[..., Stack], rabbit_vhost: str
) -> None:
    stack = stack_factory(CELERY_BROKER_URL=rabbit_vhost)
    stack.worker()
    stack.beat()
    bot = await alice.create_bot(**BUSY)
    await alice.request("POST", f"/bots/{bot['id']}/start")
    await wait_until(
        lambda: _grew(ctx, bot["id"], 2),
        60,
        "cycles over RabbitMQ",
        stack,
        poke_all(ctx, [bot["id"]]),
    )
    await assert_books_balance(ctx, bot["id"], Decimal(1000))
