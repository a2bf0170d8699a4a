"""The exchange port: what the engine, Telegram and the API need from any exchange.

Live/testnet (ccxt), paper and demo adapters all implement `ExchangePort`; callers never
know which one they hold. Every method raises only `tradebot.exchange.errors` classes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from tradebot.core.candles import Candles, timeframe_ms
from tradebot.core.types import Fill, MarketRules, Side, Ticker
from tradebot.exchange.capabilities import Capabilities

__all__ = [
    "Balance",
    "Candles",
    "ExchangePort",
    "Fill",
    "MarketRules",
    "RequestBudget",
    "Side",
    "Ticker",
    "timeframe_ms",
]


@dataclass(frozen=True)
class Balance:
    """One asset of an account."""

    free: Decimal
    used: Decimal  # locked in open orders

    @property
    def total(self) -> Decimal:
        return self.free + self.used


@runtime_checkable
class ExchangePort(Protocol):
    """One exchange account (or a public-only view of an exchange)."""

    @property
    def capabilities(self) -> Capabilities: ...

    async def load_markets(self) -> Mapping[str, MarketRules]:
        """Every tradable symbol ("BTC/USDT") with its rules; cached, cheap after the first call."""
        ...

    async def market(self, symbol: str) -> MarketRules:
        """The rules of one symbol; raises `UnknownSymbol`."""
        ...

    async def fetch_candles(self, symbol: str, timeframe: str, limit: int = 500) -> Candles:
        """The latest `limit` candles, oldest first; the last one may still be forming."""
        ...

    async def fetch_ticker(self, symbol: str) -> Ticker:
        """The last traded price."""
        ...

    async def fetch_balance(self) -> dict[str, Balance]:
        """Balances by asset ("USDT"); assets not listed hold nothing."""
        ...

    async def create_market_order(
        self,
        symbol: str,
        side: Side,
        *,
        quantity: Decimal | None = None,
        quote_quantity: Decimal | None = None,
        client_order_id: str,
        check_existing: bool = False,
    ) -> Fill:
        """Execute a market order at most once per `client_order_id`.

        Exactly one of `quantity` (base) and `quote_quantity` (quote to spend or receive) is
        given. With `check_existing` (a retried cycle) an order already made with this client
        id is returned instead of sending a new one. Raises `OrderStatusUnknown` when it cannot
        tell whether the order exists: retry later with the same id and `check_existing=True`.
        """
        ...

    async def fetch_order_by_client_id(self, symbol: str, client_order_id: str) -> Fill | None:
        """The executed order with this client id, or None when there is none."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class RequestBudget(Protocol):
    """A shared request-weight budget (the market-data governor implements it)."""

    async def reserve(self, weight: int) -> None:
        """Wait until `weight` fits the budget; raises `RateLimited` when that takes too long."""
        ...

    async def observe(self, used_weight: int) -> None:
        """The exchange reported `used_weight` for the current minute."""
        ...

    async def ban(self, retry_after: float) -> None:
        """The exchange answered 429/418: nobody sends for `retry_after` seconds."""
        ...
