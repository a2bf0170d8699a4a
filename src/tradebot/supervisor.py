"""`tradebot up`: embedded services (when no URLs are set), migrations, and supervised children."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from http import HTTPStatus
from http.client import HTTPException
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from tradebot.config import Settings, save_json_0600
from tradebot.embedded import EmbeddedPostgres, EmbeddedRedis
from tradebot.metrics import MULTIPROC_ENV, prepare_dir

log = logging.getLogger("tradebot.up")
STOP_TIMEOUT = 20.0
MAX_RESTARTS = 5  # within RESTART_WINDOW seconds, then `up` gives up
RESTART_WINDOW = 60.0
RUNNING_FILE = "running.json"  # the URLs of the embedded services while `up` runs
API_START_TIMEOUT = 120.0
QUEUES = "cycles,dispatch"  # the bots' worker; backtests and background tasks have their own
# A wildcard bind address is reached on the loopback address of its family.
LOCAL_FOR_ANY = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104


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
            Child(
                "worker",
                [*cli, "worker", "--concurrency", str(worker_concurrency), "--queues", QUEUES],
            ),
            # One process of its own: a long backtest never holds up a bot's cycle.
            Child(
                "backtest-worker",
                [*cli, "worker", "--concurrency", "1", "--queues", "backtests"],
            ),
            # The collector, alarms and notifications: never in the way of the dispatcher.
            Child(
                "background-worker",
                [*cli, "worker", "--concurrency", "1", "--queues", "background"],
            ),
            Child("beat", [*cli, "beat"]),
        ]
        if telegram_polls(settings):
            self.children.append(Child("telegram", [*cli, "telegram"]))
        self._stopping = False
        self._stop_requested = False

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["TRADEBOT_DATA_DIR"] = str(self.data_dir)
        # Every child writes its metrics here; the API's /metrics reports them all.
        env.setdefault(MULTIPROC_ENV, str(self.data_dir / "metrics"))
        return env

    def start_services(self) -> dict[str, str]:
        # Beat keeps its schedule file here even when no embedded service needs the directory.
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = self.env()
        prepare_dir(Path(env[MULTIPROC_ENV]))  # a dead process's samples must not count
        if self.postgres is not None:
            env["DATABASE_URL"] = self.postgres.start()
            log.info("embedded PostgreSQL running in %s", self.postgres.pgdata)
        if self.redis is not None:
            env["REDIS_URL"] = self.redis.start()
            log.info("embedded Redis running in %s", self.redis.db_file.parent)
        if self.postgres is not None or self.redis is not None:
            # Other commands on this data directory (`tradebot deactivate-user`, ...) find them.
            running = {"pid": str(os.getpid())}
            running |= {k: env[k] for k in ("DATABASE_URL", "REDIS_URL")}
            save_json_0600(self.data_dir / RUNNING_FILE, running)
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
        (self.data_dir / RUNNING_FILE).unlink(missing_ok=True)
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop()
        log.info("stopped")

    @property
    def url(self) -> str:
        """Where a user on this machine reaches the API."""
        host = LOCAL_FOR_ANY.get(self.settings.api_host, self.settings.api_host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.settings.api_port}"

    def run(self, env: dict[str, str]) -> int:
        """Start the children and restart any that dies, until a signal asks to stop."""
        self._stop_requested = False

        def _on_signal(signum: int, _frame: object) -> None:
            self._stop_requested = True

        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)
        if _accepts(self.url):
            _say(f"tradebot did not start: something already listens on {self.url}")
            return 1
        for child in self.children:
            child.start(env)
        if not self.wait_for_api():
            return 0 if self._stop_requested else 1
        print(f"tradebot is up: {self.url}  (API docs: {self.url}/docs; Ctrl+C stops)", flush=True)
        print(telegram_status(self.settings), flush=True)
        return self.supervise(env)

    def wait_for_api(self, timeout: float = API_START_TIMEOUT) -> bool:
        """True once the API answers its health check; False (said why) if it cannot."""
        api = self.children[0]
        deadline = time.monotonic() + timeout
        while not self._stop_requested:
            if not api.alive():
                code = api.proc.returncode if api.proc else None
                _say(
                    f"tradebot did not come up: the API exited (code {code}) before it answered "
                    f"on {self.url}; its messages above say why"
                )
                return False
            # Our API's own socket first (another server may answer on a port it just freed),
            # and no request before it: health requests count against the rate limit.
            if _listens(api, self.settings.api_port) and _healthy(self.url):
                return True
            if time.monotonic() > deadline:
                _say(f"tradebot did not come up: no answer on {self.url} in {timeout:.0f} s")
                return False
            time.sleep(0.2)
        return False

    def supervise(self, env: dict[str, str]) -> int:
        """Restart any child that dies, until a signal asks to stop or one keeps dying."""
        while not self._stop_requested:
            time.sleep(0.5)
            for child in self.children:
                if self._stop_requested or child.alive():
                    continue
                now = time.monotonic()
                child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW]
                if len(child.restarts) >= MAX_RESTARTS:
                    log.error("%s keeps exiting; stopping everything", child.name)
                    return 1
                child.restarts.append(now)
                log.warning(
                    "%s exited (code %s); restarting",
                    child.name,
                    child.proc and child.proc.returncode,
                )
                child.start(env)
        return 0


def telegram_polls(settings: Settings) -> bool:
    """Whether `up` runs the bot as a process of its own (webhook mode runs it in the API)."""
    return settings.telegram_bot_token is not None and settings.telegram_mode == "polling"


def telegram_status(settings: Settings) -> str:
    """What `up` says of the Telegram bot: where it runs, or how to turn it on."""
    if settings.telegram_bot_token is None:
        return (
            "Telegram bot: not started (TELEGRAM_BOT_TOKEN is not set; create a bot with "
            "@BotFather and put its token in .env to enable it)"
        )
    if settings.telegram_mode == "webhook":
        return f"Telegram bot: webhook mode, served by the API at {settings.telegram_webhook_url}"
    return "Telegram bot: polling for updates"


def running_services(data_dir: Path) -> dict[str, str]:
    """DATABASE_URL/REDIS_URL of the embedded services a running `tradebot up` started."""
    path = data_dir / RUNNING_FILE
    try:
        running: dict[str, str] = json.loads(path.read_text())
        os.kill(int(running["pid"]), 0)  # that `up` is still running
    except (OSError, ValueError, KeyError):
        return {}
    return {k: running[k] for k in ("DATABASE_URL", "REDIS_URL") if running.get(k)}


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _accepts(url: str) -> bool:
    """True when something accepts TCP connections at `url`'s host and port."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return True
    except OSError:
        return False


# Straight to the API: an HTTP(S)_PROXY in the environment must not carry a local request.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _listens(child: Child, port: int) -> bool:
    """True when `child` itself (uvicorn, in-process) listens on `port`."""
    if child.proc is None:
        return False
    try:
        sockets = psutil.Process(child.proc.pid).net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in sockets)


def _healthy(url: str) -> bool:
    """True when `url` answers /api/v1/health with 200 (the API, not something else)."""
    try:
        with _DIRECT.open(f"{url}/api/v1/health", timeout=2) as response:
            return bool(response.status == HTTPStatus.OK)
    except (OSError, HTTPException):  # refused, reset, timed out, an error status, not HTTP
        return False
