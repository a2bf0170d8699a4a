"""The FastAPI application: routers under /api/v1, OpenAPI and its docs at /api/v1/docs, the
dashboard at /."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from tradebot import __version__, errors, openapi
from tradebot.alarms.router import router as alarms_router
from tradebot.api_keys.router import router as api_keys_router
from tradebot.auth.router import router as auth_router
from tradebot.backtests.router import router as backtests_router
from tradebot.bots.router import router as bots_router
from tradebot.charts.router import router as charts_router
from tradebot.config import Settings, get_settings
from tradebot.engine.context import EngineContext
from tradebot.events.hub import EventHub
from tradebot.events.router import router as status_router
from tradebot.http_metrics import RequestMetrics
from tradebot.stats.router import router as stats_router
from tradebot.system.metrics_router import router as metrics_router
from tradebot.system.router import router as system_router
from tradebot.telegram.webhook import router as telegram_webhook_router
from tradebot.telegram.webhook import webhook_application
from tradebot.telegram_links.router import router as telegram_router
from tradebot.trades.router import router as trades_router
from tradebot.users.router import router as users_router
from tradebot.web import mount_ui

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; resources are opened in the lifespan, one set per process."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # With the shared market data and exchanges: charts read markets as the bots do.
        app.state.ctx = EngineContext.create(settings, role="api")
        app.state.hub = EventHub(app.state.ctx.redis, app.state.ctx.keys)
        app.state.hub.start()
        # Everything loaded so far lives as long as the process: keep it out of the cyclic
        # collector, whose full passes over a large heap would stall every open stream.
        gc.collect()
        gc.freeze()
        # Thousands of open streams allocate steadily; collect the young generation less
        # often, and the old ones rarely (each full pass stalls the loop).
        gc.set_threshold(50_000, 20, 100)
        try:
            async with AsyncExitStack() as stack:
                app.state.telegram = None
                if settings.telegram_bot_token is not None and settings.telegram_mode == "webhook":
                    app.state.telegram = await stack.enter_async_context(
                        webhook_application(settings, app.state.ctx)
                    )
                yield
        finally:
            await app.state.hub.stop()
            await app.state.ctx.close()

    app = FastAPI(
        title="tradebot",
        version=__version__,
        description="Multi-user crypto trading bots: accounts, encrypted keys, bots, trades.",
        lifespan=lifespan,
        docs_url=None,  # served from local assets by tradebot.openapi
        redoc_url=None,
        openapi_url=None,
    )
    errors.install(app)
    app.add_middleware(RequestMetrics)
    openapi.install(app, API_PREFIX)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[o.strip() for o in settings.cors_origins.split(",") if o.strip()],
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    api = APIRouter(prefix=API_PREFIX)
    for router in (
        auth_router,
        users_router,
        api_keys_router,
        status_router,  # before bots_router: /bots/status-stream is not a bot id
        charts_router,
        bots_router,
        trades_router,
        stats_router,
        backtests_router,
        alarms_router,
        system_router,
        telegram_router,
        telegram_webhook_router,
    ):
        api.include_router(router)
    app.include_router(api)
    # Liveness and readiness also where probes and people look first (`/` stays free).
    app.include_router(system_router, include_in_schema=False)
    app.include_router(metrics_router)
    mount_ui(app, settings.ui_dist_dir)
    return app
