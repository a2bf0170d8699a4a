from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from tradebot.exchange.demo_market import DemoClock, DemoMarket, symbol_profile

START = datetime(2024, 3, 1, tzinfo=UTC)
MINUTE = 60_000


def test_same_seed_same_market_and_ranges_are_independent() -> None:
    a = DemoMarket(seed=7).candles("BTC/USDT", "1m", START, START + timedelta(days=2))
    # a fresh market asked only for the second day computes the same candles
    b = DemoMarket(seed=7).candles(
        "BTC/USDT", "1m", START + timedelta(days=1), START + timedelta(days=2)
    )
    np.testing.assert_array_equal(a.close[1440:], b.close)
    np.testing.assert_array_equal(a.open_time[1440:], b.open_time)
    other = DemoMarket(seed=8).candles("BTC/USDT", "1m", START, START + timedelta(hours=1))
    assert not np.array_equal(other.close, a.close[:60])


def test_candles_are_continuous_valid_and_on_tick() -> None:
    c = DemoMarket().candles("ETH/USDT", "1m", START, START + timedelta(days=3))
    assert len(c) == 3 * 1440
    np.testing.assert_array_equal(c.open[1:], c.close[:-1])  # across day boundaries too
    assert (c.high >= np.maximum(c.open, c.close)).all()
    assert (c.low <= np.minimum(c.open, c.close)).all()
    assert (c.volume > 0).all()
    np.testing.assert_allclose(c.close * 1000, np.round(c.close * 1000), atol=1e-6)  # tick 0.001
    assert (np.diff(c.open_time) == MINUTE).all()


def test_higher_timeframes_aggregate_minutes() -> None:
    market = DemoMarket(seed=3)
    end = START + timedelta(days=2)
    minutes = market.candles("SOL/USDT", "1m", START, end)
    hours = market.candles("SOL/USDT", "1h", START, end)
    days = market.candles("SOL/USDT", "1d", START, end)
    assert len(hours) == 48 and len(days) == 2
    grouped = minutes.high.reshape(48, 60)
    np.testing.assert_array_equal(hours.high, grouped.max(axis=1))
    np.testing.assert_array_equal(hours.open, minutes.open[::60])
    np.testing.assert_array_equal(hours.close, minutes.close[59::60])
    np.testing.assert_allclose(days.volume, minutes.volume.reshape(2, -1).sum(axis=1), rtol=1e-9)
    assert days.low[0] == minutes.low[:1440].min()


def test_unaligned_start_rounds_up_to_timeframe() -> None:
    hours = DemoMarket().candles(
        "BTC/USDT", "4h", START + timedelta(minutes=5), START + timedelta(days=1)
    )
    assert datetime.fromtimestamp(hours.open_time[0] / 1000, UTC) == START + timedelta(hours=4)
    assert len(hours) == 5


def test_plausible_prices_and_volatility() -> None:
    market = DemoMarket()
    btc = market.candles(
        "BTC/USDT", "1d", datetime(2023, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
    )
    assert btc.close.min() > 15_000 and btc.close.max() < 250_000
    daily = np.diff(np.log(btc.close))
    assert 0.01 < daily.std() < 0.08
    hourly = market.candles("BTC/USDT", "1h", START, START + timedelta(days=30))
    moves = np.abs(np.diff(np.log(hourly.close)))
    assert moves.max() > 4 * np.median(moves)  # fat tails / clustering, not a flat walk
    eth = market.candles("ETH/USDT", "1d", START, START + timedelta(days=5)).close
    assert eth.min() > 500 and eth.max() < 15_000
    other = symbol_profile("FOO/USDT")
    assert 1 <= other.price <= 100


def test_market_rules() -> None:
    btc = DemoMarket().market_rules("BTC/USDT")
    assert btc.price_tick == Decimal("0.01") and btc.amount_step == Decimal("0.00001")
    assert btc.min_notional == Decimal(5) and (btc.base, btc.quote) == ("BTC", "USDT")
    cross = symbol_profile("ETH/BTC").rules
    assert cross.amount_step == Decimal("0.0001") and cross.min_notional < Decimal("0.001")
    with pytest.raises(ValueError, match="BASE/QUOTE"):
        symbol_profile("BTCUSDT")


def test_ticker_moves_within_the_minute() -> None:
    market = DemoMarket()
    minute = market.candles("BTC/USDT", "1m", START, START + timedelta(minutes=1))
    at_open = market.ticker("BTC/USDT", START)
    halfway = market.ticker("BTC/USDT", START + timedelta(seconds=30))
    assert at_open.last == Decimal(repr(float(minute.open[0])))
    assert minute.low[0] <= float(halfway.last) <= minute.high[0]
    assert halfway.timestamp == START + timedelta(seconds=30)


def test_ohlcv_includes_the_forming_candle() -> None:
    market = DemoMarket()
    now = START + timedelta(hours=5, minutes=20, seconds=10)
    c = market.ohlcv("BTC/USDT", "1h", now, limit=4)
    assert len(c) == 4
    assert c.open_time[-1] == int((START + timedelta(hours=5)).timestamp() * 1000)
    assert c.close[-1] == market.price_at("BTC/USDT", now)
    full = market.candles("BTC/USDT", "1h", START + timedelta(hours=2), START + timedelta(hours=5))
    np.testing.assert_array_equal(c.close[:3], full.close)


def test_before_anchor_is_refused() -> None:
    with pytest.raises(ValueError, match="starts at 2018-01-01"):
        DemoMarket().candles(
            "BTC/USDT", "1h", datetime(2017, 1, 1, tzinfo=UTC), datetime(2017, 1, 2, tzinfo=UTC)
        )


def test_demo_clock_accelerates_time() -> None:
    wall = datetime(2026, 1, 1, 12, tzinfo=UTC)
    clock = DemoClock(wall_start=wall, market_start=START, speed=60)
    assert clock.market_time(wall + timedelta(seconds=1)) == START + timedelta(minutes=1)
    assert clock.market_ms(wall) == int(START.timestamp() * 1000)
    assert clock.wall_seconds(3600) == 60
    assert clock.wall_time(START + timedelta(hours=1)) == wall + timedelta(minutes=1)
    with pytest.raises(ValueError):
        DemoClock(wall, START, speed=0)
