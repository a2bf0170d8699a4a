"""A notification worker killed mid-send: nothing lost, nothing told twice.

Real Celery worker and Beat processes send a burst to one chat through the fake Bot API,
spaced by the per-chat limit; the worker is SIGKILLed between two messages, a new one takes
over once the dead one's claims lapse, and every message arrives exactly once, in order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import Api
from tests.engine.processes import Stack, stack_env
from tests.fakes.telegram_api import FakeBotApi
from tests.telegram.conftest import TOKEN, link_chat
from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.db import transaction
from tradebot.models import Notification
from tradebot.notifications.outbox import enqueue

pytestmark = pytest.mark.slow
CHAT = 9001
COUNT = 12


@pytest.fixture
def stack(settings: Settings, tmp_path: Path, bot_api: FakeBotApi) -> Iterator[Stack]:
    env = stack_env(
        settings,
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=bot_api.url,
        TELEGRAM_RATE_PER_CHAT="4",
        NOTIFY_INTERVAL_SECONDS="0.5",
        NOTIFY_CLAIM_SECONDS="2",
    )
    made = Stack(env, tmp_path)
    yield made
    made.stop_all()


async def _until(check: object, timeout: float, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}\n{stack.logs()[-4000:]}")


async def test_worker_killed_mid_burst_loses_and_repeats_nothing(
    alice: Api, ctx: AppContext, bot_api: FakeBotApi, stack: Stack
) -> None:
    await link_chat(ctx, alice.user_id, CHAT)
    texts = [f"message {i:02d}" for i in range(COUNT)]
    async with transaction(ctx.sessions) as s:
        for i, text in enumerate(texts):
            await enqueue(s, alice.user_id, "alarm", f"alarm:burst:{i}", text)
    stack.beat()
    first = stack.worker(concurrency=1)
    await _until(lambda: len(bot_api.sent(CHAT)) >= 4, 60, "the first messages", stack)
    # Between two messages: the 4th answered and marked, the 5th not due for ~250 ms.
    await asyncio.sleep(0.1)
    stack.kill9(first)
    seen = len(bot_api.sent(CHAT))
    assert 4 <= seen < COUNT
    stack.worker(concurrency=1)
    await _until(lambda: len(bot_api.sent(CHAT)) >= COUNT, 60, "the rest", stack)
    await asyncio.sleep(1.5)  # time for any repeat to show
    assert [c.text for c in bot_api.sent(CHAT)] == texts
    async with ctx.sessions() as s:
        unsent = await s.scalar(
            select(func.count()).select_from(Notification).where(Notification.sent_at.is_(None))
        )
    assert unsent == 0
    assert TOKEN not in stack.logs()  # the workers' and Beat's logs never hold the token
