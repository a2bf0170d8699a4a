"""A fake Binance spot REST API on 127.0.0.1, spoken to by the real ccxt client.

Runs in a background thread (`with FakeBinance() as fake: ...`) or as a process
(`python -m tests.fakes.binance --port 8765`). It checks HMAC signatures and timestamps,
applies LOT_SIZE/NOTIONAL filters and balances, answers with Binance's error codes and
bodies, counts request weight in `X-MBX-USED-WEIGHT-1M`, records every request, and injects
faults on demand: `fake.fail_next("POST /api/v3/order", "lost_response")`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import itertools
import json
import math
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FEE_RATE = Decimal("0.001")
FAULT_KINDS = frozenset({"429", "418", "500", "503", "504", "timeout", "drop", "lost_response"})
WEIGHTS = {
    "/api/v3/ping": 1,
    "/api/v3/time": 1,
    "/api/v3/exchangeInfo": 20,
    "/api/v3/klines": 2,
    "/api/v3/ticker/price": 2,
    "/api/v3/ticker/24hr": 2,
    "/api/v3/account": 20,
    "POST /api/v3/order": 1,
    "GET /api/v3/order": 4,
    "/api/v3/openOrders": 6,
    "/api/v3/myTrades": 20,
    "/fapi/v1/exchangeInfo": 1,
    "/fapi/v1/premiumIndex": 1,
    "/fapi/v1/openInterest": 1,
}
SIGNED = {"/api/v3/account", "/api/v3/order", "/api/v3/openOrders", "/api/v3/myTrades"}

ERR_BAD_KEY = (401, -2015, "Invalid API-key, IP, or permissions for action.")
ERR_KEY_FORMAT = (401, -2014, "API-key format invalid.")
ERR_SIGNATURE = (400, -1022, "Signature for this request is not valid.")
ERR_TIMESTAMP = (400, -1021, "Timestamp for this request is outside of the recvWindow.")
ERR_SYMBOL = (400, -1121, "Invalid symbol.")
ERR_NOTIONAL = (400, -1013, "Filter failure: NOTIONAL")
ERR_LOT_SIZE = (400, -1013, "Filter failure: LOT_SIZE")
ERR_BALANCE = (400, -2010, "Account has insufficient balance for requested action.")
ERR_NO_ORDER = (400, -2013, "Order does not exist.")
ERR_UNKNOWN = (500, -1000, "An unknown error occured while processing the request.")

# --- the market: symbols, a deterministic price path, candles --------------------------------

INTERVAL_MS = {
    f"{n}{u}": n * ms
    for u, ms, counts in (
        ("m", 60_000, (1, 3, 5, 15, 30)),
        ("h", 3_600_000, (1, 2, 4, 6, 8, 12)),
        ("d", 86_400_000, (1, 3)),
        ("w", 604_800_000, (1,)),
    )
    for n in counts
}
EIGHT = Decimal("1e-8")


@dataclass(frozen=True)
class SymbolSpec:
    symbol: str
    base: str
    quote: str
    base_price: Decimal
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal


def _spec(symbol: str, base: str, quote: str, *values: str) -> SymbolSpec:
    return SymbolSpec(symbol, base, quote, *(Decimal(v) for v in values))


DEFAULT_SYMBOLS = (
    _spec("BTCUSDT", "BTC", "USDT", "60000", "0.01", "0.00001", "0.00001", "9000", "5"),
    _spec("ETHUSDT", "ETH", "USDT", "3000", "0.01", "0.0001", "0.0001", "9000", "5"),
    _spec("BNBUSDT", "BNB", "USDT", "600", "0.01", "0.001", "0.001", "9000", "5"),
    _spec("ETHBTC", "ETH", "BTC", "0.05", "0.00001", "0.0001", "0.0001", "100000", "0.0001"),
)


def fmt(value: Decimal) -> str:
    """Binance's 8-decimal string."""
    return f"{value.quantize(EIGHT):f}"


def model_price(spec: SymbolSpec, t_ms: float) -> Decimal:
    """The symbol's price at `t_ms`: a few slow waves around its base price, on the tick."""
    t = t_ms / 1000
    phase = sum(map(ord, spec.symbol)) % 97 / 97 * 2 * math.pi
    wave = (
        0.03 * math.sin(2 * math.pi * t / 86_400 + phase)
        + 0.01 * math.sin(2 * math.pi * t / 2_700 + 2 * phase)
        + 0.003 * math.sin(2 * math.pi * t / 310 + 3 * phase)
    )
    raw = spec.base_price * Decimal(repr(1 + wave))
    return (raw / spec.tick).to_integral_value() * spec.tick


def _candle(spec: SymbolSpec, open_ms: int, step: int, now: int, current: Decimal) -> list[Any]:
    closing = open_ms + step
    samples = [model_price(spec, open_ms + step * k / 6) for k in range(6)]
    close = current if closing > now else model_price(spec, closing)
    samples.append(close)
    volume = Decimal(repr(10 + 5 * abs(math.sin(open_ms / 7_919_000)))).quantize(EIGHT)
    return [
        open_ms,
        fmt(samples[0]),
        fmt(max(samples)),
        fmt(min(samples)),
        fmt(close),
        fmt(volume),
        closing - 1,
        fmt(volume * close),
        100,
        fmt(volume / 2),
        fmt(volume * close / 2),
        "0",
    ]


def klines(
    spec: SymbolSpec,
    step: int,
    limit: int,
    start: int | None,
    end: int | None,
    now: int,
    current: Decimal,
) -> list[list[Any]]:
    """Binance kline rows; the last one is the candle still forming at `now`."""
    last = now // step * step
    if end is not None:
        last = min(last, end // step * step)
    if start is not None:
        first = -(-start // step) * step
        opens = [o for o in range(first, first + limit * step, step) if o <= last]
    else:
        opens = [last - (limit - 1 - i) * step for i in range(limit)]
    return [_candle(spec, o, step, now, current) for o in opens]


def scripted_klines(
    closes: list[Decimal], step: int, limit: int, now: int, current: Decimal
) -> list[list[Any]]:
    """Kline rows whose closed candles end with `closes`, then the forming one at `current`."""
    forming = now // step * step
    values = [*closes, current][-limit:]
    rows = []
    for i, close in enumerate(values):
        open_ms = forming - (len(values) - 1 - i) * step
        opened = values[i - 1] if i else close
        rows.append(
            [
                open_ms,
                fmt(opened),
                fmt(max(opened, close)),
                fmt(min(opened, close)),
                fmt(close),
                "10",
                open_ms + step - 1,
                fmt(close * 10),
                100,
                "5",
                fmt(close * 5),
                "0",
            ]
        )
    return rows


def exchange_info(specs: Iterable[SymbolSpec], now: int) -> dict[str, Any]:
    """The exchangeInfo answer for `specs`."""
    symbols = [
        {
            "symbol": s.symbol,
            "status": "TRADING",
            "baseAsset": s.base,
            "baseAssetPrecision": 8,
            "quoteAsset": s.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT"],
            "icebergAllowed": True,
            "ocoAllowed": True,
            "otoAllowed": True,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": True,
            "cancelReplaceAllowed": True,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": fmt(s.tick),
                    "maxPrice": "1000000.00000000",
                    "tickSize": fmt(s.tick),
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": fmt(s.min_qty),
                    "maxQty": fmt(s.max_qty),
                    "stepSize": fmt(s.step),
                },
                {
                    "filterType": "NOTIONAL",
                    "minNotional": fmt(s.min_notional),
                    "applyMinToMarket": True,
                    "maxNotional": "9000000.00000000",
                    "applyMaxToMarket": False,
                    "avgPriceMins": 5,
                },
            ],
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        }
        for s in specs
    ]
    limits = [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    ]
    return {
        "timezone": "UTC",
        "serverTime": now,
        "rateLimits": limits,
        "exchangeFilters": [],
        "symbols": symbols,
    }


# USDⓈ-M perpetuals (fapi) of the USDT-quoted symbols: read-only funding and open interest.
FUNDING_RATE = Decimal("0.0001")
FUNDING_HOURS = 8


def perpetuals(specs: Iterable[SymbolSpec]) -> list[SymbolSpec]:
    return [s for s in specs if s.quote == "USDT"]


def futures_info(specs: Iterable[SymbolSpec], now: int) -> dict[str, Any]:
    """fapi's exchangeInfo: one PERPETUAL contract per USDT-quoted spot symbol."""
    symbols = [
        {
            "symbol": s.symbol,
            "pair": s.symbol,
            "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000,
            "onboardDate": 1569398400000,
            "status": "TRADING",
            "baseAsset": s.base,
            "quoteAsset": s.quote,
            "marginAsset": s.quote,
            "pricePrecision": 2,
            "quantityPrecision": 3,
            "baseAssetPrecision": 8,
            "quotePrecision": 8,
            "underlyingType": "COIN",
            "triggerProtect": "0.0500",
            "filters": [
                {"filterType": "PRICE_FILTER", "tickSize": fmt(s.tick), "minPrice": fmt(s.tick)},
                {"filterType": "LOT_SIZE", "stepSize": "0.001", "minQty": "0.001"},
            ],
            "orderTypes": ["LIMIT", "MARKET"],
            "timeInForce": ["GTC"],
        }
        for s in perpetuals(specs)
    ]
    return {"timezone": "UTC", "serverTime": now, "rateLimits": [], "symbols": symbols}


def premium_index(spec: SymbolSpec, price: Decimal, now: int) -> dict[str, Any]:
    period = FUNDING_HOURS * 3_600_000
    return {
        "symbol": spec.symbol,
        "markPrice": fmt(price),
        "indexPrice": fmt(price),
        "estimatedSettlePrice": fmt(price),
        "lastFundingRate": fmt(FUNDING_RATE),
        "interestRate": "0.00010000",
        "nextFundingTime": (now // period + 1) * period,
        "time": now,
    }


def open_interest(spec: SymbolSpec, now: int) -> dict[str, Any]:
    amount = (Decimal(50_000_000) / spec.base_price).quantize(Decimal("0.001"))
    return {"symbol": spec.symbol, "openInterest": f"{amount:f}", "time": now}


class BinanceError(Exception):
    """Answered as Binance's JSON error body with its HTTP status."""

    def __init__(self, error: tuple[int, int, str]) -> None:
        super().__init__(error[2])
        self.status, self.code, self.msg = error


@dataclass
class Fault:
    kind: str
    retry_after: int
    execute: bool  # process the request before failing (the order exists, the reply is lost)
    delay: float  # for "timeout": how long the server sits on the request


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    params: dict[str, str]  # without the signature
    api_key: str | None

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Account:
    api_key: str
    secret: str
    balances: dict[str, Decimal] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)
    trades: list[dict[str, Any]] = field(default_factory=list)


class FakeBinance:
    """The fake exchange's state and its HTTP server."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        symbols: tuple[SymbolSpec, ...] = DEFAULT_SYMBOLS,
        weight_limit: int = 6000,
        fee_rate: Decimal = FEE_RATE,
    ) -> None:
        self.symbols = {s.symbol: s for s in symbols}
        self.weight_limit = weight_limit
        self.fee_rate = fee_rate
        self.requests: list[Recorded] = []
        self._lock = threading.RLock()
        self._accounts: dict[str, Account] = {}
        self._prices: dict[str, Decimal] = {}
        self._scripted: dict[str, list[Decimal]] = {}
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._weight_minute = 0
        self._weight_used = 0
        # Binance numbers each symbol's orders (and trades) on its own: ids repeat across
        # symbols, as they do across the live and testnet exchanges.
        self._ids: defaultdict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._server = _Server((host, port), _Handler, self)
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeBinance:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeBinance:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- arranging ---------------------------------------------------------------------------

    def add_account(
        self, api_key: str, secret: str, balances: Mapping[str, str | Decimal] | None = None
    ) -> None:
        with self._lock:
            self._accounts[api_key] = Account(
                api_key, secret, {k: Decimal(str(v)) for k, v in (balances or {}).items()}
            )

    def remove_account(self, api_key: str) -> None:
        """Forget a key: its requests now get -2015, as a revoked Binance key does."""
        with self._lock:
            self._accounts.pop(api_key, None)

    def set_price(self, symbol: str, price: str | Decimal | None) -> None:
        """Fix the current price of `symbol` ("BTCUSDT"); None returns to the model price."""
        with self._lock:
            if price is None:
                self._prices.pop(symbol, None)
            else:
                self._prices[symbol] = Decimal(str(price))

    def set_closes(self, symbol: str, closes: list[float] | None) -> None:
        """Script the closes of the latest closed candles of `symbol` (any interval); the
        forming candle trades at the current price. None returns to the model's candles."""
        with self._lock:
            if closes is None:
                self._scripted.pop(symbol, None)
            else:
                self._scripted[symbol] = [Decimal(str(c)) for c in closes]

    def fail_next(
        self,
        route: str,
        kind: str,
        *,
        times: int = 1,
        retry_after: int = 2,
        execute: bool | None = None,
        delay: float = 3.0,
    ) -> None:
        """Make the next `times` requests to `route` ("POST /api/v3/order") fail with `kind`.

        Kinds: 429 and 418 (with Retry-After), 500 (Binance's -1000 body), 503, 504 (no body),
        timeout (sit on the request for `delay` s), drop (close the connection) and
        lost_response (execute, then drop the connection). `execute=True` makes the other
        kinds process the request too before failing.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        run = kind == "lost_response" if execute is None else execute
        with self._lock:
            for _ in range(times):
                self._faults[route].append(Fault(kind, retry_after, run, delay))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # --- inspecting --------------------------------------------------------------------------

    def price(self, symbol: str) -> Decimal:
        with self._lock:
            fixed = self._prices.get(symbol)
        if fixed is not None:
            return fixed
        spec = self.symbols[symbol]
        return model_price(spec, time.time() * 1000)

    def balances(self, api_key: str) -> dict[str, Decimal]:
        with self._lock:
            return dict(self._accounts[api_key].balances)

    def orders(self, api_key: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            accounts = [self._accounts[api_key]] if api_key else list(self._accounts.values())
            return [dict(o) for a in accounts for o in a.orders]

    def count(self, route: str) -> int:
        """How many requests went to `route` ("GET /api/v3/exchangeInfo")."""
        with self._lock:
            return sum(1 for r in self.requests if r.route == route)

    def used_weight(self) -> int:
        with self._lock:
            self._roll_minute()
            return self._weight_used

    def reset_weight(self) -> None:
        with self._lock:
            self._weight_used = 0

    # --- request handling (called from server threads) ---------------------------------------

    def _roll_minute(self) -> None:
        minute = int(time.time() // 60)
        if minute != self._weight_minute:
            self._weight_minute, self._weight_used = minute, 0

    def take_fault(self, route: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(route)
            return queue.popleft() if queue else None

    def record(self, method: str, path: str, params: dict[str, str], api_key: str | None) -> int:
        """Record a request and add its weight; returns the minute's weight so far."""
        clean = {k: v for k, v in params.items() if k != "signature"}
        with self._lock:
            self.requests.append(Recorded(method, path, clean, api_key))
            self._roll_minute()
            weight = WEIGHTS.get(f"{method} {path}", WEIGHTS.get(path, 1))
            if path == "/api/v3/myTrades" and "orderId" in params:
                weight = 5
            if path == "/api/v3/ticker/price" and "symbol" not in params:
                weight = 4  # every symbol's price
            self._weight_used += weight
            return self._weight_used

    def authenticate(self, api_key: str | None, payload: str, params: Mapping[str, str]) -> Account:
        """The account of a signed request, or the Binance error Binance would give."""
        if not api_key:
            raise BinanceError(ERR_KEY_FORMAT)
        with self._lock:
            account = self._accounts.get(api_key)
        if account is None:
            raise BinanceError(ERR_BAD_KEY)
        unsigned, sep, signature = payload.rpartition("signature=")
        unsigned = unsigned[:-1] if unsigned.endswith("&") else unsigned
        expected = hmac.new(account.secret.encode(), unsigned.encode(), hashlib.sha256).hexdigest()
        if not sep or not hmac.compare_digest(expected, signature.split("&")[0]):
            raise BinanceError(ERR_SIGNATURE)
        try:
            stamp = int(params["timestamp"])
            window = int(params.get("recvWindow", "5000"))
        except (KeyError, ValueError):
            raise BinanceError(ERR_TIMESTAMP) from None
        now = int(time.time() * 1000)
        if window > 60000 or stamp > now + 1000 or now - stamp > window:
            raise BinanceError(ERR_TIMESTAMP)
        return account

    def spec(self, symbol: str | None) -> SymbolSpec:
        spec = self.symbols.get(symbol or "")
        if spec is None:
            raise BinanceError(ERR_SYMBOL)
        return spec

    def dispatch(
        self, method: str, path: str, params: dict[str, str], account: Account | None
    ) -> Any:
        """The JSON answer for one request."""
        now = int(time.time() * 1000)
        if path == "/api/v3/ping":
            return {}
        if path == "/api/v3/time":
            return {"serverTime": now}
        if path == "/api/v3/exchangeInfo":
            return exchange_info(self.symbols.values(), now)
        if path == "/api/v3/klines":
            return self._klines(params, now)
        if path in ("/api/v3/ticker/price", "/api/v3/ticker/24hr"):
            return self._ticker(path, params, now)
        if path.startswith("/fapi/"):
            return self._futures(path, params, now)
        assert account is not None
        if path == "/api/v3/account":
            return self._account(account, now)
        if path == "/api/v3/order" and method == "POST":
            return self._new_order(account, params, now)
        if path == "/api/v3/order":
            return self._query_order(account, params)
        if path == "/api/v3/openOrders":
            return []  # market orders never rest on the book
        if path == "/api/v3/myTrades":
            spec = self.spec(params.get("symbol"))
            order_id = params.get("orderId")
            with self._lock:
                return [
                    dict(t)
                    for t in account.trades
                    if t["symbol"] == spec.symbol
                    and (order_id is None or str(t["orderId"]) == order_id)
                ]
        raise KeyError(path)

    def _klines(self, params: Mapping[str, str], now: int) -> list[list[Any]]:
        spec = self.spec(params.get("symbol"))
        step = INTERVAL_MS.get(params.get("interval", ""))
        if step is None:
            raise BinanceError((400, -1120, "Invalid interval."))
        limit = max(1, min(int(params.get("limit", "500")), 1000))
        start = int(params["startTime"]) if "startTime" in params else None
        end = int(params["endTime"]) if "endTime" in params else None
        current = self.price(spec.symbol)
        with self._lock:
            scripted = self._scripted.get(spec.symbol)
        if scripted is not None:
            return scripted_klines(scripted, step, limit, now, current)
        return klines(spec, step, limit, start, end, now, current)

    def _futures(self, path: str, params: Mapping[str, str], now: int) -> Any:
        if path == "/fapi/v1/exchangeInfo":
            return futures_info(self.symbols.values(), now)
        spec = self.spec(params.get("symbol"))
        if spec not in perpetuals([spec]):
            raise BinanceError(ERR_SYMBOL)
        if path == "/fapi/v1/premiumIndex":
            return premium_index(spec, self.price(spec.symbol), now)
        if path == "/fapi/v1/openInterest":
            return open_interest(spec, now)
        raise KeyError(path)

    def _ticker(self, path: str, params: Mapping[str, str], now: int) -> Any:
        if path.endswith("/price") and "symbol" not in params:
            return [{"symbol": s, "price": fmt(self.price(s))} for s in self.symbols]
        spec = self.spec(params.get("symbol"))
        last = self.price(spec.symbol)
        if path.endswith("/price"):
            return {"symbol": spec.symbol, "price": fmt(last)}
        day = klines(spec, 86_400_000, 1, None, None, now, last)[0]
        return {
            "symbol": spec.symbol,
            "priceChange": fmt(last - Decimal(day[1])),
            "priceChangePercent": "0.000",
            "weightedAvgPrice": fmt(last),
            "prevClosePrice": day[1],
            "lastPrice": fmt(last),
            "lastQty": "0.01000000",
            "bidPrice": fmt(last - spec.tick),
            "bidQty": "1.00000000",
            "askPrice": fmt(last + spec.tick),
            "askQty": "1.00000000",
            "openPrice": day[1],
            "highPrice": day[2],
            "lowPrice": day[3],
            "volume": day[5],
            "quoteVolume": fmt(Decimal(day[5]) * last),
            "openTime": now - 86_400_000,
            "closeTime": now,
            "firstId": 1,
            "lastId": 1000,
            "count": 1000,
        }

    def _account(self, account: Account, now: int) -> dict[str, Any]:
        with self._lock:
            balances = [
                {"asset": a, "free": fmt(v), "locked": "0.00000000"}
                for a, v in sorted(account.balances.items())
            ]
        return {
            "makerCommission": 10,
            "takerCommission": 10,
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": "0.00100000",
                "taker": "0.00100000",
                "buyer": "0.00000000",
                "seller": "0.00000000",
            },
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": now,
            "accountType": "SPOT",
            "balances": balances,
            "permissions": ["SPOT"],
            "uid": 1000 + len(account.api_key),
        }

    def _new_order(self, account: Account, params: Mapping[str, str], now: int) -> dict[str, Any]:
        spec = self.spec(params.get("symbol"))
        side = params.get("side", "")
        if side not in ("BUY", "SELL"):
            raise BinanceError((400, -1102, "Mandatory parameter 'side' was not sent."))
        if params.get("type") != "MARKET":
            raise BinanceError((400, -1116, "Invalid orderType."))
        price = self.price(spec.symbol)
        if ("quantity" in params) == ("quoteOrderQty" in params):
            msg = "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty!"
            raise BinanceError((400, -1102, msg))
        if "quoteOrderQty" in params:
            quote = Decimal(params["quoteOrderQty"])
            if quote < spec.min_notional:
                raise BinanceError(ERR_NOTIONAL)
            qty = (quote / price / spec.step).to_integral_value(ROUND_DOWN) * spec.step
            if qty < spec.min_qty:
                raise BinanceError(ERR_LOT_SIZE)
        else:
            qty = Decimal(params["quantity"])
            if qty < spec.min_qty or qty > spec.max_qty or (qty - spec.min_qty) % spec.step:
                raise BinanceError(ERR_LOT_SIZE)
            if qty * price < spec.min_notional:
                raise BinanceError(ERR_NOTIONAL)
        cost = (qty * price).quantize(Decimal("1e-8"))
        with self._lock:
            bal = account.balances
            if side == "BUY":
                if bal.get(spec.quote, Decimal(0)) < cost:
                    raise BinanceError(ERR_BALANCE)
                fee, fee_asset = (qty * self.fee_rate).quantize(Decimal("1e-8")), spec.base
                bal[spec.quote] = bal.get(spec.quote, Decimal(0)) - cost
                bal[spec.base] = bal.get(spec.base, Decimal(0)) + qty - fee
            else:
                if bal.get(spec.base, Decimal(0)) < qty:
                    raise BinanceError(ERR_BALANCE)
                fee, fee_asset = (cost * self.fee_rate).quantize(Decimal("1e-8")), spec.quote
                bal[spec.base] = bal.get(spec.base, Decimal(0)) - qty
                bal[spec.quote] = bal.get(spec.quote, Decimal(0)) + cost - fee
            order_id, trade_id = next(self._ids[spec.symbol]), next(self._ids[spec.symbol])
            order = {
                "symbol": spec.symbol,
                "orderId": order_id,
                "orderListId": -1,
                "clientOrderId": params.get("newClientOrderId") or f"fake{order_id:020d}",
                "transactTime": now,
                "price": "0.00000000",
                "origQty": fmt(qty),
                "executedQty": fmt(qty),
                "origQuoteOrderQty": fmt(Decimal(params.get("quoteOrderQty", "0"))),
                "cummulativeQuoteQty": fmt(cost),
                "status": "FILLED",
                "timeInForce": "GTC",
                "type": "MARKET",
                "side": side,
                "workingTime": now,
                "selfTradePreventionMode": "EXPIRE_MAKER",
            }
            trade = {
                "symbol": spec.symbol,
                "id": trade_id,
                "orderId": order_id,
                "orderListId": -1,
                "price": fmt(price),
                "qty": fmt(qty),
                "quoteQty": fmt(cost),
                "commission": fmt(fee),
                "commissionAsset": fee_asset,
                "time": now,
                "isBuyer": side == "BUY",
                "isMaker": False,
                "isBestMatch": True,
            }
            account.orders.append(order)
            account.trades.append(trade)
        resp_type = params.get("newOrderRespType", "FULL")
        if resp_type == "ACK":
            return {k: order[k] for k in ("symbol", "orderId", "orderListId", "clientOrderId")} | {
                "transactTime": now
            }
        if resp_type == "RESULT":
            return dict(order)
        fill = {
            "price": fmt(price),
            "qty": fmt(qty),
            "commission": fmt(fee),
            "commissionAsset": fee_asset,
            "tradeId": trade_id,
        }
        return dict(order) | {"fills": [fill]}

    def _query_order(self, account: Account, params: Mapping[str, str]) -> dict[str, Any]:
        spec = self.spec(params.get("symbol"))
        cid, oid = params.get("origClientOrderId"), params.get("orderId")
        with self._lock:
            matches = [
                o
                for o in account.orders
                if o["symbol"] == spec.symbol
                and (cid is None or o["clientOrderId"] == cid)
                and (oid is None or str(o["orderId"]) == oid)
            ]
        if not matches or (cid is None and oid is None):
            raise BinanceError(ERR_NO_ORDER)
        o = matches[-1]
        return {k: v for k, v in o.items() if k != "transactTime"} | {
            "stopPrice": "0.00000000",
            "icebergQty": "0.00000000",
            "time": o["transactTime"],
            "updateTime": o["transactTime"],
            "isWorking": True,
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], fake: FakeBinance
    ) -> None:
        self.fake = fake
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read `fake.requests`; stderr noise helps nobody

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        payload = parts.query + body  # Binance signs query string and body concatenated
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        api_key = self.headers.get("X-MBX-APIKEY")
        path, route = parts.path, f"{method} {parts.path}"
        used = fake.record(method, path, params, api_key)
        fault = fake.take_fault(route)
        if fault is not None and fault.kind in ("429", "418"):
            return self._fault_reply(fault, used)
        if used > fake.weight_limit:
            return self._fault_reply(Fault("429", 60 - int(time.time()) % 60, False, 0), used)
        status, answer = self._answer(method, path, params, payload, api_key, fault)
        if fault is None:
            return self._send(status, answer, used)
        self._fault_reply(fault, used)

    def _answer(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        payload: str,
        api_key: str | None,
        fault: Fault | None,
    ) -> tuple[int, Any]:
        fake = self.server.fake
        if fault is not None and not fault.execute:
            if fault.kind == "timeout":
                time.sleep(fault.delay)
            return 0, None
        if fault is not None and fault.kind == "timeout":
            time.sleep(fault.delay)
        try:
            account = fake.authenticate(api_key, payload, params) if path in SIGNED else None
            return 200, fake.dispatch(method, path, params, account)
        except BinanceError as e:
            return e.status, {"code": e.code, "msg": e.msg}
        except KeyError:
            return 404, None

    def _fault_reply(self, fault: Fault, used: int) -> None:
        kind = fault.kind
        if kind == "429":
            msg = "Too many requests; current limit of IP is 6000 requests per minute."
            self._send(429, {"code": -1003, "msg": msg}, used, {"Retry-After": fault.retry_after})
        elif kind == "418":
            msg = "Way too many requests; IP banned. Please use WebSocket Streams."
            self._send(418, {"code": -1003, "msg": msg}, used, {"Retry-After": fault.retry_after})
        elif kind == "500":
            self._send(500, {"code": ERR_UNKNOWN[1], "msg": ERR_UNKNOWN[2]}, used)
        elif kind == "503":
            self._send(503, "Service Unavailable", used)
        elif kind == "504":
            self._send(504, "", used)
        elif kind in ("drop", "lost_response", "timeout"):
            self._drop()

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(
        self, status: int, answer: Any, used: int, extra: Mapping[str, object] | None = None
    ) -> None:
        if isinstance(answer, str):
            data, ctype = answer.encode(), "text/plain"
        elif answer is None:
            data, ctype = b"", "text/html"
        else:
            data, ctype = json.dumps(answer).encode(), "application/json;charset=UTF-8"
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-MBX-USED-WEIGHT-1M", str(used))
            for name, value in (extra or {}).items():
                self.send_header(name, str(value))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client gave up (timeout fault)


def main(argv: list[str] | None = None) -> None:
    """Run the fake as a process: `python -m tests.fakes.binance --port 8765 --account k:s`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="KEY:SECRET",
        help="an API key and its secret, funded with 10,000 USDT and 1 BTC (repeatable)",
    )
    args = parser.parse_args(argv)
    fake = FakeBinance(args.host, args.port)
    for item in args.account:
        key, _, secret = item.partition(":")
        fake.add_account(key, secret, {"USDT": "10000", "BTC": "1", "ETH": "10"})
    print(f"fake binance listening on {fake.url}", flush=True)
    try:
        fake._server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        fake._server.server_close()


if __name__ == "__main__":
    main()
