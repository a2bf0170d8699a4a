"""POST /api-keys/{id}/validate against the fake Binance."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import secret_marker, signup
from tests.engine.conftest import engine_settings
from tests.fakes.binance import FakeBinance
from tradebot.app import create_app
from tradebot.config import Settings


@pytest.fixture
async def api(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, FakeBinance]]:
    with FakeBinance() as fake:
        app = create_app(engine_settings(settings, tmp_path, BINANCE_BASE_URL=fake.url))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t/api/v1") as client:
                yield client, fake


async def test_valid_key_is_marked_valid_with_balances(api, ctx) -> None:  # type: ignore[no-untyped-def]
    client, fake = api
    user = await signup(client)
    key, secret = secret_marker("k"), secret_marker("s")
    fake.add_account(key, secret, {"USDT": "1234.5", "BTC": "0.01"})
    created = (
        await user.request("POST", "/api-keys", json={"api_key": key, "secret_key": secret})
    ).json()
    r = await user.request("POST", f"/api-keys/{created['id']}/validate")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["valid"] is True and body["key"]["is_valid"] is True
    assert body["balances"] == {"BTC": "0.01", "USDT": "1234.5"}
    assert key not in r.text and secret not in r.text
    assert (await user.request("GET", f"/api-keys/{created['id']}")).json()["is_valid"] is True


async def test_refused_key_is_422_and_marked_invalid(api, ctx) -> None:  # type: ignore[no-untyped-def]
    client, fake = api
    user = await signup(client)
    key, secret = secret_marker("k"), secret_marker("s")
    fake.add_account(key, secret, {"USDT": "1"})
    created = (
        await user.request("POST", "/api-keys", json={"api_key": key, "secret_key": secret})
    ).json()
    assert (await user.request("POST", f"/api-keys/{created['id']}/validate")).status_code == 200
    fake.remove_account(key)
    r = await user.request("POST", f"/api-keys/{created['id']}/validate")
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_api_key" and key not in r.text and secret not in r.text
    stored = (await user.request("GET", f"/api-keys/{created['id']}")).json()
    assert stored["is_valid"] is False and stored["status"] == "refused"
    assert stored["refused_reason"].startswith("Binance: ")
    assert key not in stored["refused_reason"] and secret not in stored["refused_reason"]
    # Accepted again: the refusal is gone.
    fake.add_account(key, secret, {"USDT": "1"})
    r = await user.request("POST", f"/api-keys/{created['id']}/validate", params={"mode": "live"})
    assert r.json()["key"]["status"] == "valid" and r.json()["key"]["refused_reason"] is None


async def test_wrong_secret_is_refused(api, ctx) -> None:  # type: ignore[no-untyped-def]
    client, fake = api
    user = await signup(client)
    key = secret_marker("k")
    fake.add_account(key, secret_marker("right"), {"USDT": "1"})
    created = (
        await user.request(
            "POST", "/api-keys", json={"api_key": key, "secret_key": secret_marker("wrong")}
        )
    ).json()
    assert (await user.request("POST", f"/api-keys/{created['id']}/validate")).status_code == 422
    r = await user.request("POST", f"/api-keys/{created['id']}/validate?mode=testnet")
    assert r.status_code == 422
    listed = (await user.request("GET", "/api-keys")).json()
    assert [(k["status"], k["refused_reason"].split(":")[0]) for k in listed] == [
        ("refused", "Binance testnet")
    ]


async def test_unreachable_exchange_is_503_and_changes_nothing(api, ctx) -> None:  # type: ignore[no-untyped-def]
    client, fake = api
    user = await signup(client)
    key, secret = secret_marker("k"), secret_marker("s")
    fake.add_account(key, secret, {"USDT": "1"})
    created = (
        await user.request("POST", "/api-keys", json={"api_key": key, "secret_key": secret})
    ).json()
    fake.fail_next("GET /api/v3/account", "503", times=10)
    r = await user.request("POST", f"/api-keys/{created['id']}/validate")
    assert r.status_code == 503 and r.json()["error"] == "unavailable"
    fake.clear_faults()
    fake.fail_next("GET /api/v3/account", "429", retry_after=9)
    r = await user.request("POST", f"/api-keys/{created['id']}/validate")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    stored = (await user.request("GET", f"/api-keys/{created['id']}")).json()
    assert (stored["status"], stored["refused_reason"]) == ("unchecked", None)


async def test_foreign_key_is_404(api, ctx) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    a, b = await signup(client), await signup(client)
    created = (
        await a.request("POST", "/api-keys", json={"api_key": "A" * 12, "secret_key": "B" * 12})
    ).json()
    assert (await b.request("POST", f"/api-keys/{created['id']}/validate")).status_code == 404


async def test_validation_spends_the_engines_budget_for_that_host(  # type: ignore[no-untyped-def]
    api, ctx, settings: Settings, tmp_path: Path
) -> None:
    """Binance limits weight per host: key checks and bots share one budget per host, and
    live and testnet never share theirs."""
    from tradebot.engine.context import EngineContext

    client, fake = api
    user = await signup(client)
    key, secret = secret_marker("k"), secret_marker("s")
    fake.add_account(key, secret, {"USDT": "1"})
    created = (
        await user.request("POST", "/api-keys", json={"api_key": key, "secret_key": secret})
    ).json()
    engine = EngineContext.create(engine_settings(settings, tmp_path, BINANCE_BASE_URL=fake.url))
    try:
        # Both sides count weight per wall-clock minute: keep the check inside one minute.
        if (second := time.time() % 60) > 50:
            await asyncio.sleep(60.5 - second)
        assert await engine.governor.used() == 0
        r = await user.request("POST", f"/api-keys/{created['id']}/validate")
        assert r.status_code == 200, r.text
        assert await engine.governor.used() == fake.used_weight() > 0
    finally:
        await engine.close()
    real = EngineContext.create(engine_settings(settings, tmp_path))  # Binance's own hosts
    try:
        live, testnet = real.exchanges.budgets[False], real.exchanges.budgets[True]
        assert live is real.governor
        assert live._base.endswith("gov:binance@api.binance.com")  # type: ignore[attr-defined]
        assert testnet._base.endswith("gov:binance@testnet.binance.vision")  # type: ignore[attr-defined]
    finally:
        await real.close()
