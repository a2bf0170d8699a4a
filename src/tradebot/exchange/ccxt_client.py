"""ccxt's Binance client set up for us: where it points, what it logs, what it remembers."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import ccxt.async_support as ccxt

from tradebot.core.types import MarketRules
from tradebot.exchange.binance_payloads import market_rules
from tradebot.exchange.errors import used_weight

# ccxt logs every request at DEBUG with its headers (the API key) and signed body. This logger
# is outside logging's registry, so no logging configuration can lower its level.
_WIRE_LOG = logging.Logger("tradebot.exchange.ccxt_wire", logging.WARNING)
_WIRE_LOG.parent = logging.getLogger("tradebot.exchange")

_MARKETS_ATTRS = (
    "markets",
    "markets_by_id",
    "symbols",
    "ids",
    "currencies",
    "currencies_by_id",
    "baseCurrencies",
    "quoteCurrencies",
    "codes",
)


class _Tracked:
    """ccxt hooks that remember the weight header and attach headers to errors."""

    tradebot_used_weight: int | None = None
    last_response_headers: Any

    def on_rest_response(self, code: Any, reason: Any, url: Any, method: Any, *a: Any) -> Any:
        # a = (response_headers, response_body, request_headers, request_body)
        weight = used_weight(a[0])
        if weight is not None:
            self.tradebot_used_weight = weight
        return super().on_rest_response(code, reason, url, method, *a)  # type: ignore[misc]

    def handle_errors(self, code: Any, reason: Any, url: Any, method: Any, *a: Any) -> Any:
        # a = (headers, body, response, request_headers, request_body)
        try:
            return super().handle_errors(code, reason, url, method, *a)  # type: ignore[misc]
        except ccxt.BaseError as e:
            # Concurrent calls share `last_response_headers`; this error keeps its own.
            e.response_headers = a[0]
            raise

    def handle_http_status_code(self, *a: Any) -> Any:
        try:
            return super().handle_http_status_code(*a)  # type: ignore[misc]
        except ccxt.BaseError as e:
            e.response_headers = self.last_response_headers
            raise


class BinanceClient(_Tracked, ccxt.binance):  # type: ignore[misc]
    """ccxt's Binance spot that remembers the weight header and attaches headers to errors."""


class BinanceUsdmClient(_Tracked, ccxt.binanceusdm):  # type: ignore[misc]
    """ccxt's Binance USDⓈ-M futures, tracked the same way (public data only here)."""


def point_at(exchange: Any, base_url: str) -> None:
    """Send every REST call of a ccxt exchange (sandbox URLs included) to `base_url`."""
    base = base_url.rstrip("/")
    for key in ("api", "test", "apiBackup"):
        urls = exchange.urls.get(key)
        if isinstance(urls, dict):
            exchange.urls[key] = {
                k: base + urlsplit(v).path for k, v in urls.items() if isinstance(v, str)
            }


class MarketsSnapshot:
    """Loaded ccxt markets plus our rules, shared read-only by every adapter in the process."""

    def __init__(self, exchange: Any) -> None:
        self.attrs = {name: getattr(exchange, name, None) for name in _MARKETS_ATTRS}
        self.rules: dict[str, MarketRules] = {
            sym: market_rules(m) for sym, m in exchange.markets.items() if m.get("spot")
        }

    def apply(self, exchange: Any) -> None:
        """Give `exchange` these markets without copying them."""
        for name, value in self.attrs.items():
            setattr(exchange, name, value)


# Where ccxt's Binance sends spot REST calls, live and testnet (its `urls["api"]`/`["test"]`).
BINANCE_HOSTS = {False: "api.binance.com", True: "testnet.binance.vision"}
USDM_HOST = "fapi.binance.com"  # USDⓈ-M futures: a host, and a weight limit, of its own


def api_host(*, sandbox: bool, base_url: str | None) -> str:
    """The host a client made by `make_client` talks to: each host has its own weight limit."""
    if base_url:
        return urlsplit(base_url).netloc or base_url
    return BINANCE_HOSTS[sandbox]


def usdm_host(*, base_url: str | None) -> str:
    """The host a client made by `make_usdm_client` talks to."""
    if base_url:
        return urlsplit(base_url).netloc or base_url
    return USDM_HOST


def make_client(
    *,
    api_key: str | None,
    secret: str | None,
    sandbox: bool,
    base_url: str | None,
    timeout: float,
    recv_window_ms: int,
) -> BinanceClient:
    """A spot-only ccxt Binance client; testnet with `sandbox`, sent to `base_url` if given."""
    client = BinanceClient(
        {
            "apiKey": api_key or "",
            "secret": secret or "",
            # The Redis governor limits the whole cluster; ccxt's throttle is per instance.
            "enableRateLimit": False,
            "timeout": int(timeout * 1000),
            "logger": _WIRE_LOG,
            "options": {
                "defaultType": "spot",
                "fetchMarkets": {"types": ["spot"]},
                "fetchCurrencies": False,
                "fetchMargins": False,
                "recvWindow": recv_window_ms,
                "newOrderRespType": {"market": "FULL", "limit": "FULL"},
            },
        }
    )
    if sandbox:
        client.set_sandbox_mode(True)
    if base_url:
        point_at(client, base_url)
        if base_url.startswith("http://"):
            # ccxt sleeps 250 ms on close to let TLS connections shut down; none here.
            client.timeout_on_exit = 0
    return client


def make_usdm_client(*, base_url: str | None, timeout: float) -> BinanceUsdmClient:
    """A public-only ccxt Binance USDⓈ-M client (linear contracts), sent to `base_url` if given."""
    client = BinanceUsdmClient(
        {
            "enableRateLimit": False,
            "timeout": int(timeout * 1000),
            "logger": _WIRE_LOG,
            "options": {
                "fetchMarkets": {"types": ["linear"]},
                "fetchCurrencies": False,
                "fetchMargins": False,
            },
        }
    )
    if base_url:
        point_at(client, base_url)
        if base_url.startswith("http://"):
            client.timeout_on_exit = 0
    return client
