"""Scale-out on one box: two API processes behind Nginx, three workers and Beat on one
PostgreSQL and Redis. Bots of several users, started through Nginx, cycle on every worker,
each live bot's order is placed exactly once, and both API processes take requests."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from tests.conftest import free_port, secret_marker
from tests.engine.processes import stack_env
from tests.engine.scripted import golden_cross_closes
from tests.fakes.binance import FakeBinance
from tests.test_deploy import tool
from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.models import BotState, Trade

pytestmark = pytest.mark.slow
USERS, LIVE, DEMO, WORKERS = 4, 3, 3, 3
PASSWORD = "a long password 1"


class Processes:
    """Every process of the test, each with its own log file and environment."""

    def __init__(self, base: dict[str, str], logdir: Path) -> None:
        self.base, self.logdir = base, logdir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, args: list[str], **env: str) -> subprocess.Popen[bytes]:
        log = (self.logdir / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            args, env=self.base | env, stdout=log, stderr=subprocess.STDOUT, cwd=self.logdir
        )
        self.procs.append(proc)
        return proc

    def tradebot(self, name: str, *args: str, metrics_dir: Path | None = None) -> None:
        env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)} if metrics_dir else {}
        if metrics_dir:
            metrics_dir.mkdir(parents=True)
        self.start(name, [sys.executable, "-m", "tradebot.cli", *args], **env)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logdir.glob("*.log")))

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


def nginx_conf(tmp: Path, port: int, apis: list[int]) -> Path:
    servers = "\n".join(f"    server 127.0.0.1:{p};" for p in apis)
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"""pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{}}
http {{
  access_log off;
  upstream tradebot_api {{
{servers}
    keepalive 16;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://tradebot_api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }}
  }}
}}
"""
    )
    return conf


@pytest.fixture
def box(
    settings: Settings, tmp_path: Path, fake: FakeBinance
) -> Iterator[tuple[Processes, dict[str, int]]]:
    closes = [round(c * 600, 2) for c in golden_cross_closes()]
    fake.set_closes("BTCUSDT", closes)
    fake.set_price("BTCUSDT", Decimal(str(closes[-1])))
    base = stack_env(
        settings,
        tmp_path,
        BINANCE_BASE_URL=fake.url,
        FORWARDED_ALLOW_IPS="127.0.0.1",
        CYCLE_BATCH_SIZE="10",  # a live bot per task, so every worker gets some
        HEALTH_RATE_LIMIT="10000/minute",
    )
    procs = Processes(base, tmp_path)
    ports = {"nginx": free_port(), "api0": free_port(), "api1": free_port()}
    try:
        for i in range(2):
            port = str(ports[f"api{i}"])
            procs.tradebot(f"api{i}", "api", "--port", port, metrics_dir=tmp_path / f"m-api{i}")
        for i in range(WORKERS):
            ports[f"worker{i}"] = free_port()
            procs.tradebot(
                f"worker{i}",
                "worker",
                "--queues",
                "cycles,dispatch",
                "--concurrency",
                "1",
                "--metrics-port",
                str(ports[f"worker{i}"]),
                metrics_dir=tmp_path / f"m-worker{i}",
            )
        procs.tradebot("beat", "beat")
        conf = nginx_conf(tmp_path, ports["nginx"], [ports["api0"], ports["api1"]])
        procs.start(
            "nginx", [tool("nginx"), "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"]
        )
        yield procs, ports
    finally:
        procs.stop()


async def _until(check: object, timeout: float, what: str, procs: Processes) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if await check():  # type: ignore[operator]
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}\n{procs.logs()[-6000:]}")


def _samples(text: str, name: str) -> dict[str, float]:
    return {
        ",".join(f"{k}={v}" for k, v in sorted(s.labels.items())): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == name
    }


async def test_bots_of_many_users_cycle_on_every_worker_once_each(
    box: tuple[Processes, dict[str, int]], ctx: AppContext, fake: FakeBinance
) -> None:
    procs, ports = box
    front = f"http://127.0.0.1:{ports['nginx']}/api/v1"
    async with httpx.AsyncClient(base_url=front, timeout=10, trust_env=False) as http:
        await _until(lambda: _ready(http), 60, "both APIs behind Nginx", procs)
        live_ids: dict[str, list[int]] = {}
        all_ids: list[int] = []
        for u in range(USERS):
            email = f"scale{u}@example.com"
            assert (
                await http.post("/auth/register", json={"email": email, "password": PASSWORD})
            ).status_code == 201
            token = (
                await http.post("/auth/login", json={"email": email, "password": PASSWORD})
            ).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            key, secret = secret_marker(f"scale-key-{u}"), secret_marker(f"scale-secret-{u}")
            fake.add_account(key, secret, {"USDT": "100000"})
            made = await http.post(
                "/api-keys", json={"label": "k", "api_key": key, "secret_key": secret}, headers=auth
            )
            key_id = made.json()["id"]
            live_ids[key] = []
            for n in range(LIVE + DEMO):
                live = n < LIVE
                body = {
                    "name": f"u{u}-{n}",
                    "symbol": "BTC/USDT" if live else "ETH/USDT",
                    "timeframe": "1m",
                    "mode": "live" if live else "demo",
                    "check_interval_seconds": 10,
                    "stop_loss_perc": "2",
                    "take_profit_perc": "4",
                    "position_size_fixed": "600" if live else None,
                    "position_size_perc": None if live else "10",
                    **({"api_key_id": key_id} if live else {}),
                }
                created = await http.post("/bots", json=body, headers=auth)
                assert created.status_code == 201, created.text
                bot = created.json()
                assert (
                    await http.post(f"/bots/{bot['id']}/start", headers=auth)
                ).status_code == 200
                all_ids.append(bot["id"])
                if live:
                    live_ids[key].append(bot["id"])

        async def all_entered() -> bool:
            async with ctx.sessions() as s:
                done = await s.scalar(select(func.count()).select_from(Trade))
                least = await s.scalar(
                    select(func.min(BotState.cycle_count)).where(BotState.id.in_(all_ids))
                )
            return done == USERS * LIVE and (least or 0) >= 2

        await _until(all_entered, 120, "every live bot's entry and two cycles of every bot", procs)
        await asyncio.sleep(3)  # any second order would show by now

        # Exactly one order per live bot, each client order id once.
        ids = Counter(o["clientOrderId"] for o in fake.orders())
        assert len(ids) == USERS * LIVE and set(ids.values()) == {1}
        for key, bots in live_ids.items():
            assert len(fake.orders(key)) == len(bots)
        async with ctx.sessions() as s:
            per_bot = Counter((await s.execute(select(Trade.bot_config_id))).scalars())
        assert per_bot == Counter({b: 1 for bots in live_ids.values() for b in bots})

        # Every worker ran cycles; both API processes answered requests through Nginx.
        done_by_worker = []
        for i in range(WORKERS):
            text = httpx.get(f"http://127.0.0.1:{ports[f'worker{i}']}/metrics", timeout=5).text
            done_by_worker.append(_samples(text, "tradebot_cycles_total").get("outcome=done", 0))
        assert all(n > 0 for n in done_by_worker), done_by_worker
        for i in range(2):
            text = httpx.get(f"http://127.0.0.1:{ports[f'api{i}']}/metrics", timeout=5).text
            assert sum(_samples(text, "tradebot_http_requests_total").values()) > 0
        assert "lease lost" not in procs.logs()


async def _ready(http: httpx.AsyncClient) -> bool:
    return (await http.get("/ready?scope=api")).status_code == 200
