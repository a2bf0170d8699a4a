"""The browser suite: Debian's Chromium through Playwright against a real `tradebot up`.

One `tradebot up` per module, on the run's PostgreSQL (a fresh database) and Redis (its own
key prefix), with a fast demo market and the dashboard built from this tree. Without Chromium,
Playwright or Node the suite skips, and under CI=true it fails instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import psutil
import pytest
from cryptography.fernet import Fernet

from tests.conftest import create_database, drop_database, free_port
from tests.engine.processes import wait_for

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
ARTIFACTS = ROOT / "test-artifacts"
AXE = FRONTEND / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
UP_LINE = "tradebot is up: "
T = TypeVar("T")
# One worker process: the machine's cores are shared with the browser.
UP_COMMAND = [sys.executable, "-m", "tradebot.cli", "up", "--concurrency", "1"]


def unavailable(reason: str) -> None:
    """Skip with `reason`, or fail under CI, where the browser suite must run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser suite cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on a thread of its own: Playwright's sync API keeps a loop on this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _node(*args: str, cwd: Path, timeout: float) -> None:
    env = os.environ | {"VENV_PYTHON": sys.executable}
    r = subprocess.run(
        [str(ROOT / "scripts" / "node.sh"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")


@pytest.fixture(scope="session")
def ui_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dashboard built from this tree's sources (UI_DIST_DIR to use a build as it is)."""
    given = os.environ.get("UI_DIST_DIR")
    if given:
        return Path(given)
    env = os.environ | {"VENV_PYTHON": sys.executable}
    probe = subprocess.run(
        [str(ROOT / "scripts" / "node.sh"), "node", "--version"],
        env=env,
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        unavailable(f"no Node to build the dashboard: {probe.stderr.strip()}")
    if not (FRONTEND / "node_modules" / ".bin" / "vite").exists():
        _node("npm", "ci", "--no-audit", "--no-fund", cwd=FRONTEND, timeout=300)
    out = tmp_path_factory.mktemp("ui") / "dist"
    # Vite alone (the type check is `make ui-test`'s): a second or two.
    _node("npx", "vite", "build", "--outDir", str(out), "--emptyOutDir", cwd=FRONTEND, timeout=180)
    return out


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("Playwright is not installed (pip install 'playwright>=1.50,<2')")
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@dataclass
class Up:
    """A running `tradebot up` and what a test needs to reach it."""

    proc: subprocess.Popen[bytes]
    url: str
    database_url: str
    log: Path
    env: dict[str, str]

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"

    def logs(self) -> str:
        return self.log.read_text(errors="replace")

    def poke(self) -> None:
        """Make running bots due now, so the suite need not sit out their 10 s interval."""

        async def run() -> None:
            conn = await asyncpg.connect(self.database_url.replace("+asyncpg", ""))
            try:
                await conn.execute(
                    "UPDATE bot_states SET next_run_at = now() "
                    "WHERE status = 'running' AND next_run_at > now()"
                )
            finally:
                await conn.close()

        run_async(run())

    def api_process(self) -> psutil.Process:
        for child in psutil.Process(self.proc.pid).children(recursive=True):
            if child.cmdline()[-1:] == ["api"]:
                return child
        raise AssertionError(f"no API process under tradebot up\n{self.logs()[-3000:]}")

    def kill_api(self) -> int:
        """Kill the API process (the supervisor starts a new one); its pid."""
        api = self.api_process()
        api.send_signal(signal.SIGKILL)
        api.wait(10)
        return api.pid


@pytest.fixture(scope="module")
def up(
    chromium_path: Path,
    services: tuple[str, str],
    ui_dist: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Up]:
    """`tradebot up` on a fresh database, a fast demo market and this tree's dashboard."""
    admin, redis_url = services
    name = f"tradebot_e2e_{uuid.uuid4().hex[:10]}"
    database_url = run_async(create_database(admin, name))
    tmp = tmp_path_factory.mktemp("up")
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "TRADEBOT_"))
    }
    env.update(
        TRADEBOT_ENV="dev",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=f"e2e-{name}:",
        JWT_SECRET="e2e-jwt-secret-" + "x" * 32,
        ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        UI_DIST_DIR=str(ui_dist),
        # One market hour per 6 s, started 2 h (real) ago so the indicators are warm.
        DEMO_SPEED="600",
        DEMO_EPOCH=(datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        DISPATCH_INTERVAL_SECONDS="0.5",
        TICKER_TTL_SECONDS="0.5",
        LEASE_MARGIN_SECONDS="3",
        HEALTH_RATE_LIMIT="1000/minute",
        SSE_PING_SECONDS="5",
        LOG_LEVEL="INFO",
    )
    log = tmp / "up.log"
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            [*UP_COMMAND, "--data-dir", str(tmp / "data"), "--port", str(port)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp,
        )
    stack = Up(proc, f"http://127.0.0.1:{port}", database_url, log, env)
    try:

        def started() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"tradebot up exited early:\n{stack.logs()[-4000:]}")
            return UP_LINE in stack.logs()

        wait_for(started, 90, "tradebot up to print its URL", stack.logs)
        assert httpx.get(f"{stack.url}/", timeout=5).status_code == 200, "no dashboard at /"
        yield stack
    finally:
        children = psutil.Process(proc.pid).children(recursive=True) if proc.poll() is None else []
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        psutil.wait_procs(children, timeout=10)
        run_async(drop_database(admin, name))
        if ARTIFACTS.exists():
            shutil.copy(log, ARTIFACTS / "up.log")


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE.exists():
        unavailable(f"axe-core is missing ({AXE}): npm ci in frontend/")
    return AXE


@pytest.fixture(autouse=True)
def _isolate() -> None:
    """The suite's per-test cleanup is for its in-process app; this suite has its own stack
    and database (and Playwright's sync API keeps an event loop running, which an async
    fixture cannot be set up under)."""
