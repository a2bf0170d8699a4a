"""Candle sources for backtests: CSV/Parquet files, the demo market, or Binance via ccxt."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from tradebot.core.candles import Candles, timeframe_ms, to_ms
from tradebot.exchange.demo_market import DemoMarket

COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
_TIME_ALIASES = ("timestamp", "open_time", "time", "date", "datetime")
_FETCH_LIMIT = 1000  # Binance's maximum klines per request
# The demo market's cost and memory grow with its minutes: a piece of about 0.1 s.
DEMO_CHUNK_MINUTES = 200_000


class CandleDataError(ValueError):
    """Candle input that cannot be used (missing file, bad columns, bad values)."""


def parse_time(text: str) -> datetime:
    """An ISO date or date-time (UTC unless it says otherwise), or epoch milliseconds."""
    value = text.strip()
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CandleDataError(f"not a date or time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _timestamps_ms(column: pd.Series[Any], source: str) -> np.ndarray[Any, np.dtype[np.int64]]:
    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=np.float64)
        if np.isnan(values).any():
            raise CandleDataError(f"{source}: empty timestamps")
        # epoch milliseconds; values this small can only be seconds
        scale = 1000.0 if len(values) and float(np.nanmax(values)) < 1e11 else 1.0
        millis: np.ndarray[Any, np.dtype[np.int64]] = (values * scale).astype(np.int64)
        return millis
    try:
        stamps = pd.to_datetime(column, utc=True, format="ISO8601")
    except (ValueError, TypeError):
        raise CandleDataError(f"{source}: timestamps must be epoch ms or ISO dates") from None
    if stamps.isna().any():
        raise CandleDataError(f"{source}: empty timestamps")
    result: np.ndarray[Any, np.dtype[np.int64]] = (
        stamps.astype("datetime64[ms, UTC]").astype("int64").to_numpy(dtype=np.int64)
    )
    return result


def frame_to_candles(frame: pd.DataFrame, source: str = "data") -> Candles:
    """Candles from a frame with timestamp/open/high/low/close/volume columns (any case)."""
    renamed = frame.rename(columns={c: str(c).strip().lower() for c in frame.columns})
    time_col = next((c for c in _TIME_ALIASES if c in renamed.columns), None)
    missing = [c for c in COLUMNS[1:5] if c not in renamed.columns]
    if time_col is None or missing:
        need = ["timestamp", *missing] if time_col is None else missing
        raise CandleDataError(f"{source}: missing column(s) {', '.join(need)}")
    if renamed.empty:
        raise CandleDataError(f"{source}: no candles")
    times = _timestamps_ms(renamed[time_col], source)
    values = {}
    for name in COLUMNS[1:]:
        if name not in renamed.columns:
            values[name] = np.zeros(len(renamed))
            continue
        column = pd.to_numeric(renamed[name], errors="coerce").to_numpy(dtype=np.float64)
        if np.isnan(column).any():
            raise CandleDataError(f"{source}: column {name} has empty or non-numeric values")
        values[name] = column
    if (values["high"] < values["low"]).any() or (values["low"] <= 0).any():
        raise CandleDataError(f"{source}: prices must be positive with high >= low")
    order = np.argsort(times, kind="stable")
    times = times[order]
    keep = np.r_[True, np.diff(times) > 0]  # the first of duplicated timestamps wins
    return Candles.from_arrays(times[keep], *(values[c][order][keep] for c in COLUMNS[1:]))


def load_file(path: Path) -> Candles:
    """Candles from a .csv or .parquet file."""
    if not path.is_file():
        raise CandleDataError(f"file not found: {path}")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise CandleDataError(f"{path}: cannot read ({exc})") from None
    return frame_to_candles(frame, str(path))


def candles_to_frame(candles: Candles) -> pd.DataFrame:
    """The candles as a frame with epoch-ms `timestamp` and OHLCV columns."""
    return pd.DataFrame(
        {
            "timestamp": candles.open_time,
            "open": candles.open,
            "high": candles.high,
            "low": candles.low,
            "close": candles.close,
            "volume": candles.volume,
        }
    )


def demo_candles(
    symbol: str,
    timeframe: str,
    start: datetime,
    *,
    end: datetime | None = None,
    bars: int | None = None,
    seed: int = 0,
) -> Candles:
    """Candles of the deterministic demo market from `start` to `end`, or `bars` of them."""
    market = DemoMarket(seed=seed, cache_days=4)
    try:
        if bars is not None:
            return market.candles_count(symbol, timeframe, start, bars)
        if end is None:
            raise CandleDataError("give an end time or a number of bars")
        return market.candles(symbol, timeframe, start, end)
    except CandleDataError:
        raise
    except ValueError as exc:
        raise CandleDataError(str(exc)) from None


def demo_candle_chunks(
    symbol: str,
    timeframe: str,
    start: datetime | int,
    bars: int,
    *,
    seed: int = 0,
    chunk_minutes: int = DEMO_CHUNK_MINUTES,
) -> Iterator[Candles]:
    """`demo_candles(symbol, timeframe, start, bars=bars)` in consecutive pieces of about
    `chunk_minutes` market minutes each (together exactly the same candles)."""
    market = DemoMarket(seed=seed, cache_days=4)
    step = timeframe_ms(timeframe)
    first = -(-to_ms(start) // step) * step
    per = max(1, chunk_minutes * 60_000 // step)
    for done in range(0, bars, per):
        try:
            yield market.candles_count(
                symbol, timeframe, first + done * step, min(per, bars - done)
            )
        except ValueError as exc:
            raise CandleDataError(str(exc)) from None


def concat_candles(parts: Iterable[Candles]) -> Candles:
    """Consecutive pieces of candles as one series."""
    pieces = list(parts)
    if not pieces:
        raise CandleDataError("no candles")
    return Candles(
        *(
            np.concatenate([getattr(p, name) for p in pieces])
            for name in ("open_time", "open", "high", "low", "close", "volume")
        )
    )


class OhlcvSource(Protocol):
    """What the downloader needs from a ccxt exchange."""

    def fetch_ohlcv(
        self, symbol: str, timeframe: str, since: int | None = None, limit: int | None = None
    ) -> list[list[float]]: ...


def _binance() -> OhlcvSource:
    import ccxt

    exchange: OhlcvSource = ccxt.binance(
        {"enableRateLimit": True, "options": {"fetchMarkets": {"types": ["spot"]}}}
    )
    return exchange


def download_candles(
    symbol: str,
    timeframe: str,
    start: datetime,
    end: datetime,
    cache_dir: Path,
    *,
    exchange: Callable[[], OhlcvSource] = _binance,
    now_ms: int | None = None,
) -> Candles:
    """Closed candles from Binance (ccxt `fetch_ohlcv`, paginated), cached as Parquet.

    The cache holds one contiguous run of candles per (symbol, timeframe); a request outside
    it fetches only what extends the run to cover the request.
    """
    step = timeframe_ms(timeframe)
    start_ms, end_ms = to_ms(start), to_ms(end)
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    end_ms = min(end_ms, now - now % step)  # only closed candles are cached
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"binance_{symbol.replace('/', '-')}_{timeframe}.parquet"
    frames: list[pd.DataFrame] = []
    ranges = [(start_ms, end_ms)]
    if path.exists():
        cached = load_file(path)
        frames.append(candles_to_frame(cached))
        # extend the cached run at either end, so it never has holes
        first, last = int(cached.open_time[0]), int(cached.open_time[-1])
        ranges = [(start_ms, first), (last + step, end_ms)]
    import ccxt  # only needed here; importing it is slow

    client: OhlcvSource | None = None
    for since, until in ranges:
        if since >= until:
            continue
        try:
            client = client or exchange()
            rows = _fetch_range(client, symbol, timeframe, since, until, step)
        except ccxt.BaseError as exc:
            raise CandleDataError(f"download of {symbol} {timeframe} failed: {exc}") from None
        if rows:
            frames.append(pd.DataFrame(rows, columns=list(COLUMNS)))
    if not frames:
        raise CandleDataError(f"no candles for {symbol} {timeframe} in that range")
    merged = frame_to_candles(pd.concat(frames, ignore_index=True), str(path))
    candles_to_frame(merged).to_parquet(path, index=False)
    lo = int(np.searchsorted(merged.open_time, start_ms))
    hi = int(np.searchsorted(merged.open_time, end_ms))
    if hi <= lo:
        raise CandleDataError(f"no candles for {symbol} {timeframe} in that range")
    return merged[lo:hi]


def _fetch_range(
    client: OhlcvSource, symbol: str, timeframe: str, since: int, until: int, step: int
) -> list[list[float]]:
    rows: list[list[float]] = []
    while since < until:
        page = client.fetch_ohlcv(symbol, timeframe, since=since, limit=_FETCH_LIMIT)
        page = [r[:6] for r in page if since <= r[0] < until]
        if not page:
            break
        rows.extend(page)
        since = int(page[-1][0]) + step
    return rows
