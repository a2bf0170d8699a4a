"""OHLCV candles as parallel numpy arrays, and timeframe arithmetic."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradebot.core.indicators import FloatArray, as_float_array

MINUTE_MS = 60_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNIT_MS = {"m": MINUTE_MS, "h": 60 * MINUTE_MS, "d": 1440 * MINUTE_MS, "w": 10080 * MINUTE_MS}


def timeframe_ms(timeframe: str) -> int:
    """Length of a timeframe such as "1m", "15m", "4h" or "1d" in milliseconds."""
    unit = timeframe[-1:]
    count = timeframe[:-1]
    if unit not in _UNIT_MS or not count.isdigit() or int(count) <= 0:
        raise ValueError(f"unknown timeframe {timeframe!r} (use e.g. 1m, 15m, 1h, 4h, 1d)")
    return int(count) * _UNIT_MS[unit]


def to_ms(moment: datetime | int) -> int:
    """Milliseconds since the epoch; naive datetimes are taken as UTC."""
    if isinstance(moment, int):
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    """UTC datetime of an epoch-milliseconds timestamp."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


class CandleSeries(Protocol):
    """Anything with OHLCV columns, oldest first (e.g. `Candles`, or the exchange layer's)."""

    @property
    def open_time(self) -> NDArray[np.int64]: ...
    @property
    def open(self) -> FloatArray: ...
    @property
    def high(self) -> FloatArray: ...
    @property
    def low(self) -> FloatArray: ...
    @property
    def close(self) -> FloatArray: ...
    @property
    def volume(self) -> FloatArray: ...
    def __len__(self) -> int: ...


@dataclass(frozen=True, eq=False)
class Candles:
    """Candles in time order: `open_time` in epoch ms (int64), prices and volume float64."""

    open_time: NDArray[np.int64]
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    @classmethod
    def from_arrays(
        cls,
        open_time: ArrayLike,
        open: ArrayLike,
        high: ArrayLike,
        low: ArrayLike,
        close: ArrayLike,
        volume: ArrayLike | None = None,
    ) -> Candles:
        """Build from array-likes, checking lengths and time order."""
        times = np.ascontiguousarray(open_time, dtype=np.int64)
        cols = [as_float_array(a) for a in (open, high, low, close)]
        vol = as_float_array(np.zeros(len(times)) if volume is None else volume)
        if any(len(c) != len(times) for c in [*cols, vol]):
            raise ValueError("candle columns have different lengths")
        if len(times) > 1 and bool(np.any(np.diff(times) <= 0)):
            raise ValueError("candle open times must be strictly increasing")
        return cls(times, cols[0], cols[1], cols[2], cols[3], vol)

    @classmethod
    def of(cls, series: CandleSeries) -> Candles:
        """Share the columns of any candle series."""
        if isinstance(series, Candles):
            return series
        return cls.from_arrays(
            series.open_time, series.open, series.high, series.low, series.close, series.volume
        )

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[float | int | None]]) -> Candles:
        """Build from ccxt-style rows [open_time_ms, open, high, low, close, volume, ...]."""
        data = np.asarray([row[:6] for row in rows], dtype=np.float64).reshape(-1, 6)
        return cls.from_arrays(data[:, 0].astype(np.int64), *data[:, 1:].T)

    def __len__(self) -> int:
        return len(self.open_time)

    def __getitem__(self, index: slice) -> Candles:
        """A view of a contiguous range of candles."""
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("Candles only support contiguous slices")
        return Candles(
            self.open_time[index],
            self.open[index],
            self.high[index],
            self.low[index],
            self.close[index],
            self.volume[index],
        )

    def closed(self, now_ms: int, timeframe: str) -> Candles:
        """Only the candles that had closed at `now_ms` (drops a forming last candle)."""
        end = int(np.searchsorted(self.open_time, now_ms - timeframe_ms(timeframe), side="right"))
        return self[:end]

    def infer_timeframe_ms(self) -> int:
        """The most common spacing between candles (ms); 60,000 when there are too few."""
        if len(self) < 2:
            return MINUTE_MS
        diffs = np.diff(self.open_time)
        values, counts = np.unique(diffs, return_counts=True)
        return int(values[int(np.argmax(counts))])
