"""The market commands' service over the real cache, Redis and the fake Binance (counted)."""

from __future__ import annotations

import re

import pytest

from tests.fakes.binance import FakeBinance
from tradebot.analysis.offload import ChartWorkers
from tradebot.analysis.service import BadInput, MarketService, MarketUnavailable
from tradebot.engine.context import EngineContext
from tradebot.market_data.codec import Stamped, encode_ticker
from tradebot.market_data.collector import collect, command_max_age, recent_markets
from tradebot.market_data.watched import Watch

KLINES, TICKER = "GET /api/v3/klines", "GET /api/v3/ticker/24hr"


def calls(fake: FakeBinance) -> int:
    return len(fake.requests)


@pytest.fixture
def service(engine: EngineContext, chart_workers: ChartWorkers) -> MarketService:
    return MarketService(engine, "binance", chart_workers)


async def test_warm_cache_answers_every_command_without_the_exchange(
    engine: EngineContext, service: MarketService, fake: FakeBinance
) -> None:
    now = engine.market_data.now()
    await recent_markets(engine).record(Watch("live", "binance", "BTC/USDT", "1h"), now)
    report = await collect(engine)
    assert report.markets == 1 and not report.failures
    before = calls(fake)
    ta = await service.ta_reply("BTC/USDT", "1h")
    price = await service.price_reply("btc")
    chart = await service.chart_png("BTCUSDT", "1h")
    funding = await service.funding_reply("BTC/USDT")
    interest = await service.oi_reply("BTC/USDT")
    assert calls(fake) == before  # zero exchange calls: all five read the collector's cache
    assert ta.startswith("BTC/USDT · 1h · Binance") and "Signal: " in ta
    assert price.startswith("BTC/USDT ") and price.splitlines()[1].startswith("Binance · ")
    assert chart.png.startswith(b"\x89PNG") and "Candles to" in chart.caption
    assert "Funding +0.0100 % per period" in funding
    assert "Open interest 833.333 BTC" in interest and "m USDT" in interest


async def test_cold_cache_fetches_once_then_serves_from_the_cache(
    service: MarketService, fake: FakeBinance
) -> None:
    first = await service.ta_reply("ETH/USDT", "4h")
    assert fake.count(KLINES) == 1 and fake.count(TICKER) == 1
    assert re.fullmatch(r"Price [\d,.]+ USDT \((just now|\d s old)\)", first.splitlines()[1])
    second = await service.ta_reply("eth", "4h")
    assert fake.count(KLINES) == 1 and fake.count(TICKER) == 1
    assert second.splitlines()[2:] == first.splitlines()[2:]  # same candles, same values


async def test_a_stale_price_is_fetched_again(
    engine: EngineContext, service: MarketService, fake: FakeBinance
) -> None:
    await service.price_reply("BNB/USDT")
    md = engine.market_data
    key = md.ticker_key("binance", "BNB/USDT")
    cached = await md.cached_ticker("binance", "BNB/USDT", max_age=60)
    assert cached is not None
    too_old = md.now() - command_max_age(engine.settings) - 1
    await engine.redis.set(key, encode_ticker(Stamped(cached, too_old)))
    reply = await service.price_reply("BNB/USDT")
    assert fake.count(TICKER) == 2 and "just now" in reply


async def test_commands_are_remembered_for_the_collector(
    engine: EngineContext, service: MarketService
) -> None:
    await service.ta_reply("BTC/USDT", "15m")
    await service.price_reply("ETH/USDT")
    watched = await recent_markets(engine).current(engine.market_data.now())
    assert watched == {
        Watch("live", "binance", "BTC/USDT", "15m"),
        Watch("live", "binance", "ETH/USDT", None),
    }


async def test_unknown_symbol_and_bad_timeframe_are_explained(
    engine: EngineContext, service: MarketService
) -> None:
    with pytest.raises(BadInput, match=r"XRP/USDT is not listed on Binance\."):
        await service.ta_reply("XRP/USDT")
    with pytest.raises(BadInput, match="use one of 1m, 3m, 5m"):
        await service.chart_png("BTC/USDT", "2m")
    assert await recent_markets(engine).current(engine.market_data.now()) == set()


async def test_a_busy_exchange_is_a_reply_not_a_crash(
    service: MarketService, fake: FakeBinance
) -> None:
    fake.fail_next(TICKER, "429", retry_after=7)
    with pytest.raises(MarketUnavailable, match="asks us to slow down: try again in 7 s"):
        await service.price_reply("BTC/USDT")


async def test_perpetual_data_missing_for_a_symbol_says_so(service: MarketService) -> None:
    assert await service.funding_reply("ETH/BTC") == (
        "Funding: not available — ETH/BTC has no perpetual contract on Binance USDⓈ-M."
    )
    assert (await service.oi_reply("ETH/BTC")).startswith("Open interest: not available")


async def test_demo_market_answers_everything_offline(
    engine: EngineContext, chart_workers: ChartWorkers, fake: FakeBinance
) -> None:
    demo = MarketService(engine, "demo", chart_workers)
    ta = await demo.ta_reply("SOL/USDT", "1h")
    assert ta.startswith("SOL/USDT · 1h · demo market") and "(just now)" in ta
    assert (await demo.price_reply("sol")).startswith("SOL/USDT ")
    assert (await demo.chart_png("SOL/USDT", "5m")).png.startswith(b"\x89PNG")
    assert "Funding " in await demo.funding_reply("SOL/USDT")
    assert "Open interest " in await demo.oi_reply("SOL/USDT")
    assert "not available" in await demo.funding_reply("SOL/BTC")
    assert fake.requests == []  # the demo market never touches an exchange
    assert await recent_markets(engine).current(engine.market_data.now()) == set()
