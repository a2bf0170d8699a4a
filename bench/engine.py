"""Engine capacity: N demo/paper bots at a 60 s interval on real PostgreSQL, Redis and Celery.

Prints cycles per second, scheduling lateness (cycle start minus due time) p50/p99/max,
market-data requests per minute against the (fake) exchange, and worker memory at the start
and the end. Figures are printed, never asserted. With `--backtests N`, N long backtest jobs
are kept running during the window on a backtest worker of their own (as `tradebot up` and
the compose file run them), to show what they cost the bots.

    .venv/bin/python bench/engine.py --bots 10000 --minutes 10
    .venv/bin/python bench/engine.py --bots 10000 --minutes 3 --backtests 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import psutil
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.binance import FakeBinance

from bench.common import REDIS, clean_up, create_database
from tradebot import migrate

DEMO_SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT", "ADA/USDT"]
PAPER_SYMBOLS = ["BTC/USDT", "ETH/USDT"]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def create_bots(
    dsn: str, bots: int, paper_share: float, interval: int, seed: int = 1
) -> None:
    """Users of 100 bots each; bots due spread evenly over the first interval; each bot's
    strategy drawn (seeded) from ranges, so bots of one market enter and leave at different
    moments instead of all together."""
    conn = await asyncpg.connect(dsn)
    try:
        users = max(1, bots // 100)
        await conn.executemany(
            "INSERT INTO users (email, hashed_password) VALUES ($1, 'x')",
            [(f"bench{i}@example.com",) for i in range(users)],
        )
        now = datetime.now(UTC)
        rows = []
        paper = int(bots * paper_share)
        draw = random.Random(seed)
        for i in range(bots):
            mode = "paper" if i < paper else "demo"
            symbols = PAPER_SYMBOLS if mode == "paper" else DEMO_SYMBOLS
            fast = draw.randint(5, 12)
            strategy = (
                Decimal(draw.randint(10, 40)) / 10,  # stop loss 1-4 %
                Decimal(draw.randint(15, 80)) / 10,  # take profit 1.5-8 %
                fast,
                draw.randint(fast + 5, 40),  # slow EMA
                draw.randint(8, 20),  # RSI period
                draw.randint(20, 40),  # oversold
                draw.randint(60, 80),  # overbought
            )
            user, symbol = i % users + 1, symbols[i % len(symbols)]
            rows.append((user, f"bot{i}", symbol, mode, *strategy, interval))
        await conn.executemany(
            "INSERT INTO bot_configs (user_id, name, symbol, timeframe, mode, is_active,"
            " stop_loss_perc, take_profit_perc, position_size_perc, ema_fast, ema_slow,"
            " rsi_period, rsi_oversold, rsi_overbought, check_interval_seconds, initial_capital)"
            " VALUES ($1, $2, $3, '1m', $4, true, $5, $6, 10, $7, $8, $9, $10, $11, $12, 1000)",
            rows,
        )
        await conn.execute(
            "INSERT INTO bot_states (id, status, next_run_at)"
            " SELECT id, 'running',"
            " $1::timestamptz + (id % $2) * ($3::float8 / $2) * interval '1 second'"
            " FROM bot_configs",
            now + timedelta(seconds=5),
            bots,
            float(interval),
        )
    finally:
        await conn.close()


async def keep_backtests(env: dict[str, str], jobs: int, deadline: float) -> int:
    """Keep `jobs` long backtests queued or running until `deadline`; how many finished."""
    if jobs <= 0:
        return 0
    from tradebot.backtests import service
    from tradebot.backtests.schemas import BacktestCreate
    from tradebot.config import Settings, finalize
    from tradebot.db import transaction
    from tradebot.engine.context import EngineContext

    aliases = {f.alias for f in Settings.model_fields.values() if f.alias}
    keys = {k: v for k, v in env.items() if k in aliases}
    settings = finalize(Settings(_env_file=None, **keys))
    ctx = EngineContext.create(settings)
    body = BacktestCreate.model_validate(
        {
            "symbol": "BTC/USDT",
            "timeframe": "1m",
            "bars": 1_000_000,
            "source": "demo",
            "stop_loss_perc": "2",
            "take_profit_perc": "4",
            "position_size_perc": "10",
        }
    )
    conn = await asyncpg.connect(env["DATABASE_URL"])
    try:
        while time.monotonic() < deadline:
            active = await conn.fetchval(
                "SELECT count(*) FROM backtests WHERE status IN ('queued', 'running')"
            )
            for _ in range(jobs - int(active)):
                async with transaction(ctx.sessions) as session:
                    await service.create(ctx, session, 1, body)
            await asyncio.sleep(2)
        return int(await conn.fetchval("SELECT count(*) FROM backtests WHERE status = 'done'"))
    finally:
        await conn.close()
        await ctx.close()


async def _count(dsn: str, query: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval(query))
    finally:
        await conn.close()


class Sampler:
    """Reads every bot's schedule periodically; a changed last_run_at is one cycle."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.due: dict[int, datetime] = {}
        self.last: dict[int, datetime | None] = {}
        self.lateness: list[float] = []
        self.cycles = 0
        self.started_at = time.monotonic()
        # (seconds into the window, lateness) of every cycle seen, for per-minute figures
        self.timeline: list[tuple[float, float]] = []
        self.never_ran = 0

    async def sample(self, record: bool) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            rows = await conn.fetch("SELECT id, last_run_at, next_run_at FROM bot_states")
        finally:
            await conn.close()
        self.never_ran = sum(1 for r in rows if r["last_run_at"] is None)
        at = time.monotonic() - self.started_at
        for r in rows:
            bot, last, following = r["id"], r["last_run_at"], r["next_run_at"]
            ran = last is not None and last != self.last.get(bot)
            if ran and record and bot in self.due:
                late = (last - self.due[bot]).total_seconds()
                self.lateness.append(late)
                self.timeline.append((at, late))
                self.cycles += 1
            self.last[bot] = last
            if following is not None:
                self.due[bot] = following


def rss_mb(procs: list[subprocess.Popen[bytes]]) -> float:
    total = 0
    for p in procs:
        try:
            proc = psutil.Process(p.pid)
            total += proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(True))
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bots", type=int, default=10_000)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--interval", type=int, default=60)
    ap.add_argument("--paper-share", type=float, default=0.5, help="share of paper bots")
    ap.add_argument("--workers", type=int, default=1, help="worker processes")
    ap.add_argument("--concurrency", type=int, default=2, help="pool size per worker")
    ap.add_argument("--batch", type=int, default=100, help="CYCLE_BATCH_SIZE")
    ap.add_argument(
        "--backtests", type=int, default=0, help="long backtest jobs kept running meanwhile"
    )
    ap.add_argument("--warmup-max", type=float, default=600, help="longest warm-up, seconds")
    ap.add_argument("--seed", type=int, default=1, help="seeds the bots' spread settings")
    args = ap.parse_args()

    run = uuid.uuid4().hex[:8]
    name = f"tradebot_bench_{run}"
    dsn = await create_database(name)
    prefix = f"bench-{run}:"
    fake = FakeBinance(weight_limit=1_000_000).start()
    procs: list[subprocess.Popen[bytes]] = []
    tmp = Path(tempfile.mkdtemp(prefix="tradebot-bench-"))
    try:
        await migrate.run_async(dsn.replace("postgresql://", "postgresql+asyncpg://"))
        t = time.perf_counter()
        await create_bots(dsn, args.bots, args.paper_share, args.interval, args.seed)
        print(
            f"created {args.bots:,} bots ({args.paper_share:.0%} paper on {len(PAPER_SYMBOLS)} "
            f"symbols, the rest demo on {len(DEMO_SYMBOLS)}) in {time.perf_counter() - t:.1f} s"
        )
        env = dict(os.environ)
        env.update(
            TRADEBOT_DATA_DIR=str(tmp),
            DATABASE_URL=dsn,
            REDIS_URL=REDIS,
            REDIS_KEY_PREFIX=prefix,
            JWT_SECRET="bench-" + "x" * 40,
            ENCRYPTION_KEYS=Fernet.generate_key().decode(),
            BINANCE_BASE_URL=fake.url,
            CYCLE_BATCH_SIZE=str(args.batch),
            LOG_LEVEL="WARNING",
            DB_POOL_SIZE="5",
            BACKTEST_MAX_BARS="1000000",
            BACKTEST_MAX_ACTIVE=str(max(2, args.backtests)),
        )
        cli = [sys.executable, "-m", "tradebot.cli"]
        log = (tmp / "processes.log").open("wb")
        bot_queues = (
            "cycles,dispatch,background"
            if args.backtests
            else "cycles,dispatch,background,backtests"
        )
        if args.backtests:
            procs.append(
                subprocess.Popen(
                    [*cli, "worker", "--concurrency", "1", "--queues", "backtests"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=tmp,
                )
            )
        for _ in range(args.workers):
            procs.append(
                subprocess.Popen(
                    [
                        *cli,
                        "worker",
                        "--concurrency",
                        str(args.concurrency),
                        "--queues",
                        bot_queues,
                    ],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=tmp,
                )
            )
        procs.append(
            subprocess.Popen([*cli, "beat"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
        )
        sampler = Sampler(dsn)
        await sampler.sample(record=False)
        await asyncio.sleep(8)
        rss_start = rss_mb(procs[:-1])
        # Warm-up ends once every bot has completed its first cycle (its balance seeded, its
        # market loaded), and at least one interval has passed; at most `--warmup-max` s.
        print("warming up until every bot has completed a cycle ...")
        warm_started = time.monotonic()
        while True:
            await sampler.sample(record=False)
            waited = time.monotonic() - warm_started
            if sampler.never_ran == 0 and waited >= args.interval:
                break
            if waited > args.warmup_max:
                print(f"warm-up cut off after {waited:.0f} s: {sampler.never_ran:,} never ran")
                break
            await asyncio.sleep(5)
        print(f"warm-up took {time.monotonic() - warm_started:.0f} s")
        before_trades = await _count(dsn, "SELECT count(*) FROM trades")
        fake_before = {
            r: fake.count(r)
            for r in ("GET /api/v3/klines", "GET /api/v3/ticker/24hr", "GET /api/v3/ticker/price")
        }
        rss_warm = rss_mb(procs[:-1])
        started = time.monotonic()
        sampler.started_at = started
        deadline = started + args.minutes * 60
        rss_series = []
        load = asyncio.create_task(keep_backtests(env, args.backtests, deadline))
        while time.monotonic() < deadline:
            await asyncio.sleep(5)
            await sampler.sample(record=True)
            rss_series.append(rss_mb(procs[:-1]))
        finished = await load
        elapsed = time.monotonic() - started
        minutes = elapsed / 60
        fake_after = {r: fake.count(r) for r in fake_before}
        late = sampler.lateness
        print()
        print(
            f"bots {args.bots:,} at {args.interval} s; {args.workers} worker(s) x "
            f"{args.concurrency} processes; batch {args.batch}; "
            f"measured {elapsed:.0f} s after warm-up"
        )
        print(
            f"cycles          {sampler.cycles:,} = {sampler.cycles / elapsed:.1f} cycles/s "
            f"(needed: {args.bots / args.interval:.1f}/s)"
        )
        print(
            f"lateness        p50 {percentile(late, 0.5):.2f} s   "
            f"p99 {percentile(late, 0.99):.2f} s   "
            f"max {max(late) if late else float('nan'):.2f} s   "
            f"mean {statistics.fmean(late) if late else 0:.2f} s"
        )
        window_trades = await _count(dsn, "SELECT count(*) FROM trades") - before_trades
        holding = await _count(dsn, "SELECT count(*) FROM bot_states WHERE in_position")
        print(
            f"trading         {window_trades:,} trades in the window; {holding:,} bots "
            f"({holding / args.bots:.0%}) in position at the end"
        )
        for minute in range(max(1, int(elapsed // 60))):  # whole minutes only
            lates = [x for t, x in sampler.timeline if minute * 60 <= t < (minute + 1) * 60]
            if lates:
                print(
                    f"  minute {minute + 1:<3}    {len(lates) / 60:7.1f} cycles/s   "
                    f"p50 {percentile(lates, 0.5):.2f} s   p99 {percentile(lates, 0.99):.2f} s"
                )
        if args.backtests:
            print(
                f"backtests       {args.backtests} kept running on their own worker: "
                f"{finished} jobs of 1,000,000 candles finished in the window"
            )
        for route, before in fake_before.items():
            per_min = (fake_after[route] - before) / minutes
            print(
                f"exchange        {route}: {per_min:.1f}/min "
                f"for {len(PAPER_SYMBOLS)} symbols x 1 timeframe"
            )
        print(
            f"worker RSS      start {rss_start:.0f} MB, after warm-up {rss_warm:.0f} MB, "
            f"end {rss_series[-1] if rss_series else 0:.0f} MB, "
            f"max {max(rss_series, default=0):.0f} MB"
        )
        if len(rss_series) >= 4:
            q = len(rss_series) // 4
            print(
                f"                first quarter mean {statistics.fmean(rss_series[:q]):.0f} MB, "
                f"last quarter mean {statistics.fmean(rss_series[-q:]):.0f} MB"
            )
    finally:
        fake.stop()
        await clean_up(procs, name, prefix)


if __name__ == "__main__":
    asyncio.run(main())
