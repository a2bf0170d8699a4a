"""What an alarm means: its condition, when it fires, and how it reads. Pure.

A threshold alarm fires when its condition turns true: on its first check if already true,
then again only after it has been false in between. An EMA alarm fires when the fast EMA
crosses the slow one, either way (its first check only notes the side).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradebot.schemas import decimal_text

PRICE_KINDS = {"price_above": ">", "price_below": "<"}
RSI_KINDS = {"rsi_above": ">", "rsi_below": "<"}
THRESHOLD_KINDS = {**PRICE_KINDS, **RSI_KINDS}
CROSS = "ema_cross"
DEFAULT_TIMEFRAME = "1h"


@dataclass(frozen=True)
class Condition:
    """An alarm's kind and parameters, as stored."""

    symbol: str
    kind: str
    threshold: Decimal | None
    timeframe: str | None

    @property
    def needs_candles(self) -> bool:
        return self.kind not in PRICE_KINDS


@dataclass(frozen=True)
class Reading:
    """One market's values at one check: the price, and per timeframe the last closed
    candle's RSI and fast-minus-slow EMA (None while the indicators warm up)."""

    price: Decimal
    rsi: float | None = None
    ema_fast: float | None = None
    ema_slow: float | None = None


def side(cond: Condition, reading: Reading) -> int | None:
    """The condition now: 1 or 0 (threshold kinds), 1 or -1 (fast EMA above or below the
    slow); None when the reading cannot say (indicators warming up)."""
    if cond.kind == CROSS:
        if reading.ema_fast is None or reading.ema_slow is None:
            return None
        diff = reading.ema_fast - reading.ema_slow
        return 0 if diff == 0 else (1 if diff > 0 else -1)
    assert cond.threshold is not None
    if cond.kind in PRICE_KINDS:
        value = reading.price
    elif reading.rsi is None:
        return None
    else:
        value = Decimal(repr(reading.rsi))
    above = value > cond.threshold
    below = value < cond.threshold
    return int(above if THRESHOLD_KINDS[cond.kind] == ">" else below)


def fires(cond: Condition, before: int | None, now: int | None) -> bool:
    """Whether going from `before` to `now` is a crossing worth telling."""
    if now is None:
        return False
    if cond.kind == CROSS:
        return before is not None and before != 0 and now != 0 and now != before
    return now == 1 and before != 1


def value_of(cond: Condition, reading: Reading) -> Decimal | None:
    """The figure the alarm watches, as stored in `last_value`."""
    if cond.kind in PRICE_KINDS:
        return reading.price
    if cond.kind in RSI_KINDS:
        return None if reading.rsi is None else Decimal(f"{reading.rsi:.4f}")
    if reading.ema_fast is None or reading.ema_slow is None:
        return None
    return Decimal(f"{reading.ema_fast - reading.ema_slow:.8f}")


def describe(cond: Condition, ema: tuple[int, int], rsi_period: int) -> str:
    """The condition in words: "BTC/USDT price > 65000", "ETH/USDT RSI(14) 1h < 30"."""
    if cond.kind == CROSS:
        return f"{cond.symbol} EMA {ema[0]}/{ema[1]} cross {cond.timeframe}"
    assert cond.threshold is not None
    level = decimal_text(cond.threshold)
    op = THRESHOLD_KINDS[cond.kind]
    if cond.kind in PRICE_KINDS:
        return f"{cond.symbol} price {op} {level}"
    return f"{cond.symbol} RSI({rsi_period}) {cond.timeframe} {op} {level}"


def fired_text(
    cond: Condition, reading: Reading, now: int, ema: tuple[int, int], rsi_period: int
) -> str:
    """The message of a crossing, naming the value that crossed."""
    if cond.kind == CROSS:
        way = "above" if now > 0 else "below"
        assert reading.ema_fast is not None and reading.ema_slow is not None
        return (
            f"{cond.symbol} {cond.timeframe}: EMA {ema[0]} crossed {way} EMA {ema[1]} "
            f"({reading.ema_fast:.8g} vs {reading.ema_slow:.8g}); price "
            f"{decimal_text(reading.price)}"
        )
    assert cond.threshold is not None
    went = "rose above" if THRESHOLD_KINDS[cond.kind] == ">" else "fell below"
    level = decimal_text(cond.threshold)
    if cond.kind in PRICE_KINDS:
        return f"{cond.symbol} price {went} {level}: now {decimal_text(reading.price)}"
    assert reading.rsi is not None
    return (
        f"{cond.symbol} RSI({rsi_period}) {cond.timeframe} {went} {level}: now "
        f"{reading.rsi:.1f} (price {decimal_text(reading.price)})"
    )
