"""/alarm, /alarms and /alarm_del from a linked chat: the REST API's alarm service."""

from __future__ import annotations

import pytest
from telegram.ext import Application

from tests.conftest import Api
from tests.fakes.telegram_api import FakeBotApi, FakeChat
from tests.telegram.conftest import link_chat
from tradebot.engine.context import EngineContext
from tradebot.telegram import loader
from tradebot.telegram.handlers.alarms import USAGE

USAGE_LINE = f"Usage: {USAGE}"


@pytest.fixture
async def chat(
    bot_api: FakeBotApi, ctx: EngineContext, alice: Api, telegram_bot: Application
) -> FakeChat:
    await link_chat(ctx, alice.user_id, 1001)
    return bot_api.chat(1001)


@pytest.mark.parametrize(
    ("words", "described"),
    [
        ("btc price > 65000", "BTC/USDT price > 65000"),
        ("ETH/USDT price<2,500.5", "ETH/USDT price < 2500.5"),
        ("SOLUSDT rsi < 30", "SOL/USDT RSI(14) 1h < 30"),
        ("btc RSI > 70 4H", "BTC/USDT RSI(14) 4h > 70"),
        ("btc cross ema", "BTC/USDT EMA 9/21 cross 1h"),
        ("btc cross ema 15m", "BTC/USDT EMA 9/21 cross 15m"),
    ],
)
async def test_alarm_forms(chat: FakeChat, alice: Api, words: str, described: str) -> None:
    reply = (await chat.ask(f"/alarm {words}")).text
    listed = (await alice.request("GET", "/alarms")).json()
    assert len(listed) == 1 and listed[0]["description"] == described
    assert reply.startswith(f"Alarm #{listed[0]['id']} set: {described}. I check it every")


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        ("", None),
        ("btc", None),
        ("btc volume > 5", "Say what to watch: price, rsi or cross ema."),
        ("btc price > lots", "'lots' is not a number."),
        ("btc price > -5", "threshold: Input should be greater than 0"),
        ("btc rsi < 130", "threshold: an RSI level is from 1 to 99"),
        ("btc rsi < 30 7m", "timeframe: Input should be '1m'"),
        ("$$ price > 5", "symbol: '$$' is not a symbol"),
        ("btc price > 5 1h", "timeframe: a price alarm takes no timeframe"),
    ],
)
async def test_bad_alarms_get_the_reason_and_usage(
    chat: FakeChat, alice: Api, words: str, problem: str | None
) -> None:
    reply = (await chat.ask(f"/alarm {words}".strip())).text
    assert reply.endswith(USAGE_LINE)
    if problem is not None:
        assert reply.startswith(problem), reply
    assert (await alice.request("GET", "/alarms")).json() == []


async def test_list_and_delete_own_alarms_only(chat: FakeChat, alice: Api, bob: Api) -> None:
    assert (await chat.ask("/alarms")).text.startswith("No alarms. Set one with /alarm SYMBOL")
    await chat.ask("/alarm btc price > 65000")
    await chat.ask("/alarm eth rsi < 25")
    theirs = await bob.request("POST", "/alarms", json={"symbol": "BTC/USDT", "kind": "ema_cross"})
    ids = [a["id"] for a in (await alice.request("GET", "/alarms")).json()]
    assert (await chat.ask("/alarms")).text.splitlines() == [
        f"#{ids[0]} BTC/USDT price > 65000",
        f"#{ids[1]} ETH/USDT RSI(14) 1h < 25",
    ]
    assert (await chat.ask(f"/alarm_del {theirs.json()['id']}")).text == "Alarm not found"
    assert len((await bob.request("GET", "/alarms")).json()) == 1
    assert (await chat.ask(f"/alarm_del {ids[0]}")).text == f"Alarm #{ids[0]} deleted."
    assert (await chat.ask("/alarm_del x")).text.startswith("ID must be a whole number")
    assert len((await chat.ask("/alarms")).text.splitlines()) == 1


async def test_the_limit_is_told(
    chat: FakeChat, ctx: EngineContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ctx, "settings", ctx.settings.model_copy(update={"alarms_per_user": 1}))
    await chat.ask("/alarm btc price > 1")
    assert (await chat.ask("/alarm btc price > 2")).text == (
        "You have 1 alarms, the most one may keep: delete one first"
    )


async def test_unlinked_and_group_chats_cannot_set_alarms(
    bot_api: FakeBotApi, telegram_bot: Application
) -> None:
    assert (await bot_api.chat(2002).ask("/alarms")).text == loader.NOT_LINKED
    group = (await bot_api.chat(-7001, "group").ask("/alarm btc price > 5")).text
    assert group == loader.PRIVATE_ONLY.format(name="alarm")
