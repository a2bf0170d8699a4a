"""What the benchmarks share: a scratch database and Redis prefix, and tidying up after."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from typing import Any

import asyncpg
from cryptography.fernet import Fernet
from redis import Redis

from tradebot.config import Settings, finalize

PG = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


async def create_database(name: str) -> str:
    """A new database on the benchmark server; returns its plain postgresql:// URL."""
    admin = await asyncpg.connect(PG)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return PG.rsplit("/", 1)[0] + f"/{name}"


async def clean_up(procs: list[subprocess.Popen[bytes]], database: str, prefix: str) -> None:
    """Stop the processes, drop the database, delete the Redis keys of the run."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
    admin = await asyncpg.connect(PG)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()
    r = Redis.from_url(REDIS)
    keys = list(r.scan_iter(match=f"{prefix}*"))
    if keys:
        r.delete(*keys)


def bench_settings(dsn: str, prefix: str, **extra: Any) -> Settings:
    """Settings of a benchmark run: its database and Redis prefix, fresh secrets, quiet logs."""
    return finalize(
        Settings(  # type: ignore[call-arg]
            _env_file=None,
            TRADEBOT_DATA_DIR=tempfile.mkdtemp(prefix="tradebot-bench-"),
            DATABASE_URL=dsn,
            REDIS_URL=REDIS,
            REDIS_KEY_PREFIX=prefix,
            JWT_SECRET="bench-" + "x" * 40,
            ENCRYPTION_KEYS=Fernet.generate_key().decode(),
            LOG_LEVEL="WARNING",
            **extra,
        )
    )
