"""`/metrics`: the families of the engine, the exchange, the API, Telegram and Celery, with
values after real activity; bounded labels; the optional bearer token."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Api
from tests.engine.scripted import ScriptedSource, golden_cross_closes
from tradebot.context import AppContext
from tradebot.engine.context import EngineContext
from tradebot.engine.runner import run_batch
from tradebot.system import health

FAMILIES = {
    "tradebot_cycles",
    "tradebot_cycle_duration_seconds",
    "tradebot_cycle_lateness_seconds",
    "tradebot_bots",
    "tradebot_orders",
    "tradebot_trades",
    "tradebot_auto_stops",
    "tradebot_exchange_requests",
    "tradebot_exchange_rate_limited",
    "tradebot_exchange_weight_used",
    "tradebot_exchange_weight_limit",
    "tradebot_governor_wait_seconds",
    "tradebot_market_cache",
    "tradebot_http_requests",
    "tradebot_http_request_duration_seconds",
    "tradebot_sse_streams",
    "tradebot_sse_events",
    "tradebot_login_failures",
    "tradebot_login_lockouts",
    "tradebot_telegram_commands",
    "tradebot_notifications",
    "tradebot_alarms_fired",
    "tradebot_queue_depth",
    "tradebot_heartbeat_timestamp_seconds",
}


async def scrape(client: httpx.AsyncClient, **headers: str) -> dict[str, dict[str, float]]:
    """family -> {sample name with labels: value}."""
    r = await client.get("http://testserver/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    found: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(r.text):
        samples = found.setdefault(family.name, {})
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            samples[f"{s.name}{{{labels}}}"] = s.value
    return found


def value(found: dict[str, dict[str, float]], family: str, sample: str) -> float:
    return found[family].get(sample, 0.0)


async def test_families_with_values_after_a_trade(
    client: httpx.AsyncClient, alice: Api, ctx: AppContext, engine: EngineContext
) -> None:
    before = await scrape(client)
    closes = golden_cross_closes()
    engine.exchanges.demo = ScriptedSource(closes, Decimal(str(closes[-1])))  # type: ignore[assignment]
    bot = await alice.create_bot(symbol="TSTA/USDT", timeframe="1m", initial_capital="1000")
    await alice.request("POST", f"/bots/{bot['id']}/start")
    await run_batch(engine, [int(bot["id"])])
    await client.post("/auth/login", json={"email": alice.email, "password": "wrong-password"})
    await health.beat(ctx.redis, ctx.keys, "worker")
    after = await scrape(client)
    assert set(after) >= FAMILIES, sorted(FAMILIES - set(after))
    grew = lambda fam, sample: value(after, fam, sample) - value(before, fam, sample)  # noqa: E731
    assert grew("tradebot_cycles", "tradebot_cycles_total{outcome=done}") == 1
    assert grew("tradebot_trades", "tradebot_trades_total{side=BUY}") == 1
    assert grew("tradebot_orders", "tradebot_orders_total{result=filled}") == 1
    assert grew("tradebot_cycle_lateness_seconds", "tradebot_cycle_lateness_seconds_count{}") == 1
    assert grew("tradebot_login_failures", "tradebot_login_failures_total{}") == 1
    assert value(after, "tradebot_bots", "tradebot_bots{status=running}") == 1
    start = "tradebot_http_requests_total{method=POST,route=/bots/{bot_id}/start,status=200}"
    assert grew("tradebot_http_requests", start) == 1
    assert value(after, "tradebot_queue_depth", "tradebot_queue_depth{queue=cycles}") >= 0
    assert (
        value(
            after,
            "tradebot_heartbeat_timestamp_seconds",
            "tradebot_heartbeat_timestamp_seconds{component=worker}",
        )
        > 0
    )


async def test_labels_name_no_user_bot_or_path(client: httpx.AsyncClient, alice: Api) -> None:
    bot = await alice.create_bot()
    await alice.request("GET", f"/bots/{bot['id']}")
    await alice.request("GET", "/bots/999999")
    await client.get("/no/such/page")
    text = (await client.get("http://testserver/metrics")).text
    routes = set(re.findall(r'route="([^"]*)"', text))
    assert "/bots/{bot_id}" in routes and "unmatched" in routes
    # Templates only: no id (bot["id"], 999999) and no unrouted path in any label.
    assert not [r for r in routes if re.search(r"/\d+(/|$)", r) or "such" in r], bot["id"]
    assert alice.email not in text


async def test_a_metrics_token_guards_the_route(
    client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import SecretStr

    monkeypatch.setattr(
        ctx, "settings", ctx.settings.model_copy(update={"metrics_token": SecretStr("m-token")})
    )
    assert (await client.get("http://testserver/metrics")).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await client.get("http://testserver/metrics", headers=wrong)).status_code == 401
    await scrape(client, Authorization="Bearer m-token")
