"""Linking a chat from the bot: one-time codes, private chats only, one chat per account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.fakes.telegram_api import FakeBotApi
from tradebot.engine.context import EngineContext
from tradebot.models import TelegramLink, TelegramLinkCode
from tradebot.telegram import loader
from tradebot.telegram.handlers import linking
from tradebot.telegram_links import service

pytestmark = pytest.mark.usefixtures("telegram_bot")


async def new_code(api: Api) -> str:
    r = await api.request("POST", "/telegram/link-code")
    assert r.status_code == 201, r.text
    return str(r.json()["code"])


async def links(ctx: EngineContext) -> list[tuple[int, int, str | None]]:
    async with ctx.sessions() as session:
        rows = (await session.execute(select(TelegramLink).order_by(TelegramLink.id))).scalars()
        return [(r.user_id, r.chat_id, r.username) for r in rows]


async def test_link_binds_the_private_chat(
    bot_api: FakeBotApi, ctx: EngineContext, alice: Api
) -> None:
    chat = bot_api.chat(1001, username="alice_tg")
    assert (await chat.ask(f"/link {await new_code(alice)}")).text == linking.LINKED
    assert await links(ctx) == [(alice.user_id, 1001, "alice_tg")]
    assert (await chat.ask("/start")).text == linking.WELCOME_BACK


async def test_the_deep_link_start_links_too(
    bot_api: FakeBotApi, ctx: EngineContext, alice: Api
) -> None:
    code = await new_code(alice)
    assert (await bot_api.chat(1001).ask(f"/start {code.lower()}")).text == linking.LINKED
    assert [row[:2] for row in await links(ctx)] == [(alice.user_id, 1001)]


async def test_start_welcomes_unlinked_chats_and_groups(bot_api: FakeBotApi) -> None:
    assert (await bot_api.chat(1001).ask("/start")).text == linking.WELCOME
    assert (await bot_api.chat(-5001, "group").ask("/start")).text == linking.WELCOME_GROUP


async def test_an_expired_code_is_refused(
    bot_api: FakeBotApi, ctx: EngineContext, alice: Api, session: AsyncSession
) -> None:
    code = await new_code(alice)
    past = datetime.now(UTC) - timedelta(seconds=1)
    await session.execute(update(TelegramLinkCode).values(expires_at=past))
    await session.commit()
    assert "expired" in (await bot_api.chat(1001).ask(f"/link {code}")).text
    assert await links(ctx) == []


async def test_a_code_works_once(bot_api: FakeBotApi, ctx: EngineContext, alice: Api) -> None:
    code = await new_code(alice)
    assert (await bot_api.chat(1001).ask(f"/link {code}")).text == linking.LINKED
    assert "already used" in (await bot_api.chat(2002).ask(f"/link {code}")).text
    assert [row[1] for row in await links(ctx)] == [1001]


async def test_an_unknown_code_is_refused(bot_api: FakeBotApi, ctx: EngineContext) -> None:
    assert "not valid" in (await bot_api.chat(1001).ask("/link NOSUCHCODE")).text
    assert await links(ctx) == []


async def test_a_newer_code_replaces_the_older(
    bot_api: FakeBotApi, ctx: EngineContext, alice: Api
) -> None:
    older = await new_code(alice)
    newer = await new_code(alice)
    assert "not valid" in (await bot_api.chat(1001).ask(f"/link {older}")).text
    assert (await bot_api.chat(1001).ask(f"/link {newer}")).text == linking.LINKED


async def test_another_users_code_cannot_take_a_linked_chat(
    bot_api: FakeBotApi, ctx: EngineContext, alice: Api, bob: Api
) -> None:
    chat = bot_api.chat(1001)
    await chat.ask(f"/link {await new_code(alice)}")
    reply = await chat.ask(f"/link {await new_code(bob)}")
    assert "linked to another account" in reply.text
    assert [row[:2] for row in await links(ctx)] == [(alice.user_id, 1001)]
    assert (await chat.ask("/settings")).text.startswith("Notifications:")


async def test_linking_another_chat_moves_the_link(
    bot_api: FakeBotApi, ctx: EngineContext, alice: Api
) -> None:
    await bot_api.chat(1001).ask(f"/link {await new_code(alice)}")
    await bot_api.chat(2002).ask(f"/link {await new_code(alice)}")
    assert [row[:2] for row in await links(ctx)] == [(alice.user_id, 2002)]
    assert (await bot_api.chat(1001).ask("/settings")).text == loader.NOT_LINKED


async def test_groups_cannot_link(bot_api: FakeBotApi, ctx: EngineContext, alice: Api) -> None:
    group = bot_api.chat(-5001, "group")
    code = await new_code(alice)
    assert (await group.ask(f"/link {code}")).text == loader.PRIVATE_ONLY.format(name="link")
    assert "private chat" in (await group.ask(f"/start {code}")).text
    assert await links(ctx) == []
    # The code is still good for a private chat.
    assert (await bot_api.chat(1001).ask(f"/link {code}")).text == linking.LINKED


async def test_bad_arguments_get_the_usage_line(bot_api: FakeBotApi) -> None:
    chat = bot_api.chat(1001)
    assert (await chat.ask("/link")).text == "Usage: /link CODE"
    assert (await chat.ask("/link A B")).text == "Usage: /link CODE"
    assert (await chat.ask("/start A B")).text == "Usage: /start [CODE]"


async def test_unlink_makes_the_chat_an_unlinked_one(
    bot_api: FakeBotApi, ctx: EngineContext, alice: Api
) -> None:
    chat = bot_api.chat(1001)
    await chat.ask(f"/link {await new_code(alice)}")
    assert (await chat.ask("/unlink")).text == linking.UNLINKED
    assert await links(ctx) == []
    assert (await chat.ask("/settings")).text == loader.NOT_LINKED
    assert (await chat.ask("/unlink")).text == loader.NOT_LINKED


async def test_settings_show_and_switch_notifications(
    bot_api: FakeBotApi, ctx: EngineContext, alice: Api
) -> None:
    chat = bot_api.chat(1001)
    await chat.ask(f"/link {await new_code(alice)}")
    shown = (await chat.ask("/settings")).text
    assert "trade — on" in shown and "alarm — on" in shown
    switched = (await chat.ask("/settings TRADE off")).text
    assert "trade — off" in switched and "stopped — on" in switched
    async with ctx.sessions() as session:
        assert await service.notification_chat(session, alice.user_id, "trade") is None
        assert await service.notification_chat(session, alice.user_id, "stopped") == 1001
    usage = "Usage: /settings [trade|stopped|error|alarm on|off]"
    assert (await chat.ask("/settings trade")).text == usage
    assert (await chat.ask("/settings pizza on")).text.endswith(usage)
    assert (await chat.ask("/settings trade maybe")).text == f"Say on or off.\n{usage}"


async def test_settings_need_a_linked_chat(bot_api: FakeBotApi) -> None:
    assert (await bot_api.chat(1001).ask("/settings")).text == loader.NOT_LINKED
    group = (await bot_api.chat(-5001, "group").ask("/settings")).text
    assert group == loader.PRIVATE_ONLY.format(name="settings")
