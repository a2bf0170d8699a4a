"""Binance spot REST payloads (as ccxt hands them over in `info`) turned into our types.

Parsed from Binance's decimal strings, never through ccxt's floats, so money stays exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tradebot.core.types import Fill, MarketRules, Side
from tradebot.exchange.errors import OrderNotFound, OrderStatusUnknown

PRICE_PLACES = Decimal("1e-8")
# Binance order states after which nothing more will execute.
FINAL_STATES = frozenset({"FILLED", "CANCELED", "EXPIRED", "REJECTED", "EXPIRED_IN_MATCH"})


def dec(value: object, default: str = "0") -> Decimal:
    """A Decimal from a Binance string (or number), `default` when missing."""
    if value is None or value == "":
        return Decimal(default)
    return Decimal(str(value))


def plain(value: Decimal) -> Decimal:
    """`value` without trailing zeros and without exponent notation ("0.00100000" → 0.001)."""
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


def market_rules(market: Mapping[str, Any]) -> MarketRules:
    """Our rules from a ccxt market (its `info` is Binance's exchangeInfo symbol entry)."""
    info: Mapping[str, Any] = market.get("info") or {}
    filters = {f.get("filterType"): f for f in info.get("filters", [])}
    lot = filters.get("LOT_SIZE", {})
    price = filters.get("PRICE_FILTER", {})
    notional = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL") or {}
    return MarketRules(
        symbol=str(market["symbol"]),
        base=str(market["base"]),
        quote=str(market["quote"]),
        amount_step=plain(dec(lot.get("stepSize"))),
        price_tick=plain(dec(price.get("tickSize"))),
        min_amount=plain(dec(lot.get("minQty"))),
        min_notional=plain(dec(notional.get("minNotional", notional.get("notional")))),
    )


def _ms_to_datetime(ms: object) -> datetime:
    return datetime.fromtimestamp(int(str(ms)) / 1000, tz=UTC)


def fill_from_order(
    order: Mapping[str, Any],
    symbol: str,
    trades: Sequence[Mapping[str, Any]] | None = None,
) -> Fill:
    """A Fill from an order response (FULL, with `fills`) or a queried order plus its trades.

    Raises `OrderNotFound` when the order ended without executing anything, and
    `OrderStatusUnknown` when it has not executed anything yet.
    """
    executed = dec(order.get("executedQty"))
    status = str(order.get("status", ""))
    cid = str(order.get("clientOrderId") or order.get("origClientOrderId") or "")
    if executed <= 0:
        if status in FINAL_STATES:
            # Nothing happened and nothing will: for the caller this order does not exist.
            raise OrderNotFound(f"order {cid} ended {status} without executing")
        raise OrderStatusUnknown(f"order {cid} is {status or 'pending'} with nothing executed")
    quote = dec(order.get("cummulativeQuoteQty"))
    parts = order.get("fills") or trades or []
    asset = str(parts[0].get("commissionAsset", "")) if parts else ""
    # One asset per order in practice; a second one (e.g. BNB discount switching mid-order)
    # would be a different currency and cannot be added up with the first.
    commission = sum(
        (dec(p.get("commission")) for p in parts if p.get("commissionAsset") == asset),
        Decimal(0),
    )
    stamp = order.get("transactTime") or order.get("updateTime") or order.get("time") or 0
    return Fill(
        symbol=symbol,
        side=Side(str(order["side"]).upper()),
        price=(quote / executed).quantize(PRICE_PLACES, rounding=ROUND_HALF_EVEN),
        quantity=executed,
        quote_quantity=quote,
        commission=commission,
        commission_asset=asset,
        order_id=str(order["orderId"]),
        client_order_id=cid,
        timestamp=_ms_to_datetime(stamp),
    )
