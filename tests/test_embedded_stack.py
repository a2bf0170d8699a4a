"""`tradebot up` on a fresh data directory: embedded PostgreSQL + Redis, API, worker, beat."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import free_port, secret_marker

pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    """The environment of a new user: no services, no secrets configured."""
    return {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "JWT_SECRET",
            "ENCRYPTION_KEYS",
            "TRADEBOT_ENV",
            "TRADEBOT_DATA_DIR",
            "FORWARDED_ALLOW_IPS",
        }
    }


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = _env() | {"TRADEBOT_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "tradebot.cli", *args],
        env=env,
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _start(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = _env()
    env["LOG_LEVEL"] = "DEBUG"
    fh = log.open("ab")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tradebot.cli",
            "up",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
        ],
        stdout=fh,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=data_dir.parent,
    )


UP_LINE = "tradebot is up: "


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    """Wait for the `up` line (this run's), then the API must answer at once; then /ready."""
    seen = log.read_text().count(UP_LINE)
    deadline = time.monotonic() + timeout
    while log.read_text().count(UP_LINE) == seen:
        if proc.poll() is not None:
            raise AssertionError(f"tradebot up exited early:\n{log.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no up line in {timeout}s:\n{log.read_text()[-4000:]}")
        time.sleep(0.05)
    try:
        assert httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.HTTPError as exc:
        raise AssertionError(f"up was printed before the API answered: {exc!r}") from None
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"not ready in {timeout}s:\n{log.read_text()[-4000:]}")


def _stop(proc: subprocess.Popen[bytes], sig: int) -> int:
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(sig)
    code = proc.wait(60)
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"children left running: {[p.pid for p in alive]}"
    return code


def _leftovers(data_dir: Path) -> list[str]:
    found = []
    for p in psutil.process_iter(["cmdline"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if str(data_dir) in cmd:
            found.append(cmd)
    return found


def test_up_persists_across_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    log = tmp_path / "up.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    password, secret = secret_marker("pw"), secret_marker("secret")

    proc = _start(data_dir, port, log)
    try:
        _wait_ready(base, proc, log)
        out = log.read_text()
        assert f"http://127.0.0.1:{port}" in out
        with httpx.Client(base_url=base, timeout=10) as c:
            assert (
                c.post(
                    "/auth/register", json={"email": "e2e@example.com", "password": password}
                ).status_code
                == 201
            )
            r = c.post("/auth/login", json={"email": "e2e@example.com", "password": password})
            assert r.status_code == 200
            token = r.json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            r = c.post(
                "/api-keys",
                headers=auth,
                json={"api_key": secret_marker("apikey"), "secret_key": secret},
            )
            assert r.status_code == 201
            body = {
                "name": "persisted",
                "symbol": "BTC/USDT",
                "timeframe": "1h",
                "stop_loss_perc": "2",
                "take_profit_perc": "4",
                "position_size_fixed": "50",
            }
            r = c.post("/bots", headers=auth, json=body)
            assert r.status_code == 201
            bot_id = r.json()["id"]
            # An administrative command finds the embedded services of the running `up`.
            other = {"email": "other@example.com", "password": password}
            assert c.post("/auth/register", json=other).status_code == 201
            other_token = c.post("/auth/login", json=other).json()["access_token"]
            r = _cli(data_dir, "deactivate-user", "other@example.com")
            assert r.returncode == 0, r.stderr
            assert "embedded services of the running" in r.stderr
            me = c.get("/users/me", headers={"Authorization": f"Bearer {other_token}"})
            assert me.status_code == 401
    finally:
        code = _stop(proc, signal.SIGTERM)
    assert code == 0, log.read_text()[-3000:]
    assert _leftovers(data_dir) == []
    assert not (data_dir / "running.json").exists()
    assert _cli(data_dir, "deactivate-user", "other@example.com").returncode == 2
    assert (data_dir / "secrets.json").stat().st_mode & 0o777 == 0o600

    proc = _start(data_dir, port, log)
    try:
        _wait_ready(base, proc, log)
        with httpx.Client(base_url=base, timeout=10) as c:
            # the token of the first run still works: secrets were kept in the data directory
            r = c.get(f"/bots/{bot_id}", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200 and r.json()["name"] == "persisted"
            r = c.post("/auth/login", json={"email": "e2e@example.com", "password": password})
            assert r.status_code == 200
            keys = c.get(
                "/api-keys", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
            ).json()
            assert len(keys) == 1
    finally:
        code = _stop(proc, signal.SIGINT)
    assert code == 0
    assert _leftovers(data_dir) == []
    logs = log.read_text()
    assert password not in logs and secret not in logs
    assert "Traceback" not in logs, logs[-3000:]


def test_parts_refuse_to_start_without_urls(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    for part in ("api", "worker", "beat", "migrate"):
        r = subprocess.run(
            [sys.executable, "-m", "tradebot.cli", part],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 2, (part, r.stderr)
        assert "DATABASE_URL" in r.stderr and "tradebot up" in r.stderr
        assert "Traceback" not in r.stderr


def test_production_mode_refuses_default_secrets(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"JWT_SECRET", "ENCRYPTION_KEYS"}}
    env["TRADEBOT_ENV"] = "production"
    r = subprocess.run(
        [sys.executable, "-m", "tradebot.cli", "up", "--data-dir", str(tmp_path / "d")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "JWT_SECRET" in r.stderr and "production" in r.stderr
    assert "Traceback" not in r.stderr
