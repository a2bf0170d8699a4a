"""Webhook mode: Telegram posts updates to the API, which hands them to the Application.

The API process runs the Application without an updater (`TELEGRAM_MODE=webhook`); nothing
polls, and `tradebot up` starts no bot process.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Request
from telegram import Update
from telegram.ext import Application

from tradebot.config import Settings
from tradebot.engine.context import EngineContext
from tradebot.errors import NotFound, Unauthorized
from tradebot.telegram.app import ALLOWED_UPDATES, build_application, running

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)

# For Telegram's servers, not for clients: kept out of the OpenAPI document.
router = APIRouter(prefix="/telegram", tags=["telegram"], include_in_schema=False)


@dataclass(frozen=True)
class WebhookBot:
    """The Application the webhook route feeds, and the secret Telegram must send."""

    application: Application  # type: ignore[type-arg]
    secret: str


@asynccontextmanager
async def webhook_application(
    settings: Settings, resources: EngineContext
) -> AsyncIterator[WebhookBot]:
    """The Application running for the webhook route, registered with Telegram."""
    application = build_application(settings, resources, polling=False)
    assert settings.telegram_webhook_url and settings.telegram_webhook_secret
    secret = settings.telegram_webhook_secret.get_secret_value()
    async with running(application, settings):
        await application.bot.set_webhook(
            settings.telegram_webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
        )
        yield WebhookBot(application, secret)


@router.post("/webhook")
async def webhook(
    request: Request,
    update: Annotated[dict[str, Any], Body()],
    secret: Annotated[str | None, Header(alias=SECRET_HEADER)] = None,
) -> dict[str, bool]:
    """One update from Telegram, queued for the Application."""
    bot: WebhookBot | None = getattr(request.app.state, "telegram", None)
    if bot is None:
        raise NotFound("the Telegram bot does not run in webhook mode here")
    if secret is None or not hmac.compare_digest(secret.encode(), bot.secret.encode()):
        raise Unauthorized("wrong or missing webhook secret")
    application = bot.application
    await application.update_queue.put(Update.de_json(update, application.bot))
    return {"ok": True}
