"""Our exchange errors, and the one place where ccxt's errors become them.

Callers decide with `isinstance`: a `TemporaryError` is worth retrying later (a `RateLimited`
one not before `retry_after` seconds); everything else is permanent for the request as sent.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping

import aiohttp
import ccxt.async_support as ccxt

DEFAULT_RETRY_AFTER = 60.0
_MAX_MESSAGE = 400

# Binance codes that mean the key itself is refused, whatever class ccxt picked: ccxt turns
# -2015 into DDoSProtection once the instance has made one successful private call.
_KEY_CODES = frozenset({-2015, -2014, -1022})
_FILTER_CODES = frozenset({-1013})  # "Filter failure: ..." (NOTIONAL arrives as BadRequest)
_CODE_RE = re.compile(r'"code"\s*:\s*(-?\d+)')
# A signed GET carries its signature in the query string, and ccxt puts the URL in messages.
_URL_QUERY_RE = re.compile(r"(https?://[^\s?\"']+)\?[^\s\"']*")
_SIGNATURE_RE = re.compile(r"(?i)(signature=)[^&\s\"']+")


class ExchangeError(Exception):
    """Base of every error the exchange layer raises."""


class TemporaryError(ExchangeError):
    """Timeouts, 5xx, dropped connections: the same request may work later."""


class RateLimited(TemporaryError):
    """The exchange (or our governor) asks us to wait `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OrderStatusUnknown(TemporaryError):
    """An order may or may not exist; retry later with the same client order id."""


class InvalidKey(ExchangeError):
    """The API key or secret is refused (unknown key, bad signature, missing permission)."""


class InsufficientFunds(ExchangeError):
    """The account's free balance does not cover the order."""


class InvalidOrder(ExchangeError):
    """The exchange rejects the order as sent (lot size, minimum notional, ...)."""


class OrderNotFound(InvalidOrder):
    """No order with that id exists."""


class UnknownSymbol(ExchangeError):
    """The exchange does not list that symbol."""


class NotAvailable(ExchangeError):
    """The venue does not offer this data (no perpetual for the symbol, none on testnet)."""


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without query strings, signatures or any of `secrets`, shortened."""
    text = _URL_QUERY_RE.sub(r"\1?…", text)
    text = _SIGNATURE_RE.sub(r"\1***", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE] + "…"
    return text


def binance_code(text: str) -> int | None:
    """The Binance error code in a ccxt message (`{"code":-2015,...}`), if any."""
    m = _CODE_RE.search(text)
    return int(m.group(1)) if m else None


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    lname = name.lower()
    for key, value in headers.items():
        if key.lower() == lname:
            return value
    return None


def retry_after_seconds(headers: Mapping[str, str] | None, default: float) -> float:
    """The Retry-After header in seconds, else `default`."""
    raw = _header(headers, "Retry-After")
    try:
        return max(0.0, float(raw)) if raw is not None else default
    except ValueError:
        return default


def used_weight(headers: Mapping[str, str] | None) -> int | None:
    """Binance's X-MBX-USED-WEIGHT-1M response header, if present."""
    raw = _header(headers, "X-MBX-USED-WEIGHT-1M")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def translate(
    exc: BaseException,
    *,
    secrets: Iterable[str] = (),
    headers: Mapping[str, str] | None = None,
) -> ExchangeError:
    """Our error for a ccxt/aiohttp/timeout error; its message is free of keys and signatures."""
    if isinstance(exc, ExchangeError):
        return exc
    secrets = tuple(secrets)
    message = scrub(f"{type(exc).__name__}: {exc}", secrets)
    # ccxt messages carry the signed URL; the original stays as __cause__, so clean it too.
    exc.args = (scrub(str(exc), secrets),)
    code = binance_code(message)
    if code in _KEY_CODES:
        return InvalidKey(message)
    if isinstance(exc, ccxt.DDoSProtection | ccxt.RateLimitExceeded):
        return RateLimited(message, retry_after_seconds(headers, DEFAULT_RETRY_AFTER))
    if isinstance(exc, ccxt.AuthenticationError):
        return InvalidKey(message)
    if isinstance(exc, ccxt.InsufficientFunds):
        return InsufficientFunds(message)
    if isinstance(exc, ccxt.BadSymbol):
        return UnknownSymbol(message)
    if isinstance(exc, ccxt.OrderNotFound):
        return OrderNotFound(message)
    if isinstance(exc, ccxt.InvalidOrder):
        return InvalidOrder(message)
    if isinstance(exc, ccxt.BadRequest) and (code in _FILTER_CODES or "Filter failure" in message):
        return InvalidOrder(message)
    if isinstance(exc, ccxt.OperationFailed):
        # NetworkError (timeouts, dropped connections, 5xx without a body) and Binance's
        # -1000 "unknown error" bodies: the request's effect is unknown, it may work later.
        return TemporaryError(message)
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ClientError | ConnectionError):
        return TemporaryError(message)
    return ExchangeError(message)
