"""Funding and open interest of the demo market's perpetuals: deterministic, real-looking.

Like the demo candles, every value derives from (seed, symbol, time) alone. Funding follows
Binance's shape: the 0.01 % interest component plus a premium that leans with the price's
move over the previous 8-hour period, clamped as Binance clamps it; it settles every 8 hours
(00:00, 08:00, 16:00 UTC). Open interest sits around half a day of the symbol's traded
volume and drifts smoothly from day to day. Only USDT- and USDC-quoted symbols have one.
"""

from __future__ import annotations

import math
from decimal import Decimal

from tradebot.core.candles import from_ms
from tradebot.exchange.demo_market import DemoMarket, _rng
from tradebot.exchange.errors import NotAvailable
from tradebot.exchange.perpetuals import FundingRate, OpenInterest

FUNDING_PERIOD_MS = 8 * 3_600_000
INTEREST = 0.0001  # per period, as on Binance
PREMIUM_CAP = 0.0030
HOUR_MS = 3_600_000
_QUOTES = frozenset({"USDT", "USDC"})


def _check(market: DemoMarket, symbol: str) -> None:
    if market.profile(symbol).rules.quote not in _QUOTES:
        raise NotAvailable(f"{symbol} has no perpetual contract in the demo market")


def _premium(market: DemoMarket, symbol: str, period: int) -> float:
    """Premium of funding period `period`: leans with the previous period's price move."""
    start = period * FUNDING_PERIOD_MS
    before = market.price_at(symbol, start - FUNDING_PERIOD_MS)
    now = market.price_at(symbol, start)
    move = math.log(now / before) if before > 0 and now > 0 else 0.0
    noise = float(_rng(market.seed, "funding", symbol, period).normal(0.0, 0.00005))
    return max(-PREMIUM_CAP, min(PREMIUM_CAP, 0.02 * move + noise))


def funding_rate(market: DemoMarket, symbol: str, now_ms: int) -> FundingRate:
    """The funding rate of `symbol`'s demo perpetual at market time `now_ms`."""
    _check(market, symbol)
    period = now_ms // FUNDING_PERIOD_MS
    premium = _premium(market, symbol, period)
    decimals = market.profile(symbol).decimals
    index = market.price_at(symbol, now_ms)
    return FundingRate(
        symbol=symbol,
        rate=Decimal(f"{INTEREST + premium:.8f}"),
        mark_price=Decimal(f"{index * (1 + premium / 2):.{decimals}f}"),
        index_price=Decimal(f"{index:.{decimals}f}"),
        next_funding=from_ms((period + 1) * FUNDING_PERIOD_MS),
        timestamp=from_ms(now_ms),
    )


def _drift(market: DemoMarket, symbol: str, hour: int) -> float:
    return float(_rng(market.seed, "oi", symbol, hour // 24).normal(0.0, 0.25))


def open_interest(market: DemoMarket, symbol: str, now_ms: int) -> OpenInterest:
    """Open interest of `symbol`'s demo perpetual at market time `now_ms`."""
    _check(market, symbol)
    profile = market.profile(symbol)
    hours = now_ms / HOUR_MS
    hour = int(hours)
    # A smooth path: daily levels, interpolated hour by hour between their values.
    frac = (hours - hour // 24 * 24) / 24
    level = (1 - frac) * _drift(market, symbol, hour) + frac * _drift(market, symbol, hour + 24)
    price = market.price_at(symbol, now_ms)
    half_day_volume = profile.volume_quote_per_minute * 720 / profile.price
    amount = Decimal(f"{half_day_volume * math.exp(level):.3f}")
    return OpenInterest(
        symbol=symbol,
        amount=amount,
        value=Decimal(f"{float(amount) * price:.2f}"),
        timestamp=from_ms(now_ms),
    )
