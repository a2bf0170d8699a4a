"""Perpetual-futures market data: funding rate and open interest of a spot symbol's contract.

The platform trades spot; these are read-only market facts (`/funding`, `/oi`). A spot symbol
"BTC/USDT" maps to the linear perpetual "BTC/USDT:USDT" (settled in the quote currency).
Sources raise `NotAvailable` when the venue has no such contract, and only
`tradebot.exchange.errors` classes otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class FundingRate:
    """The current funding of a perpetual: `rate` is per funding period (0.0001 = 0.01 %)."""

    symbol: str  # the spot symbol asked for, "BTC/USDT"
    rate: Decimal
    mark_price: Decimal | None
    index_price: Decimal | None
    next_funding: datetime | None
    timestamp: datetime


@dataclass(frozen=True)
class OpenInterest:
    """Open contracts of a perpetual, in base units (and in quote when the venue says)."""

    symbol: str
    amount: Decimal
    value: Decimal | None
    timestamp: datetime


def perpetual_symbol(symbol: str) -> str:
    """The linear perpetual of a spot symbol: "BTC/USDT" -> "BTC/USDT:USDT"."""
    base, _, quote = symbol.partition("/")
    return f"{base}/{quote}:{quote}"


class PerpetualSource(Protocol):
    """Where funding and open interest of a mode come from (Binance USDⓈ-M, the demo)."""

    async def fetch_funding_rate(self, symbol: str) -> FundingRate:
        """The funding rate of the symbol's perpetual; raises `NotAvailable`."""
        ...

    async def fetch_open_interest(self, symbol: str) -> OpenInterest:
        """The open interest of the symbol's perpetual; raises `NotAvailable`."""
        ...
