"""A client cannot choose its own address: X-Forwarded-For counts only from FORWARDED_ALLOW_IPS.

Each test runs `tradebot api` as a real uvicorn server (the CLI's own wiring of the settings)
on the test database and Redis, and talks to it from 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.engine.processes import stack_env
from tradebot.cli import uvicorn_options
from tradebot.config import Settings
from tradebot.context import AppContext

HEALTH_LIMIT = 10
IP_FAILURES = 20


@pytest.fixture
def api_server(
    settings: Settings, ctx: AppContext, tmp_path: Path
) -> Iterator[Callable[[str | None], str]]:
    """Start `tradebot api` with FORWARDED_ALLOW_IPS as given (None: unset); its base URL."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(forwarded_allow_ips: str | None) -> str:
        port = free_port()
        data = tmp_path / f"api{len(procs)}"
        data.mkdir()
        env = stack_env(
            settings,
            data,
            # Its own keys (under the run's prefix, so they are cleaned like any other).
            REDIS_KEY_PREFIX=f"{settings.redis_key_prefix}fwd-{uuid.uuid4().hex[:6]}:",
            HEALTH_RATE_LIMIT=f"{HEALTH_LIMIT}/minute",
            LOGIN_MAX_FAILURES="5",
            LOGIN_MAX_FAILURES_PER_IP=str(IP_FAILURES),
        )
        env.pop("FORWARDED_ALLOW_IPS", None)
        if forwarded_allow_ips is not None:
            env["FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
        log = (data / "api.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "tradebot.cli", "api", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=data,
            start_new_session=True,
        )
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        # The port, not /health: every health request counts against the limit under test.
        while not _listening(port):
            output = (data / "api.log").read_text()
            assert proc.poll() is None, output[-4000:]
            assert time.monotonic() < deadline, output[-4000:]
            time.sleep(0.2)
        return f"{url}/api/v1"

    yield start
    for proc in procs:
        os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        proc.wait(20)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _failed_logins(base: str, forwarded: Callable[[int], str], count: int = 30) -> list[int]:
    with httpx.Client(base_url=base, timeout=10) as c:
        return [
            c.post(
                "/auth/login",
                json={"email": f"nobody-{i}@example.com", "password": "not the password"},
                headers={"X-Forwarded-For": forwarded(i)},
            ).status_code
            for i in range(count)
        ]


def _health(base: str, forwarded: Callable[[int], str], count: int = HEALTH_LIMIT + 5) -> list[int]:
    with httpx.Client(base_url=base, timeout=10) as c:
        return [
            c.get("/health", headers={"X-Forwarded-For": forwarded(i)}).status_code
            for i in range(count)
        ]


def rotated(i: int) -> str:
    return f"203.0.113.{i + 1}"


def same(_: int) -> str:
    return "198.51.100.7"


@pytest.mark.slow
@pytest.mark.parametrize("setting", [None, ""], ids=["unset", "empty"])
def test_forwarded_for_is_ignored_by_default(
    api_server: Callable[[str | None], str], setting: str | None
) -> None:
    base = api_server(setting)
    codes = _failed_logins(base, rotated)
    assert codes[:IP_FAILURES] == [401] * IP_FAILURES
    assert set(codes[IP_FAILURES:]) == {429}  # 127.0.0.1 is locked out, whatever it claims
    health = _health(base, rotated)
    assert health[:HEALTH_LIMIT] == [200] * HEALTH_LIMIT
    assert set(health[HEALTH_LIMIT:]) == {429}


@pytest.mark.slow
def test_forwarded_for_is_honoured_from_a_trusted_proxy(
    api_server: Callable[[str | None], str],
) -> None:
    base = api_server("127.0.0.1")
    assert _failed_logins(base, rotated) == [401] * 30  # each forwarded address failed once
    codes = _failed_logins(base, same)
    assert codes[:IP_FAILURES] == [401] * IP_FAILURES
    assert set(codes[IP_FAILURES:]) == {429}  # the forwarded address is the one locked out
    assert _health(base, rotated) == [200] * (HEALTH_LIMIT + 5)
    health = _health(base, same)
    assert health[:HEALTH_LIMIT] == [200] * HEALTH_LIMIT
    assert set(health[HEALTH_LIMIT:]) == {429}


def test_uvicorn_trusts_no_proxy_unless_configured(settings: Settings) -> None:
    default = uvicorn_options(settings)
    assert default["proxy_headers"] is False and default["forwarded_allow_ips"] == []
    configured = uvicorn_options(
        settings.model_copy(update={"forwarded_allow_ips": "10.0.0.0/8,::1"}), workers=3
    )
    assert configured["proxy_headers"] is True
    assert configured["forwarded_allow_ips"] == ["10.0.0.0/8", "::1"]
    assert configured["workers"] == 3
