"""The dispatcher's logging: Celery's per-tick lines at DEBUG, one INFO summary a minute."""

from __future__ import annotations

import logging
import uuid

import pytest

from tradebot.context import AppContext
from tradebot.logging_setup import DemoteTaskLines
from tradebot.worker.dispatch_log import DispatchTally
from tradebot.worker.factory import DISPATCH_TASK

MINUTE = 60 * 29_000_000  # the start of some clock minute, in epoch seconds


@pytest.fixture
def prefix(ctx: AppContext) -> str:
    return f"{ctx.settings.redis_key_prefix}tally-{uuid.uuid4().hex[:6]}:"


async def test_two_processes_report_each_busy_minute_once(ctx: AppContext, prefix: str) -> None:
    a, b = DispatchTally(ctx.redis, prefix), DispatchTally(ctx.redis, prefix)
    assert await a.record(3, 1, MINUTE + 5) is None
    assert await b.record(2, 2, MINUTE + 6) is None
    assert await a.record(0, 0, MINUTE + 7) is None
    # The next minute: whichever process dispatches first reports, the other stays quiet.
    assert await b.record(0, 0, MINUTE + 60) == (5, 3)
    assert await a.record(1, 1, MINUTE + 61) is None
    assert await a.record(0, 0, MINUTE + 62) is None
    assert await a.record(0, 0, MINUTE + 121) == (1, 1)
    # An idle minute reports nothing.
    assert await b.record(0, 0, MINUTE + 181) is None
    assert await a.record(0, 0, MINUTE + 182) is None


async def test_idle_dispatches_touch_redis_once_a_minute(ctx: AppContext, prefix: str) -> None:
    tally = DispatchTally(ctx.redis, prefix)
    for second in range(60):
        await tally.record(0, 0, MINUTE + second)
    keys = [k async for k in ctx.redis.scan_iter(match=f"{prefix}*")]
    assert keys == [f"{prefix}dispatch:tally:{MINUTE // 60 - 1}:reported"]


async def test_summary_is_one_info_line(
    ctx: AppContext, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    tally = DispatchTally(ctx.redis, prefix)
    with caplog.at_level(logging.DEBUG, logger="tradebot.worker.dispatch"):
        for second in range(0, 125):
            await tally.log(2 if second < 60 else 0, 1 if second < 60 else 0, MINUTE + second)
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert info == ["dispatched 120 bots in 60 batches in the last 60 s"]
    assert sum(r.levelno == logging.DEBUG for r in caplog.records) == 60


def _record(name: str, level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


@pytest.mark.parametrize(
    "message",
    [
        f"Task {DISPATCH_TASK}[4f1c] received",
        f"Task {DISPATCH_TASK}[4f1c] succeeded in 0.02s: 0",
        f"Scheduler: Sending due task dispatch-due-bots ({DISPATCH_TASK})",
    ],
)
def test_dispatcher_lines_are_debug(message: str) -> None:
    celery_logger = logging.getLogger("celery.test-demote")
    task_filter = DemoteTaskLines((DISPATCH_TASK,))
    old = celery_logger.level
    try:
        celery_logger.setLevel(logging.INFO)
        record = _record(celery_logger.name, logging.INFO, message)
        assert not task_filter.filter(record)
        celery_logger.setLevel(logging.DEBUG)
        record = _record(celery_logger.name, logging.INFO, message)
        assert task_filter.filter(record) and record.levelname == "DEBUG"
    finally:
        celery_logger.setLevel(old)


def test_other_tasks_and_failures_keep_their_level() -> None:
    task_filter = DemoteTaskLines((DISPATCH_TASK,))
    other = _record("celery.app.trace", logging.INFO, "Task tradebot.run_bot_batch[1] received")
    assert task_filter.filter(other) and other.levelno == logging.INFO
    failed = _record("celery.app.trace", logging.ERROR, f"Task {DISPATCH_TASK}[1] raised")
    assert task_filter.filter(failed) and failed.levelno == logging.ERROR
