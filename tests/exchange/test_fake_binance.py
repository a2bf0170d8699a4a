"""The fake itself, over plain HTTP: signatures, klines windows, weight header, process mode."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.fakes.binance import FakeBinance

ROOT = Path(__file__).resolve().parents[2]


def signed(params: dict[str, object], secret: str) -> str:
    query = urlencode(params)
    return (
        query
        + "&signature="
        + hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    )


def test_signature_timestamp_and_key_checks(fake: FakeBinance) -> None:
    fake.add_account("k", "s", {"USDT": "5"})
    now = int(time.time() * 1000)
    with httpx.Client(base_url=fake.url, headers={"X-MBX-APIKEY": "k"}) as client:
        ok = client.get("/api/v3/account?" + signed({"timestamp": now}, "s"))
        assert ok.status_code == 200
        assert ok.json()["balances"] == [
            {"asset": "USDT", "free": "5.00000000", "locked": "0.00000000"}
        ]
        bad = client.get("/api/v3/account?" + signed({"timestamp": now}, "other"))
        assert (bad.status_code, bad.json()["code"]) == (400, -1022)
        old = client.get("/api/v3/account?" + signed({"timestamp": now - 60_000}, "s"))
        assert old.json()["code"] == -1021
        unknown = client.get(
            "/api/v3/account?" + signed({"timestamp": now}, "s"), headers={"X-MBX-APIKEY": "x"}
        )
        assert (unknown.status_code, unknown.json()["code"]) == (401, -2015)
    assert all("signature" not in r.params for r in fake.requests)


def test_klines_windows_and_weight(fake: FakeBinance) -> None:
    step = 3_600_000
    start = 1_700_000_000_000 // step * step
    with httpx.Client(base_url=fake.url) as client:
        rows = client.get(
            "/api/v3/klines",
            params={"symbol": "ETHUSDT", "interval": "1h", "startTime": start, "limit": 5},
        )
        assert [r[0] for r in rows.json()] == [start + i * step for i in range(5)]
        again = client.get(
            "/api/v3/klines",
            params={"symbol": "ETHUSDT", "interval": "1h", "endTime": start + 4 * step, "limit": 5},
        )
        assert again.json() == rows.json()  # deterministic
        assert again.headers["X-MBX-USED-WEIGHT-1M"] == "4"
        bad = client.get("/api/v3/klines", params={"symbol": "NOPE", "interval": "1h"})
        assert bad.json() == {"code": -1121, "msg": "Invalid symbol."}


def test_fault_injection_rejects_unknown_kinds(fake: FakeBinance) -> None:
    with pytest.raises(ValueError):
        fake.fail_next("GET /api/v3/time", "explode")


@pytest.mark.slow
def test_runs_as_a_process() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.binance", "--port", "0", "--account", "k:s"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().rsplit(" ", 1)[-1]
        assert httpx.get(f"{url}/api/v3/ping").json() == {}
    finally:
        proc.terminate()
        proc.wait(timeout=5)
