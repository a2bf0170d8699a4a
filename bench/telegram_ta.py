"""`/ta` reply time on a warm cache, and why charts are drawn in a process and `/ta` inline.

After one collector run has warmed the shared cache (real PostgreSQL and Redis, the fake
Binance, which is counted: a warm reply asks it nothing): `MarketService.ta_reply` one at a
time and with many chats at once, then the whole way through the real PTB Application
polling the fake Bot API (message pushed to the reply received; outgoing rate limits raised
so that the figure is the reply's, not the limiter's). Then the cost of the indicators
inline and through a thread, and how far a chart drawn in a thread or in a worker process
delays the event loop's other work. Figures are printed, never asserted.

    .venv/bin/python bench/telegram_ta.py --replies 500 --concurrency 20
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.binance import FakeBinance
from tests.fakes.telegram_api import FakeBotApi

from bench.common import bench_settings, clean_up, create_database
from tradebot import migrate
from tradebot.analysis.chart import render_chart
from tradebot.analysis.offload import ChartWorkers
from tradebot.analysis.service import MarketService
from tradebot.analysis.ta import analyse, default_strategy
from tradebot.config import Settings
from tradebot.engine.context import EngineContext
from tradebot.exchange.demo_market import DemoMarket
from tradebot.market_data.collector import collect, recent_markets
from tradebot.market_data.watched import Watch
from tradebot.telegram.app import build_application, running

SYMBOLS = ["BTC/USDT", "ETH/USDT", "BNB/USDT"]
TOKEN = "7000000001:AA" + "b" * 33


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(name: str, seconds: list[float]) -> str:
    p50, p99 = percentile(seconds, 0.5) * 1000, percentile(seconds, 0.99) * 1000
    return f"{name:38s} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   (n={len(seconds)})"


async def ta_replies(service: MarketService, replies: int, concurrency: int) -> list[float]:
    gate = asyncio.Semaphore(concurrency)
    times: list[float] = []

    async def one(i: int) -> None:
        async with gate:
            started = time.perf_counter()
            await service.ta_reply(SYMBOLS[i % len(SYMBOLS)], "1h")
            times.append(time.perf_counter() - started)

    await asyncio.gather(*(one(i) for i in range(replies)))
    return times


async def through_telegram(settings: Settings, ctx: EngineContext, replies: int) -> list[float]:
    """`/ta` sent by `replies` chats in turn, each timed from its update to the reply."""
    async with FakeBotApi(TOKEN) as api:
        bot_settings = settings.model_copy(
            update={
                "telegram_bot_token": SecretStr(TOKEN),
                "telegram_api_base_url": api.url,
                "telegram_poll_timeout": 10,
                "telegram_rate_per_chat": 10_000.0,
                "telegram_rate_overall": 10_000.0,
            }
        )
        application = build_application(bot_settings, ctx)
        times: list[float] = []
        async with running(application, bot_settings):
            for i in range(replies + 20):
                chat = api.chat(10_000 + i)
                started = time.perf_counter()
                await chat.ask(f"/ta {SYMBOLS[i % len(SYMBOLS)]} 1h")
                if i >= 20:  # the first ones warm connections up
                    times.append(time.perf_counter() - started)
        return times


async def loop_lag(work: asyncio.Future[object] | asyncio.Task[object]) -> list[float]:
    """How late 5 ms sleeps wake up while `work` runs: what every other chat waits."""
    lags: list[float] = []
    while not work.done():
        started = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append(time.perf_counter() - started - 0.005)
    await work
    return lags


async def off_loop_figures(charts: int) -> None:
    candles = DemoMarket().candles_count("BTC/USDT", "1h", 1_780_000_000_000, 299)
    config = default_strategy()
    inline = []
    for _ in range(300):
        started = time.perf_counter()
        analyse(candles, "1h", Decimal(60000), config)
        inline.append(time.perf_counter() - started)
    threaded = []
    for _ in range(300):
        started = time.perf_counter()
        await asyncio.to_thread(analyse, candles, "1h", Decimal(60000), config)
        threaded.append(time.perf_counter() - started)
    print(line("/ta indicators + signal, inline", inline))
    print(line("/ta indicators + signal, via a thread", threaded))

    started = time.perf_counter()
    render_chart(candles, title="BTC/USDT", config=config)
    print(f"{'one chart, drawn inline':38s} {(time.perf_counter() - started) * 1000:7.0f} ms")

    def draw() -> bytes:
        return render_chart(candles, title="BTC/USDT", config=config)

    async def threads() -> None:
        await asyncio.gather(*(asyncio.to_thread(draw) for _ in range(charts)))

    print(
        line(
            f"loop lag, {charts} charts in threads",
            await loop_lag(asyncio.ensure_future(threads())),
        )
    )
    workers = ChartWorkers()
    try:
        await workers.render(candles, title="warm-up", config=config)

        async def processes() -> None:
            await asyncio.gather(
                *(workers.render(candles, title="BTC/USDT", config=config) for _ in range(charts))
            )

        lags = await loop_lag(asyncio.ensure_future(processes()))
        print(line(f"loop lag, {charts} charts in a process", lags))
    finally:
        workers.close()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--replies", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--charts", type=int, default=4)
    args = ap.parse_args()

    run = uuid.uuid4().hex[:8]
    name = f"tradebot_bench_{run}"
    dsn = await create_database(name)
    prefix = f"bench-{run}:"
    fake = FakeBinance(weight_limit=1_000_000).start()
    ctx: EngineContext | None = None
    try:
        await migrate.run_async(dsn.replace("postgresql://", "postgresql+asyncpg://"))
        settings = bench_settings(dsn, prefix, BINANCE_BASE_URL=fake.url)
        ctx = EngineContext.create(settings)
        recent = recent_markets(ctx)
        for symbol in SYMBOLS:
            await recent.record(Watch("live", "binance", symbol, "1h"), ctx.market_data.now())
        report = await collect(ctx)
        print(f"collector: {report.markets} markets warmed, {len(fake.requests)} exchange calls")
        service = MarketService(ctx, "binance")
        before = len(fake.requests)
        await ta_replies(service, 20, 1)  # first use: imports, connections
        print(
            line("/ta reply, warm cache, one at a time", await ta_replies(service, args.replies, 1))
        )
        concurrent = await ta_replies(service, args.replies, args.concurrency)
        print(line(f"/ta reply, warm cache, {args.concurrency} at once", concurrent))
        warm_calls = len(fake.requests) - before
        print(f"exchange calls during {2 * args.replies + 20} warm replies: {warm_calls}")
        telegram = await through_telegram(settings, ctx, min(args.replies, 300))
        print(line("/ta through PTB and the fake Bot API", telegram))
        calls = len(fake.requests) - before - warm_calls
        print(f"exchange calls during the Telegram replies: {calls}")
        await off_loop_figures(args.charts)
    finally:
        if ctx is not None:
            await ctx.close()
        fake.stop()
        await clean_up([], name, prefix)


if __name__ == "__main__":
    asyncio.run(main())
