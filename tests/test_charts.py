"""Chart data: closed candles from the shared market data, the bots' own indicators over
them (null while warming up), trade markers and the open position's levels."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api, make_settings, signup
from tests.factories import add_trades
from tests.fakes.binance import FakeBinance
from tradebot.app import create_app
from tradebot.config import Settings
from tradebot.core.indicators import ema, rsi
from tradebot.models import BotState


def _none_to_nan(values: list[float | None]) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in values])


async def test_market_chart_warmup_is_null_and_matches_the_bots_indicators(alice: Api) -> None:
    r = await alice.request(
        "GET",
        "/markets/chart?symbol=btc/usdt&timeframe=1m&limit=999&ema_fast=5&ema_slow=30&rsi_period=7",
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["symbol"] == "BTC/USDT" and body["market"] == "demo"
    candles = body["candles"]
    assert len(candles) == 999
    times = [c["time"] for c in candles]
    assert times == sorted(times) and times[1] - times[0] == 60
    # closed candles only: the last one ended before the latest price was seen
    now = datetime.now(UTC).timestamp()
    assert times[-1] + 60 <= now + 1
    ind = body["indicators"]
    assert ind["ema_slow"][:29] == [None] * 29 and ind["ema_slow"][29] is not None
    assert ind["rsi"][:7] == [None] * 7 and ind["rsi"][7] is not None
    closes = np.array([c["close"] for c in candles])
    # All 999 candles read are shown, so the same code over them gives the same values.
    np.testing.assert_allclose(_none_to_nan(ind["ema_fast"]), ema(closes, 5), equal_nan=True)
    np.testing.assert_allclose(_none_to_nan(ind["ema_slow"]), ema(closes, 30), equal_nan=True)
    np.testing.assert_allclose(_none_to_nan(ind["rsi"]), rsi(closes, 7), equal_nan=True)


async def test_a_short_chart_is_warmed_up_from_the_candles_before_it(alice: Api) -> None:
    r = await alice.request("GET", "/markets/chart?symbol=ETH/USDT&timeframe=5m&limit=20")
    assert r.status_code == 200, r.text
    ind = r.json()["indicators"]
    assert len(ind["ema_slow"]) == 20 and None not in ind["ema_slow"] + ind["rsi"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("symbol=BTC/USDT&timeframe=1m&limit=1000", "limit"),
        ("symbol=BTC/USDT&timeframe=1m&limit=0", "limit"),
        ("symbol=BTC/USDT&timeframe=7m", "timeframe"),
        ("symbol=BTCUSDT&timeframe=1m", "symbol"),
        ("symbol=BTC/USDT&timeframe=1m&source=kraken", "source"),
        ("symbol=BTC/USDT&timeframe=1m&ema_fast=21&ema_slow=9", "ema_fast"),
        ("symbol=BTC/USDT&timeframe=1m&rsi_period=1", "rsi_period"),
    ],
)
async def test_market_chart_refuses_bad_input(alice: Api, query: str, field: str) -> None:
    r = await alice.request("GET", f"/markets/chart?{query}")
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field


async def test_bot_chart_has_its_periods_markers_and_levels(
    alice: Api, session: AsyncSession
) -> None:
    bot = await alice.create_bot(timeframe="1m", ema_fast=4, ema_slow=11, rsi_period=6)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    await add_trades(
        session, user_id=alice.user_id, bot_id=bot["id"], count=2, start=now - timedelta(minutes=5)
    )
    # one trade long before the chart's window is no marker
    await add_trades(
        session, user_id=alice.user_id, bot_id=bot["id"], count=1, start=now - timedelta(days=3)
    )
    await session.execute(
        update(BotState)
        .where(BotState.id == bot["id"])
        .values(
            in_position=True,
            entry_price=Decimal("60000"),
            stop_loss_price=Decimal("58800"),
            take_profit_price=Decimal("62400"),
        )
    )
    await session.commit()
    r = await alice.request("GET", f"/bots/{bot['id']}/chart?limit=60")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["bot_id"] == bot["id"] and body["timeframe"] == "1m"
    assert body["periods"] == {"ema_fast": 4, "ema_slow": 11, "rsi_period": 6}
    assert len(body["candles"]) == 60
    markers = body["markers"]
    assert [m["side"] for m in markers] == ["BUY", "SELL"]
    assert markers[0]["time"] == int((now - timedelta(minutes=5)).timestamp())
    assert markers[0]["candle_time"] == markers[0]["time"]
    assert markers[1]["price"] == pytest.approx(50001.12)
    assert body["levels"] == {
        "entry": 60000.0,
        "stop_loss": 58800.0,
        "take_profit": 62400.0,
        "trailing_stop": None,
    }


async def test_bot_chart_without_a_position_has_no_levels(alice: Api) -> None:
    bot = await alice.create_bot(timeframe="1h")
    r = await alice.request("GET", f"/bots/{bot['id']}/chart?limit=10")
    assert r.status_code == 200, r.text
    assert r.json()["levels"] is None and r.json()["markers"] == []
    assert (await alice.request("GET", f"/bots/{bot['id']}/chart?limit=5000")).status_code == 422


@pytest.fixture
async def binance_client(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, FakeBinance]]:
    with FakeBinance() as fake:
        fake.set_price("BTCUSDT", "60000")
        app = create_app(
            make_settings(
                str(settings.database_url),
                str(settings.redis_url),
                tmp_path,
                ENCRYPTION_KEYS=settings.fernet_keys[0],
                JWT_SECRET=settings.jwt_secret.get_secret_value(),  # type: ignore[union-attr]
                BINANCE_BASE_URL=fake.url,
                EXCHANGE_TIMEOUT=2,
            )
        )
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t/api/v1"
            ) as c,
        ):
            yield c, fake


async def test_binance_charts_come_from_the_shared_cache(
    ctx: object, binance_client: tuple[httpx.AsyncClient, FakeBinance]
) -> None:
    client, fake = binance_client
    user = await signup(client)
    bot = await user.create_bot(mode="paper", timeframe="1h")
    for path in (
        "/markets/chart?symbol=BTC/USDT&timeframe=1h&source=binance&limit=100",
        f"/bots/{bot['id']}/chart?limit=200",
        "/markets/chart?symbol=BTC/USDT&timeframe=1h&source=binance&limit=50",
    ):
        r = await user.request("GET", path)
        assert r.status_code == 200, r.text
        assert r.json()["market"] == "binance"
    # one candle read serves every chart of the market (and the bots) this period
    assert fake.count("GET /api/v3/klines") == 1
    r = await user.request(
        "GET", "/markets/chart?symbol=NOPE/USDT&timeframe=1h&source=binance&limit=10"
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "symbol"
