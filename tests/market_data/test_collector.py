"""The collector: watched markets (active bots, recent commands) kept warm in the shared cache,
within a share of the weight budget that never starves the bots."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from redis.asyncio import Redis

from tests.conftest import Api
from tests.fakes.binance import FakeBinance
from tradebot.config import Settings
from tradebot.engine.context import EngineContext
from tradebot.market_data.collector import collect, recent_markets
from tradebot.market_data.watched import RecentMarkets, Watch, watched_symbols
from tradebot.worker.factory import COLLECT_TASK, make_celery, queue_name


@pytest.fixture
def fake() -> Iterator[FakeBinance]:
    with FakeBinance() as server:
        yield server


async def started_bot(api: Api, **fields: object) -> dict[str, Any]:
    bot = await api.create_bot(**fields)
    r = await api.request("POST", f"/bots/{bot['id']}/start")
    assert r.status_code == 200, r.text
    return bot


async def test_watched_are_active_bots_and_recent_commands(
    alice: Api, engine: EngineContext
) -> None:
    await started_bot(alice, name="a", symbol="BTC/USDT", timeframe="1h", mode="paper")
    await started_bot(alice, name="b", symbol="BTC/USDT", timeframe="1h", mode="paper")
    await started_bot(alice, name="c", symbol="SOL/USDT", timeframe="5m", mode="demo")
    await alice.create_bot(name="idle", symbol="ETH/USDT", mode="paper")  # never started
    now = engine.market_data.now()
    recent = recent_markets(engine)
    await recent.record(Watch("live", "binance", "BNB/USDT", None), now)
    assert await watched_symbols(engine.sessions, recent, now) == {
        Watch("paper", "binance", "BTC/USDT", "1h"),
        Watch("demo", "binance", "SOL/USDT", "5m"),
        Watch("live", "binance", "BNB/USDT", None),
    }


async def test_collector_fills_the_cache_for_watched_markets_only(
    alice: Api, engine: EngineContext, fake: FakeBinance
) -> None:
    await started_bot(alice, name="p", symbol="BNB/USDT", timeframe="15m", mode="paper")
    await started_bot(alice, name="d", symbol="SOL/USDT", timeframe="5m", mode="demo")
    md = engine.market_data
    await recent_markets(engine).record(Watch("live", "binance", "ETH/USDT", None), md.now())
    report = await collect(engine)
    assert report.markets == 3 and not report.failures
    limit = engine.settings.candle_limit
    assert await md.cached_candles("binance", "BNB/USDT", "15m", limit) is not None
    for symbol in ("BNB/USDT", "ETH/USDT"):
        assert await md.cached_ticker("binance", symbol, max_age=60) is not None
        assert await engine.redis.exists(md.funding_key("binance", symbol))
        assert await engine.redis.exists(md.open_interest_key("binance", symbol))
    assert await md.cached_candles("binance", "ETH/USDT", "15m", limit) is None
    # The demo market is computed where it is read: nothing of it is fetched or cached.
    mine = f"{engine.settings.redis_key_prefix}*:demo:*"
    assert not [k async for k in engine.redis.scan_iter(match=mine)]
    assert not [r for r in fake.requests if "SOL" in r.params.get("symbol", "")]
    # Everything is fresh: a second run right after fetches nothing.
    before = len(fake.requests)
    await collect(engine)
    assert len(fake.requests) == before


async def test_collector_leaves_the_rest_of_the_budget_to_the_bots(
    engine: EngineContext, fake: FakeBinance
) -> None:
    md = engine.market_data
    await recent_markets(engine).record(Watch("live", "binance", "BTC/USDT", "1h"), md.now())
    governor = engine.governor
    assert await governor.try_reserve(governor.budget // 2 + 1) == 0  # bots used half already
    report = await collect(engine)
    assert report.failures["RateLimited"] >= 1
    assert not [r for r in fake.requests if r.path.startswith("/api/")]
    assert await governor.try_reserve(100) == 0  # a bot still gets its weight at once


async def test_recent_commands_expire_and_stay_bounded(redis: Redis, prefix: str) -> None:
    recent = RecentMarkets(redis, prefix, window=3600, max_entries=2)
    now = 1_800_000_000.0
    old = Watch("live", "binance", "OLD/USDT", None)
    await recent.record(old, now - 4000)
    for i, symbol in enumerate(("A1/USDT", "B2/USDT", "C3/USDT")):
        await recent.record(Watch("live", "binance", symbol, "1h"), now + i)
    assert {w.symbol for w in await recent.current(now + 3)} == {"B2/USDT", "C3/USDT"}
    assert 3500 < await redis.ttl(recent.key) <= 3600  # an idle installation keeps nothing
    assert await recent.current(now + 3 + 3601) == set()


def test_beat_runs_the_collector_on_the_dispatch_queue(settings: Settings) -> None:
    conf = make_celery(settings).conf
    entry = conf.beat_schedule["collect-market-data"]
    assert entry["task"] == COLLECT_TASK
    assert entry["schedule"] == settings.market_collect_interval == 30
    assert entry["options"]["expires"] == settings.market_collect_interval
    assert conf.task_routes[COLLECT_TASK] == {"queue": queue_name(settings, "background")}
    assert "tradebot.worker.market_tasks" in make_celery(settings).conf.include
