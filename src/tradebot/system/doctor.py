"""`tradebot doctor`: every part's state in one table, and whether all is well.

The database (server version, migration revision against the code's), Redis (version),
the broker and its queue depths, the worker, Beat and the Telegram bot (heartbeat ages),
and the exchange weight used this minute against the budget.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

from alembic.script import ScriptDirectory
from sqlalchemy import text

from tradebot import __version__
from tradebot.engine.context import EngineContext
from tradebot.migrate import alembic_config
from tradebot.system import health


@dataclass(frozen=True)
class Row:
    part: str
    ok: bool
    detail: str


def head_revision(database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


async def _database(ctx: EngineContext) -> Row:
    try:
        async with ctx.engine.connect() as conn:
            version = await conn.scalar(text("SHOW server_version"))
            migrated = await conn.scalar(text("SELECT to_regclass('alembic_version')"))
            current = (
                await conn.scalar(text("SELECT version_num FROM alembic_version"))
                if migrated
                else None
            )
    except Exception as exc:
        return Row("database", False, f"unavailable ({type(exc).__name__})")
    head = head_revision(str(ctx.settings.database_url))
    if current != head:
        have = f"schema {current}" if current else "no schema yet"
        need = f"{have}, the code needs {head}: run `tradebot migrate`"
        return Row("database", False, f"PostgreSQL {version}, {need}")
    return Row("database", True, f"PostgreSQL {version}, schema at {current} (latest)")


async def _redis(ctx: EngineContext) -> Row:
    try:
        info = await ctx.redis.info("server")
    except Exception as exc:
        return Row("redis", False, f"unavailable ({type(exc).__name__})")
    return Row("redis", True, f"Redis {info.get('redis_version', '?')}")


async def _budget(ctx: EngineContext) -> Row:
    try:
        parts = []
        for name, governor in (("spot", ctx.governor), ("futures", ctx.futures_governor)):
            used = await governor.used()
            wait = await governor.banned_for()
            ban = f", banned for {wait:.0f} s" if wait else ""
            parts.append(f"{name} {used}/{governor.budget}{ban}")
    except Exception as exc:
        return Row("exchange budget", False, f"unknown ({type(exc).__name__})")
    return Row("exchange budget", True, "weight this minute: " + ", ".join(parts))


async def diagnose(ctx: EngineContext) -> list[Row]:
    rows = [Row("tradebot", True, f"{__version__} on Python {platform.python_version()}")]
    rows.append(await _database(ctx))
    rows.append(await _redis(ctx))
    for check in await health.service_checks(ctx):
        if check.name == "broker":
            url = ctx.settings.broker_url.split("://", 1)[0]
            rows.append(Row("broker", check.ok, f"{url}: {check.detail}"))
    for check in await health.job_checks(ctx):
        age = f" (last seen {check.age_seconds:.1f} s ago)" if check.age_seconds is not None else ""
        rows.append(Row(check.name, check.ok, check.detail + age))
    rows.append(await _budget(ctx))
    return rows


def table(rows: list[Row]) -> str:
    width = max(len(r.part) for r in rows)
    lines = [f"{'part':<{width}}  state  detail"]
    lines += [f"{r.part:<{width}}  {'ok' if r.ok else 'FAIL':<5}  {r.detail}" for r in rows]
    return "\n".join(lines)
