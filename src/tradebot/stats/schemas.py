"""P&L statistics: money as decimal strings, like the rest of the API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from tradebot.schemas import DecimalOut

# What a trade was made with: real money (live), Binance testnet money, or simulated money
# (paper and demo bots). Their P&L do not add up, nor do P&L in different quote assets.
Money = Literal["real", "test", "simulated"]
MIXED = "all groups together: sums across quote assets and kinds of money, see `groups`"


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


class GroupTotalsOut(BaseModel):
    """The totals of the trades in one quote asset made with one kind of money."""

    quote: str = Field(description="the quote asset P&L and fees are in (the symbol after '/')")
    money: Money = Field(
        description="real: live trading; test: Binance testnet; simulated: paper and demo bots"
    )
    total: TotalsOut = Field(description="the range")
    today: TotalsOut = Field(description="the current UTC day")
    all_time: TotalsOut


class StatsOut(BaseModel):
    start: datetime = Field(description="the range's start (inclusive)")
    end: datetime = Field(description="the range's end (exclusive)")
    bot_id: int | None
    total: TotalsOut = Field(description=f"the range ({MIXED})")
    by_bot: list[BotTotalsOut] = Field(description="the range, per bot with trades")
    by_day: list[DayTotalsOut] = Field(description=f"the range, per UTC day with trades ({MIXED})")
    today: TotalsOut = Field(description=f"the current UTC day ({MIXED})")
    all_time: TotalsOut = Field(description=MIXED)
    groups: list[GroupTotalsOut] = Field(
        description="per quote asset and kind of money: each group with a trade ever (of the "
        "bot, when one is asked for), real money first, then test, then simulated; by quote "
        "asset within each"
    )
