"""How every part reaches the Bot API: TELEGRAM_API_BASE_URL, the rate limits, and the
loggers kept from writing the token."""

from __future__ import annotations

from telegram.ext import ExtBot

from tradebot.config import Settings
from tradebot.logging_setup import guard_logger
from tradebot.telegram.ratelimit import ChatRateLimiter

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


def api_urls(settings: Settings) -> dict[str, str]:
    """`base_url` and `base_file_url` for PTB: calls go to `<base>/bot<token>/<method>`."""
    base = settings.telegram_api_base_url
    return {"base_url": f"{base}/bot", "base_file_url": f"{base}/file/bot"}


def rate_limiter(settings: Settings) -> ChatRateLimiter:
    """Telegram's flood limits as configured, resending after each 429's retry_after."""
    return ChatRateLimiter(
        overall=settings.telegram_rate_overall,
        per_chat=settings.telegram_rate_per_chat,
        group_per_minute=settings.telegram_rate_per_group_minute,
        max_retries=settings.telegram_max_retries,
    )


def make_bot(settings: Settings) -> ExtBot[int]:
    """A bot for calls outside the Application (notifications, getMe from the API), under
    the same limits; use it as `async with make_bot(settings) as bot:`."""
    token = settings.require_telegram().get_secret_value()
    guard_token_loggers()
    urls = api_urls(settings)
    return ExtBot(
        token,
        base_url=urls["base_url"],
        base_file_url=urls["base_file_url"],
        rate_limiter=rate_limiter(settings),
    )
