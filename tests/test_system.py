from __future__ import annotations

import time

import httpx

from tests.conftest import make_settings
from tradebot.app import create_app
from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.system import health


async def test_health_and_ready(client: httpx.AsyncClient, ctx: AppContext) -> None:
    r = await client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = await client.get("/ready", params={"scope": "api"})
    assert r.status_code == 200
    checks = r.json()["checks"]
    assert set(checks) == {"database", "redis", "broker"}
    assert all(c["status"] == "ok" for c in checks.values())
    assert checks["broker"]["detail"] == (
        "ok, waiting: cycles 0, dispatch 0, background 0, backtests 0"
    )
    # No worker or Beat has run: the whole installation is not ready.
    r = await client.get("/ready")
    assert r.status_code == 503 and r.json()["status"] == "unavailable"
    jobs = r.json()["checks"]
    assert jobs["worker"] == {"status": "unavailable", "detail": "never seen", "age_seconds": None}
    assert jobs["telegram"]["detail"] == "not configured" and jobs["telegram"]["status"] == "ok"
    await health.beat(ctx.redis, ctx.keys, "worker")
    await health.beat(ctx.redis, ctx.keys, "beat", time.time() - 600)
    beat = (await client.get("/ready")).json()["checks"]["beat"]
    assert beat["status"] == "unavailable" and beat["detail"].startswith("silent for 60")
    await health.beat(ctx.redis, ctx.keys, "beat")
    r = await client.get("/ready")
    assert r.status_code == 200, r.json()
    assert 0 <= r.json()["checks"]["worker"]["age_seconds"] < 5


async def test_ready_reports_what_is_down(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = make_settings(str(settings.database_url), "redis://127.0.0.1:1/0", tmp_path)
    app = create_app(broken)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t/api/v1") as c,
    ):
        r = await c.get("/ready")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["detail"].startswith("unavailable")


async def test_health_is_rate_limited(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    limited = make_settings(
        str(settings.database_url), str(settings.redis_url), tmp_path, HEALTH_RATE_LIMIT="3/minute"
    )
    app = create_app(limited)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t/api/v1") as c,
    ):
        codes = [(await c.get("/health")).status_code for _ in range(4)]
        r = await c.get("/ready")
    from tradebot.system import router

    router._limiter.storage.reset()
    assert codes == [200, 200, 200, 429]
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1


async def test_openapi_documents_the_contract(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = set(spec["paths"])
    for p in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/users/me",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{key_id}",
        "/api/v1/bots",
        "/api/v1/bots/{bot_id}",
        "/api/v1/bots/{bot_id}/start",
        "/api/v1/bots/{bot_id}/stop",
        "/api/v1/trades",
        "/api/v1/bots/{bot_id}/trades",
        "/api/v1/bots/{bot_id}/chart",
        "/api/v1/markets/chart",
        "/api/v1/health",
        "/api/v1/ready",
    ]:
        assert p in paths, p


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/nope")
    assert r.status_code == 404 and r.json()["error"] == "not_found"


DASHBOARD_PATHS = ("/api/v1/bots/{bot_id}/chart", "/api/v1/markets/", "/api/v1/stats")


async def test_dashboard_routes_document_their_response_models(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    untyped, seen = [], 0
    for path, ops in spec["paths"].items():
        if not path.startswith(DASHBOARD_PATHS):
            continue
        seen += 1
        for method, op in ops.items():
            ok = {c: r for c, r in op["responses"].items() if c.startswith("2") and c != "204"}
            for code, response in ok.items():
                content = response.get("content", {})
                if "text/event-stream" in content or "text/csv" in content:
                    continue
                schema = content.get("application/json", {}).get("schema", {})
                if not schema or schema == {}:
                    untyped.append(f"{method.upper()} {path} {code}")
    assert seen >= 2 and untyped == []
