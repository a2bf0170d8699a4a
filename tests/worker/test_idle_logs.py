"""Real worker and beat processes: the dispatcher's ticks stay out of the INFO log."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import Api
from tests.engine.conftest import make_due
from tests.engine.processes import Stack, stack_env, wait_for
from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.worker.dispatch_log import WINDOW_SECONDS

pytestmark = pytest.mark.slow
IDLE_SECONDS = 8  # 16 dispatcher ticks at the stack's 0.5 s interval


# A log line (not Celery's start-up banner, which lists the tasks): time, [level], message.
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z \[(?P<level>[a-z]+)\s*\] ")


def _info_lines(stack: Stack, *words: str) -> list[str]:
    """Log lines at INFO or louder that mention any of `words`."""
    found = []
    for line in stack.logs().splitlines():
        match = LOG_LINE.match(line)
        if match and match["level"] != "debug" and any(w in line for w in words):
            found.append(line)
    return found


def _dispatch_lines(stack: Stack) -> list[str]:
    """Celery's INFO lines about the dispatcher's task: received, succeeded, sent by beat."""
    return _info_lines(stack, "dispatch_due_bots", "Sending due task")


async def test_idle_dispatcher_logs_nothing_and_cycles_still_log(
    alice: Api, ctx: AppContext, settings: Settings, tmp_path: Path
) -> None:
    epoch = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    stack = Stack(stack_env(settings, tmp_path, DEMO_SPEED="600", DEMO_EPOCH=epoch), tmp_path)
    try:
        stack.worker()
        stack.beat()
        wait_for(lambda: " ready." in stack.logs(), 60, "the worker", stack.logs)
        wait_for(lambda: "beat: Starting" in stack.logs(), 30, "beat", stack.logs)
        await asyncio.sleep(IDLE_SECONDS)
        assert _dispatch_lines(stack) == []
        assert _info_lines(stack, "dispatch") == []  # no summary either: nothing went out
        # ... while the dispatcher did run: its first tick claimed the previous minute's report.
        minute = int(time.time() // WINDOW_SECONDS)
        claimed = [
            await ctx.redis.exists(f"{settings.redis_key_prefix}dispatch:tally:{m}:reported")
            for m in (minute - 2, minute - 1)
        ]
        assert any(claimed)

        # A bot's cycles dispatched by the dispatcher keep their INFO lines.
        bot = await alice.create_bot(name="logged", timeframe="1m", check_interval_seconds=10)
        assert (await alice.request("POST", f"/bots/{bot['id']}/start")).status_code == 200
        deadline = time.monotonic() + 60
        while not _info_lines(stack, "Task tradebot.run_bot_batch"):
            assert time.monotonic() < deadline, stack.logs()[-6000:]
            await make_due(ctx, bot["id"])
            await asyncio.sleep(0.5)
        await alice.request("POST", f"/bots/{bot['id']}/stop")
        assert _dispatch_lines(stack) == []
    finally:
        stack.stop_all()
