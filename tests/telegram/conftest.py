"""Fixtures: a fake Bot API per test and the real PTB Application polling it, with the
run's database and Redis behind its handlers."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr
from telegram.ext import Application

from tests.conftest import LEAK_MARKERS
from tests.fakes.telegram_api import FakeBotApi
from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.db import transaction
from tradebot.engine.context import EngineContext
from tradebot.models import TelegramLink
from tradebot.telegram.app import build_application, running
from tradebot.telegram.registry import Registry

# The shape of a real token (`<bot id>:<35 characters>`); it must never reach a log.
TOKEN = f"7{secrets.randbelow(10**9):09d}:AA{secrets.token_urlsafe(33)[:33]}"
LEAK_MARKERS.add(TOKEN)


def telegram_settings(base: Settings, api: FakeBotApi, **extra: Any) -> Settings:
    """The run's settings with the bot pointed at `api`; chats unthrottled unless asked."""
    values: dict[str, Any] = {
        "telegram_bot_token": SecretStr(TOKEN),
        "telegram_api_base_url": api.url,
        "telegram_poll_timeout": 1,
        "telegram_rate_per_chat": 1000.0,
        "telegram_rate_overall": 1000.0,
    }
    values.update(extra)
    return base.model_copy(update=values)


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(TOKEN) as api:
        yield api


@pytest.fixture
def bot_settings(ctx: EngineContext, bot_api: FakeBotApi) -> Settings:
    return telegram_settings(ctx.settings, bot_api)


@pytest.fixture
async def telegram_bot(
    ctx: EngineContext, bot_api: FakeBotApi, bot_settings: Settings
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Every handler of `tradebot.telegram.handlers`, polling the fake."""
    application = build_application(bot_settings, ctx)
    async with running(application, bot_settings):
        yield application


@pytest.fixture
async def sample_bot(
    ctx: EngineContext, bot_api: FakeBotApi, bot_settings: Settings
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The Application with the contract's sample handlers and /help."""
    from tests.telegram import sample_handlers
    from tradebot.telegram.handlers import help as help_module

    registry = Registry.collect([sample_handlers, help_module])
    application = build_application(bot_settings, ctx, registry=registry)
    async with running(application, bot_settings):
        yield application


async def link_chat(ctx: AppContext, user_id: int, chat_id: int) -> None:
    """Bind `chat_id` to the account, as a used link code would."""
    async with transaction(ctx.sessions) as session:
        session.add(TelegramLink(user_id=user_id, chat_id=chat_id, username="someone"))
