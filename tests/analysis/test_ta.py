"""The `/ta` report: values as TA-Lib computes them, the bots' own signal, readable text."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
import talib

from tests.core.helpers import make_candles
from tradebot.analysis import replies, text
from tradebot.analysis.service import BadInput, parse_symbol, parse_timeframe
from tradebot.analysis.ta import analyse, default_strategy
from tradebot.bots.rules import TIMEFRAMES
from tradebot.core.candles import Candles
from tradebot.core.signals import Action, Reason
from tradebot.core.strategy import PositionState, TradingStrategy
from tradebot.exchange.demo_market import DemoMarket

HOUR = 3_600_000


def demo_candles(n: int = 299) -> Candles:
    return DemoMarket(seed=7).candles_count("BTC/USDT", "1h", 1_780_000_000_000, n)


def test_values_are_talib_at_the_last_closed_candle() -> None:
    c = demo_candles()
    report = analyse(c, "1h", Decimal("60000"))
    h, lo, cl = c.high, c.low, c.close
    assert report.ema_fast == talib.EMA(cl, 9)[-1] and report.ema_slow == talib.EMA(cl, 21)[-1]
    assert report.rsi == talib.RSI(cl, 14)[-1]
    macd, signal, hist = talib.MACD(cl, 12, 26, 9)
    assert (report.macd, report.macd_signal, report.macd_histogram) == (
        macd[-1],
        signal[-1],
        hist[-1],
    )
    upper, middle, lower = talib.BBANDS(cl, 20, 2.0, 2.0, 0)
    assert (report.bb_upper, report.bb_middle, report.bb_lower) == (
        upper[-1],
        middle[-1],
        lower[-1],
    )
    assert report.atr == talib.ATR(h, lo, cl, 14)[-1]
    k, d = talib.STOCH(h, lo, cl, 14, 3, 0, 3, 0)
    assert (report.stoch_k, report.stoch_d) == (k[-1], d[-1])
    assert report.candles == 299 and report.close_time == int(c.open_time[-1]) + HOUR
    assert report.atr_percent == pytest.approx(100 * report.atr / cl[-1])


def test_known_values_on_a_straight_line() -> None:
    # Closes 1..60 rising by one: an EMA lags by (N-1)/2, RSI is 100, ATR is the step.
    closes = [float(i) for i in range(1, 61)]
    c = make_candles(closes)
    report = analyse(c, "1h", Decimal(60))
    assert report.ema_fast == pytest.approx(60 - 4)
    assert report.ema_slow == pytest.approx(60 - 10)
    assert report.rsi == 100.0
    assert report.atr == pytest.approx(1.0)
    assert report.bb_middle == pytest.approx(50.5)  # the mean of 41..60
    assert report.bb_upper - report.bb_middle == pytest.approx(2 * np.std(closes[-20:]))


def test_signal_is_the_bots_own_decision() -> None:
    # Falling then rising sharply: the fast EMA crosses above the slow one on the last candle.
    closes = [100 - i * 0.5 for i in range(40)]
    strategy = TradingStrategy(default_strategy())
    for extra in range(1, 30):
        c = make_candles([*closes, *(closes[-1] + 2.0 * j for j in range(1, extra + 1))])
        if strategy.signals(c).golden_cross[-1]:
            break
    else:
        pytest.fail("no golden cross in the scripted series")
    report = analyse(c, "1h", Decimal(str(c.close[-1])))
    bot = strategy.step(c, Decimal(str(c.close[-1])), PositionState())
    assert bot.action is Action.ENTER and report.signal.flat == bot
    assert report.signal.action == "BUY" and report.signal.reasons == [Reason.GOLDEN_CROSS]
    assert "Signal: BUY (golden cross)" in replies.signal_text(report)


def test_a_death_cross_reads_as_sell() -> None:
    closes = [50 + i * 0.5 for i in range(40)]
    strategy = TradingStrategy(default_strategy())
    for extra in range(1, 30):
        c = make_candles([*closes, *(closes[-1] - 2.0 * j for j in range(1, extra + 1))])
        if strategy.signals(c).death_cross[-1]:
            break
    report = analyse(c, "1h", Decimal(str(c.close[-1])))
    assert report.signal.action == "SELL" and Reason.DEATH_CROSS in report.signal.reasons


def test_too_few_candles_warm_up() -> None:
    report = analyse(make_candles([1.0, 2.0, 3.0]), "1h", Decimal(3))
    assert math.isnan(report.ema_slow) and math.isnan(report.macd)
    assert report.signal.action == "HOLD" and report.signal.reasons == [Reason.WARMUP]
    body = replies.ta_text("BTC/USDT", "1h", "demo market", report, 0)
    assert "EMA 9/21: n/a / n/a" in body and "warming up, needs 22 closed candles" in body


def test_reply_text_has_units_and_freshness() -> None:
    report = analyse(demo_candles(), "1h", Decimal("61234.5"))
    body = replies.ta_text("BTC/USDT", "1h", "Binance", report, 12.4)
    lines = body.splitlines()
    assert lines[0] == "BTC/USDT · 1h · Binance"
    assert lines[1] == "Price 61,234.50 USDT (12 s old)"
    assert lines[2].startswith("Candles to ") and lines[2].endswith(" UTC (299 closed)")
    assert any(line.startswith("ATR 14: ") and "USDT (" in line for line in lines)
    assert lines[-1].startswith("Signal: ")
    assert len(body) < 700  # one screen in a chat


@pytest.mark.parametrize(
    ("raw", "symbol"),
    [
        ("btc", "BTC/USDT"),
        ("BTCUSDT", "BTC/USDT"),
        ("eth-btc", "ETH/BTC"),
        ("ethbtc", "ETH/BTC"),
        (" sol/usdc ", "SOL/USDC"),
        ("bnb_fdusd", "BNB/FDUSD"),
    ],
)
def test_symbols_are_read_as_people_type_them(raw: str, symbol: str) -> None:
    assert parse_symbol(raw) == symbol


def test_bad_symbols_and_timeframes_say_what_works() -> None:
    with pytest.raises(BadInput, match="Give a symbol"):
        parse_symbol(None)
    with pytest.raises(BadInput, match="not a symbol: use BASE/QUOTE"):
        parse_symbol("BTC/US$")
    assert parse_timeframe(None) == "1h" and parse_timeframe("4H") == "4h"
    with pytest.raises(BadInput) as bad:
        parse_timeframe("7m")
    assert "'7m'" in str(bad.value) and ", ".join(TIMEFRAMES) in str(bad.value)


def test_numbers_stay_readable() -> None:
    assert text.number(60123.456) == "60,123.46"
    assert text.number(0.00001234) == "0.00001234"
    assert text.number(float("nan")) == "n/a"
    assert text.compact(5_070_000_000) == "5.07 bn"
    assert text.age(0.2) == "just now" and text.age(12.4) == "12 s old"
    assert text.age(600) == "10 min old" and text.age(7500) == "2 h 5 min old"
