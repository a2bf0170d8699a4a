"""One backtest job on a worker: claim it, get its candles in chunks (writing progress and
noticing a cancel between them), run the shared backtester, store the report.

Every ending is written to the row (fenced on `running`, so a cancel wins over a finish it
raced) and published on the owner's status stream. A failure keeps one sentence for the
user, never a traceback; the log has the rest. A job whose worker died stops writing its
heartbeat and `recover` fails it after BACKTEST_STALE_SECONDS.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded

from tradebot.backtest.data import (
    CandleDataError,
    concat_candles,
    demo_candle_chunks,
    download_candles,
)
from tradebot.backtest.engine import run_backtest
from tradebot.backtests import report, repository
from tradebot.core.candles import Candles, from_ms, timeframe_ms
from tradebot.core.config import StrategyConfig, to_decimal
from tradebot.core.risk import SizingConfig
from tradebot.core.types import MarketRules
from tradebot.db import transaction
from tradebot.engine.context import EngineContext
from tradebot.events.notify import backtest_changed
from tradebot.exchange.ccxt_adapter import CcxtAdapter
from tradebot.exchange.demo_market import symbol_profile
from tradebot.exchange.errors import ExchangeError, RateLimited, TemporaryError, UnknownSymbol

log = logging.getLogger(__name__)
LOAD_SHARE = 90  # of the progress: getting the candles (the backtest itself is quick)
PROGRESS_STEP = 5  # percent, or
PROGRESS_SECONDS = 1.0  # seconds between progress writes (the heartbeat)
STALE_REASON = "the worker running it stopped; submit it again"
CRASH_REASON = "the backtest failed unexpectedly (the worker's log says why); try again"


class Cancelled(Exception):
    """The job is no longer running (cancelled by its owner, or failed as stale)."""


class JobFailed(Exception):
    """A failure whose message is for the job's owner."""


@dataclass
class Progress:
    """Throttled progress writes, each one also the job's heartbeat and cancel check."""

    ctx: EngineContext
    job_id: int
    user_id: int
    percent: int = 0
    written_at: float = field(default_factory=time.monotonic)

    async def step(self, percent: float) -> None:
        value = max(self.percent, min(99, int(percent)))
        now = time.monotonic()
        if value - self.percent < PROGRESS_STEP and now - self.written_at < PROGRESS_SECONDS:
            return
        async with transaction(self.ctx.sessions) as session:
            running = await repository.heartbeat(session, self.job_id, value)
        if not running:
            raise Cancelled
        changed, self.percent, self.written_at = value != self.percent, value, now
        if changed:
            await backtest_changed(self.ctx.publisher, self.user_id, self.job_id, "running", value)


def _exchange_reason(exc: ExchangeError, symbol: str) -> str:
    if isinstance(exc, UnknownSymbol):
        return f"the exchange does not list {symbol}"
    if isinstance(exc, RateLimited):
        return "the exchange asked us to slow down; try again later"
    if isinstance(exc, TemporaryError):
        return "the exchange could not be reached; try again later"
    return "the exchange refused the request for candles"


class GovernedOhlcv:
    """The downloader's candle source (it runs in a thread) on this loop's public Binance
    client: every page reserves its weight in the shared governor, and writes progress."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        adapter: CcxtAdapter,
        progress: Progress,
        span: tuple[int, int],
        timeout: float,
    ) -> None:
        self.loop, self.adapter, self.progress = loop, adapter, progress
        self.span, self.timeout = span, timeout

    async def _page(self, symbol: str, timeframe: str, since: int | None, limit: int) -> Any:
        rows = await self.adapter.fetch_ohlcv_rows(symbol, timeframe, since, limit)
        if rows:
            start, end = self.span
            done = (int(rows[-1][0]) - start) / max(1, end - start)
            await self.progress.step(LOAD_SHARE * min(1.0, done))
        return rows

    def fetch_ohlcv(
        self, symbol: str, timeframe: str, since: int | None = None, limit: int | None = None
    ) -> list[list[float]]:
        page = self._page(symbol, timeframe, since, limit or 1000)
        rows: list[list[float]] = asyncio.run_coroutine_threadsafe(page, self.loop).result(
            self.timeout
        )
        return rows


async def _demo(params: dict[str, Any], seed: int, progress: Progress) -> Candles:
    symbol, timeframe, start, bars = (
        params[k] for k in ("symbol", "timeframe", "start_ms", "bars")
    )
    parts: list[Candles] = []
    for part in demo_candle_chunks(symbol, timeframe, start, bars, seed=seed):
        parts.append(part)
        await progress.step(LOAD_SHARE * sum(len(p) for p in parts) / bars)
    return concat_candles(parts)


async def _binance(
    ctx: EngineContext, params: dict[str, Any], progress: Progress
) -> tuple[Candles, MarketRules]:
    adapter = ctx.exchanges.public("live")
    assert isinstance(adapter, CcxtAdapter)
    symbol, timeframe, start = params["symbol"], params["timeframe"], params["start_ms"]
    end = start + params["bars"] * timeframe_ms(timeframe)
    rules = await adapter.market(symbol)
    s = ctx.settings
    source = GovernedOhlcv(
        asyncio.get_running_loop(), adapter, progress, (start, end), s.exchange_timeout * 6 + 60
    )
    candles = await asyncio.to_thread(
        download_candles,
        symbol,
        timeframe,
        from_ms(start),
        from_ms(end),
        s.data_dir / "candles",
        exchange=lambda: source,
    )
    return candles, rules


async def _execute(ctx: EngineContext, params: dict[str, Any], progress: Progress) -> Any:
    s, strategy = ctx.settings, params["strategy"]
    try:
        if params["source"] == "demo":
            candles = await _demo(params, s.demo_seed, progress)
            rules = symbol_profile(params["symbol"], s.demo_seed).rules
        else:
            candles, rules = await _binance(ctx, params, progress)
    except ExchangeError as exc:
        raise JobFailed(_exchange_reason(exc, params["symbol"])) from exc
    except CandleDataError as exc:
        raise JobFailed(str(exc)) from exc
    if len(candles) < 2:
        raise JobFailed("fewer than 2 candles in that range")
    result = run_backtest(
        StrategyConfig.from_mapping(strategy),
        candles,
        fee_rate=s.sim_fee_rate,
        slippage_bps=s.sim_slippage_bps,
        initial_balance=to_decimal(strategy.get("initial_capital") or s.sim_start_balance),
        market_rules=rules,
        sizing=SizingConfig.from_mapping(strategy),
        max_daily_trades=strategy.get("max_daily_trades"),
        progress=False,
    )
    await progress.step(LOAD_SHARE + 5)
    return report.build(result, timeframe_ms(params["timeframe"]))


async def _finish(ctx: EngineContext, job_id: int, status: str, **values: Any) -> None:
    async with transaction(ctx.sessions) as session:
        ended = await repository.finish(session, job_id, status=status, **values)
    if ended is not None:
        user_id, progress = ended
        await backtest_changed(ctx.publisher, user_id, job_id, status, progress)


async def run(ctx: EngineContext, job_id: int) -> None:
    """Run job `job_id` if it is still queued (a second delivery finds nothing to do)."""
    async with transaction(ctx.sessions) as session:
        job = await repository.claim(session, job_id)
    if job is None:
        log.info("backtest %d: not queued (cancelled, or already taken); nothing to do", job_id)
        return
    await backtest_changed(ctx.publisher, job.user_id, job.id, "running", 0)
    progress = Progress(ctx, job.id, job.user_id)
    try:
        result = await _execute(ctx, job.params, progress)
    except Cancelled:
        log.info("backtest %d: cancelled", job_id)
        return
    except JobFailed as exc:
        log.info("backtest %d failed: %s", job_id, exc)
        await _finish(ctx, job_id, "failed", error=str(exc))
        return
    except SoftTimeLimitExceeded:
        raise  # the task writes the time limit as the reason
    except Exception:
        log.exception("backtest %d crashed", job_id)
        await _finish(ctx, job_id, "failed", error=CRASH_REASON)
        return
    await _finish(ctx, job_id, "done", result=result)
    log.info("backtest %d done", job_id)


async def fail(ctx: EngineContext, job_id: int, reason: str) -> None:
    """End a running job as failed with `reason` (the task's time limit)."""
    await _finish(ctx, job_id, "failed", error=reason)


async def recover(ctx: EngineContext) -> int:
    """Fail every running job whose worker stopped writing progress; how many."""
    stale = timedelta(seconds=ctx.settings.backtest_stale_seconds)
    async with transaction(ctx.sessions) as session:
        rows = await repository.fail_stale(session, stale, STALE_REASON)
    for job_id, user_id, progress in rows:
        log.warning("backtest %d: its worker stopped; marked failed", job_id)
        await backtest_changed(ctx.publisher, user_id, job_id, "failed", progress)
    return len(rows)
