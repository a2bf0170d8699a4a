"""Backtest jobs through the API, run in-process (`jobs.run`, as the worker's task does)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.engine.conftest import engine_settings
from tests.fakes.binance import FakeBinance
from tradebot.backtest.data import demo_candles
from tradebot.backtest.engine import run_backtest
from tradebot.backtests import jobs, repository
from tradebot.backtests.report import MAX_POINTS
from tradebot.config import Settings
from tradebot.core.config import StrategyConfig
from tradebot.core.risk import SizingConfig
from tradebot.engine.context import EngineContext
from tradebot.exchange.demo_market import symbol_profile
from tradebot.models import Backtest

STRATEGY = {
    "ema_fast": 3,
    "ema_slow": 8,
    "rsi_period": 5,
    "stop_loss_perc": "3",
    "take_profit_perc": "5",
    "position_size_perc": "50",
    "initial_capital": "1000",
}


def body(**overrides: object) -> dict[str, object]:
    return {"symbol": "BTC/USDT", "timeframe": "1h", "bars": 3000, **STRATEGY, **overrides}


async def submit(user: Api, **overrides: object) -> dict[str, Any]:
    r = await user.request("POST", "/backtests", json=body(**overrides))
    assert r.status_code == 202, r.text
    return r.json()  # type: ignore[no-any-return]


def expected(params: dict[str, Any], settings: Settings) -> Any:
    """`run_backtest` on the job's own input, as the CLI would run it."""
    s = params["strategy"]
    candles = demo_candles(
        params["symbol"], params["timeframe"], params["start_ms"], bars=params["bars"]
    )
    return run_backtest(
        StrategyConfig.from_mapping(s),
        candles,
        fee_rate=settings.sim_fee_rate,
        slippage_bps=settings.sim_slippage_bps,
        initial_balance=Decimal(s["initial_capital"]),
        market_rules=symbol_profile(params["symbol"]).rules,
        sizing=SizingConfig.from_mapping(s),
        progress=False,
    )


async def test_a_demo_job_runs_to_its_report(alice: Api, ctx: EngineContext) -> None:
    job = await submit(alice, bars=5000)
    assert job["status"] == "queued" and job["progress"] == 0 and job["result"] is None
    assert job["params"]["bars"] == 5000 and job["params"]["strategy"]["ema_fast"] == 3
    await jobs.run(ctx, job["id"])
    r = await alice.request("GET", f"/backtests/{job['id']}")
    done = r.json()
    assert done["status"] == "done" and done["progress"] == 100 and done["error"] is None
    result, want = done["result"], expected(done["params"], ctx.settings)
    assert result["bars"] == 5000 and result["metrics"]["num_trades"] == len(want.trades) > 0
    assert Decimal(result["metrics"]["final_balance"]) == want.final_balance
    assert result["metrics"]["sharpe"] == pytest.approx(want.metrics.sharpe)
    assert [Decimal(t["pnl"]) for t in result["trades"]] == [t.pnl for t in want.trades]
    assert len(result["markers"]) == 2 * len(want.trades)
    assert len(result["candles"]) == len(result["equity"]) == 1667  # 3 candles a point
    assert result["step_seconds"] == 3 * 3600
    assert result["equity"][-1]["equity"] == pytest.approx(float(want.equity[-1]))
    # the history lists it without its report
    listed = (await alice.request("GET", "/backtests")).json()
    assert [b["id"] for b in listed["items"]] == [job["id"]] and "result" not in listed["items"][0]
    # its trades as CSV, the CLI's columns
    r = await alice.request("GET", f"/backtests/{job['id']}/trades.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == len(want.trades)
    assert [Decimal(row["pnl"]) for row in rows] == [t.pnl for t in want.trades]
    assert rows[0]["entry_reason"] == want.trades[0].entry_reason.value


async def test_long_runs_are_downsampled(alice: Api, ctx: EngineContext) -> None:
    job = await submit(alice, timeframe="1m", bars=30_001)
    await jobs.run(ctx, job["id"])
    result = (await alice.request("GET", f"/backtests/{job['id']}")).json()["result"]
    assert len(result["equity"]) <= MAX_POINTS and len(result["candles"]) <= MAX_POINTS
    assert result["equity"][-1]["time"] == int(datetime.fromisoformat(result["end"]).timestamp())


async def test_settings_can_come_from_ones_own_bot(
    alice: Api, bob: Api, ctx: EngineContext
) -> None:
    bot = await alice.create_bot(
        ema_fast=5, ema_slow=13, position_size_fixed="100", position_size_perc=None
    )
    job = await submit_plain(alice, bot_id=bot["id"])
    assert job["params"]["strategy"]["ema_fast"] == 5
    assert job["params"]["strategy"]["position_size_fixed"] == "100"
    assert job["params"]["bot_id"] == bot["id"]
    r = await bob.request("POST", "/backtests", json=plain(bot_id=bot["id"]))
    assert r.status_code == 404
    r = await alice.request("POST", "/backtests", json=plain(bot_id=bot["id"], ema_fast=4))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ema_fast"


def plain(**extra: object) -> dict[str, object]:
    return {"symbol": "BTC/USDT", "timeframe": "1h", "bars": 500, **extra}


async def submit_plain(user: Api, **extra: object) -> dict[str, Any]:
    r = await user.request("POST", "/backtests", json=plain(**extra))
    assert r.status_code == 202, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"ema_fast": 21, "ema_slow": 9}, "ema_fast", "must be less than ema_slow (9)"),
        ({"rsi_oversold": 70, "rsi_overbought": 30}, "rsi_oversold", None),
        ({"position_size_fixed": "5"}, "position_size_perc", None),
        ({"stop_loss_perc": None}, "stop_loss_perc", "Field required"),
        ({"trailing_stop_active": True}, "trailing_stop_perc", None),
        ({"bars": 50_001}, "bars", None),
        ({"bars": None}, "bars", "give bars, or from (and to)"),
        ({"from": "2024-01-01"}, "from", "give bars or from, not both"),
        ({"bars": None, "from": "2000-01-01", "to": "2001-01-01"}, "from", None),
        ({"bars": None, "from": "2020-01-01", "to": "2026-01-01"}, "from", None),  # too many
        ({"bars": None, "from": "2024-01-02", "to": "2024-01-01"}, "from", None),
        ({"timeframe": "2m"}, "timeframe", None),
        ({"source": "kraken"}, "source", None),
        ({"symbol": "BTCUSDT"}, "symbol", None),
    ],
)
async def test_bad_requests_are_422_naming_the_field(
    alice: Api, changes: dict[str, object], field: str, reason: str | None
) -> None:
    payload = {k: v for k, v in {**body(), **changes}.items() if v is not None}
    r = await alice.request("POST", "/backtests", json=payload)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert errors[0]["field"] == field, errors
    if reason:
        assert errors[0]["reason"] == reason
    # the same rule answers the same way for a bot
    if field.startswith(("ema", "rsi", "position", "trailing")):
        bot = {"name": "x", "symbol": "BTC/USDT", "timeframe": "1h", **STRATEGY, **changes}
        r = await alice.request(
            "POST", "/bots", json={k: v for k, v in bot.items() if v is not None}
        )
        assert r.json()["errors"][0] == errors[0]


async def test_a_range_is_resolved_to_candles(alice: Api) -> None:
    job = await submit(alice, bars=None, **{"from": "2024-01-01T00:30:00Z", "to": "2024-01-03"})
    params = job["params"]
    assert params["bars"] == 47  # 01:00 .. 23:00 of the 2nd: whole candles only
    assert params["from"] == "2024-01-01T01:00:00+00:00"
    assert params["to"] == "2024-01-03T00:00:00+00:00"


async def test_active_jobs_are_limited_per_user(alice: Api, bob: Api) -> None:
    first, _second = await submit(alice), await submit(alice)
    r = await alice.request("POST", "/backtests", json=body())
    assert r.status_code == 409 and "BACKTEST_MAX_ACTIVE" in r.json()["detail"]
    await submit(bob)  # per user
    assert (await alice.request("DELETE", f"/backtests/{first['id']}")).status_code == 204
    cancelled = (await alice.request("GET", f"/backtests/{first['id']}")).json()
    assert cancelled["status"] == "cancelled" and cancelled["finished_at"]
    await submit(alice)
    # a finished job is deleted by the second DELETE
    assert (await alice.request("DELETE", f"/backtests/{first['id']}")).status_code == 204
    assert (await alice.request("GET", f"/backtests/{first['id']}")).status_code == 404


async def test_a_cancel_is_noticed_between_chunks(
    alice: Api, ctx: EngineContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = await submit(alice, timeframe="1m", bars=50_000)  # 50,000 minutes: several chunks
    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0.0)
    monkeypatch.setattr("tradebot.backtest.data.DEMO_CHUNK_MINUTES", 5000)
    heartbeat, seen = repository.heartbeat, []

    async def cancel_on_first(session: AsyncSession, job_id: int, progress: int) -> bool:
        seen.append(progress)
        if len(seen) == 2:
            await repository.cancel(session, alice.user_id, job_id)
        return await heartbeat(session, job_id, progress)

    monkeypatch.setattr(repository, "heartbeat", cancel_on_first)
    await jobs.run(ctx, job["id"])
    got = (await alice.request("GET", f"/backtests/{job['id']}")).json()
    assert got["status"] == "cancelled" and got["result"] is None
    assert len(seen) == 2 and 0 < got["progress"] < 100
    r = await alice.request("GET", f"/backtests/{job['id']}/trades.csv")
    assert r.status_code == 409


async def test_a_crash_fails_with_a_reason_and_no_traceback(
    alice: Api, ctx: EngineContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = await submit(alice)

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("internal detail /etc/passwd")

    monkeypatch.setattr(jobs, "run_backtest", boom)
    await jobs.run(ctx, job["id"])
    got = (await alice.request("GET", f"/backtests/{job['id']}")).json()
    assert got["status"] == "failed" and got["error"] == jobs.CRASH_REASON
    assert "passwd" not in str(got)
    await jobs.run(ctx, job["id"])  # a second delivery finds nothing to do
    assert (await alice.request("GET", f"/backtests/{job['id']}")).json() == got


async def test_a_job_whose_worker_died_ends_failed(
    alice: Api, ctx: EngineContext, session: AsyncSession
) -> None:
    job, fresh = await submit(alice), await submit(alice)
    for j in (job, fresh):
        async with ctx.sessions.begin() as s:
            await repository.claim(s, j["id"])
    old = datetime.now(UTC) - timedelta(seconds=ctx.settings.backtest_stale_seconds + 5)
    await session.execute(update(Backtest).where(Backtest.id == job["id"]).values(heartbeat_at=old))
    await session.commit()
    assert await jobs.recover(ctx) == 1
    got = (await alice.request("GET", f"/backtests/{job['id']}")).json()
    assert got["status"] == "failed" and got["error"] == jobs.STALE_REASON
    assert (await alice.request("GET", f"/backtests/{fresh['id']}")).json()["status"] == "running"


async def test_history_pages_by_cursor_or_offset(alice: Api, session: AsyncSession) -> None:
    for i in range(5):
        session.add(Backtest(user_id=alice.user_id, status="done", progress=100, params={"i": i}))
        await session.commit()
    first = (await alice.request("GET", "/backtests?limit=2")).json()
    assert [b["params"]["i"] for b in first["items"]] == [4, 3] and first["next_cursor"]
    second = (
        await alice.request("GET", f"/backtests?limit=2&cursor={first['next_cursor']}")
    ).json()
    assert [b["params"]["i"] for b in second["items"]] == [2, 1]
    by_offset = (await alice.request("GET", "/backtests?limit=10&offset=3")).json()
    assert [b["params"]["i"] for b in by_offset["items"]] == [1, 0]
    assert by_offset["next_cursor"] is None
    r = await alice.request("GET", f"/backtests?offset=1&cursor={first['next_cursor']}")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "offset"
    assert (await alice.request("GET", "/backtests?cursor=nonsense")).status_code == 422


async def test_binance_candles_come_through_the_governor(
    alice: Api, settings: Settings, tmp_path: Any
) -> None:
    with FakeBinance() as fake:
        fake.set_price("BTCUSDT", "60000")
        ectx = EngineContext.create(engine_settings(settings, tmp_path, BINANCE_BASE_URL=fake.url))
        try:
            job = await submit(alice, source="binance", bars=2500)
            await jobs.run(ectx, job["id"])
            got = (await alice.request("GET", f"/backtests/{job['id']}")).json()
            assert got["status"] == "done", got["error"]
            assert got["result"]["bars"] == 2500
            assert await ectx.governor.used() >= 2 * 3  # three pages of klines, weight 2
            unknown = await submit(alice, source="binance", symbol="NOPE/USDT")
            await jobs.run(ectx, unknown["id"])
            failed = (await alice.request("GET", f"/backtests/{unknown['id']}")).json()
            assert failed["status"] == "failed"
            assert failed["error"] == "the exchange does not list NOPE/USDT"
        finally:
            await ectx.close()
