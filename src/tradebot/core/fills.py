"""Simulated market fills (fee + adverse slippage) and deterministic client order ids.

Paper and demo exchanges, the bar-by-bar replay and the backtester all fill through
`FillModel`, so a simulated trade costs the same everywhere. The fee is charged in the quote
asset on both sides: a BUY spends price x quantity + fee, a SELL receives price x quantity - fee.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from tradebot.core.config import to_decimal
from tradebot.core.types import Fill, Side

DEFAULT_FEE_RATE = Decimal("0.001")  # 0.1 % per fill (Binance spot base rate)
DEFAULT_SLIPPAGE_BPS = Decimal(5)
_BPS = Decimal(10_000)
_CID_MAX = 36
_CID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class FillModel:
    """Market orders fill at the reference price moved against the taker, plus a fee."""

    fee_rate: Decimal = DEFAULT_FEE_RATE
    slippage_bps: Decimal = DEFAULT_SLIPPAGE_BPS

    def __post_init__(self) -> None:
        object.__setattr__(self, "fee_rate", to_decimal(self.fee_rate))
        object.__setattr__(self, "slippage_bps", to_decimal(self.slippage_bps))
        if not 0 <= self.fee_rate < 1:
            raise ValueError(f"fee rate must be in [0, 1), got {self.fee_rate}")
        if not 0 <= self.slippage_bps < _BPS:
            raise ValueError(f"slippage must be in [0, 10000) bps, got {self.slippage_bps}")

    @cached_property
    def _factors(self) -> tuple[Decimal, Decimal]:
        slip = self.slippage_bps / _BPS
        return 1 + slip, 1 - slip

    def price(self, side: Side, reference: Decimal) -> Decimal:
        """Average fill price: above the reference for a BUY, below it for a SELL."""
        up, down = self._factors
        return reference * up if side is Side.BUY else reference * down

    def fee(self, quote_quantity: Decimal) -> Decimal:
        """Commission in the quote asset for a fill worth `quote_quantity`."""
        return quote_quantity * self.fee_rate

    def execute(
        self, side: Side, reference: Decimal, quantity: Decimal, *, price: Decimal | None = None
    ) -> tuple[Decimal, Decimal, Decimal]:
        """(price, quote_quantity, commission) of a market order of `quantity` base.

        `price` may pass `self.price(side, reference)` when the caller already has it.
        """
        if price is None:
            price = self.price(side, reference)
        quote = price * quantity
        return price, quote, self.fee(quote)

    def fill(
        self,
        *,
        symbol: str,
        side: Side,
        reference_price: Decimal,
        quantity: Decimal,
        timestamp: datetime,
        client_order_id: str,
        order_id: str | None = None,
    ) -> Fill:
        """A `Fill` as an exchange would report it; the fee is in the quote asset."""
        price, quote, commission = self.execute(side, reference_price, quantity)
        quote_asset = symbol.split("/")[1] if "/" in symbol else symbol
        return Fill(
            symbol=symbol,
            side=side,
            price=price,
            quantity=quantity,
            quote_quantity=quote,
            commission=commission,
            commission_asset=quote_asset,
            order_id=order_id or f"sim-{client_order_id}",
            client_order_id=client_order_id,
            timestamp=timestamp,
        )


def cash_delta(side: Side, quote_quantity: Decimal, commission: Decimal) -> Decimal:
    """Change of the free quote balance caused by a fill."""
    if side is Side.BUY:
        return -(quote_quantity + commission)
    return quote_quantity - commission


def client_order_id(bot_id: int | str, cycle_key: int | str, leg: str) -> str:
    """Deterministic exchange client order id (<= 36 chars of [A-Za-z0-9_-]).

    The same (bot, cycle, leg) always gives the same id, so a retried cycle can find the
    order it may already have placed instead of placing it twice.
    """
    digest = hashlib.blake2b(f"{bot_id}|{cycle_key}|{leg}".encode(), digest_size=16).hexdigest()
    bot = _CID_UNSAFE.sub("_", str(bot_id))[:10]
    tag = _CID_UNSAFE.sub("_", leg)[:6]
    prefix = f"tb{bot}-{tag}-"
    return prefix + digest[: _CID_MAX - len(prefix)]
