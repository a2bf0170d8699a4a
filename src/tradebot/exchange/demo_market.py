"""A deterministic simulated market: any symbol, any time range, any timeframe.

Design. Everything derives from (seed, symbol) through counter-based Philox streams, so any
range is computed directly, in any order, with the same result:

* Day skeleton. From a fixed anchor (2018-01-01 UTC) each day `d` gets a log return
  R[d] = regime drift + weak pull towards the symbol's reference price + sigma[d] * t-shock,
  where a three-state Markov regime (range / bull / bear) and GARCH(1,1) variance give
  trends and volatility clustering. The shocks come in Philox blocks of 256 days; the
  recursion is cheap (one float per day) and cached per symbol, so the price at the start of
  a day, exp(L[d]), is known without generating minutes.
* Minutes. Day `d`'s 1,440 one-minute closes are a Brownian bridge from L[d] to L[d+1]
  built from fat-tailed increments with a random hourly volatility profile (Philox keyed
  by the day). Each minute opens at the previous close, so the price is continuous across
  minutes and days; wicks and volume are drawn around each move; prices sit on the tick.
* Timeframes. A candle of any timeframe aggregates the 1m candles it spans (first open,
  highest high, lowest low, last close, summed volume), so timeframes always agree.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np

from tradebot.core.candles import MINUTE_MS, Candles, from_ms, timeframe_ms, to_ms
from tradebot.core.types import MarketRules, Ticker

ANCHOR_MS = to_ms(datetime(2018, 1, 1, tzinfo=UTC))
DAY_MS = 86_400_000
DAY_MINUTES = 1440
_BLOCK_DAYS = 256
_USD_QUOTES = frozenset({"USDT", "USDC", "FDUSD", "BUSD", "TUSD", "DAI", "USD"})
# reference price (USD) and daily volatility of well-known bases; others are drawn from the seed
_KNOWN = {
    "BTC": (60_000.0, 0.030),
    "ETH": (3_000.0, 0.038),
    "BNB": (600.0, 0.035),
    "SOL": (150.0, 0.050),
}
# regimes: daily drift in units of sigma, volatility multiplier
_REGIMES = ((0.0, 0.8), (0.05, 1.0), (-0.05, 1.2))
_STAY = 0.985  # daily probability of keeping the regime
_GARCH_ALPHA, _GARCH_BETA = 0.10, 0.85
_PULL = 1 / 120  # mean reversion of the log price per day (keeps levels plausible)


def _hash64(*parts: object) -> int:
    text = "|".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def _rng(*parts: object) -> np.random.Generator:
    """A Philox generator keyed by the parts (counter-based: no state carried between keys)."""
    key = (_hash64(*parts) << 64) | _hash64("key2", *parts)
    return np.random.Generator(np.random.Philox(key=key))


@dataclass(frozen=True)
class SymbolProfile:
    symbol: str
    price: float  # reference price level in quote
    daily_vol: float
    volume_quote_per_minute: float
    rules: MarketRules
    decimals: int  # price decimals (the tick is 10**-decimals)


def _usd_level(asset: str, seed: int) -> tuple[float, float]:
    if asset in _USD_QUOTES:
        return 1.0, 0.0
    if asset in _KNOWN:
        return _KNOWN[asset]
    draw = _rng(seed, "profile", asset)
    return float(10 ** draw.uniform(0.0, 2.0)), float(draw.uniform(0.04, 0.07))


def symbol_profile(symbol: str, seed: int = 0) -> SymbolProfile:
    """Reference price, volatility and exchange rules of a "BASE/QUOTE" symbol."""
    base, sep, quote = symbol.upper().partition("/")
    if not sep or not base or not quote:
        raise ValueError(f"symbol must look like BASE/QUOTE, got {symbol!r}")
    base_usd, base_vol = _usd_level(base, seed)
    quote_usd, quote_vol = _usd_level(quote, seed)
    price = base_usd / quote_usd
    vol = math.hypot(base_vol, quote_vol) or 0.01
    decimals = max(0, 6 - math.floor(math.log10(price)))
    step_exp = math.floor(math.log10(1 / base_usd))  # a lot step worth ~0.1-1 USD
    min_notional = Decimal(f"{5 / quote_usd:.2g}")
    rules = MarketRules(
        symbol=f"{base}/{quote}",
        base=base,
        quote=quote,
        amount_step=Decimal(10) ** step_exp,
        price_tick=Decimal(10) ** -decimals,
        min_amount=Decimal(10) ** step_exp,
        min_notional=min_notional,
    )
    volume = 10 ** _rng(seed, "volume", symbol).uniform(4.0, 5.5) / quote_usd
    volume *= 10.0 if base == "BTC" else 1.0
    return SymbolProfile(rules.symbol, price, vol, volume, rules, decimals)


class _Skeleton:
    """Day-level log price path of one symbol from the anchor, extended on demand."""

    def __init__(self, seed: int, profile: SymbolProfile) -> None:
        self.seed, self.profile = seed, profile
        self.level = np.array([math.log(profile.price)])  # log price at each day's start
        self.sigma = np.empty(0)  # daily volatility of each computed day
        self._regime, self._var, self._shock = 0, profile.daily_vol**2, 0.0

    def ensure(self, days: int) -> None:
        while len(self.sigma) < days:
            self._extend_block(len(self.sigma) // _BLOCK_DAYS)

    def _extend_block(self, block: int) -> None:
        draw = _rng(self.seed, "days", self.profile.symbol, block)
        shocks = draw.standard_t(4, _BLOCK_DAYS) / math.sqrt(2.0)
        switches = draw.random(_BLOCK_DAYS)
        picks = draw.integers(1, 3, _BLOCK_DAYS)
        base_var = self.profile.daily_vol**2
        anchor = math.log(self.profile.price)
        level = float(self.level[-1])
        levels, sigmas = [], []
        for i in range(_BLOCK_DAYS):
            if switches[i] > _STAY:
                self._regime = (self._regime + int(picks[i])) % 3
            self._var = min(
                base_var * (1 - _GARCH_ALPHA - _GARCH_BETA)
                + _GARCH_ALPHA * self._shock**2
                + _GARCH_BETA * self._var,
                16 * base_var,
            )
            drift, scale = _REGIMES[self._regime]
            sigma = math.sqrt(self._var) * scale
            self._shock = sigma * float(shocks[i])
            level += drift * sigma + _PULL * (anchor - level) + self._shock
            levels.append(level)
            sigmas.append(sigma)
        self.level = np.concatenate([self.level, levels])
        self.sigma = np.concatenate([self.sigma, sigmas])


# intraday activity: quieter in the Asian night, busier when US markets are open
_SEASON = 0.8 + 0.4 * np.sin(np.linspace(0, 2 * np.pi, 24, endpoint=False) - 2.0) ** 2


class DemoMarket:
    """Deterministic candles and tickers for any symbol; thread-safe."""

    def __init__(self, seed: int = 0, cache_days: int = 128) -> None:
        self.seed = seed
        self._cache_days = cache_days
        self._lock = threading.Lock()
        self._profiles: dict[str, SymbolProfile] = {}
        self._skeletons: dict[str, _Skeleton] = {}
        self._days: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()

    def profile(self, symbol: str) -> SymbolProfile:
        """The symbol's reference price, volatility and rules."""
        with self._lock:
            if symbol not in self._profiles:
                self._profiles[symbol] = symbol_profile(symbol, self.seed)
            return self._profiles[symbol]

    def market_rules(self, symbol: str) -> MarketRules:
        """Lot size, tick size and minimum notional of the symbol."""
        return self.profile(symbol).rules

    def _day(self, symbol: str, day: int) -> np.ndarray:
        """(5, 1440) array of the day's 1m open, high, low, close, volume."""
        if day < 0:
            raise ValueError(f"demo market data starts at {from_ms(ANCHOR_MS):%Y-%m-%d}")
        profile = self.profile(symbol)
        with self._lock:
            cached = self._days.get((symbol, day))
            if cached is not None:
                self._days.move_to_end((symbol, day))
                return cached
            skeleton = self._skeletons.setdefault(symbol, _Skeleton(self.seed, profile))
            skeleton.ensure(day + 1)
            start, end = float(skeleton.level[day]), float(skeleton.level[day + 1])
            sigma = float(skeleton.sigma[day])
        bars = self._make_day(profile, day, start, end, sigma)
        with self._lock:
            self._days[(symbol, day)] = bars
            while len(self._days) > self._cache_days:
                self._days.popitem(last=False)
        return bars

    def _make_day(
        self, profile: SymbolProfile, day: int, start: float, end: float, sigma: float
    ) -> np.ndarray:
        draw = _rng(self.seed, "minutes", profile.symbol, day)
        activity = np.repeat(draw.lognormal(0.0, 0.4, 24) * _SEASON, 60)
        activity /= math.sqrt(float(np.mean(activity**2)))
        spread = sigma / math.sqrt(DAY_MINUTES) * activity
        steps = spread * draw.standard_t(5, DAY_MINUTES) / math.sqrt(5 / 3)
        walk = np.cumsum(steps)
        frac = np.arange(1, DAY_MINUTES + 1) / DAY_MINUTES
        close = start + walk - frac * walk[-1] + frac * (end - start)
        open_ = np.empty(DAY_MINUTES)
        open_[0], open_[1:] = start, close[:-1]
        wick = 0.7 * spread
        high = np.maximum(open_, close) + np.abs(draw.standard_normal(DAY_MINUTES)) * wick
        low = np.minimum(open_, close) - np.abs(draw.standard_normal(DAY_MINUTES)) * wick
        out = np.empty((5, DAY_MINUTES))
        for row, values in enumerate((open_, high, low, close)):
            out[row] = np.round(np.exp(values), profile.decimals)
        move = np.abs(close - open_) / spread
        noise = draw.lognormal(0.0, 0.4, DAY_MINUTES)
        quote_volume = profile.volume_quote_per_minute * activity * noise * (0.5 + 0.5 * move)
        out[4] = np.round(quote_volume / out[3], 6)
        return out

    def minutes(self, symbol: str, start_ms: int, end_ms: int) -> np.ndarray:
        """(5, n) array of 1m open, high, low, close, volume for minutes in [start, end)."""
        first, last = (start_ms - ANCHOR_MS) // MINUTE_MS, -(-(end_ms - ANCHOR_MS) // MINUTE_MS)
        if last <= first:
            return np.empty((5, 0))
        days = range(first // DAY_MINUTES, (last - 1) // DAY_MINUTES + 1)
        block = np.concatenate([self._day(symbol, d) for d in days], axis=1)
        offset = first - days[0] * DAY_MINUTES
        return block[:, offset : offset + (last - first)]

    def candles(
        self, symbol: str, timeframe: str, start: datetime | int, end: datetime | int
    ) -> Candles:
        """Complete candles whose open time lies in [start, end), aligned to the timeframe."""
        step = timeframe_ms(timeframe)
        if step > DAY_MS or DAY_MS % step:
            raise ValueError(f"demo market timeframes go up to 1d, got {timeframe!r}")
        first = -(-to_ms(start) // step) * step
        count = max(0, (to_ms(end) - first + step - 1) // step)
        return self.candles_count(symbol, timeframe, first, count)

    def candles_count(
        self, symbol: str, timeframe: str, start: datetime | int, count: int
    ) -> Candles:
        """`count` complete candles from the first timeframe boundary at or after `start`."""
        step = timeframe_ms(timeframe)
        first = -(-to_ms(start) // step) * step
        per = step // MINUTE_MS
        data = self.minutes(symbol, first, first + count * step).reshape(5, count, per)
        return Candles(
            open_time=first + np.arange(count, dtype=np.int64) * step,
            open=np.ascontiguousarray(data[0, :, 0]),
            high=data[1].max(axis=1),
            low=data[2].min(axis=1),
            close=np.ascontiguousarray(data[3, :, -1]),
            volume=np.round(data[4].sum(axis=1), 6),
        )

    def price_at(self, symbol: str, at: datetime | int) -> float:
        """Price at a moment: linear within the minute from its open to its close."""
        at_ms = to_ms(at)
        minute_start = at_ms - (at_ms - ANCHOR_MS) % MINUTE_MS
        bar = self.minutes(symbol, minute_start, minute_start + MINUTE_MS)
        frac = (at_ms - minute_start) / MINUTE_MS
        price = bar[0, 0] + (bar[3, 0] - bar[0, 0]) * frac
        return round(float(price), self.profile(symbol).decimals)

    def ticker(self, symbol: str, at: datetime | int) -> Ticker:
        """The last price at a moment of market time."""
        price = Decimal(repr(self.price_at(symbol, at)))
        return Ticker(symbol, price, from_ms(to_ms(at)))

    def ohlcv(self, symbol: str, timeframe: str, now: datetime | int, limit: int = 500) -> Candles:
        """The last `limit` candles at market time `now`, the forming one included (as
        exchanges return them); the forming candle covers the minutes up to `now`."""
        step, now_ms = timeframe_ms(timeframe), to_ms(now)
        current = now_ms - now_ms % step
        done = self.candles_count(symbol, timeframe, current - (limit - 1) * step, limit - 1)
        part = self.minutes(symbol, current, now_ms - now_ms % MINUTE_MS)
        price = self.price_at(symbol, now_ms)
        minute_open = self.minutes(symbol, now_ms - now_ms % MINUTE_MS, now_ms + 1)[0, 0]
        opens = part[0, 0] if part.shape[1] else minute_open
        highs = max(float(part[1].max()) if part.shape[1] else price, price, minute_open)
        lows = min(float(part[2].min()) if part.shape[1] else price, price, minute_open)
        volume = float(part[4].sum()) if part.shape[1] else 0.0
        return Candles.from_arrays(
            np.append(done.open_time, current),
            np.append(done.open, opens),
            np.append(done.high, highs),
            np.append(done.low, lows),
            np.append(done.close, price),
            np.append(done.volume, volume),
        )


@dataclass(frozen=True)
class DemoClock:
    """Maps wall-clock time to market time, optionally faster (speed 60: a minute per second)."""

    wall_start: datetime
    market_start: datetime
    speed: float = 1.0

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError(f"speed must be positive, got {self.speed}")

    def market_time(self, wall_now: datetime) -> datetime:
        """Market time at wall time `wall_now`."""
        return self.market_start + (wall_now - self.wall_start) * self.speed

    def market_ms(self, wall_now: datetime) -> int:
        """Market time at `wall_now` in epoch milliseconds."""
        return to_ms(self.market_time(wall_now))

    def wall_seconds(self, market_seconds: float) -> float:
        """Wall seconds that pass while `market_seconds` pass in the market."""
        return market_seconds / self.speed

    def wall_time(self, market_time: datetime) -> datetime:
        """Wall time at which the market reaches `market_time`."""
        return self.wall_start + timedelta(
            seconds=(market_time - self.market_start).total_seconds() / self.speed
        )
