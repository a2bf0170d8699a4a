"""Funding rate and open interest of Binance USDⓈ-M perpetuals through ccxt (public data)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tradebot.exchange.binance_payloads import dec
from tradebot.exchange.capabilities import BINANCE_USDM, Capabilities
from tradebot.exchange.ccxt_calls import CcxtCalls
from tradebot.exchange.ccxt_client import MarketsSnapshot, make_usdm_client
from tradebot.exchange.errors import NotAvailable
from tradebot.exchange.markets_cache import DEFAULT_TTL, shared_markets
from tradebot.exchange.perpetuals import FundingRate, OpenInterest, perpetual_symbol
from tradebot.exchange.port import RequestBudget


def _moment(ms: object) -> datetime | None:
    return datetime.fromtimestamp(int(str(ms)) / 1000, tz=UTC) if ms not in (None, "", 0) else None


class CcxtPerpetuals(CcxtCalls):
    """Binance USDⓈ-M public data behind `PerpetualSource`, on its own weight budget."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        budget: RequestBudget | None = None,
        retries: int = 3,
        backoff: float = 0.5,
        markets_ttl: float = DEFAULT_TTL,
        capabilities: Capabilities = BINANCE_USDM,
    ) -> None:
        super().__init__(
            make_usdm_client(base_url=base_url, timeout=timeout),
            budget=budget,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
        )
        self._caps = capabilities
        self._markets_ttl = markets_ttl
        self._markets_key = ("usdm", base_url or "")

    async def _load_markets(self) -> MarketsSnapshot:
        markets = await self._read(self._caps.weights.exchange_info, self._ex.fetch_markets)
        self._ex.set_markets(markets)
        return MarketsSnapshot(self._ex)

    async def _contract(self, symbol: str) -> str:
        """The ccxt symbol of `symbol`'s linear perpetual; `NotAvailable` when none trades."""
        snapshot = await shared_markets(
            self._markets_key, self._load_markets, ttl=self._markets_ttl
        )
        snapshot.apply(self._ex)
        contract = perpetual_symbol(symbol)
        market: dict[str, Any] | None = (self._ex.markets or {}).get(contract)
        if not market or not market.get("swap") or market.get("active") is False:
            raise NotAvailable(f"{symbol} has no perpetual contract on Binance USDⓈ-M")
        return contract

    async def fetch_funding_rate(self, symbol: str) -> FundingRate:
        """The last funding rate, mark and index price and the next funding time."""
        contract = await self._contract(symbol)
        raw = await self._read(
            self._caps.weights.funding_rate, lambda: self._ex.fetch_funding_rate(contract)
        )
        info: dict[str, Any] = raw.get("info") or {}
        return FundingRate(
            symbol=symbol,
            rate=dec(info.get("lastFundingRate")),
            mark_price=dec(info["markPrice"]) if info.get("markPrice") else None,
            index_price=dec(info["indexPrice"]) if info.get("indexPrice") else None,
            next_funding=_moment(info.get("nextFundingTime")),
            timestamp=_moment(info.get("time")) or datetime.now(UTC),
        )

    async def fetch_open_interest(self, symbol: str) -> OpenInterest:
        """Open contracts in base units (Binance gives no quote value here)."""
        contract = await self._contract(symbol)
        raw = await self._read(
            self._caps.weights.open_interest, lambda: self._ex.fetch_open_interest(contract)
        )
        info: dict[str, Any] = raw.get("info") or {}
        return OpenInterest(
            symbol=symbol,
            amount=dec(info.get("openInterest")),
            value=None,
            timestamp=_moment(info.get("time")) or datetime.now(UTC),
        )
