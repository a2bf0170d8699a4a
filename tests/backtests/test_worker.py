"""A backtest job end to end: the API queues it, a real `tradebot worker` process consuming
only the backtests queue runs it, progress events reach the owner's stream."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.backtests.test_jobs import expected, submit
from tests.conftest import Api
from tests.engine.processes import Stack, stack_env
from tradebot.config import Settings
from tradebot.context import AppContext

pytestmark = pytest.mark.slow


@pytest.fixture
def backtest_worker(settings: Settings, tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(stack_env(settings, tmp_path), tmp_path)
    stack.start("worker", "--concurrency", "1", "--queues", "backtests")
    yield stack
    stack.stop_all()


async def test_a_worker_runs_a_demo_job_with_progress_on_the_stream(
    alice: Api, ctx: AppContext, backtest_worker: Stack
) -> None:
    job = await submit(alice, bars=20_000)  # 1.2 million demo minutes: six chunks
    deadline = time.monotonic() + 90
    got: dict[str, Any] = {}
    while time.monotonic() < deadline:
        got = (await alice.request("GET", f"/backtests/{job['id']}")).json()
        if got["status"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.3)
    assert got["status"] == "done", (got, backtest_worker.logs()[-4000:])
    want = expected(got["params"], ctx.settings)
    assert got["result"]["metrics"]["num_trades"] == len(want.trades) > 0
    assert [Decimal(t["pnl"]) for t in got["result"]["trades"]] == [t.pnl for t in want.trades]
    entries = await ctx.redis.xrange(ctx.keys.events_stream(alice.user_id))
    events = [json.loads(fields["data"]) for _, fields in entries]
    mine = [e for e in events if e.get("type") == "backtest" and e["id"] == job["id"]]
    statuses = [e["status"] for e in mine]
    assert statuses[0] == "queued" and statuses[-1] == "done" and "running" in statuses
    progress = [e["progress"] for e in mine if e["status"] == "running"]
    assert len(progress) >= 3 and progress == sorted(progress) and 0 < progress[-1] < 100
    assert mine[-1]["progress"] == 100
