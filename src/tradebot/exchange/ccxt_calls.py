"""How every ccxt request is made: weight reserved first, a time limit, errors translated,
the exchange's weight report fed back, idempotent reads retried with backoff."""

from __future__ import annotations

import asyncio
import decimal
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import ccxt.async_support as ccxt
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from tradebot import metrics
from tradebot.exchange.errors import (
    ExchangeError,
    OrderStatusUnknown,
    RateLimited,
    TemporaryError,
    translate,
)
from tradebot.exchange.port import RequestBudget

T = TypeVar("T")
# The adapter's logger, as before this plumbing moved here: log filters and alerts keep working.
log = logging.getLogger("tradebot.exchange.ccxt_adapter")

_CAUGHT = (ccxt.BaseError, asyncio.TimeoutError, aiohttp.ClientError, ConnectionError)


def _temporary(exc: BaseException) -> bool:
    # A 429/418 must not be retried at once, and an unknown order status is the caller's call.
    return isinstance(exc, TemporaryError) and not isinstance(exc, RateLimited | OrderStatusUnknown)


class CcxtCalls:
    """The request plumbing shared by our ccxt adapters (spot accounts, perpetuals data)."""

    def __init__(
        self,
        client: Any,
        *,
        budget: RequestBudget | None,
        timeout: float,
        retries: int,
        backoff: float,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self._ex: Any = client
        self._budget = budget
        self._timeout = timeout
        self._retries = max(1, retries)
        self._backoff = backoff
        self._secrets = secrets

    async def close(self) -> None:
        """Close ccxt's HTTP session."""
        await self._ex.close()

    async def _call(self, weight: int, op: Callable[[], Awaitable[T]]) -> T:
        """One HTTP request: reserve weight, guard the time, translate errors, report weight."""
        if self._budget is not None:
            try:
                await self._budget.reserve(weight)
            except ExchangeError:
                raise
            except Exception as e:
                raise TemporaryError(f"request budget unavailable: {type(e).__name__}") from e
        try:
            # ccxt sets rounding and traps on the current decimal context; keep ours intact.
            with decimal.localcontext():
                result = await asyncio.wait_for(op(), self._timeout + 2.0)
            metrics.EXCHANGE_REQUESTS.labels(self._endpoint(), "ok").inc()
            return result
        except _CAUGHT as e:
            headers = getattr(e, "response_headers", None) or self._ex.last_response_headers
            err = translate(e, secrets=self._secrets, headers=headers)
            metrics.EXCHANGE_REQUESTS.labels(self._endpoint(), type(err).__name__).inc()
            if isinstance(err, RateLimited):
                code = "418" if isinstance(e, ccxt.DDoSProtection) and "418" in str(e) else "429"
                metrics.EXCHANGE_LIMITED.labels(code).inc()
                if self._budget is not None:
                    await self._quietly(self._budget.ban(err.retry_after))
            raise err from e
        finally:
            await self._report_weight()

    def _endpoint(self) -> str:
        """The path of the request just made (`/api/v3/klines`): a bounded label."""
        url = getattr(self._ex, "last_request_url", None)
        return urlsplit(url).path or "unknown" if isinstance(url, str) and url else "unknown"

    async def _report_weight(self) -> None:
        weight, self._ex.tradebot_used_weight = self._ex.tradebot_used_weight, None
        if weight is not None and self._budget is not None:
            await self._quietly(self._budget.observe(weight))

    @staticmethod
    async def _quietly(op: Awaitable[None]) -> None:
        # Bookkeeping must never turn a finished exchange call (an order!) into a failure.
        try:
            await op
        except Exception:
            log.warning("request budget update failed", exc_info=True)

    async def _read(self, weight: int, op: Callable[[], Awaitable[T]]) -> T:
        """An idempotent request, retried with backoff on temporary errors."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retries),
            wait=wait_exponential(multiplier=self._backoff, max=self._backoff * 8),
            retry=retry_if_exception(_temporary),
            reraise=True,
        )
        return await retrying(self._call, weight, op)
