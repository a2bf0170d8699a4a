"""Compact text encodings for cached candles, tickers, funding rates and open interest.

Text (JSON with base64 numpy buffers) so the same values work with Redis clients that decode
responses and those that do not; float64 buffers and decimal strings round-trip exactly.
Every value carries when it was fetched (`at`, epoch seconds), so each reader can say how
old it is and decide whether that is fresh enough; values written before stamps existed
read as fetched at 0, i.e. too old for anyone.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from tradebot.core.candles import Candles
from tradebot.core.types import Ticker
from tradebot.exchange.perpetuals import FundingRate, OpenInterest

T = TypeVar("T")
_VERSION = 1
_COLUMNS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class CachedCandles:
    """Candles as cached, with what the fetch asked for and the period it was made in."""

    candles: Candles
    limit: int  # candles requested from the exchange (it may have had fewer)
    period: int  # index of the timeframe period at fetch time
    fetched_at: float = 0.0  # epoch seconds when the request was sent


@dataclass(frozen=True)
class Stamped(Generic[T]):
    """A cached value and when it was fetched (epoch seconds, when the request was sent)."""

    value: T
    fetched_at: float

    def age(self, now: float) -> float:
        """Seconds since the fetch."""
        return max(0.0, now - self.fetched_at)


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
            "at": value.fetched_at,
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
        at = float(doc.get("at", 0.0))
        return CachedCandles(candles, int(doc["limit"]), int(doc["period"]), at)
    except (ValueError, KeyError, TypeError):
        return None


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _moment(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _encode(value: Stamped[T], fields: Callable[[T], dict[str, Any]]) -> str:
    return json.dumps({**fields(value.value), "at": value.fetched_at}, separators=(",", ":"))


def _decode(raw: str | bytes, build: Callable[[dict[str, Any]], T]) -> Stamped[T] | None:
    try:
        doc = json.loads(raw)
        return Stamped(build(doc), float(doc.get("at", 0.0)))
    except (ValueError, KeyError, TypeError, ArithmeticError, AttributeError):
        return None


def encode_ticker(value: Stamped[Ticker]) -> str:
    """JSON text for a stamped ticker."""
    return _encode(value, lambda t: {"s": t.symbol, "p": str(t.last), "t": t.timestamp.isoformat()})


def decode_ticker(raw: str | bytes) -> Stamped[Ticker] | None:
    """The cached ticker, or None when unreadable."""
    return _decode(
        raw,
        lambda d: Ticker(
            symbol=str(d["s"]), last=Decimal(d["p"]), timestamp=datetime.fromisoformat(d["t"])
        ),
    )


def encode_prices(value: Stamped[dict[str, Ticker]]) -> str:
    """JSON text for the stamped last prices of many symbols (one timestamp for all)."""

    def fields(prices: dict[str, Ticker]) -> dict[str, Any]:
        stamp = next(iter(prices.values())).timestamp if prices else datetime.now(UTC)
        return {"p": {s: str(t.last) for s, t in prices.items()}, "t": stamp.isoformat()}

    return _encode(value, fields)


def decode_prices(raw: str | bytes) -> Stamped[dict[str, Ticker]] | None:
    """The cached prices, or None when unreadable."""

    def build(d: dict[str, Any]) -> dict[str, Ticker]:
        at = datetime.fromisoformat(d["t"])
        return {str(s): Ticker(str(s), Decimal(p), at) for s, p in d["p"].items()}

    return _decode(raw, build)


def encode_funding(value: Stamped[FundingRate]) -> str:
    """JSON text for a stamped funding rate."""
    return _encode(
        value,
        lambda f: {
            "s": f.symbol,
            "r": str(f.rate),
            "m": _str(f.mark_price),
            "i": _str(f.index_price),
            "n": _time(f.next_funding),
            "t": f.timestamp.isoformat(),
        },
    )


def decode_funding(raw: str | bytes) -> Stamped[FundingRate] | None:
    """The cached funding rate, or None when unreadable."""
    return _decode(
        raw,
        lambda d: FundingRate(
            symbol=str(d["s"]),
            rate=Decimal(d["r"]),
            mark_price=_dec(d.get("m")),
            index_price=_dec(d.get("i")),
            next_funding=_moment(d.get("n")),
            timestamp=datetime.fromisoformat(d["t"]),
        ),
    )


def encode_open_interest(value: Stamped[OpenInterest]) -> str:
    """JSON text for a stamped open interest."""
    return _encode(
        value,
        lambda o: {
            "s": o.symbol,
            "a": str(o.amount),
            "v": _str(o.value),
            "t": o.timestamp.isoformat(),
        },
    )


def decode_open_interest(raw: str | bytes) -> Stamped[OpenInterest] | None:
    """The cached open interest, or None when unreadable."""
    return _decode(
        raw,
        lambda d: OpenInterest(
            symbol=str(d["s"]),
            amount=Decimal(d["a"]),
            value=_dec(d.get("v")),
            timestamp=datetime.fromisoformat(d["t"]),
        ),
    )
