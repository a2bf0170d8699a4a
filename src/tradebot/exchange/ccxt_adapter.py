"""Binance spot through ccxt: the live and testnet implementation of `ExchangePort`."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any

from tradebot.core.candles import Candles
from tradebot.core.types import Fill, MarketRules, Side, Ticker
from tradebot.exchange.binance_payloads import dec, fill_from_order
from tradebot.exchange.capabilities import BINANCE_SPOT, Capabilities
from tradebot.exchange.ccxt_calls import CcxtCalls
from tradebot.exchange.ccxt_client import MarketsSnapshot, make_client
from tradebot.exchange.errors import (
    InvalidOrder,
    OrderNotFound,
    OrderStatusUnknown,
    RateLimited,
    TemporaryError,
    UnknownSymbol,
)
from tradebot.exchange.markets_cache import DEFAULT_TTL, shared_markets
from tradebot.exchange.port import Balance, RequestBudget

log = logging.getLogger(__name__)


class CcxtAdapter(CcxtCalls):
    """One Binance spot account (live, or testnet with `sandbox=True`) behind `ExchangePort`."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        secret: str | None = None,
        sandbox: bool = False,
        base_url: str | None = None,
        timeout: float = 10.0,
        budget: RequestBudget | None = None,
        retries: int = 3,
        backoff: float = 0.5,
        recv_window_ms: int = 5000,
        markets_ttl: float = DEFAULT_TTL,
        order_attempts: int = 2,
        clock_margin: float = 1.0,
        capabilities: Capabilities = BINANCE_SPOT,
    ) -> None:
        self._caps = capabilities
        self._recv_window = recv_window_ms / 1000
        self._markets_ttl = markets_ttl
        self._order_attempts = max(1, order_attempts)
        self._clock_margin = clock_margin
        self._markets: MarketsSnapshot | None = None
        self._markets_key = (base_url or "", sandbox)
        client = make_client(
            api_key=api_key,
            secret=secret,
            sandbox=sandbox,
            base_url=base_url,
            timeout=timeout,
            recv_window_ms=recv_window_ms,
        )
        super().__init__(
            client,
            budget=budget,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            secrets=tuple(s for s in (api_key, secret) if s),
        )

    @property
    def capabilities(self) -> Capabilities:
        return self._caps

    async def __aenter__(self) -> CcxtAdapter:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # --- markets ------------------------------------------------------------------------

    async def _ensure_markets(self) -> MarketsSnapshot:
        if self._markets is None:
            self._markets = await shared_markets(
                self._markets_key, self._load_markets, ttl=self._markets_ttl
            )
            self._markets.apply(self._ex)
        return self._markets

    async def _load_markets(self) -> MarketsSnapshot:
        markets = await self._read(self._caps.weights.exchange_info, self._ex.fetch_markets)
        self._ex.set_markets(markets)
        return MarketsSnapshot(self._ex)

    # --- public data ----------------------------------------------------------------------

    async def load_markets(self) -> Mapping[str, MarketRules]:
        """Every spot symbol with its rules."""
        return (await self._ensure_markets()).rules

    async def market(self, symbol: str) -> MarketRules:
        """The rules of one symbol; raises `UnknownSymbol`."""
        rules = (await self._ensure_markets()).rules.get(symbol)
        if rules is None:
            raise UnknownSymbol(f"unknown symbol {symbol}")
        return rules

    async def fetch_candles(self, symbol: str, timeframe: str, limit: int = 500) -> Candles:
        """The latest `limit` candles (at most 1,000), oldest first."""
        await self.market(symbol)
        limit = min(limit, self._caps.max_candles_per_request)
        rows = await self._read(
            self._caps.weights.klines, lambda: self._ex.fetch_ohlcv(symbol, timeframe, None, limit)
        )
        return Candles.from_rows(rows)

    async def fetch_ohlcv_rows(
        self, symbol: str, timeframe: str, since: int | None, limit: int
    ) -> list[list[float]]:
        """Up to `limit` raw candles (at most 1,000) from `since` (epoch ms), oldest first:
        one page for the backtest downloader."""
        await self.market(symbol)
        limit = min(limit, self._caps.max_candles_per_request)
        rows: list[list[float]] = await self._read(
            self._caps.weights.klines, lambda: self._ex.fetch_ohlcv(symbol, timeframe, since, limit)
        )
        return rows

    async def fetch_ticker(self, symbol: str) -> Ticker:
        """The last traded price."""
        await self.market(symbol)
        raw = await self._read(self._caps.weights.ticker, lambda: self._ex.fetch_ticker(symbol))
        info = raw.get("info") or {}
        stamp = info.get("closeTime") or raw.get("timestamp") or int(time.time() * 1000)
        return Ticker(
            symbol=symbol,
            last=dec(info.get("lastPrice", raw.get("last"))),
            timestamp=datetime.fromtimestamp(int(stamp) / 1000, tz=UTC),
        )

    async def fetch_prices(self) -> dict[str, Ticker]:
        """The last price of every symbol of the exchange, in one request."""
        markets = await self.load_markets()
        raw = await self._read(self._caps.weights.prices, lambda: self._ex.fetch_last_prices())
        at = datetime.now(UTC)
        prices = {}
        for symbol, entry in raw.items():
            price = (entry.get("info") or {}).get("price")  # Binance's own text, not a float
            if symbol in markets and price is not None:
                prices[symbol] = Ticker(symbol=symbol, last=dec(price), timestamp=at)
        return prices

    # --- account --------------------------------------------------------------------------

    async def fetch_balance(self) -> dict[str, Balance]:
        """Non-zero balances by asset."""
        await self._ensure_markets()
        raw = await self._read(self._caps.weights.account, self._ex.fetch_balance)
        out: dict[str, Balance] = {}
        for entry in (raw.get("info") or {}).get("balances", []):
            balance = Balance(free=dec(entry.get("free")), used=dec(entry.get("locked")))
            if balance.total:
                out[str(entry["asset"])] = balance
        return out

    async def fetch_order_by_client_id(self, symbol: str, client_order_id: str) -> Fill | None:
        """The executed order with this client id, or None when Binance has none."""
        await self.market(symbol)
        try:
            order = await self._read(
                self._caps.weights.query_order,
                lambda: self._ex.fetch_order(None, symbol, {"origClientOrderId": client_order_id}),
            )
        except OrderNotFound:
            return None
        info: dict[str, Any] = order.get("info") or {}
        trades = None
        if not info.get("fills") and dec(info.get("executedQty")) > 0:
            # A queried order has no fills; its trades carry the commission.
            order_id = info.get("orderId")
            raw_trades = await self._read(
                self._caps.weights.my_trades,
                lambda: self._ex.fetch_my_trades(symbol, None, None, {"orderId": order_id}),
            )
            trades = [t.get("info") or {} for t in raw_trades]
        try:
            return fill_from_order(info, symbol, trades)
        except OrderNotFound:
            return None

    async def _lookup(self, symbol: str, client_order_id: str) -> Fill | None:
        try:
            return await self.fetch_order_by_client_id(symbol, client_order_id)
        except OrderStatusUnknown:
            raise
        except TemporaryError as e:
            raise OrderStatusUnknown(
                f"cannot tell whether order {client_order_id} exists ({e}); "
                "retry later with the same client order id"
            ) from e

    def _check_order_args(
        self, quantity: Decimal | None, quote_quantity: Decimal | None, client_order_id: str
    ) -> None:
        if (quantity is None) == (quote_quantity is None):
            raise InvalidOrder("give exactly one of quantity and quote_quantity")
        if quote_quantity is not None and not self._caps.quote_order_qty:
            raise InvalidOrder(f"{self._caps.name} does not take orders sized in quote currency")
        amount = quantity if quantity is not None else quote_quantity
        if amount is not None and amount <= 0:
            raise InvalidOrder("order size must be positive")
        pattern = f"[{self._caps.client_order_id_chars}]{{1,{self._caps.client_order_id_max_len}}}"
        if not re.fullmatch(pattern, client_order_id):
            raise InvalidOrder(f"client order id {client_order_id!r} is not valid for Binance")

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
        """Execute a market order at most once per client order id (see `ExchangePort`)."""
        self._check_order_args(quantity, quote_quantity, client_order_id)
        await self.market(symbol)
        if check_existing:
            found = await self._lookup(symbol, client_order_id)
            if found is not None:
                return found
        params: dict[str, str] = {"newClientOrderId": client_order_id}
        if quote_quantity is not None:
            params["quoteOrderQty"] = str(quote_quantity)
        amount = str(quantity) if quantity is not None else None
        sent_at = 0.0

        async def send() -> Any:
            nonlocal sent_at
            sent_at = time.monotonic()  # after the budget wait: ccxt stamps the request now
            return await self._ex.create_order(
                symbol, "market", side.value.lower(), amount, None, dict(params)
            )

        last: TemporaryError | None = None
        for attempt in range(self._order_attempts):
            if attempt:
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
            try:
                order = await self._call(self._caps.weights.order, send)
            except RateLimited:
                raise  # refused before it reached the matching engine: nothing happened
            except TemporaryError as e:
                # Timeout, 5xx or dropped connection: the order may have executed. Binance
                # rejects a request that reaches the matching engine after its recvWindow
                # (measured on its clock, which may run up to `clock_margin` behind ours), so
                # once that has passed a lookup tells the truth.
                last = e
                settled = sent_at + self._recv_window + self._clock_margin
                await asyncio.sleep(max(0.0, settled - time.monotonic()))
                found = await self._lookup(symbol, client_order_id)
                if found is not None:
                    return found
                log.info("order %s was not placed (%s); sending it again", client_order_id, e)
                continue
            return fill_from_order(order.get("info") or {}, symbol)
        raise TemporaryError(
            f"order {client_order_id} not placed after {self._order_attempts} attempts: {last}"
        )
