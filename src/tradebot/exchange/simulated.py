"""Paper and demo accounts: real or simulated market data, simulated fills and balances.

`SimulatedExchange` implements `ExchangePort` over a market source (the demo market, or the
public half of the ccxt adapter for paper bots) and an in-memory balance book that the engine
loads from and saves to `sim_balances` in the cycle's transaction; an order therefore exists
exactly when the cycle that made it commits.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

from tradebot.core.candles import MINUTE_MS, Candles
from tradebot.core.fills import FillModel, cash_delta
from tradebot.core.risk import check_order
from tradebot.core.types import Fill, MarketRules, Side, Ticker
from tradebot.exchange import demo_perpetuals
from tradebot.exchange.capabilities import BINANCE_SPOT, Capabilities
from tradebot.exchange.demo_market import DemoClock, DemoMarket
from tradebot.exchange.errors import InsufficientFunds, InvalidOrder, UnknownSymbol
from tradebot.exchange.perpetuals import FundingRate, OpenInterest
from tradebot.exchange.port import Balance

SIMULATED = dataclasses.replace(BINANCE_SPOT, simulated=True)


class MarketSource(Protocol):
    """The public market data a simulated account trades against."""

    async def load_markets(self) -> Mapping[str, MarketRules]: ...
    async def market(self, symbol: str) -> MarketRules: ...
    async def fetch_candles(self, symbol: str, timeframe: str, limit: int = 500) -> Candles: ...
    async def fetch_ticker(self, symbol: str) -> Ticker: ...


# Closed candle sets a demo source keeps (market, timeframe, length and market minute).
CLOSED_KEPT = 2048


class DemoSource:
    """The deterministic demo market, its time optionally accelerated."""

    local = True  # computed in-process: nothing to share through Redis

    def __init__(self, market: DemoMarket, clock: DemoClock) -> None:
        self.demo = market
        self.clock = clock
        self._closed: OrderedDict[tuple[str, str, int, int], Candles] = OrderedDict()
        self._lock = threading.Lock()

    def closed_candles(self, symbol: str, timeframe: str, limit: int, now_ms: int) -> Candles:
        """The candles closed at `now_ms` (of the last `limit`, the forming one dropped).

        They cannot change within a market minute, so each set is computed once per minute
        for every bot of the market in this process (with hundreds of markets, computing
        them per batch was most of a worker's time).
        """
        key = (symbol, timeframe, limit, now_ms // MINUTE_MS)
        with self._lock:
            found = self._closed.get(key)
            if found is not None:
                self._closed.move_to_end(key)
                return found
        found = self.demo.ohlcv(symbol, timeframe, now_ms, limit).closed(now_ms, timeframe)
        with self._lock:
            self._closed[key] = found
            while len(self._closed) > CLOSED_KEPT:
                self._closed.popitem(last=False)
        return found

    def now_ms(self) -> int:
        return self.clock.market_ms(datetime.now(UTC))

    async def load_markets(self) -> Mapping[str, MarketRules]:
        return {}

    async def market(self, symbol: str) -> MarketRules:
        try:
            return self.demo.market_rules(symbol)
        except (KeyError, ValueError) as exc:
            raise UnknownSymbol(f"unknown symbol {symbol}") from exc

    async def fetch_candles(self, symbol: str, timeframe: str, limit: int = 500) -> Candles:
        return self.demo.ohlcv(symbol, timeframe, self.now_ms(), limit)

    async def fetch_ticker(self, symbol: str) -> Ticker:
        return self.demo.ticker(symbol, self.now_ms())

    async def fetch_funding_rate(self, symbol: str) -> FundingRate:
        await self.market(symbol)
        return demo_perpetuals.funding_rate(self.demo, symbol, self.now_ms())

    async def fetch_open_interest(self, symbol: str) -> OpenInterest:
        await self.market(symbol)
        return demo_perpetuals.open_interest(self.demo, symbol, self.now_ms())


class SimulatedExchange:
    """An account whose orders fill against `source` prices through `fills`."""

    def __init__(
        self,
        source: MarketSource,
        balances: Mapping[str, Decimal],
        *,
        fills: FillModel | None = None,
        capabilities: Capabilities = SIMULATED,
        reference: Ticker | None = None,
    ) -> None:
        self.source = source
        # Orders fill against this price when given (the one the caller decided on), else
        # against a fresh ticker.
        self.reference = reference
        self.balances: dict[str, Decimal] = dict(balances)
        self.fills = fills or FillModel()
        self._capabilities = capabilities
        self._orders: dict[str, Fill] = {}

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    async def load_markets(self) -> Mapping[str, MarketRules]:
        return await self.source.load_markets()

    async def market(self, symbol: str) -> MarketRules:
        return await self.source.market(symbol)

    async def fetch_candles(self, symbol: str, timeframe: str, limit: int = 500) -> Candles:
        return await self.source.fetch_candles(symbol, timeframe, limit)

    async def fetch_ticker(self, symbol: str) -> Ticker:
        return await self.source.fetch_ticker(symbol)

    async def fetch_balance(self) -> dict[str, Balance]:
        return {a: Balance(v, Decimal(0)) for a, v in self.balances.items() if v}

    async def fetch_order_by_client_id(self, symbol: str, client_order_id: str) -> Fill | None:
        return self._orders.get(client_order_id)

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
        """Fill at the latest price moved by slippage; fee in the quote asset."""
        if client_order_id in self._orders:
            return self._orders[client_order_id]
        if (quantity is None) == (quote_quantity is None):
            raise InvalidOrder("give exactly one of quantity and quote_quantity")
        rules = await self.market(symbol)
        ticker = self.reference or await self.fetch_ticker(symbol)
        if quantity is None:
            assert quote_quantity is not None
            quantity = quote_quantity / self.fills.price(side, ticker.last)
        size = check_order(quantity, ticker.last, rules)
        if not size.ok:
            raise InvalidOrder(size.detail or "order below the market minimums")
        fill = self.fills.fill(
            symbol=symbol,
            side=side,
            reference_price=ticker.last,
            quantity=quantity,
            timestamp=ticker.timestamp,
            client_order_id=client_order_id,
        )
        quote_change = cash_delta(side, fill.quote_quantity, fill.commission)
        base_change = quantity if side is Side.BUY else -quantity
        if self.balances.get(rules.quote, Decimal(0)) + quote_change < 0:
            raise InsufficientFunds(f"not enough {rules.quote} for this order")
        if self.balances.get(rules.base, Decimal(0)) + base_change < 0:
            raise InsufficientFunds(f"not enough {rules.base} for this order")
        self.balances[rules.quote] = self.balances.get(rules.quote, Decimal(0)) + quote_change
        self.balances[rules.base] = self.balances.get(rules.base, Decimal(0)) + base_change
        self._orders[client_order_id] = fill
        return fill

    async def close(self) -> None:
        return None
