"""Webhook mode: Telegram posts to the API, which hands the update to the Application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.fakes.telegram_api import FakeBotApi
from tests.telegram.conftest import telegram_settings
from tradebot.engine.context import EngineContext
from tradebot.telegram.webhook import SECRET_HEADER, webhook_application

SECRET = "webhook-secret_123"
URL = "https://bots.example.com/api/v1/telegram/webhook"


@pytest.fixture
async def webhook_bot(app: Any, ctx: EngineContext, bot_api: FakeBotApi) -> AsyncIterator[None]:
    settings = telegram_settings(
        ctx.settings,
        bot_api,
        telegram_mode="webhook",
        telegram_webhook_url=URL,
        telegram_webhook_secret=SecretStr(SECRET),
    )
    async with webhook_application(settings, ctx) as bot:
        app.state.telegram = bot
        try:
            yield
        finally:
            app.state.telegram = None


def help_update(update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 4242, "type": "private", "first_name": "U"},
            "from": {"id": 4242, "is_bot": False, "first_name": "U"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


@pytest.mark.usefixtures("webhook_bot")
async def test_an_update_posted_with_the_secret_is_answered(
    client: httpx.AsyncClient, bot_api: FakeBotApi
) -> None:
    assert bot_api.webhook["url"] == URL and bot_api.webhook["secret_token"] == SECRET
    r = await client.post("/telegram/webhook", json=help_update(1), headers={SECRET_HEADER: SECRET})
    assert r.status_code == 200
    reply = await bot_api.wait_reply(4242)
    assert "/help" in reply.text
    assert not any(c.method == "getUpdates" for c in bot_api.calls)


@pytest.mark.usefixtures("webhook_bot")
async def test_a_wrong_or_missing_secret_is_refused(
    client: httpx.AsyncClient, bot_api: FakeBotApi
) -> None:
    for headers in ({SECRET_HEADER: "guess"}, {}):
        r = await client.post("/telegram/webhook", json=help_update(2), headers=headers)
        assert r.status_code == 401
    assert bot_api.sent(4242) == []


async def test_the_route_is_absent_when_not_in_webhook_mode(client: httpx.AsyncClient) -> None:
    r = await client.post("/telegram/webhook", json=help_update(3), headers={SECRET_HEADER: "x"})
    assert r.status_code == 404
