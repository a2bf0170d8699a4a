"""Celery tasks: thin wrappers that take ids and call the engine.

- `dispatch_due_bots` (Beat, every DISPATCH_INTERVAL_SECONDS): marks due bots queued and
  enqueues them in batches (a market's bots together, small markets packed into one). In
  chain mode it only recovers bots overdue by more than DISPATCH_GRACE_SECONDS (lost chains).
- `run_bot_batch(bot_ids)`: one cycle for each due bot of the batch.
- `run_bot_strategy_cycle(bot_config_id)`: one cycle of one bot; retries temporary errors
  with backoff (bounded), and in chain mode enqueues the bot's next cycle.
- `run_backtest(backtest_id)` (the backtests queue): one backtest job, within
  BACKTEST_TIME_LIMIT; `recover_backtests` (Beat) fails jobs whose worker died.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_shutdown
from celery.utils.time import get_exponential_backoff_interval
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from tradebot import metrics
from tradebot.backtests import jobs
from tradebot.engine import schedule
from tradebot.engine.context import EngineContext
from tradebot.engine.runner import BatchResult, run_batch
from tradebot.system import health
from tradebot.worker import runtime, watchdog  # noqa: F401 - registers its signal handlers
from tradebot.worker.celery_app import app
from tradebot.worker.dispatch_log import DispatchTally
from tradebot.worker.factory import BACKTEST_TASK, DISPATCH_TASK, RECOVER_BACKTESTS_TASK

log = logging.getLogger(__name__)
CYCLE_TASK = "tradebot.run_bot_strategy_cycle"
BATCH_TASK = "tradebot.run_bot_batch"


@worker_process_shutdown.connect
def _close_process(**_: Any) -> None:
    runtime.shutdown()
    metrics.process_exited(os.getpid())


def _countdown(wait: float) -> float | None:
    """`wait` if the broker can hold a task that long, else None: past CHAIN_MAX_COUNTDOWN
    (far below the Redis broker's visibility timeout, beyond which a waiting task is
    delivered twice) the dispatcher takes the bot when it is due again."""
    return wait if wait <= runtime.context().settings.chain_max_countdown else None


def _follow_up(result: BatchResult) -> None:
    """Retries for bots that hit temporary errors; chain mode: the next cycle of each bot."""
    for bot_id, wait in result.retry.items():
        countdown = _countdown(wait)
        if countdown is not None:
            run_bot_strategy_cycle.apply_async((bot_id,), countdown=countdown)
    ctx = runtime.context()
    if ctx.settings.scheduler_mode != "chain":
        return
    now = datetime.now(UTC)
    for bot_id, at in result.next_runs.items():
        delay = _countdown(max(0.0, (at - now).total_seconds()))
        if delay is not None:
            run_bot_strategy_cycle.apply_async((bot_id,), countdown=delay)


# Infrastructure failures (database or Redis unreachable) retry the whole task with backoff;
# nothing was written, since every write is one transaction fenced on the bot's lease.
INFRA_ERRORS = (OSError, DBAPIError, RedisError)
INFRA_MAX_RETRIES = 8


def _run_batch(task: Task, bot_ids: list[int], token: str | None) -> BatchResult:
    """One cycle per due bot of `bot_ids` under lease `token`; after an infrastructure
    failure the task is retried with the same token, so it re-claims at once the leases it
    still holds instead of waiting for them to expire."""
    token = token or schedule.new_token()
    try:
        return runtime.run(run_batch(runtime.context(), bot_ids, token=token))
    except INFRA_ERRORS as exc:
        wait = get_exponential_backoff_interval(2, task.request.retries, 60, full_jitter=True)
        raise task.retry(
            exc=exc,
            kwargs={**(task.request.kwargs or {}), "token": token},
            countdown=wait,
            max_retries=INFRA_MAX_RETRIES,
        ) from exc


@app.task(name=CYCLE_TASK, bind=True)
def run_bot_strategy_cycle(self: Task, bot_config_id: int, token: str | None = None) -> None:
    """One cycle of one bot (seed steps 1-12)."""
    result = _run_batch(self, [bot_config_id], token)
    wait = result.retry.pop(bot_config_id, None)
    _follow_up(result)
    countdown = None if wait is None else _countdown(wait)
    if countdown is not None:
        # A temporary exchange error: the bot stays due; its retry count in the database
        # bounds the attempts (CYCLE_MAX_RETRIES), after which it stops in status error.
        settings = runtime.context().settings
        raise self.retry(kwargs={}, countdown=countdown, max_retries=settings.cycle_max_retries + 1)


@app.task(name=BATCH_TASK, bind=True)
def run_bot_batch(self: Task, bot_ids: list[int], token: str | None = None) -> None:
    """One cycle for each due bot among `bot_ids` (bots of a few markets)."""
    _follow_up(_run_batch(self, bot_ids, token))


_tally: DispatchTally | None = None


def _dispatch_tally(ctx: EngineContext) -> DispatchTally:
    """This process's dispatch counter, on its context's Redis."""
    global _tally
    if _tally is None or _tally.redis is not ctx.redis:
        _tally = DispatchTally(ctx.redis, ctx.settings.redis_key_prefix)
    return _tally


async def _dispatch() -> int:
    ctx = runtime.context()
    s = ctx.settings
    # The dispatcher runs every second when Beat and a worker are alive: its heartbeat.
    await health.beat(ctx.redis, ctx.keys, "worker")
    metrics.HEARTBEAT.labels("worker").set(time.time())
    grace = s.dispatch_grace if s.scheduler_mode == "chain" else 0.0
    async with ctx.sessions.begin() as session:
        due = await schedule.mark_due(session, grace=grace, queue_ttl=s.lease_seconds, limit=20_000)
    batches = schedule.batches(due, s.cycle_batch_size, live_size=max(1, s.cycle_batch_size // 10))
    for ids in batches:
        run_bot_batch.apply_async((ids,))
    # Celery's own lines about this task are DEBUG (it runs every second); this says, once a
    # minute and only when there was something, what went out.
    await _dispatch_tally(ctx).log(len(due), len(batches), time.time())
    return len(due)


@app.task(name=DISPATCH_TASK, ignore_result=True)
def dispatch_due_bots() -> int:
    """Enqueue every due bot (or, in chain mode, every lost chain)."""
    return runtime.run(_dispatch())


@app.task(
    name=BACKTEST_TASK,
    autoretry_for=INFRA_ERRORS,  # before the claim: the job is still queued
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=INFRA_MAX_RETRIES,
)
def run_backtest(backtest_id: int) -> None:
    """One backtest job: candles, the backtester, the report (progress on the stream)."""
    ctx = runtime.context()
    try:
        runtime.run(jobs.run(ctx, backtest_id))
    except SoftTimeLimitExceeded:
        limit = ctx.settings.backtest_time_limit
        runtime.run(jobs.fail(ctx, backtest_id, f"took longer than the {limit:.0f} s allowed"))


@app.task(name=RECOVER_BACKTESTS_TASK, ignore_result=True)
def recover_backtests() -> int:
    """Fail backtests whose worker died (no progress for BACKTEST_STALE_SECONDS)."""
    return runtime.run(jobs.recover(runtime.context()))


@app.task(name="tradebot.ping")
def ping() -> str:
    """Round-trip check used by health tooling and tests."""
    return "pong"
