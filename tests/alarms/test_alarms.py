"""Alarms: the REST API, and the evaluator over a scripted demo market — once per crossing,
one reading per market, the message naming the value that crossed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import Api
from tests.engine.scripted import ScriptedSource, golden_cross_closes
from tradebot.alarms.evaluate import RUNNER, evaluate
from tradebot.context import AppContext
from tradebot.db import sole_runner, transaction
from tradebot.engine.context import EngineContext
from tradebot.market_data.collector import recent_markets
from tradebot.market_data.watched import Watch, watched_symbols
from tradebot.models import Notification, TelegramLink


class CountingSource(ScriptedSource):
    """The scripted market as the demo (computed in-process, never cached), counting reads."""

    local = True

    def __init__(self, closes: list[float], price: Decimal) -> None:
        super().__init__(closes, price)
        self.tickers = 0

    async def fetch_ticker(self, symbol: str) -> Any:
        self.tickers += 1
        return await super().fetch_ticker(symbol)


@pytest.fixture
def market(engine: EngineContext) -> CountingSource:
    source = CountingSource([100.0] * 60, Decimal(100))
    engine.exchanges.demo = source  # type: ignore[assignment]
    return source


async def _link(ctx: AppContext, user_id: int, chat_id: int = 5001) -> None:
    async with transaction(ctx.sessions) as s:
        s.add(TelegramLink(user_id=user_id, chat_id=chat_id))


async def _messages(ctx: AppContext) -> list[str]:
    async with ctx.sessions() as s:
        rows = await s.execute(select(Notification.text).order_by(Notification.id))
        return list(rows.scalars())


async def _alarm(api: Api, **body: Any) -> dict[str, Any]:
    response = await api.request("POST", "/alarms", json={"source": "demo", **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


# --- the REST API ---------------------------------------------------------------------------


async def test_create_list_get_delete(alice: Api, bob: Api) -> None:
    made = await _alarm(alice, symbol="btc", kind="price_above", threshold="65000.50")
    assert made["symbol"] == "BTC/USDT" and made["threshold"] == "65000.5"
    assert made["description"] == "BTC/USDT price > 65000.5"
    assert made["timeframe"] is None and made["fired_count"] == 0
    rsi = await _alarm(alice, symbol="ETHUSDT", kind="rsi_below", threshold=30)
    assert rsi["timeframe"] == "1h" and rsi["description"] == "ETH/USDT RSI(14) 1h < 30"
    cross = await _alarm(alice, symbol="SOL/USDT", kind="ema_cross", timeframe="15m")
    assert cross["description"] == "SOL/USDT EMA 9/21 cross 15m"
    listed = (await alice.request("GET", "/alarms")).json()
    assert [a["id"] for a in listed] == [made["id"], rsi["id"], cross["id"]]
    assert (await bob.request("GET", "/alarms")).json() == []
    assert (await bob.request("GET", f"/alarms/{made['id']}")).status_code == 404
    assert (await bob.request("DELETE", f"/alarms/{made['id']}")).status_code == 404
    assert (await alice.request("GET", f"/alarms/{made['id']}")).json()["id"] == made["id"]
    assert (await alice.request("DELETE", f"/alarms/{made['id']}")).status_code == 204
    assert (await alice.request("GET", f"/alarms/{made['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"kind": "price_above"}, "threshold", "required: the price to watch"),
        ({"kind": "rsi_below", "threshold": 150}, "threshold", "an RSI level is from 1 to 99"),
        ({"kind": "ema_cross", "threshold": 5}, "threshold", "an EMA cross takes no threshold"),
        (
            {"kind": "price_below", "threshold": 5, "timeframe": "1h"},
            "timeframe",
            "a price alarm takes no timeframe",
        ),
        ({"kind": "price_above", "threshold": -1}, "threshold", "greater than 0"),
        ({"kind": "volume", "threshold": 1}, "kind", "price_above"),
        ({"kind": "rsi_above", "threshold": 70, "timeframe": "7m"}, "timeframe", "1m"),
    ],
)
async def test_bad_alarms_are_refused_with_the_field(
    alice: Api, body: dict[str, Any], field: str, reason: str
) -> None:
    response = await alice.request("POST", "/alarms", json={"symbol": "BTC/USDT", **body})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(e["field"] == field and reason in e["reason"] for e in errors), errors
    assert (await alice.request("GET", "/alarms")).json() == []


async def test_bad_symbol_is_refused(alice: Api) -> None:
    response = await alice.request("POST", "/alarms", json={"symbol": "$$", "kind": "ema_cross"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "symbol"


async def test_per_user_limit(
    alice: Api, bob: Api, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ctx, "settings", ctx.settings.model_copy(update={"alarms_per_user": 2}))
    for level in (1, 2):
        await _alarm(alice, symbol="BTC/USDT", kind="price_above", threshold=level)
    third = await alice.request(
        "POST", "/alarms", json={"symbol": "BTC/USDT", "kind": "price_above", "threshold": 3}
    )
    assert third.status_code == 409 and "2 alarms" in third.json()["detail"]
    await _alarm(bob, symbol="BTC/USDT", kind="price_above", threshold=1)  # bob has his own


# --- the evaluator --------------------------------------------------------------------------


async def test_price_alarm_fires_once_per_crossing(
    alice: Api, ctx: AppContext, engine: EngineContext, market: CountingSource
) -> None:
    await _link(ctx, alice.user_id)
    made = await _alarm(alice, symbol="TSTA/USDT", kind="price_above", threshold="110")
    assert (await evaluate(engine)).fired == 0  # 100: below
    market.price = Decimal("120.5")
    assert (await evaluate(engine)).fired == 1
    assert await _messages(ctx) == ["🔔 TSTA/USDT price rose above 110: now 120.5"]
    for price in ("125", "130", "100", "105"):  # above, above, below, below: nothing
        market.price = Decimal(price)
        assert (await evaluate(engine)).fired == 0
    market.price = Decimal("111")
    assert (await evaluate(engine)).fired == 1
    texts = await _messages(ctx)
    assert texts[-1] == "🔔 TSTA/USDT price rose above 110: now 111" and len(texts) == 2
    state = (await alice.request("GET", f"/alarms/{made['id']}")).json()
    assert state["fired_count"] == 2 and state["last_value"] == "111"


async def test_already_true_fires_at_the_first_check(
    alice: Api, ctx: AppContext, engine: EngineContext, market: CountingSource
) -> None:
    await _link(ctx, alice.user_id)
    await _alarm(alice, symbol="TSTA/USDT", kind="price_below", threshold="150")
    assert (await evaluate(engine)).fired == 1
    assert (await evaluate(engine)).fired == 0
    assert await _messages(ctx) == ["🔔 TSTA/USDT price fell below 150: now 100"]


async def test_ema_cross_and_rsi(
    alice: Api, ctx: AppContext, engine: EngineContext, market: CountingSource
) -> None:
    await _link(ctx, alice.user_id)
    falling = [100 - 0.5 * i for i in range(60)]
    market.closes, market.price = falling, Decimal(str(falling[-1]))
    await _alarm(alice, symbol="TSTA/USDT", kind="ema_cross", timeframe="1m")
    await _alarm(alice, symbol="TSTA/USDT", kind="rsi_below", threshold=30, timeframe="1m")
    report = await evaluate(engine)
    assert report.fired == 1  # RSI far below 30; the cross only notes its side
    assert "RSI(14) 1m fell below 30: now" in (await _messages(ctx))[0]
    cross = golden_cross_closes()
    market.closes, market.price = cross, Decimal(str(cross[-1]))
    assert (await evaluate(engine)).fired == 1
    last = (await _messages(ctx))[-1]
    assert last.startswith("🔔 TSTA/USDT 1m: EMA 9 crossed above EMA 21 (")


async def test_one_reading_per_market(
    alice: Api, bob: Api, ctx: AppContext, engine: EngineContext, market: CountingSource
) -> None:
    for api in (alice, bob):
        await _alarm(api, symbol="TSTA/USDT", kind="price_above", threshold=1)
        await _alarm(api, symbol="TSTA/USDT", kind="price_below", threshold=1)
        await _alarm(api, symbol="TSTA/USDT", kind="rsi_above", threshold=70, timeframe="1m")
        await _alarm(api, symbol="TSTA/USDT", kind="ema_cross", timeframe="1m")
        await _alarm(api, symbol="TSTA/USDT", kind="ema_cross", timeframe="5m")
    report = await evaluate(engine)
    assert (report.alarms, report.markets) == (10, 1)
    assert market.tickers == 1 and market.fetches == 2  # one price, the candles of 1m and 5m
    # Nobody is linked: alarms still fire, and nothing is queued for a chat.
    assert report.fired == 2 and await _messages(ctx) == []


async def test_overlapping_runs_do_nothing(
    alice: Api, engine: EngineContext, market: CountingSource
) -> None:
    await _alarm(alice, symbol="TSTA/USDT", kind="price_above", threshold=1)
    async with sole_runner(engine.engine, RUNNER) as alone:
        assert alone
        report = await evaluate(engine)
    assert report.busy and market.tickers == 0
    assert (await evaluate(engine)).fired == 1


async def test_the_collector_keeps_alarm_markets_warm(alice: Api, engine: EngineContext) -> None:
    await _alarm(alice, symbol="BTC/USDT", kind="price_above", threshold=1, source="binance")
    await _alarm(
        alice, symbol="ETH/USDT", kind="rsi_below", threshold=30, timeframe="4h", source="binance"
    )
    watched = await watched_symbols(engine.sessions, recent_markets(engine), 0.0)
    assert Watch("live", "binance", "BTC/USDT", None) in watched
    assert Watch("live", "binance", "ETH/USDT", "4h") in watched
