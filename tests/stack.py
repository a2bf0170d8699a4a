"""The PostgreSQL and Redis a test run uses, chosen once per run by TRADEBOT_TEST_STACK.

- `services` (default): TEST_DATABASE_URL / TEST_REDIS_URL, else the servers on 127.0.0.1;
  whichever of them does not answer is replaced by its embedded counterpart.
- `embedded`: the embedded PostgreSQL and Redis that `tradebot up` starts (same classes), even
  when the machine's servers answer, so the suite proves the default stack.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import asyncpg
import pytest
import redis

from tradebot.embedded import EmbeddedPostgres, EmbeddedRedis

STACK_VARIABLE = "TRADEBOT_TEST_STACK"
STACKS = ("services", "embedded")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def selected_stack() -> str:
    """The stack named by TRADEBOT_TEST_STACK; a value that names none stops the run."""
    name = os.environ.get(STACK_VARIABLE, "").strip().lower() or "services"
    if name not in STACKS:
        raise pytest.UsageError(f"{STACK_VARIABLE}={name!r}: expected one of {', '.join(STACKS)}")
    return name


def reachable(url: str, default_port: int) -> bool:
    """A TCP connection to the URL's host and port succeeds within a second."""
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            return True
    except OSError:
        return False


async def _postgres_version(url: str) -> str:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return str(await conn.fetchval("SHOW server_version")).split()[0]
    finally:
        await conn.close()


def _redis_version(url: str) -> str:
    client = redis.Redis.from_url(url)
    try:
        return str(client.info("server")["redis_version"])
    finally:
        client.close()


@dataclass
class RunStack:
    """The servers of one test run: admin PostgreSQL URL, Redis URL, and what they are."""

    name: str
    postgres_url: str
    redis_url: str
    embedded_postgres: bool
    embedded_redis: bool
    postgres_version: str = "?"
    redis_version: str = "?"
    _servers: list[EmbeddedPostgres | EmbeddedRedis] = field(default_factory=list)
    _tmp: Path | None = None

    def describe(self) -> str:
        """One line for the run's log, e.g. `stack: embedded (PostgreSQL 18.1, Redis 6.2.14)`."""
        pg = f"PostgreSQL {self.postgres_version}" + (
            " embedded" if self.embedded_postgres and self.name == "services" else ""
        )
        rd = f"Redis {self.redis_version}" + (
            " embedded" if self.embedded_redis and self.name == "services" else ""
        )
        fallback = ""
        if self.name == "services" and (self.embedded_postgres or self.embedded_redis):
            fallback = ", embedded where nothing answered"
        return f"stack: {self.name} ({pg}, {rd}{fallback})"

    def stop(self) -> None:
        for server in reversed(self._servers):
            server.stop()
        self._servers.clear()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def start_stack(name: str) -> RunStack:
    """Find or start the servers of stack `name`, and read their versions."""
    tmp = Path(tempfile.mkdtemp(prefix="tradebot-test-stack-"))
    if name == "embedded":
        pg, rd = "", ""
    else:
        pg = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
        rd = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS)
        pg = pg if reachable(pg, 5432) else ""
        rd = rd if reachable(rd, 6379) else ""
    stack = RunStack(name, pg, rd, embedded_postgres=not pg, embedded_redis=not rd, _tmp=tmp)
    try:
        if not pg:
            # Exactly as `tradebot up` starts it; tests create their databases next to
            # `tradebot`, so they connect to `postgres` for that.
            pg_server = EmbeddedPostgres(tmp)
            stack._servers.append(pg_server)
            stack.postgres_url = pg_server.start().replace("/tradebot?", "/postgres?")
        if not rd:
            redis_server = EmbeddedRedis(tmp)
            stack._servers.append(redis_server)
            stack.redis_url = redis_server.start()
        stack.postgres_version = asyncio.run(_postgres_version(stack.postgres_url))
        stack.redis_version = _redis_version(stack.redis_url)
    except BaseException:
        stack.stop()
        raise
    return stack


def in_ci() -> bool:
    """CI=true (as CI services export it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require_in_ci(reason: str) -> NoReturn:
    """Skip a test whose outside system is missing; under CI its absence is a failure."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: required)", pytrace=False)
    pytest.skip(reason)
