"""What the installation's parts say of themselves: heartbeats, queue depths, checks.

Heartbeats are Redis keys holding the epoch second a part last showed it is alive: the
worker on every dispatcher run (which Beat schedules every second), Beat on every task it
sends, the Telegram bot every few seconds while it polls. `/ready`, `/metrics` and
`tradebot doctor` read them with the database, Redis and broker checks here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text

from tradebot.context import AppContext
from tradebot.redis_client import Keys
from tradebot.worker.factory import QUEUE_KINDS, make_celery, queue_name

CHECK_TIMEOUT = 2.0
HEARTBEAT_TTL = 3600
COMPONENTS = ("worker", "beat", "telegram")
TELEGRAM_BEAT = 10.0  # seconds between the polling bot's heartbeats


def heartbeat_key(keys: Keys, component: str) -> str:
    return f"{keys.prefix}heartbeat:{component}"


async def beat(redis: Redis, keys: Keys, component: str, now: float | None = None) -> None:
    """`component` is alive now."""
    stamp = time.time() if now is None else now
    await redis.set(heartbeat_key(keys, component), f"{stamp:.3f}", ex=HEARTBEAT_TTL)


async def heartbeats(redis: Redis, keys: Keys) -> dict[str, float | None]:
    """When each component last showed it is alive (epoch seconds); None if not this hour."""
    raw = await redis.mget([heartbeat_key(keys, c) for c in COMPONENTS])
    return {c: (float(v) if v else None) for c, v in zip(COMPONENTS, raw, strict=True)}


async def heartbeat_ages(redis: Redis, keys: Keys) -> dict[str, float | None]:
    """Seconds since each component's last heartbeat; None for one never seen (this hour)."""
    now = time.time()
    found = await heartbeats(redis, keys)
    return {c: (None if at is None else max(0.0, now - at)) for c, at in found.items()}


def queue_depths_sync(settings: Any) -> dict[str, int]:
    """Messages waiting in each of the installation's queues (Redis or RabbitMQ broker)."""
    app = make_celery(settings)
    depths: dict[str, int] = {}
    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT)
        channel = conn.default_channel
        for kind in QUEUE_KINDS:
            name = queue_name(settings, kind)
            try:
                depths[kind] = int(channel.queue_declare(queue=name, passive=True).message_count)
            except Exception:  # a queue nobody declared yet holds nothing
                depths[kind] = 0
                channel = conn.channel()
    return depths


async def queue_depths(settings: Any) -> dict[str, int]:
    return await asyncio.wait_for(asyncio.to_thread(queue_depths_sync, settings), CHECK_TIMEOUT * 2)


@dataclass
class Check:
    """One part's state: ok, what is wrong, and how old its last sign of life is."""

    name: str
    ok: bool
    detail: str
    age_seconds: float | None = None

    def as_json(self) -> dict[str, Any]:
        found = asdict(self)
        del found["name"], found["ok"]
        found["status"] = "ok" if self.ok else "unavailable"
        if found["age_seconds"] is not None:
            found["age_seconds"] = round(found["age_seconds"], 1)
        return found


async def _probe(name: str, probe: Callable[[], Awaitable[str]]) -> Check:
    try:
        return Check(name, True, await asyncio.wait_for(probe(), CHECK_TIMEOUT * 2))
    except Exception as exc:  # any failure means not ready; say which kind
        return Check(name, False, f"unavailable ({type(exc).__name__})")


def stale_after(ctx: AppContext, component: str) -> float:
    """How old a heartbeat may be before its component counts as gone."""
    if component == "telegram":
        return TELEGRAM_BEAT * 3
    return max(15.0, ctx.settings.dispatch_interval * 10)


def telegram_expected(ctx: AppContext) -> bool:
    s = ctx.settings
    return s.telegram_bot_token is not None and s.telegram_mode == "polling"


async def service_checks(ctx: AppContext) -> list[Check]:
    """What the API itself needs: the database, Redis, the broker."""

    async def database() -> str:
        async with ctx.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return "ok"

    async def redis() -> str:
        await ctx.redis.ping()
        return "ok"

    async def broker() -> str:
        depths = await queue_depths(ctx.settings)
        return "ok, waiting: " + ", ".join(f"{k} {v}" for k, v in depths.items())

    return list(
        await asyncio.gather(
            _probe("database", database), _probe("redis", redis), _probe("broker", broker)
        )
    )


async def job_checks(ctx: AppContext) -> list[Check]:
    """The worker, Beat and (when configured to poll) the Telegram bot, by heartbeat age."""
    try:
        ages = await heartbeat_ages(ctx.redis, ctx.keys)
    except Exception as exc:
        return [Check(c, False, f"unknown ({type(exc).__name__})") for c in COMPONENTS]
    found = []
    for component in COMPONENTS:
        if component == "telegram" and not telegram_expected(ctx):
            found.append(Check(component, True, "not configured"))
            continue
        age, limit = ages[component], stale_after(ctx, component)
        if age is None:
            found.append(Check(component, False, "never seen"))
        elif age > limit:
            found.append(Check(component, False, f"silent for {age:.0f} s", age))
        else:
            found.append(Check(component, True, "ok", age))
    return found
