"""Position sizing under exchange rules, and the profit of a round trip. All Decimal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Any

from tradebot.core.config import HUNDRED, to_decimal
from tradebot.core.types import MarketRules


class SkipReason(StrEnum):
    NO_BALANCE = "no_balance"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    BELOW_MIN_AMOUNT = "below_min_amount"
    BELOW_MIN_NOTIONAL = "below_min_notional"


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    """The largest multiple of `step` not above `value` (a step of 0 leaves it unchanged)."""
    if step <= 0:
        return value
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def round_price(price: Decimal, tick: Decimal, *, up: bool = False) -> Decimal:
    """`price` on the tick grid: floored, or ceiled with `up=True`."""
    if tick <= 0:
        return price
    rounding = ROUND_CEILING if up else ROUND_FLOOR
    return (price / tick).to_integral_value(rounding=rounding) * tick


def permissive_rules(symbol: str = "BASE/QUOTE") -> MarketRules:
    """Rules that accept any positive order (fine-grained steps, no minimums)."""
    base, _, quote = symbol.partition("/")
    tiny = Decimal("1e-12")
    return MarketRules(symbol, base, quote or "QUOTE", tiny, tiny, Decimal(0), Decimal(0))


@dataclass(frozen=True)
class SizingConfig:
    """How much to buy: a fixed quote amount, or a percentage of the free quote balance."""

    position_size_perc: Decimal | None = None
    position_size_fixed: Decimal | None = None

    def __post_init__(self) -> None:
        perc, fixed = self.position_size_perc, self.position_size_fixed
        if perc is not None:
            perc = to_decimal(perc)
            if not 0 < perc <= HUNDRED:
                raise ValueError(f"position_size_perc must be in (0, 100], got {perc}")
            object.__setattr__(self, "position_size_perc", perc)
        if fixed is not None:
            fixed = to_decimal(fixed)
            if not fixed > 0:
                raise ValueError(f"position_size_fixed must be positive, got {fixed}")
            object.__setattr__(self, "position_size_fixed", fixed)
        if perc is not None and fixed is not None:
            raise ValueError("set only one of position_size_perc and position_size_fixed")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SizingConfig:
        """From a mapping with the bot config field names; neither set means 100 %."""
        return cls(data.get("position_size_perc"), data.get("position_size_fixed"))

    @classmethod
    def from_object(cls, obj: object) -> SizingConfig:
        """From any object with the bot config attributes (e.g. a `BotConfig` row)."""
        return cls(
            getattr(obj, "position_size_perc", None), getattr(obj, "position_size_fixed", None)
        )

    def budget(self, free_quote: Decimal) -> Decimal:
        """Quote amount to commit, fee included."""
        if self.position_size_fixed is not None:
            return self.position_size_fixed
        perc = self.position_size_perc if self.position_size_perc is not None else HUNDRED
        return free_quote * perc / HUNDRED


@dataclass(frozen=True)
class OrderSize:
    """A sized order, or why none is placed (`quantity` 0 and `skip_reason` set)."""

    quantity: Decimal
    price: Decimal
    notional: Decimal
    skip_reason: SkipReason | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.skip_reason is None


def check_order(quantity: Decimal, price: Decimal, rules: MarketRules) -> OrderSize:
    """Whether an order of `quantity` at `price` meets the exchange's minimums."""
    notional = quantity * price
    if quantity <= 0 or quantity < rules.min_amount:
        detail = f"quantity {quantity} is below the minimum {rules.min_amount} {rules.base}"
        return OrderSize(Decimal(0), price, Decimal(0), SkipReason.BELOW_MIN_AMOUNT, detail)
    if notional < rules.min_notional:
        detail = f"order value {notional:.8f} is below the minimum {rules.min_notional}"
        return OrderSize(Decimal(0), price, Decimal(0), SkipReason.BELOW_MIN_NOTIONAL, detail)
    return OrderSize(quantity, price, notional)


def position_size(
    free_quote: Decimal,
    price: Decimal,
    rules: MarketRules,
    sizing: SizingConfig,
    fee_rate: Decimal = Decimal(0),
) -> OrderSize:
    """Base quantity to buy at `price` so that cost plus fee fits the sizing budget.

    The quantity is floored to the lot step; a fixed amount above the free balance, or an
    order under the minimum amount or notional, is skipped with a reason instead.
    """
    if free_quote <= 0:
        return OrderSize(Decimal(0), price, Decimal(0), SkipReason.NO_BALANCE, "no free balance")
    budget = sizing.budget(free_quote)
    if budget > free_quote:
        detail = f"position size {budget} exceeds the free balance {free_quote}"
        return OrderSize(Decimal(0), price, Decimal(0), SkipReason.INSUFFICIENT_BALANCE, detail)
    if price <= 0:
        raise ValueError(f"price must be positive, got {price}")
    quantity = floor_to_step(budget / (price * (1 + fee_rate)), rules.amount_step)
    return check_order(quantity, price, rules)


def sell_size(quantity: Decimal, price: Decimal, rules: MarketRules) -> OrderSize:
    """A sell of a held quantity floored to the lot step and checked against the minimums."""
    return check_order(floor_to_step(quantity, rules.amount_step), price, rules)


@dataclass(frozen=True)
class RoundTrip:
    pnl: Decimal  # quote, after both fees
    return_perc: Decimal  # pnl over the quote spent on entry (fee included)


def round_trip_pnl(
    entry_price: Decimal,
    exit_price: Decimal,
    quantity: Decimal,
    entry_fee: Decimal,
    exit_fee: Decimal,
) -> RoundTrip:
    """Profit of buying and selling `quantity`, both fees (in quote) deducted."""
    cost = entry_price * quantity + entry_fee
    pnl = (exit_price - entry_price) * quantity - entry_fee - exit_fee
    return RoundTrip(pnl, pnl / cost * HUNDRED if cost > 0 else Decimal(0))
