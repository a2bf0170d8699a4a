"""Plain data shared by the core, the exchange adapters, the engine and the backtester."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


@dataclass(frozen=True)
class MarketRules:
    """What the exchange accepts for one symbol (Binance LOT_SIZE, PRICE_FILTER, NOTIONAL)."""

    symbol: str  # "BTC/USDT"
    base: str  # "BTC"
    quote: str  # "USDT"
    amount_step: Decimal  # quantity must be a multiple of this
    price_tick: Decimal  # price must be a multiple of this
    min_amount: Decimal  # smallest quantity
    min_notional: Decimal  # smallest price * quantity


@dataclass(frozen=True)
class Ticker:
    symbol: str
    last: Decimal
    timestamp: datetime


@dataclass(frozen=True)
class Fill:
    """An executed market order as the exchange (or the simulator) reports it."""

    symbol: str
    side: Side
    price: Decimal  # average fill price
    quantity: Decimal  # base filled
    quote_quantity: Decimal  # quote spent (BUY) or received (SELL)
    commission: Decimal
    commission_asset: str
    order_id: str
    client_order_id: str
    timestamp: datetime
