"""Numbers, ages and times as short chat text: enough digits to be useful, never a float's
noise."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal


def number(value: float | Decimal | None, *, significant: int = 6) -> str:
    """`value` with about `significant` digits, thousands separated; "n/a" when unknown.

    Prices of 60,000 and of 0.00001234 both stay readable: at least 2 decimals, at most 8.
    """
    if value is None:
        return "n/a"
    x = float(value)
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = min(8, max(2, significant - 1 - magnitude))
    return f"{x:,.{decimals}f}"


def signed(value: float | Decimal | None, *, decimals: int = 2) -> str:
    """`value` with an explicit sign ("+1.25"), "n/a" when unknown."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    return f"{float(value):+,.{decimals}f}"


def fixed(value: float | None, decimals: int = 1) -> str:
    """`value` with `decimals` decimals (oscillators such as RSI), "n/a" when unknown."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.{decimals}f}"


def compact(value: float | Decimal | None) -> str:
    """Large amounts in thousands, millions or billions ("5.07 bn")."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    x = float(value)
    for size, unit in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:,.2f} {unit}"
    return number(x)


def age(seconds: float) -> str:
    """How old data is: "just now", "12 s", "3 min", "2 h 5 min"."""
    s = max(0, round(seconds))
    if s < 1:
        return "just now"
    if s < 120:
        return f"{s} s old"
    minutes = s // 60
    if minutes < 120:
        return f"{minutes} min old"
    return f"{minutes // 60} h {minutes % 60} min old"


def duration(seconds: float) -> str:
    """A span ahead of now: "3 h 12 min", "45 min", "20 s"."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    minutes = s // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def utc_time(ms: int) -> str:
    """An epoch-milliseconds moment as "2026-05-01 14:00 UTC"."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
