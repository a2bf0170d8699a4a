"""/bots, /status, /startbot, /stopbot, /trades, /pnl and /balance from a linked chat: the
REST API's services, the caller's bots only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application

from tests.conftest import Api, secret_marker
from tests.engine.conftest import engine_settings
from tests.factories import add_trades
from tests.fakes.binance import FakeBinance
from tests.fakes.telegram_api import FakeBotApi, FakeChat
from tests.telegram.conftest import link_chat, telegram_settings
from tradebot.config import Settings
from tradebot.engine.context import EngineContext
from tradebot.telegram import loader
from tradebot.telegram.app import build_application, running
from tradebot.telegram.handlers.bots import NO_BOTS

NOT_FOUND = "Bot not found"


@pytest.fixture
async def chat(
    bot_api: FakeBotApi, ctx: EngineContext, alice: Api, telegram_bot: Application
) -> FakeChat:
    """Alice's linked private chat with the running bot."""
    await link_chat(ctx, alice.user_id, 1001)
    return bot_api.chat(1001)


async def test_bots_lists_the_callers_bots(chat: FakeChat, alice: Api, bob: Api) -> None:
    assert (await chat.ask("/bots")).text == NO_BOTS
    first = await alice.create_bot(name="First")
    second = await alice.create_bot(name="Second", symbol="ETH/USDT", timeframe="15m")
    await bob.create_bot(name="Bobs")
    lines = (await chat.ask("/bots")).text.splitlines()
    assert lines == [
        f"#{first['id']} First — BTC/USDT 1h demo — stopped, today 0",
        f"#{second['id']} Second — ETH/USDT 15m demo — stopped, today 0",
    ]


async def test_status_of_one_bot_or_the_running_ones(chat: FakeChat, alice: Api, bob: Api) -> None:
    mine = await alice.create_bot(name="Mine")
    theirs = await bob.create_bot()
    assert (await chat.ask("/status")).text == "No bot is running."
    detail = (await chat.ask(f"/status {mine['id']}")).text
    assert detail.startswith(f"#{mine['id']} Mine\nBTC/USDT 1h, demo on binance\nStatus: stopped")
    assert (await chat.ask(f"/status {theirs['id']}")).text == NOT_FOUND
    await alice.request("POST", f"/bots/{mine['id']}/start")
    assert (await chat.ask("/status")).text.startswith(f"#{mine['id']} Mine — ")
    bad = "ID must be a whole number of 1 or more.\nUsage: /status [ID]"
    assert (await chat.ask("/status x")).text == bad
    assert (await chat.ask("/status 1 2")).text == "Usage: /status [ID]"


async def test_startbot(chat: FakeChat, alice: Api, bob: Api) -> None:
    mine = await alice.create_bot(name="Mine")
    theirs = await bob.create_bot()
    assert (await chat.ask(f"/startbot {mine['id']}")).text == f"Started #{mine['id']} Mine."
    state = (await alice.request("GET", f"/bots/{mine['id']}")).json()
    assert state["is_active"] and state["state"]["status"] == "running"
    assert (await chat.ask(f"/startbot {theirs['id']}")).text == NOT_FOUND
    assert (await bob.request("GET", f"/bots/{theirs['id']}")).json()["is_active"] is False
    assert (await chat.ask("/startbot")).text == "Usage: /startbot ID"
    assert (await chat.ask("/startbot 99999999999")).text.startswith("ID must be")


async def test_stopbot_asks_first(chat: FakeChat, alice: Api) -> None:
    mine = await alice.create_bot(name="Mine")
    await alice.request("POST", f"/bots/{mine['id']}/start")
    question = await chat.ask(f"/stopbot {mine['id']}")
    assert question.text == f"Stop #{mine['id']} Mine (running)?"
    cancelled = await chat.press(question, "Cancel")
    assert cancelled.method == "editMessageText"
    assert cancelled.text == f"Left #{mine['id']} Mine as it was."
    assert (await alice.request("GET", f"/bots/{mine['id']}")).json()["is_active"] is True
    question = await chat.ask(f"/stopbot {mine['id']}")
    stopped = await chat.press(question, "Stop it")
    assert stopped.text == f"Stopped #{mine['id']} Mine."
    state = (await alice.request("GET", f"/bots/{mine['id']}")).json()["state"]
    assert state["status"] == "stopped" and state["stop_reason"] == "stopped_by_user"


async def test_a_forged_stop_button_cannot_reach_another_users_bot(
    chat: FakeChat, bot_api: FakeBotApi, alice: Api, bob: Api
) -> None:
    mine = await alice.create_bot()
    theirs = await bob.create_bot()
    await bob.request("POST", f"/bots/{theirs['id']}/start")
    question = await chat.ask(f"/stopbot {mine['id']}")
    mark = len(bot_api.calls)
    bot_api.push_callback(chat, question, f"stopbot:yes:{theirs['id']}")
    assert (await bot_api.wait_reply(1001, after=mark)).text == NOT_FOUND
    assert (await bob.request("GET", f"/bots/{theirs['id']}")).json()["is_active"] is True
    assert (await chat.ask(f"/stopbot {theirs['id']}")).text == NOT_FOUND


async def test_trades(chat: FakeChat, alice: Api, bob: Api, session: AsyncSession) -> None:
    assert (await chat.ask("/trades")).text == "No trades yet."
    mine = await alice.create_bot()
    theirs = await bob.create_bot()
    await add_trades(session, user_id=alice.user_id, bot_id=mine["id"], count=3)
    await add_trades(session, user_id=bob.user_id, bot_id=theirs["id"], count=2)
    lines = (await chat.ask("/trades")).text.splitlines()
    assert len(lines) == 3
    assert lines[0] == f"01-01 00:02 #{mine['id']} BUY 0.001 BTC/USDT at 50002.12"
    assert lines[1].endswith("SELL 0.001 BTC/USDT at 50001.12, P&L 1.5")
    assert len((await chat.ask(f"/trades {mine['id']} 2")).text.splitlines()) == 2
    assert (await chat.ask(f"/trades {theirs['id']}")).text == NOT_FOUND
    usage = "Usage: /trades [ID] [N up to 50]"
    assert (await chat.ask(f"/trades {mine['id']} 51")).text.endswith(usage)
    assert (await chat.ask(f"/trades {mine['id']} 0")).text.startswith("N must be a whole number")
    assert (await chat.ask("/trades 1 2 3")).text == usage


async def test_pnl(chat: FakeChat, alice: Api, bob: Api, session: AsyncSession) -> None:
    mine = await alice.create_bot(name="Mine")
    now = datetime.now(UTC).replace(second=0, microsecond=0, minute=0, hour=0)
    await add_trades(session, user_id=alice.user_id, bot_id=mine["id"], count=4, start=now)
    await add_trades(session, user_id=alice.user_id, bot_id=mine["id"], count=2)  # in 2026-01
    await add_trades(session, user_id=bob.user_id, bot_id=None, count=6, start=now)
    today = (await chat.ask("/pnl")).text
    assert today == "Today (UTC): P&L 3, fees 0.2, 4 trades (2 won, 0 lost)"
    week = (await chat.ask("/pnl week")).text.splitlines()
    assert week == [
        "Last 7 days: P&L 3, fees 0.2, 4 trades (2 won, 0 lost)",
        f"#{mine['id']} Mine: 3 (4 trades)",
    ]
    assert (await chat.ask("/pnl ALL")).text.startswith("All time: P&L 4.5, fees 0.3, 6 trades")
    assert (await chat.ask("/pnl year")).text == (
        "Choose day, week, month or all.\nUsage: /pnl [day|week|month|all]"
    )


async def test_balance_of_simulated_accounts(chat: FakeChat, alice: Api, bob: Api) -> None:
    assert (await chat.ask("/balance")).text == NO_BOTS
    demo = await alice.create_bot(name="Demo")
    paper = await alice.create_bot(name="Paper", mode="paper", initial_capital="250")
    theirs = await bob.create_bot()
    assert (await chat.ask("/balance")).text.splitlines() == [
        f"#{demo['id']} Demo (simulated): 10000 USDT",
        f"#{paper['id']} Paper (simulated): 250 USDT",
    ]
    assert (await chat.ask(f"/balance {theirs['id']}")).text == NOT_FOUND
    assert (await chat.ask("/balance a")).text.endswith("Usage: /balance [ID]")


@pytest.fixture
async def live_resources(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[EngineContext, FakeBinance]]:
    """An engine context whose exchanges are a fake Binance."""
    with FakeBinance() as fake:
        fake.set_price("BTCUSDT", "60000")
        overrides = engine_settings(settings, tmp_path, BINANCE_BASE_URL=fake.url)
        resources = EngineContext.create(overrides)
        try:
            yield resources, fake
        finally:
            await resources.close()


async def test_balance_of_a_live_bot_is_the_exchanges(
    live_resources: tuple[EngineContext, FakeBinance],
    bot_api: FakeBotApi,
    ctx: EngineContext,
    alice: Api,
    bob: Api,
) -> None:
    resources, fake = live_resources
    key, secret = secret_marker("k"), secret_marker("s")
    fake.add_account(key, secret, {"USDT": "1234.5", "BTC": "0.01"})
    body = {"api_key": key, "secret_key": secret}
    created = (await alice.request("POST", "/api-keys", json=body)).json()
    live = await alice.create_bot(name="Live", mode="live", api_key_id=created["id"])
    keyless = await bob.create_bot(name="Keyless", mode="testnet")  # bob has no key at all
    await link_chat(ctx, alice.user_id, 1001)
    await link_chat(ctx, bob.user_id, 2002)
    settings = telegram_settings(resources.settings, bot_api)
    application = build_application(settings, resources)
    async with running(application, settings):
        chat = bot_api.chat(1001)
        assert (await chat.ask(f"/balance {live['id']}")).text == (
            f"#{live['id']} Live (live exchange account): 0.01 BTC, 1234.5 USDT"
        )
        assert (await bot_api.chat(2002).ask(f"/balance {keyless['id']}")).text == (
            f"#{keyless['id']} Keyless: this bot has no API key: add one under API keys"
        )
        fake.remove_account(key)
        assert (await chat.ask(f"/balance {live['id']}")).text == (
            f"#{live['id']} Live: the exchange refused this bot's API key"
        )
    assert any(r.path == "/api/v3/account" for r in fake.requests)


@pytest.mark.usefixtures("telegram_bot")
async def test_trading_commands_stay_out_of_groups(bot_api: FakeBotApi) -> None:
    group = bot_api.chat(-5001, "group")
    for name in ("bots", "status", "startbot", "stopbot", "trades", "pnl", "balance"):
        assert (await group.ask(f"/{name}")).text == loader.PRIVATE_ONLY.format(name=name)
