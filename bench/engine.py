"""Engine capacity: N bots at a 60 s interval on real PostgreSQL, Redis and Celery.

The bots are spread over many markets (`--symbols` x `--timeframes`): demo bots on the
in-process demo market, paper bots and a share of live bots (encrypted keys, signed orders)
on the fake Binance, every bot's strategy drawn from seeded ranges so a steady share is in
a position. Warm-up lasts until every bot has completed a first cycle. Then, per minute and
in total: cycles per second, lateness when the cycle's write happened (the write
transaction's time minus the due time) and when it started, trades and bots in position,
exchange requests, worker memory, and the CPU each process took. Figures are printed, never
asserted.

    .venv/bin/python bench/engine.py --bots 10000 --minutes 10
    .venv/bin/python bench/engine.py --sweep 10000,30000,60000,100000 --minutes 5
    .venv/bin/python bench/engine.py --bots 10000 --minutes 3 --backtests 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import psutil
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.binance import DEFAULT_SYMBOLS, FakeBinance, SymbolSpec

from bench.common import REDIS, clean_up, create_database
from tradebot import migrate
from tradebot.security import SecretBox

LIVE_BOTS_PER_KEY = 10  # a live user's bots share the user's one key


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def symbols(count: int) -> list[SymbolSpec]:
    """`count` USDT markets with spread-out prices (the fake Binance lists them all)."""
    draw = random.Random(7)
    specs = []
    for i in range(count):
        price = Decimal(draw.choice(["0.5", "2", "15", "80", "300", "1200"]))
        specs.append(
            SymbolSpec(
                f"C{i:03d}USDT",
                f"C{i:03d}",
                "USDT",
                price,
                Decimal("0.0001"),
                Decimal("0.001"),
                Decimal("0.001"),
                Decimal("900000"),
                Decimal("5"),
            )
        )
    return specs


@dataclass
class Plan:
    bots: int
    interval: int
    symbols: list[str]
    timeframes: list[str]
    paper_share: float
    live_share: float
    seed: int = 1

    @property
    def live(self) -> int:
        return int(self.bots * self.live_share)

    @property
    def paper(self) -> int:
        return int(self.bots * self.paper_share)

    def describe(self) -> str:
        demo = self.bots - self.live - self.paper
        return (
            f"{self.bots:,} bots: {demo:,} demo, {self.paper:,} paper, {self.live:,} live "
            f"({len(self.symbols)} symbols x {len(self.timeframes)} timeframes "
            f"{'/'.join(self.timeframes)}, {self.live // LIVE_BOTS_PER_KEY or 0:,} live keys)"
        )


async def create_bots(dsn: str, plan: Plan, box: SecretBox, fake: FakeBinance) -> None:
    """Users of 100 bots each (live users: 10 bots on one key of theirs); bots due spread
    evenly over the first interval; markets assigned round robin; each bot's strategy drawn
    (seeded) from ranges, so bots of one market enter and leave at different moments."""
    conn = await asyncpg.connect(dsn)
    try:
        live_users = -(-plan.live // LIVE_BOTS_PER_KEY) if plan.live else 0
        users = max(1, (plan.bots - plan.live) // 100) + live_users
        await conn.executemany(
            "INSERT INTO users (email, hashed_password) VALUES ($1, 'x')",
            [(f"bench{i}@example.com",) for i in range(users)],
        )
        keys = []
        for u in range(live_users):
            key, secret = f"benchkey{u:05d}" + "k" * 48, f"benchsecret{u:05d}" + "s" * 48
            fake.add_account(key, secret, {"USDT": "1000000"})
            keys.append(
                (users - live_users + u + 1, box.encrypt(key), box.encrypt(secret), key[-4:])
            )
        await conn.executemany(
            "INSERT INTO api_keys (user_id, encrypted_api_key, encrypted_secret_key,"
            " api_key_last4, is_valid) VALUES ($1, $2, $3, $4, true)",
            keys,
        )
        rows = []
        draw = random.Random(plan.seed)
        markets = [(s, tf) for s in plan.symbols for tf in plan.timeframes]
        for i in range(plan.bots):
            if i < plan.live:
                mode, user = "live", users - live_users + i // LIVE_BOTS_PER_KEY + 1
            else:
                mode = "paper" if i < plan.live + plan.paper else "demo"
                user = (i - plan.live) % (users - live_users) + 1
            symbol, timeframe = markets[draw.randrange(len(markets))]
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
            rows.append((user, f"bot{i}", symbol, timeframe, mode, *strategy, plan.interval))
        await conn.executemany(
            "INSERT INTO bot_configs (user_id, name, symbol, timeframe, mode, is_active,"
            " stop_loss_perc, take_profit_perc, position_size_perc, ema_fast, ema_slow,"
            " rsi_period, rsi_oversold, rsi_overbought, check_interval_seconds, initial_capital)"
            " VALUES ($1, $2, $3, $4, $5, true, $6, $7, 10, $8, $9, $10, $11, $12, $13, 1000)",
            rows,
        )
        await conn.execute(
            "INSERT INTO bot_states (id, status, next_run_at)"
            " SELECT id, 'running',"
            " $1::timestamptz + (id % $2) * ($3::float8 / $2) * interval '1 second'"
            " FROM bot_configs",
            datetime.now(UTC) + timedelta(seconds=5),
            plan.bots,
            float(plan.interval),
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
    settings = finalize(Settings(_env_file=None, **keys))  # type: ignore[arg-type]
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


async def autovacuum_on(dsn: str) -> bool:
    return await _fetch(dsn, "SHOW autovacuum") == "on"


async def vacuum_now_and_then(dsn: str, every: float = 60) -> None:
    """What autovacuum does for a table updated thousands of times a second, for a server
    that has it off (CI servers do): dead row versions reclaimed and statistics kept fresh,
    without which the planner's estimates go stale and every index bloats."""
    conn = await asyncpg.connect(dsn)
    try:
        while True:
            await asyncio.sleep(every)
            for table in ("bot_states", "sim_balances", "bot_configs"):
                await conn.execute(f"VACUUM (ANALYZE) {table}")
    finally:
        await conn.close()


async def _fetch(dsn: str, query: str) -> object:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()


async def _count(dsn: str, query: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval(query))
    finally:
        await conn.close()


class Sampler:
    """Reads the bots' schedules every few seconds; a changed last_run_at is one cycle.

    Its lateness is the cycle's write (the transaction that wrote the cycle: its
    last_updated_at) minus the time the bot was due; the lateness at the cycle's start
    (last_run_at) is kept beside it. Only rows changed since the last read are fetched.
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.conn: asyncpg.Connection | None = None
        self.due: dict[int, datetime] = {}
        self.last: dict[int, datetime | None] = {}
        self.since: datetime | None = None
        self.started_at = time.monotonic()
        # (seconds into the window, lateness at the write, lateness at the start)
        self.timeline: list[tuple[float, float, float]] = []

    async def sample(self, record: bool) -> None:
        if self.conn is None:
            self.conn = await asyncpg.connect(self.dsn)
        query = (
            "SELECT now() AS read_at, id, last_run_at, next_run_at, last_updated_at FROM bot_states"
        )
        if self.since is None:
            rows = await self.conn.fetch(query)
        else:
            # A write transaction begun before the last read may commit after it: read again
            # what changed shortly before (a cycle seen twice counts once).
            rows = await self.conn.fetch(query + " WHERE last_updated_at > $1", self.since)
        if rows:
            self.since = rows[0]["read_at"] - timedelta(seconds=15)
        at = time.monotonic() - self.started_at
        for r in rows:
            bot, last, following = r["id"], r["last_run_at"], r["next_run_at"]
            ran = last is not None and last != self.last.get(bot)
            if ran and record and bot in self.due:
                due = self.due[bot]
                self.timeline.append(
                    (at, (r["last_updated_at"] - due).total_seconds(), (last - due).total_seconds())
                )
            self.last[bot] = last
            if following is not None:
                self.due[bot] = following

    async def never_ran(self) -> int:
        assert self.conn is not None
        return int(
            await self.conn.fetchval("SELECT count(*) FROM bot_states WHERE last_run_at IS NULL")
        )

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


def tree(procs: list[subprocess.Popen[bytes]]) -> list[psutil.Process]:
    found = []
    for p in procs:
        try:
            proc = psutil.Process(p.pid)
            found += [proc, *proc.children(True)]
        except psutil.NoSuchProcess:
            pass
    return found


def rss_mb(procs: list[subprocess.Popen[bytes]]) -> float:
    total = 0
    for proc in tree(procs):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total / 2**20


class CpuMeter:
    """CPU seconds taken by process groups (and by PostgreSQL and Redis servers) in a window."""

    GROUPS = ("worker", "beat", "postgres", "redis", "bench")

    def __init__(
        self, workers: list[subprocess.Popen[bytes]], beat: subprocess.Popen[bytes]
    ) -> None:
        self.workers, self.beat = workers, beat
        self.start = self.read()
        self.started = time.monotonic()

    def read(self) -> dict[str, float]:
        seconds = dict.fromkeys(self.GROUPS, 0.0)
        groups = [("worker", tree(self.workers)), ("beat", tree([self.beat]))]
        servers = []
        for proc in psutil.process_iter(["name"]):
            name = proc.info["name"] or ""
            if name.startswith("postgres"):
                servers.append(("postgres", proc))
            elif name.startswith("redis-server"):
                servers.append(("redis", proc))
        groups.append(("bench", [psutil.Process()]))
        for group, procs in [*groups, *[(g, [p]) for g, p in servers]]:
            for proc in procs:
                try:
                    t = proc.cpu_times()
                    seconds[group] += t.user + t.system
                except psutil.NoSuchProcess:
                    pass
        return seconds

    def shares(self) -> dict[str, float]:
        """Cores used by each group since the start (1.0 = one core all the time)."""
        now, elapsed = self.read(), time.monotonic() - self.started
        return {g: max(0.0, now[g] - self.start[g]) / elapsed for g in self.GROUPS}


@dataclass
class Figures:
    bots: int
    needed: float
    rate: float
    p50: float
    p99: float
    worst_minute_p99: float
    max: float
    start_p99: float
    trades: int
    in_position: int
    rss_warm: float
    rss_end: float
    rss_quarters: tuple[float, float]
    cores: dict[str, float]
    load: str
    warmup: float
    minutes: list[tuple[int, float, float, float]] = field(default_factory=list)


async def run(args: argparse.Namespace, bots: int) -> Figures:
    plan = Plan(
        bots,
        args.interval,
        [s.symbol[:-4] + "/USDT" for s in symbols(args.symbols)],
        args.timeframes.split(","),
        args.paper_share,
        args.live_share,
        args.seed,
    )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    run_id = uuid.uuid4().hex[:8]
    name = f"tradebot_bench_{run_id}"
    dsn = await create_database(name)
    prefix = f"bench-{run_id}:"
    fake = FakeBinance(
        weight_limit=1_000_000, symbols=(*DEFAULT_SYMBOLS, *symbols(args.symbols))
    ).start()
    procs: list[subprocess.Popen[bytes]] = []
    tmp = Path(tempfile.mkdtemp(prefix="tradebot-bench-"))
    encryption = Fernet.generate_key().decode()
    sampler = Sampler(dsn)
    vacuum: asyncio.Task[None] | None = None
    try:
        await migrate.run_async(dsn.replace("postgresql://", "postgresql+asyncpg://"))
        t = time.perf_counter()
        await create_bots(dsn, plan, SecretBox([encryption]), fake)
        await _fetch(dsn, "ANALYZE")  # statistics, as a running installation has them
        print(f"created {plan.describe()} in {time.perf_counter() - t:.1f} s; load {load}")
        if not await autovacuum_on(dsn):
            print("autovacuum is off on this server: the bench vacuums bot_states every 60 s")
            vacuum = asyncio.create_task(vacuum_now_and_then(dsn))
        env = dict(os.environ)
        env.update(
            TRADEBOT_DATA_DIR=str(tmp),
            DATABASE_URL=dsn,
            REDIS_URL=REDIS,
            REDIS_KEY_PREFIX=prefix,
            JWT_SECRET="bench-" + "x" * 40,
            ENCRYPTION_KEYS=encryption,
            BINANCE_BASE_URL=fake.url,
            CYCLE_BATCH_SIZE=str(args.batch),
            LOG_LEVEL="WARNING",
            DB_POOL_SIZE="5",
            WEIGHT_PER_MINUTE=str(args.weight),
            BACKTEST_MAX_BARS="1000000",
            BACKTEST_MAX_ACTIVE=str(max(2, args.backtests)),
        )
        cli = [sys.executable, "-m", "tradebot.cli"]
        log = (tmp / "processes.log").open("wb")

        def start(*command: str) -> subprocess.Popen[bytes]:
            proc = subprocess.Popen(
                [*cli, *command], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp
            )
            procs.append(proc)
            return proc

        queues = "cycles,dispatch,background" + ("" if args.backtests else ",backtests")
        if args.backtests:
            start("worker", "--concurrency", "1", "--queues", "backtests")
        workers = [
            start("worker", "--concurrency", str(args.concurrency), "--queues", queues)
            for _ in range(args.workers)
        ]
        beat = start("beat")
        await sampler.sample(record=False)
        await asyncio.sleep(8)
        rss_start = rss_mb(workers)
        # Warm-up ends once every bot has completed its first cycle (its balance seeded, its
        # market loaded), and at least one interval has passed; at most `--warmup-max` s.
        print("warming up until every bot has completed a cycle ...")
        warm_started = time.monotonic()
        while True:
            await sampler.sample(record=False)
            waited = time.monotonic() - warm_started
            never = await sampler.never_ran()
            if never == 0 and waited >= args.interval:
                break
            if waited > args.warmup_max:
                print(f"warm-up cut off after {waited:.0f} s: {never:,} never ran")
                break
            await asyncio.sleep(5)
        warmup = time.monotonic() - warm_started
        print(f"warm-up took {warmup:.0f} s")
        before_trades = await _count(dsn, "SELECT count(*) FROM trades")
        routes = (
            "GET /api/v3/klines",
            "GET /api/v3/ticker/24hr",
            "GET /api/v3/ticker/price",
            "POST /api/v3/order",
            "GET /api/v3/account",
        )
        fake_before = {r: fake.count(r) for r in routes}
        rss_warm = rss_mb(workers)
        cpu = CpuMeter(workers, beat)
        started = time.monotonic()
        sampler.started_at = started
        deadline = started + args.minutes * 60
        rss_series = []
        backtests = asyncio.create_task(keep_backtests(env, args.backtests, deadline))
        while time.monotonic() < deadline:
            await asyncio.sleep(5)
            await sampler.sample(record=True)
            rss_series.append(rss_mb(workers))
        finished = await backtests
        cores = cpu.shares()
        elapsed = time.monotonic() - started
        fake_after = {r: fake.count(r) for r in routes}
        late = [w for _, w, _ in sampler.timeline]
        window_trades = await _count(dsn, "SELECT count(*) FROM trades") - before_trades
        holding = await _count(dsn, "SELECT count(*) FROM bot_states WHERE in_position")
        q = max(1, len(rss_series) // 4)
        figures = Figures(
            bots=bots,
            needed=bots / args.interval,
            rate=len(late) / elapsed,
            p50=percentile(late, 0.5),
            p99=percentile(late, 0.99),
            worst_minute_p99=float("nan"),
            max=max(late, default=float("nan")),
            start_p99=percentile([s for *_, s in sampler.timeline], 0.99),
            trades=window_trades,
            in_position=holding,
            rss_warm=rss_warm,
            rss_end=rss_series[-1] if rss_series else 0,
            rss_quarters=(statistics.fmean(rss_series[:q]), statistics.fmean(rss_series[-q:])),
            cores=cores,
            load=load,
            warmup=warmup,
        )
        for minute in range(max(1, int(elapsed // 60))):  # whole minutes only
            lates = [w for t, w, _ in sampler.timeline if minute * 60 <= t < (minute + 1) * 60]
            if lates:
                figures.minutes.append(
                    (minute + 1, len(lates) / 60, percentile(lates, 0.5), percentile(lates, 0.99))
                )
        if figures.minutes:
            figures.worst_minute_p99 = max(p99 for *_, p99 in figures.minutes)
        print()
        print(
            f"{plan.describe()} at {args.interval} s; {args.workers} worker(s) x "
            f"{args.concurrency} processes; batch {args.batch}; "
            f"measured {elapsed:.0f} s after a {warmup:.0f} s warm-up"
        )
        print(
            f"cycles          {len(late):,} = {figures.rate:.1f} cycles/s "
            f"(needed: {figures.needed:.1f}/s)"
        )
        print(
            f"lateness        at the write: p50 {figures.p50:.2f} s   p99 {figures.p99:.2f} s   "
            f"max {figures.max:.2f} s   mean {statistics.fmean(late) if late else 0:.2f} s"
        )
        print(f"                at the start: p99 {figures.start_p99:.2f} s")
        for minute, rate, p50, p99 in figures.minutes:
            print(
                f"  minute {minute:<3}    {rate:7.1f} cycles/s   p50 {p50:.2f} s   p99 {p99:.2f} s"
            )
        print(
            f"trading         {window_trades:,} trades in the window "
            f"({window_trades / elapsed * 60:.0f}/min); {holding:,} bots "
            f"({holding / bots:.0%}) in position at the end"
        )
        if args.backtests:
            print(
                f"backtests       {args.backtests} kept running on their own worker: "
                f"{finished} jobs of 1,000,000 candles finished in the window"
            )
        for route in routes:
            per_min = (fake_after[route] - fake_before[route]) / (elapsed / 60)
            print(f"exchange        {route}: {per_min:.1f}/min")
        print(
            f"worker RSS      start {rss_start:.0f} MB, after warm-up {rss_warm:.0f} MB, "
            f"end {figures.rss_end:.0f} MB, max {max(rss_series, default=0):.0f} MB; "
            f"quarter means {figures.rss_quarters[0]:.0f} -> {figures.rss_quarters[1]:.0f} MB"
        )
        print(
            "cores used      "
            + ", ".join(f"{g} {c:.2f}" for g, c in cores.items())
            + " (bench = the fake exchange and this sampler)"
        )
        return figures
    finally:
        if vacuum is not None:
            vacuum.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await vacuum
        await sampler.close()
        fake.stop()
        await clean_up(procs, name, prefix)


def table(rows: list[Figures], args: argparse.Namespace) -> str:
    head = (
        "| bots | needed/s | cycles/s | p50 | p99 | worst minute p99 | max | trades/min "
        "| in position | worker RSS warm -> end | cores: worker / PostgreSQL / Redis "
        "| load before |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for f in rows:
        lines.append(
            f"| {f.bots:,} | {f.needed:.0f} | {f.rate:.0f} | {f.p50:.2f} s | {f.p99:.2f} s "
            f"| {f.worst_minute_p99:.2f} s | {f.max:.2f} s | {f.trades / args.minutes:.0f} "
            f"| {f.in_position / f.bots:.0%} | {f.rss_warm:.0f} -> {f.rss_end:.0f} MB "
            f"| {f.cores['worker']:.2f} / {f.cores['postgres']:.2f} / {f.cores['redis']:.2f} "
            f"| {f.load} |"
        )
    return "\n".join(lines)


async def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--bots", type=int, default=10_000)
    ap.add_argument("--sweep", help="comma-separated bot counts, run one after another")
    ap.add_argument("--minutes", type=float, default=10, help="measured window per run")
    ap.add_argument("--interval", type=int, default=60)
    ap.add_argument("--symbols", type=int, default=200, help="symbols (on both markets)")
    ap.add_argument("--timeframes", default="1m,5m,1h")
    ap.add_argument("--paper-share", type=float, default=0.4, help="share of paper bots")
    ap.add_argument("--live-share", type=float, default=0.01, help="share of live bots")
    ap.add_argument("--workers", type=int, default=1, help="worker processes")
    ap.add_argument("--concurrency", type=int, default=2, help="pool size per worker")
    ap.add_argument("--batch", type=int, default=100, help="CYCLE_BATCH_SIZE")
    ap.add_argument("--weight", type=int, default=6000, help="WEIGHT_PER_MINUTE (Binance's)")
    ap.add_argument(
        "--backtests", type=int, default=0, help="long backtest jobs kept running meanwhile"
    )
    ap.add_argument("--warmup-max", type=float, default=900, help="longest warm-up, seconds")
    ap.add_argument("--seed", type=int, default=1, help="seeds the bots' spread settings")
    args = ap.parse_args()
    counts = [int(n) for n in args.sweep.split(",")] if args.sweep else [args.bots]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores ({cpu}); "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
    )
    rows = []
    for bots in counts:
        rows.append(await run(args, bots))
        print()
    if len(rows) > 1:
        print(table(rows, args))


if __name__ == "__main__":
    asyncio.run(main())
