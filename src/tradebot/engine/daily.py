"""Daily accounting, pure: counters per UTC day and the daily target / loss limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class DailyLimits:
    target_perc: Decimal | None
    max_loss_perc: Decimal | None
    max_trades: int | None
    initial_capital: Decimal | None

    @classmethod
    def from_object(cls, cfg: object) -> DailyLimits:
        return cls(
            getattr(cfg, "daily_target_perc", None),
            getattr(cfg, "max_daily_loss_perc", None),
            getattr(cfg, "max_daily_trades", None),
            getattr(cfg, "initial_capital", None),
        )

    def base(self, day_start_equity: Decimal | None) -> Decimal | None:
        """What the percentages are of: initial capital, else the day's starting equity."""
        base = self.initial_capital if self.initial_capital else day_start_equity
        return base if base and base > 0 else None

    def entries_allowed(self, trades_today: int) -> bool:
        return self.max_trades is None or trades_today < self.max_trades

    def reached(self, pnl_today: Decimal, day_start_equity: Decimal | None) -> str | None:
        """`daily_target_reached`, `max_daily_loss_reached`, or None."""
        base = self.base(day_start_equity)
        if base is None:
            return None
        if self.target_perc is not None and pnl_today >= base * self.target_perc / HUNDRED:
            return "daily_target_reached"
        if self.max_loss_perc is not None and pnl_today <= -base * self.max_loss_perc / HUNDRED:
            return "max_daily_loss_reached"
        return None


def is_new_day(counters_day: date | None, today: date) -> bool:
    return counters_day != today


def unrealized_pnl(
    entry_price: Decimal | None, quantity: Decimal | None, price: Decimal, fee_rate: Decimal
) -> Decimal:
    """What closing the position at `price` would add, the exit fee deducted."""
    if entry_price is None or not quantity:
        return Decimal(0)
    return (price - entry_price) * quantity - price * quantity * fee_rate
