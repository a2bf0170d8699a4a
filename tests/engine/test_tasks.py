"""The Celery tasks, run eagerly in this process: retries keep their lease token, countdowns
stay within what the broker can hold."""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from tests.conftest import RUN_ID, Api
from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.engine import runner
from tradebot.engine.runner import BatchResult
from tradebot.models import BotState


@pytest.fixture
def tasks(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`tradebot.worker.tasks` configured, as a worker process is, from the environment."""
    env = {
        "TRADEBOT_ENV": "dev",
        "TRADEBOT_DATA_DIR": str(tmp_path),
        "DATABASE_URL": str(settings.database_url),
        "REDIS_URL": str(settings.redis_url),
        "REDIS_KEY_PREFIX": f"test-{RUN_ID}:",
        "JWT_SECRET": settings.jwt_secret.get_secret_value(),  # type: ignore[union-attr]
        "ENCRYPTION_KEYS": ",".join(settings.fernet_keys),
        "CHAIN_MAX_COUNTDOWN": "600",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from tradebot.config import get_settings

    get_settings.cache_clear()
    module: ModuleType = (
        importlib.reload(sys.modules["tradebot.worker.tasks"])
        if "tradebot.worker.tasks" in sys.modules
        else importlib.import_module("tradebot.worker.tasks")
    )
    yield module
    module.runtime.shutdown()
    get_settings.cache_clear()


async def _in_worker_thread(tasks: Any, fn: Any, *args: Any) -> Any:
    """Run `fn` where a worker would: a thread with its own event loop and engine."""

    def call() -> Any:
        try:
            return fn(*args)
        finally:
            tasks.runtime.shutdown()

    return await asyncio.to_thread(call)


async def test_a_retried_batch_reclaims_its_own_leases_at_once(
    tasks: Any, alice: Api, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = await alice.create_bot(timeframe="1m")
    await alice.request("POST", f"/bots/{bot['id']}/start")
    real_load = runner._load
    calls: list[int] = []

    async def flaky_load(session: Any, ids: Any) -> Any:
        calls.append(len(ids))
        if len(calls) == 1:  # the database drops the connection after the claim
            raise DBAPIError("SELECT ...", None, OSError("connection reset"))
        return await real_load(session, ids)

    monkeypatch.setattr(runner, "_load", flaky_load)
    # The retry runs at once (eagerly), long before the first attempt's lease expires.
    await _in_worker_thread(tasks, lambda: tasks.run_bot_batch.apply(args=([bot["id"]],)).get())
    assert calls == [1, 1]  # the retry found the bot it had claimed
    async with ctx.sessions() as s:
        st = await s.get(BotState, bot["id"])
        assert st is not None
        assert st.cycle_count == 1 and st.lease_token is None


def test_countdowns_never_exceed_what_the_broker_holds(
    tasks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[Any, float]] = []
    monkeypatch.setattr(
        tasks.run_bot_strategy_cycle,
        "apply_async",
        lambda args, countdown: sent.append((args, countdown)),
    )

    def follow_up(result: BatchResult) -> None:
        try:
            tasks._follow_up(result)
        finally:
            tasks.runtime.shutdown()

    # a 418 ban's Retry-After of two hours: the dispatcher takes the bot when it is due
    follow_up(BatchResult(retry={1: 7200.0, 2: 30.0}))
    assert sent == [((2,), 30.0)]
