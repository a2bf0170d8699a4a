"""Compact text encodings for cached candles and tickers.

Text (JSON with base64 numpy buffers) so the same values work with Redis clients that decode
responses and those that do not; float64 buffers round-trip exactly.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from tradebot.core.candles import Candles
from tradebot.core.types import Ticker

_VERSION = 1
_COLUMNS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class CachedCandles:
    """Candles as cached, with what the fetch asked for and the period it was made in."""

    candles: Candles
    limit: int  # candles requested from the exchange (it may have had fewer)
    period: int  # index of the timeframe period at fetch time


def _b64(array: npt.NDArray[Any]) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def encode_candles(value: CachedCandles) -> str:
    """JSON text for `value`."""
    c = value.candles
    block = np.stack([getattr(c, name) for name in _COLUMNS]) if len(c) else np.empty((5, 0))
    return json.dumps(
        {
            "v": _VERSION,
            "limit": value.limit,
            "period": value.period,
            "t": _b64(c.open_time.astype("<i8")),
            "d": _b64(block.astype("<f8")),
        },
        separators=(",", ":"),
    )


def decode_candles(raw: str | bytes) -> CachedCandles | None:
    """The cached value, or None for anything unreadable (an older format, say)."""
    try:
        doc = json.loads(raw)
        if doc.get("v") != _VERSION:
            return None
        times = np.frombuffer(base64.b64decode(doc["t"]), dtype="<i8").astype(np.int64)
        block = np.frombuffer(base64.b64decode(doc["d"]), dtype="<f8").astype(np.float64)
        block = block.reshape(5, len(times))
        candles = Candles(times, *(np.ascontiguousarray(row) for row in block))
        return CachedCandles(candles, int(doc["limit"]), int(doc["period"]))
    except (ValueError, KeyError, TypeError):
        return None


def encode_ticker(ticker: Ticker) -> str:
    """JSON text for `ticker`."""
    return json.dumps(
        {"s": ticker.symbol, "p": str(ticker.last), "t": ticker.timestamp.isoformat()}
    )


def decode_ticker(raw: str | bytes) -> Ticker | None:
    """The cached ticker, or None when unreadable."""
    try:
        doc = json.loads(raw)
        return Ticker(
            symbol=str(doc["s"]),
            last=Decimal(doc["p"]),
            timestamp=datetime.fromisoformat(doc["t"]),
        )
    except (ValueError, KeyError, TypeError, ArithmeticError):
        return None
