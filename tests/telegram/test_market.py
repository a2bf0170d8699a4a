"""/price, /ta, /chart, /funding and /oi through the real Application and the fake Bot API:
public commands (no link needed, groups too), cache first, the fake Binance counted."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from telegram.ext import Application

from tests.engine.conftest import engine_settings
from tests.fakes.binance import FakeBinance
from tests.fakes.telegram_api import FakeBotApi, FakeChat
from tests.telegram.conftest import telegram_settings
from tradebot.bots.rules import TIMEFRAMES
from tradebot.config import Settings
from tradebot.engine.context import EngineContext
from tradebot.market_data.collector import collect, recent_markets
from tradebot.market_data.watched import Watch
from tradebot.telegram.app import build_application, running


@pytest.fixture
def fake() -> Iterator[FakeBinance]:
    with FakeBinance() as server:
        yield server


async def market_bot(
    settings: Settings, tmp_path: Path, api: FakeBotApi, fake: FakeBinance, market: str
) -> AsyncIterator[tuple[Application, EngineContext]]:  # type: ignore[type-arg]
    base = engine_settings(settings, tmp_path, BINANCE_BASE_URL=fake.url, TELEGRAM_MARKET=market)
    bot_settings = telegram_settings(base, api)
    resources = EngineContext.create(bot_settings)
    try:
        application = build_application(bot_settings, resources)
        async with running(application, bot_settings):
            yield application, resources
    finally:
        await resources.close()


@pytest.fixture
async def binance_bot(
    ctx: EngineContext, settings: Settings, tmp_path: Path, bot_api: FakeBotApi, fake: FakeBinance
) -> AsyncIterator[EngineContext]:
    async for _, resources in market_bot(settings, tmp_path, bot_api, fake, "binance"):
        yield resources


@pytest.fixture
async def demo_bot(
    ctx: EngineContext, settings: Settings, tmp_path: Path, bot_api: FakeBotApi, fake: FakeBinance
) -> AsyncIterator[EngineContext]:
    async for _, resources in market_bot(settings, tmp_path, bot_api, fake, "demo"):
        yield resources


async def test_every_market_command_answers_an_unlinked_chat(
    binance_bot: EngineContext, bot_api: FakeBotApi
) -> None:
    chat = bot_api.chat(2001)  # never linked
    price = await chat.ask("/price btc")
    assert price.method == "sendMessage" and price.text.startswith("BTC/USDT ")
    assert price.text.splitlines()[1].startswith("Binance · ")
    ta = (await chat.ask("/ta ETHUSDT 4h")).text
    assert ta.startswith("ETH/USDT · 4h · Binance") and "\nSignal: " in ta
    chart = await chat.ask("/chart BTC/USDT 15m")
    assert chart.method == "sendPhoto" and chart.files["photo"].startswith(b"\x89PNG")
    assert chart.text.startswith("BTC/USDT · 15m · Binance\nCandles to ")
    assert "Funding +0.0100 % per period" in (await chat.ask("/funding BTC/USDT")).text
    assert "Open interest 16,666.67 ETH" in (await chat.ask("/oi eth")).text


async def test_group_chats_may_use_them(binance_bot: EngineContext, bot_api: FakeBotApi) -> None:
    group = bot_api.chat(-3001, "group", from_id=77)
    assert (await group.ask("/ta BTC/USDT")).text.startswith("BTC/USDT · 1h · Binance")
    menu = (await group.ask("/help")).text
    for name in ("/price", "/ta", "/chart", "/funding", "/oi"):
        assert name in menu


async def test_bad_arguments_get_the_reason_and_the_usage_line(
    binance_bot: EngineContext, bot_api: FakeBotApi
) -> None:
    chat = bot_api.chat(2002)
    assert (await chat.ask("/price")).text == "Usage: /price SYMBOL"
    assert (await chat.ask("/price a b")).text == "Usage: /price SYMBOL"
    assert (await chat.ask("/ta")).text == "Usage: /ta SYMBOL [TIMEFRAME]"
    bad_tf = (await chat.ask("/ta BTC/USDT 7m")).text
    assert bad_tf == (
        f"Unknown timeframe '7m': use one of {', '.join(TIMEFRAMES)}.\n"
        "Usage: /ta SYMBOL [TIMEFRAME]"
    )
    unknown = (await chat.ask("/chart XRP/USDT")).text
    assert unknown == "XRP/USDT is not listed on Binance.\nUsage: /chart SYMBOL [TIMEFRAME]"
    not_a_symbol = (await chat.ask("/funding BTC/US$")).text
    assert (
        not_a_symbol.startswith("'BTC/US$' is not a symbol") and "Usage: /funding" in not_a_symbol
    )
    missing = (await chat.ask("/oi ETH/BTC")).text
    assert missing == (
        "Open interest: not available — ETH/BTC has no perpetual contract on Binance USDⓈ-M."
    )


async def test_a_busy_exchange_is_said_plainly(
    binance_bot: EngineContext, bot_api: FakeBotApi, fake: FakeBinance
) -> None:
    fake.fail_next("GET /api/v3/ticker/24hr", "429", retry_after=5)
    reply = (await bot_api.chat(2003).ask("/price BTC/USDT")).text
    assert reply == "Binance asks us to slow down: try again in 5 s."


async def test_ta_on_a_warm_cache_makes_no_exchange_call(
    binance_bot: EngineContext, bot_api: FakeBotApi, fake: FakeBinance
) -> None:
    now = binance_bot.market_data.now()
    await recent_markets(binance_bot).record(Watch("live", "binance", "BNB/USDT", "1h"), now)
    await collect(binance_bot)
    before = len(fake.requests)
    chat = bot_api.chat(2004)
    for _ in range(3):
        assert (await chat.ask("/ta BNB/USDT 1h")).text.startswith("BNB/USDT · 1h · Binance")
    assert (await chat.ask("/price BNB/USDT")).text.startswith("BNB/USDT ")
    assert len(fake.requests) == before


async def test_demo_market_serves_every_command_offline(
    demo_bot: EngineContext, bot_api: FakeBotApi, fake: FakeBinance
) -> None:
    chat: FakeChat = bot_api.chat(2005)
    assert (await chat.ask("/price SOL/USDT")).text.splitlines()[1] == "demo market · just now"
    assert (await chat.ask("/ta SOL/USDT 5m")).text.startswith("SOL/USDT · 5m · demo market")
    assert (await chat.ask("/chart SOL/USDT")).method == "sendPhoto"
    assert "per period" in (await chat.ask("/funding SOL/USDT")).text
    assert "Open interest" in (await chat.ask("/oi SOL/USDT")).text
    assert (await chat.ask("/funding SOL/EUR")).text == (
        "Funding: not available — SOL/EUR has no perpetual contract in the demo market."
    )
    assert fake.requests == []
