"""Strategy parameters as a frozen value, built from a mapping or any object (an ORM row)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from functools import cached_property
from types import MappingProxyType
from typing import Any

HUNDRED = Decimal(100)
_REQUIRED = (
    "ema_fast",
    "ema_slow",
    "rsi_period",
    "rsi_oversold",
    "rsi_overbought",
    "stop_loss_perc",
    "take_profit_perc",
)


def to_decimal(value: object) -> Decimal:
    """Decimal of an int, str, float (via its shortest repr) or Decimal."""
    if type(value) is float and math.isfinite(value):  # the hot path of backtests
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int | float | str):
        try:
            # float.__repr__ also gives the shortest form for numpy's float64
            text = float.__repr__(value) if isinstance(value, float) else str(value).strip()
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
        if not result.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return result
    raise ValueError(f"not a number: {value!r}")


def _to_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str | float | Decimal):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    number = to_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(number)


def _to_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError(f"{name} must be true or false, got {value!r}")


# The settings a new bot starts with (the API's and the dashboard's defaults); also what
# backtests and Telegram's `/ta` use when nothing else is given.
DEFAULT_STRATEGY: Mapping[str, Any] = MappingProxyType(
    {
        "ema_fast": 9,
        "ema_slow": 21,
        "rsi_period": 14,
        "rsi_oversold": 30,
        "rsi_overbought": 70,
        "stop_loss_perc": 2,
        "take_profit_perc": 4,
        "trailing_stop_active": False,
    }
)


def warmup_bars(ema_slow: int, rsi_period: int) -> int:
    """Closed candles a strategy with these periods needs before every signal counts."""
    return max(ema_slow, rsi_period + 1) + 1


@dataclass(frozen=True)
class StrategyConfig:
    """EMA/RSI strategy parameters; percentages such as 2.5 mean 2.5 %."""

    ema_fast: int
    ema_slow: int
    rsi_period: int
    rsi_oversold: Decimal
    rsi_overbought: Decimal
    stop_loss_perc: Decimal
    take_profit_perc: Decimal
    trailing_stop_perc: Decimal | None = None
    trailing_stop_active: bool = False

    def __post_init__(self) -> None:
        # Accept ints, floats and strings for convenience; store the canonical types.
        for name in ("ema_fast", "ema_slow", "rsi_period"):
            object.__setattr__(self, name, _to_int(name, getattr(self, name)))
        for name in ("rsi_oversold", "rsi_overbought", "stop_loss_perc", "take_profit_perc"):
            object.__setattr__(self, name, self._number(name, getattr(self, name)))
        if self.trailing_stop_perc is not None:
            value = self._number("trailing_stop_perc", self.trailing_stop_perc)
            object.__setattr__(self, "trailing_stop_perc", value)
        object.__setattr__(
            self,
            "trailing_stop_active",
            _to_bool("trailing_stop_active", self.trailing_stop_active),
        )
        self._validate()

    @staticmethod
    def _number(name: str, value: object) -> Decimal:
        try:
            return to_decimal(value)
        except ValueError:
            raise ValueError(f"{name} must be a number, got {value!r}") from None

    def _validate(self) -> None:
        if self.ema_fast < 2:
            raise ValueError(f"ema_fast must be at least 2, got {self.ema_fast}")
        if self.ema_slow <= self.ema_fast:
            raise ValueError(f"ema_slow ({self.ema_slow}) must be greater than ema_fast")
        if self.rsi_period < 2:
            raise ValueError(f"rsi_period must be at least 2, got {self.rsi_period}")
        if not 0 <= self.rsi_oversold < self.rsi_overbought <= HUNDRED:
            raise ValueError("need 0 <= rsi_oversold < rsi_overbought <= 100")
        if not 0 < self.stop_loss_perc < HUNDRED:
            raise ValueError(f"stop_loss_perc must be in (0, 100), got {self.stop_loss_perc}")
        if not self.take_profit_perc > 0:
            raise ValueError(f"take_profit_perc must be positive, got {self.take_profit_perc}")
        perc = self.trailing_stop_perc
        if perc is not None and not 0 < perc < HUNDRED:
            raise ValueError(f"trailing_stop_perc must be in (0, 100), got {perc}")

    @property
    def trailing_enabled(self) -> bool:
        """Whether the trailing stop takes part in the stop level."""
        return self.trailing_stop_active and self.trailing_stop_perc is not None

    @property
    def warmup_bars(self) -> int:
        """Closed candles needed before every signal can be evaluated."""
        return warmup_bars(self.ema_slow, self.rsi_period)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> StrategyConfig:
        """Build from a mapping with (at least) the field names; extra keys are ignored."""
        missing = [name for name in _REQUIRED if data.get(name) is None]
        if missing:
            raise ValueError(f"missing strategy settings: {', '.join(missing)}")
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        if values.get("trailing_stop_active") is None:
            values.pop("trailing_stop_active", None)
        return cls(**values)

    @classmethod
    def from_object(cls, obj: object) -> StrategyConfig:
        """Build from any object with the field names as attributes (e.g. a `BotConfig` row)."""
        names = [f.name for f in fields(cls)]
        return cls.from_mapping({n: getattr(obj, n) for n in names if hasattr(obj, n)})

    from_orm = from_object

    # Levels --------------------------------------------------------------------------------

    @cached_property
    def _factors(self) -> tuple[Decimal, Decimal, Decimal | None]:
        trailing = self.trailing_stop_perc if self.trailing_enabled else None
        return (
            1 - self.stop_loss_perc / HUNDRED,
            1 + self.take_profit_perc / HUNDRED,
            None if trailing is None else 1 - trailing / HUNDRED,
        )

    def stop_loss_level(self, entry_price: Decimal) -> Decimal:
        """entry x (1 - stop_loss_perc/100)."""
        return entry_price * self._factors[0]

    def take_profit_level(self, entry_price: Decimal) -> Decimal:
        """entry x (1 + take_profit_perc/100)."""
        return entry_price * self._factors[1]

    def trailing_level(self, max_price: Decimal) -> Decimal | None:
        """max_price_since_entry x (1 - trailing_stop_perc/100), or None when disabled."""
        factor = self._factors[2]
        return None if factor is None else max_price * factor
