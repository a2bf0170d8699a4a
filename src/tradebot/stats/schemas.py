"""P&L statistics: money as decimal strings, like the rest of the API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from tradebot.schemas import DecimalOut


class TotalsOut(BaseModel):
    realised_pnl: DecimalOut = Field(description="sum of the exits' realised P&L (quote)")
    fees: DecimalOut = Field(description="fees paid in the quote asset")
    trades: int = Field(description="fills (a round trip is two)")
    wins: int = Field(description="exits with a positive P&L")
    losses: int = Field(description="exits with a negative P&L")


class BotTotalsOut(TotalsOut):
    bot_id: int | None = Field(description="null: trades of bots since deleted")
    name: str | None


class DayTotalsOut(TotalsOut):
    day: date = Field(description="UTC day")


class StatsOut(BaseModel):
    start: datetime = Field(description="the range's start (inclusive)")
    end: datetime = Field(description="the range's end (exclusive)")
    bot_id: int | None
    total: TotalsOut = Field(description="the range")
    by_bot: list[BotTotalsOut] = Field(description="the range, per bot with trades")
    by_day: list[DayTotalsOut] = Field(description="the range, per UTC day with trades")
    today: TotalsOut = Field(description="the current UTC day")
    all_time: TotalsOut
