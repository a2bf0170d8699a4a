"""Each rule of the handler contract, on the real Application and the fake Bot API."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.conftest import Api
from tests.fakes.telegram_api import FakeBotApi
from tests.telegram.conftest import TOKEN, link_chat
from tests.telegram.sample_handlers import PNG
from tradebot.engine.context import EngineContext
from tradebot.models import User
from tradebot.telegram import loader

pytestmark = pytest.mark.usefixtures("sample_bot")


async def test_bad_argument_counts_get_the_usage_line(bot_api: FakeBotApi) -> None:
    chat = bot_api.chat(1001)
    assert (await chat.ask("/echo")).text == "Usage: /echo WORD [WORD]"
    assert (await chat.ask("/echo a b c")).text == "Usage: /echo WORD [WORD]"
    assert (await chat.ask("/echo a b")).text == "a b"
    assert (await chat.ask("/say hi")).text == "hi"  # an alias


async def test_a_usage_error_says_what_is_wrong_then_the_usage(bot_api: FakeBotApi) -> None:
    reply = await bot_api.chat(1001).ask("/number x")
    assert reply.text == "N must be a whole number.\nUsage: /number N"


async def test_help_is_generated_and_groups_see_only_group_commands(
    bot_api: FakeBotApi,
) -> None:
    private = (await bot_api.chat(1001).ask("/help")).text
    assert private.index("Getting started:") < private.index("Market:")
    assert private.index("Market:") < private.index("Trading:")
    assert "/echo WORD [WORD] — Say it back (also /say)" in private
    assert "/whoami — The linked account [linked account]" in private
    group = (await bot_api.chat(-5001, "group").ask("/help")).text
    assert "/echo" in group
    assert "/whoami" not in group and "/secretive" not in group
    detail = (await bot_api.chat(1001).ask("/help whoami")).text
    assert detail.startswith("/whoami\nThe linked account.")


async def test_command_menus_come_from_the_declarations(bot_api: FakeBotApi) -> None:
    private = {c["command"]: c["description"] for c in bot_api.commands["all_private_chats"]}
    group = {c["command"] for c in bot_api.commands["all_group_chats"]}
    assert private["echo"] == "Say it back"
    assert {"echo", "whoami", "secretive", "help"} <= set(private)
    assert "echo" in group and "whoami" not in group and "secretive" not in group


async def test_unknown_commands(bot_api: FakeBotApi) -> None:
    assert "/help" in (await bot_api.chat(1001).ask("/nosuch")).text
    group = bot_api.chat(-5001, "group")
    mark = len(bot_api.sent(-5001))
    group.send("/nosuch")  # maybe another bot's: no answer
    group.send("/help@another_bot")
    reply = await group.ask(f"/nosuch@{bot_api.username}")
    assert "/nosuch" in reply.text
    assert [c.text for c in bot_api.sent(-5001)[mark:]] == [reply.text]


async def test_account_commands_need_a_linked_private_chat(
    bot_api: FakeBotApi, ctx: EngineContext, alice: Api
) -> None:
    assert "not linked" in (await bot_api.chat(1001).ask("/whoami")).text
    await link_chat(ctx, alice.user_id, 1001)
    assert (await bot_api.chat(1001).ask("/whoami")).text == f"user {alice.user_id}"
    # A group never reaches account data, even one whose id is a linked chat's.
    reply = await bot_api.chat(-1001, "supergroup").ask("/whoami")
    assert "private chat" in reply.text


async def test_a_deactivated_account_is_not_linked(
    bot_api: FakeBotApi, ctx: EngineContext, alice: Api
) -> None:
    await link_chat(ctx, alice.user_id, 1001)
    async with ctx.sessions.begin() as session:
        await session.execute(update(User).where(User.id == alice.user_id).values(is_active=False))
    assert "not linked" in (await bot_api.chat(1001).ask("/whoami")).text


async def test_private_only_commands_are_refused_in_groups(bot_api: FakeBotApi) -> None:
    assert (await bot_api.chat(1001).ask("/secretive")).text == "private, user None"
    reply = await bot_api.chat(-5001, "group").ask("/secretive")
    assert reply.text == loader.PRIVATE_ONLY.format(name="secretive")


async def test_a_failing_handler_apologises_and_logs_without_the_token(
    bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        assert (await bot_api.chat(1001).ask("/boom")).text == loader.APOLOGY
        assert (await bot_api.chat(1001).ask("/echo still here")).text == "still here"
    failure = next(r for r in caplog.records if "telegram /boom failed" in r.getMessage())
    assert failure.exc_text and "RuntimeError" in failure.exc_text
    assert "<bot-token>" in failure.exc_text


async def test_a_domain_error_is_its_sentence(bot_api: FakeBotApi) -> None:
    assert (await bot_api.chat(1001).ask("/missing")).text == "Bot not found"


async def test_buttons_reach_their_handler_and_edit_the_message(bot_api: FakeBotApi) -> None:
    chat = bot_api.chat(1001)
    question = await chat.ask("/ask")
    assert [b["text"] for b in question.buttons[0]] == ["Yes", "No"]
    edited = await chat.press(question, "Yes")
    assert edited.method == "editMessageText" and edited.text == "answered yes 7"
    answered = await bot_api.wait_call(lambda c: c.method == "answerCallbackQuery")
    assert answered.params["callback_query_id"]


async def test_a_429_is_waited_out_and_the_reply_still_arrives(bot_api: FakeBotApi) -> None:
    bot_api.throttle("sendMessage", retry_after=1)
    started = time.monotonic()
    reply = await bot_api.chat(1001).ask("/echo late", timeout=10)
    assert reply.text == "late"
    attempts = [c for c in bot_api.calls if c.method == "sendMessage"]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0
    assert time.monotonic() - started >= 1.0


async def test_no_token_in_any_log_line(
    bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await bot_api.chat(1001).ask("/echo hello")
        await bot_api.chat(1001).ask("/boom")
    lines = [caplog.text, *(r.exc_text or "" for r in caplog.records)]
    assert any("bot<bot-token>/sendMessage" in line for line in lines)  # httpx's lines seen
    assert not any(TOKEN in line for line in lines)


async def test_a_photo_is_uploaded_with_its_caption(bot_api: FakeBotApi) -> None:
    reply = await bot_api.chat(1001).ask("/picture")
    assert reply.method == "sendPhoto" and reply.text == "a chart"
    assert reply.files["photo"] == PNG


def test_the_readme_lists_the_commands_as_generated() -> None:
    """The README's command table is `tradebot telegram-commands`' output, up to date."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start, end = "<!-- telegram-commands -->\n", "\n<!-- /telegram-commands -->"
    listed = readme.split(start, 1)[1].split(end, 1)[0]
    assert listed == loader.command_table(loader.load_registry())
