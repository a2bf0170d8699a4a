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
from telegram.ext import Application, ExtBot

from tradebot.config import Settings
from tradebot.engine.context import EngineContext
from tradebot.logging_setup import guard_logger
from tradebot.telegram.loader import Dispatcher, load_registry, publish_commands
from tradebot.telegram.ratelimit import ChatRateLimiter
from tradebot.telegram.registry import Registry

log = logging.getLogger(__name__)

# Updates handled at once: a slow command (a chart) must not hold up everyone else's.
CONCURRENT_UPDATES = 32
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
# Loggers that may write the token: it is part of every Bot API URL, which httpx logs for
# each request and the bot once at start ("Set Bot API URL"), and a failure's traceback
# (a handler's, the updater's, the application's) may quote one.
TOKEN_LOGGERS = (
    "httpx",
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Updater",
    "telegram.ext.Application",
    "tradebot.telegram.loader",
)


def guard_token_loggers() -> None:
    for name in TOKEN_LOGGERS:
        guard_logger(name)


def rate_limiter(settings: Settings) -> ChatRateLimiter:
    """Telegram's flood limits as configured, resending after each 429's retry_after."""
    return ChatRateLimiter(
        overall=settings.telegram_rate_overall,
        per_chat=settings.telegram_rate_per_chat,
        group_per_minute=settings.telegram_rate_per_group_minute,
        max_retries=settings.telegram_max_retries,
    )


def make_bot(settings: Settings) -> ExtBot[int]:
    """A bot for sending alone (notifications), with the same base URL and limits."""
    token = settings.require_telegram().get_secret_value()
    guard_token_loggers()
    base = settings.telegram_api_base_url
    return ExtBot(
        token,
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        rate_limiter=rate_limiter(settings),
    )


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
    base = settings.telegram_api_base_url
    builder = (
        Application.builder()
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .rate_limiter(rate_limiter(settings))
        .concurrent_updates(CONCURRENT_UPDATES)
    )
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data["registry"] = registry
    Dispatcher(registry, resources).register(application)
    return application


def registry_of(application: Application) -> Registry:  # type: ignore[type-arg]
    registry: Registry = application.bot_data["registry"]
    return registry


@asynccontextmanager
async def running(application: Application, settings: Settings) -> AsyncIterator[None]:  # type: ignore[type-arg]
    """The Application started (polling when it has an updater) until the block ends."""
    async with application:  # initialize (getMe) ... shutdown
        await publish_commands(application, registry_of(application))
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
            await stop.wait()
    finally:
        await resources.close()
