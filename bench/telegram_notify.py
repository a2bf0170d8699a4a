"""Notifications sustained to many linked chats, and what Telegram's flood limits would say.

Real PostgreSQL (the outbox) and the real sender (`notifications.delivery.deliver`, PTB's
bot through the installation's rate limiter) against the fake Bot API enforcing Telegram's
flood control the way Telegram describes it (about 30 messages a second overall, about one
a second to one chat; a 429 with retry_after past either). First the configured limits
(30/s, 1/s per chat) to `--chats` linked chats plus a burst to one chat; then the same
sender with the limiter lifted, for comparison. Figures are printed, never asserted.

    .venv/bin/python bench/telegram_notify.py --chats 1000 --burst 10
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
import uuid
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.telegram_api import FakeBotApi, FloodLimits

from bench.common import bench_settings, clean_up, create_database
from tradebot import migrate
from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.db import transaction
from tradebot.models import Notification, TelegramLink, User
from tradebot.notifications.delivery import deliver
from tradebot.notifications.outbox import enqueue
from tradebot.telegram.client import make_bot

TOKEN = "7000000002:AA" + "c" * 33
FIRST_CHAT = 100_000


async def add_chats(ctx: AppContext, count: int) -> list[int]:
    """`count` users, each with a linked chat; their ids."""
    async with transaction(ctx.sessions) as s:
        rows = [
            {"email": f"user{i}@bench.example.com", "hashed_password": "x"} for i in range(count)
        ]
        await s.execute(insert(User), rows)
        ids = list((await s.execute(select(User.id).order_by(User.id))).scalars())
        links = [{"user_id": u, "chat_id": FIRST_CHAT + i} for i, u in enumerate(ids)]
        await s.execute(insert(TelegramLink), links)
    return ids


async def queue(ctx: AppContext, users: list[int], run: str, per_user: int = 1) -> int:
    async with transaction(ctx.sessions) as s:
        for n in range(per_user):
            for u in users:
                await enqueue(
                    s, u, "trade", f"bench:{run}:{u}:{n}", f"#1 Bench: BUY 0.01 BTC/USDT ({n})"
                )
    return len(users) * per_user


async def send(
    ctx: AppContext, settings: Settings, api: FakeBotApi, expected: int
) -> tuple[float, int, int]:
    """Deliver until `expected` are sent; (seconds, sent, 429s seen by the fake)."""
    before = len(api.rejected())
    started = time.perf_counter()
    sent = 0
    async with make_bot(settings) as bot:
        while sent < expected:
            report = await deliver(ctx.engine, ctx.sessions, bot, settings, budget=600)
            sent += report.sent
            if report.handled == 0:
                break
    return time.perf_counter() - started, sent, len(api.rejected()) - before


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--chats", type=int, default=1000)
    ap.add_argument("--burst", type=int, default=10, help="messages queued at once to one chat")
    ap.add_argument("--unlimited", type=int, default=300, help="messages sent without limits")
    args = ap.parse_args()
    # The unlimited run draws 429s on purpose: PTB logs each with its traceback.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)

    run = uuid.uuid4().hex[:8]
    name = f"tradebot_bench_{run}"
    dsn = await create_database(name)
    prefix = f"bench-{run}:"
    ctx: AppContext | None = None
    try:
        await migrate.run_async(dsn.replace("postgresql://", "postgresql+asyncpg://"))
        async with FakeBotApi(TOKEN, flood=FloodLimits()) as api:
            settings = bench_settings(dsn, prefix).model_copy(
                update={"telegram_bot_token": SecretStr(TOKEN), "telegram_api_base_url": api.url}
            )
            ctx = AppContext.create(settings)
            users = await add_chats(ctx, args.chats)
            print(
                f"limits: sender {settings.telegram_rate_overall:g}/s overall, "
                f"{settings.telegram_rate_per_chat:g}/s per chat; the fake Bot API enforces "
                f"{api.flood.overall:g}/s and {api.flood.per_chat:g}/s"  # type: ignore[union-attr]
            )

            queued = await queue(ctx, users, "spread")
            seconds, sent, rejected = await send(ctx, settings, api, queued)
            print(
                f"{sent} notifications to {len(users)} chats: {seconds:6.1f} s, "
                f"{sent / seconds:5.1f}/s sustained, 429s from the fake Bot API: {rejected}"
            )

            await asyncio.sleep(1.5)  # let the fake's buckets refill
            queued = await queue(ctx, users[:1], "burst", per_user=args.burst)
            seconds, sent, rejected = await send(ctx, settings, api, queued)
            print(
                f"{sent} notifications queued at once to one chat: {seconds:6.1f} s "
                f"({sent / seconds:4.2f}/s), 429s: {rejected}"
            )

            await asyncio.sleep(1.5)
            lifted = settings.model_copy(
                update={
                    "telegram_rate_overall": 100_000.0,
                    "telegram_rate_per_chat": 100_000.0,
                    "telegram_max_retries": 0,
                }
            )
            some = users[: args.unlimited]
            queued = await queue(ctx, some, "unlimited")
            seconds, sent, rejected = await send(ctx, lifted, api, queued)
            print(
                f"without the limiter, {queued} to {len(some)} chats: {sent} accepted, "
                f"429s: {rejected} ({rejected / queued:.0%} refused)"
            )
            async with ctx.sessions() as s:
                pending = await s.scalar(
                    select(text("count(*)"))
                    .select_from(Notification)
                    .where(Notification.sent_at.is_(None))
                )
            print(f"(the refused ones stay queued for a later attempt: {pending} pending)")
    finally:
        if ctx is not None:
            await ctx.close()
        await clean_up([], name, prefix)


if __name__ == "__main__":
    asyncio.run(main())
