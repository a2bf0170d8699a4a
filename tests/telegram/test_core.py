"""The handler contract on the real Application and the fake Bot API."""

from __future__ import annotations

import time

from telegram.ext import Application

from tests.fakes.telegram_api import FakeBotApi
from tests.telegram.conftest import telegram_settings
from tradebot.engine.context import EngineContext
from tradebot.telegram.app import build_application, running


async def test_help_lists_every_command(bot_api: FakeBotApi, telegram_bot: Application) -> None:
    reply = await bot_api.chat(1001).ask("/help")
    for spec in telegram_bot.bot_data["dispatcher"].registry.commands:
        assert spec.usage in reply.text


async def test_unknown_command_hints_at_help(
    bot_api: FakeBotApi, telegram_bot: Application
) -> None:
    reply = await bot_api.chat(1001).ask("/nosuch")
    assert "/help" in reply.text and "/nosuch" in reply.text


async def test_messages_to_one_chat_are_spaced_others_are_not(
    ctx: EngineContext, bot_api: FakeBotApi
) -> None:
    settings = telegram_settings(ctx.settings, bot_api, telegram_rate_per_chat=4.0)
    application = build_application(settings, ctx)
    async with running(application, settings):
        bot = application.bot
        started = time.monotonic()
        for _ in range(3):
            await bot.send_message(2002, "x")
        one_chat = time.monotonic() - started
        started = time.monotonic()
        for chat_id in (3001, 3002, 3003):
            await bot.send_message(chat_id, "y")
        many_chats = time.monotonic() - started
    assert one_chat >= 0.45  # 3 messages at 4 a second: two waits of 0.25 s
    assert many_chats < 0.2
