"""`tradebot up`: embedded services (when no URLs are set), migrations, and supervised children."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from tradebot.config import Settings
from tradebot.embedded import EmbeddedPostgres, EmbeddedRedis

log = logging.getLogger("tradebot.up")
STOP_TIMEOUT = 20.0
MAX_RESTARTS = 5  # within RESTART_WINDOW seconds, then `up` gives up
RESTART_WINDOW = 60.0


@dataclass
class Child:
    name: str
    args: list[str]
    proc: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self, env: dict[str, str]) -> None:
        # Own session: a terminal Ctrl+C reaches `up` alone, which then stops children in order.
        self.proc = subprocess.Popen(self.args, env=env, start_new_session=True)  # noqa: S603
        log.info("started %s (pid %d)", self.name, self.proc.pid)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, deadline: float) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in time; killing it", self.name)
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Stack:
    """Starts and stops everything `tradebot up` runs, in order."""

    def __init__(self, settings: Settings, worker_concurrency: int) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir.resolve()
        self.postgres = EmbeddedPostgres(self.data_dir) if not settings.database_url else None
        self.redis = EmbeddedRedis(self.data_dir) if not settings.redis_url else None
        cli = [sys.executable, "-m", "tradebot.cli"]
        self.children = [
            Child("api", [*cli, "api"]),
            Child("worker", [*cli, "worker", "--concurrency", str(worker_concurrency)]),
            Child("beat", [*cli, "beat"]),
        ]
        self._stopping = False

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["TRADEBOT_DATA_DIR"] = str(self.data_dir)
        return env

    def start_services(self) -> dict[str, str]:
        env = self.env()
        if self.postgres is not None:
            env["DATABASE_URL"] = self.postgres.start()
            log.info("embedded PostgreSQL running in %s", self.postgres.pgdata)
        if self.redis is not None:
            env["REDIS_URL"] = self.redis.start()
            log.info("embedded Redis running in %s", self.redis.db_file.parent)
        return env

    def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        for child in self.children:
            child.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in self.children:
            child.wait(deadline)
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop()
        log.info("stopped")

    def run(self, env: dict[str, str]) -> int:
        """Start the children and restart any that dies, until a signal asks to stop."""
        stop_requested = False

        def _on_signal(signum: int, _frame: object) -> None:
            nonlocal stop_requested
            stop_requested = True

        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)
        for child in self.children:
            child.start(env)
        url = f"http://{self.settings.api_host}:{self.settings.api_port}"
        print(f"tradebot is up: {url}  (API docs: {url}/docs; Ctrl+C stops)", flush=True)
        code = 0
        while not stop_requested:
            time.sleep(0.5)
            for child in self.children:
                if stop_requested or child.alive():
                    continue
                now = time.monotonic()
                child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW]
                if len(child.restarts) >= MAX_RESTARTS:
                    log.error("%s keeps exiting; stopping everything", child.name)
                    stop_requested, code = True, 1
                    break
                child.restarts.append(now)
                log.warning(
                    "%s exited (code %s); restarting",
                    child.name,
                    child.proc and child.proc.returncode,
                )
                child.start(env)
        return code
