"""The python-telegram-bot Application: every handler module registered, outgoing messages
rate-limited, pointed at TELEGRAM_API_BASE_URL; polling by default (`tradebot telegram`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update
from telegram.ext import Application

from tradebot.config import Settings
from tradebot.engine.context import EngineContext
from tradebot.system import health
from tradebot.telegram.client import api_urls, guard_token_loggers, rate_limiter
from tradebot.telegram.loader import Dispatcher, load_registry, publish_commands
from tradebot.telegram.registry import Registry
from tradebot.telegram_links.service import remember_bot_username

log = logging.getLogger(__name__)

# Updates handled at once: a slow command (a chart) must not hold up everyone else's.
CONCURRENT_UPDATES = 32
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def build_application(
    settings: Settings,
    resources: EngineContext,
    *,
    registry: Registry | None = None,
    polling: bool = True,
) -> Application:  # type: ignore[type-arg]
    """The Application with every handler of `registry` (default: all of `handlers/`)."""
    registry = registry or load_registry()
    token = settings.require_telegram().get_secret_value()
    guard_token_loggers()
    urls = api_urls(settings)
    builder = (
        Application.builder()
        .token(token)
        .base_url(urls["base_url"])
        .base_file_url(urls["base_file_url"])
        .rate_limiter(rate_limiter(settings))
        .concurrent_updates(CONCURRENT_UPDATES)
    )
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    dispatcher = Dispatcher(registry, resources)
    dispatcher.register(application)
    application.bot_data["dispatcher"] = dispatcher
    return application


def dispatcher_of(application: Application) -> Dispatcher:  # type: ignore[type-arg]
    dispatcher: Dispatcher = application.bot_data["dispatcher"]
    return dispatcher


@asynccontextmanager
async def running(application: Application, settings: Settings) -> AsyncIterator[None]:  # type: ignore[type-arg]
    """The Application started (polling when it has an updater) until the block ends."""
    dispatcher = dispatcher_of(application)
    async with application:  # initialize (getMe) ... shutdown
        await publish_commands(application, dispatcher.registry)
        await remember_bot_username(dispatcher.resources, application.bot.username)
        if application.updater is not None:
            await application.updater.start_polling(
                timeout=dt.timedelta(seconds=settings.telegram_poll_timeout),
                allowed_updates=ALLOWED_UPDATES,
            )
        await application.start()
        log.info("telegram bot @%s started", application.bot.username)
        try:
            yield
        finally:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()


async def serve_polling(settings: Settings) -> None:
    """`tradebot telegram`: poll for updates until SIGINT or SIGTERM."""
    resources = EngineContext.create(settings, role="telegram")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        application = build_application(settings, resources)
        async with running(application, settings):
            alive = asyncio.create_task(_heartbeats(application, resources))
            try:
                await stop.wait()
            finally:
                alive.cancel()
    finally:
        await resources.close()


async def _heartbeats(application: Application, resources: EngineContext) -> None:  # type: ignore[type-arg]
    """The polling bot's heartbeat, while its updater runs."""
    while True:
        if application.updater is not None and application.updater.running:
            try:
                await health.beat(resources.redis, resources.keys, "telegram")
            except Exception as exc:
                log.warning("telegram heartbeat not written (%s)", type(exc).__name__)
        await asyncio.sleep(health.TELEGRAM_BEAT)
