"""The demo source keeps each market's closed candles for the market minute they hold for."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from tradebot.exchange.demo_market import DemoClock, DemoMarket
from tradebot.exchange.simulated import CLOSED_KEPT, DemoSource

MINUTE = 60_000


def _source() -> DemoSource:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    return DemoSource(DemoMarket(seed=3), DemoClock(now, now))


def test_closed_candles_are_computed_once_a_minute_and_equal_a_fresh_computation() -> None:
    source = _source()
    start = 1_780_000_000_000 // MINUTE * MINUTE
    for timeframe in ("1m", "5m", "1h"):
        first = source.closed_candles("ETH/USDT", timeframe, 200, start + 1_000)
        later = source.closed_candles("ETH/USDT", timeframe, 200, start + 59_000)
        assert later is first  # the same minute: kept
        fresh = source.demo.ohlcv("ETH/USDT", timeframe, start + 59_000, 200)
        expected = fresh.closed(start + 59_000, timeframe)
        assert np.array_equal(first.open_time, expected.open_time)
        assert np.array_equal(first.close, expected.close)
    # the next minute closes another 1m candle: computed again
    after = source.closed_candles("ETH/USDT", "1m", 200, start + MINUTE)
    assert after.open_time[-1] == start
    assert first is not after


def test_the_kept_sets_are_bounded() -> None:
    source = _source()
    start = 1_780_000_000_000 // MINUTE * MINUTE
    for minute in range(CLOSED_KEPT + 10):
        source.closed_candles("BTC/USDT", "1m", 50, start + minute * MINUTE)
    assert len(source._closed) == CLOSED_KEPT
