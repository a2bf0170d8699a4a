from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator

from tradebot.bots.rules import normalize_symbol
from tradebot.bots.schemas import Timeframe
from tradebot.schemas import DecimalOut, OutSchema, Schema

AlarmKind = Literal["price_above", "price_below", "rsi_above", "rsi_below", "ema_cross"]
Source = Literal["binance", "demo"]
Level = Annotated[Decimal, Field(gt=0, max_digits=30, decimal_places=12)]


class AlarmIn(Schema):
    """A new alarm. price_above/price_below take a `threshold` price; rsi_above/rsi_below an
    RSI level (1-99) and a `timeframe` (1h unless given); ema_cross a `timeframe` only."""

    symbol: str = Field(description="BTC/USDT, BTCUSDT or BTC (USDT by default)")
    kind: AlarmKind
    threshold: Level | None = None
    timeframe: Timeframe | None = None
    source: Source | None = Field(
        None, description="where prices come from; the chat's market (TELEGRAM_MARKET) if unset"
    )

    @field_validator("symbol")
    @classmethod
    def _symbol(cls, v: str) -> str:
        return normalize_symbol(v)


class AlarmOut(OutSchema):
    id: int
    source: Source
    symbol: str
    kind: AlarmKind
    threshold: DecimalOut | None
    timeframe: str | None
    description: str = Field(description="the condition in words, as the chat shows it")
    created_at: datetime
    last_value: DecimalOut | None = Field(
        description="the watched figure at the last check (price, RSI, or fast minus slow EMA)"
    )
    last_checked_at: datetime | None
    last_fired_at: datetime | None
    fired_count: int
