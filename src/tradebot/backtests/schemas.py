"""Backtest jobs: what a user submits, and the job with its report as the API shows it.

Chart values are JSON numbers and times epoch seconds (UTC), as in `/bots/{id}/chart`;
money and percentages of the report are decimal strings, like the rest of the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from tradebot.bots.schemas import StopPercent, StrategyFields, Timeframe, _symbol
from tradebot.charts.schemas import MarkerOut
from tradebot.schemas import DbId, DecimalOut, OutSchema, Percent

Source = Literal["demo", "binance"]
Status = Literal["queued", "running", "done", "failed", "cancelled"]


class BacktestCreate(StrategyFields):
    """A backtest of `symbol`/`timeframe` over `bars` candles up to now (or up to `to`), or
    over `from`..`to`. The strategy settings are given here (the same fields and rules as a
    bot's) or copied from the caller's bot `bot_id`; not both."""

    symbol: str
    timeframe: Timeframe
    source: Source = Field("demo", description="demo: the built-in market; binance: spot data")
    bars: Annotated[int, Field(ge=2, le=10_000_000)] | None = Field(
        None, description="candles to test, ending at `to` (default: the latest closed one)"
    )
    start: datetime | None = Field(
        None, alias="from", description="first candle's open time (ISO 8601, UTC if no zone)"
    )
    end: datetime | None = Field(None, alias="to", description="end, exclusive (default: now)")
    bot_id: DbId | None = Field(None, description="copy the strategy settings of this bot")
    # Required unless bot_id is given.
    stop_loss_perc: StopPercent | None = None  # type: ignore[assignment]
    take_profit_perc: Percent | None = None  # type: ignore[assignment]

    _norm_symbol = field_validator("symbol")(classmethod(lambda cls, v: _symbol(v)))


class MetricsOut(OutSchema):
    total_return_perc: DecimalOut
    buy_and_hold_perc: float = Field(description="first open to last close")
    num_trades: int = Field(description="round trips")
    win_rate_perc: DecimalOut
    max_drawdown_perc: float
    sharpe: float | None = Field(description="daily returns, annualised (sqrt 365)")
    sortino: float | None
    profit_factor: DecimalOut | None = Field(description="null without a losing trade")
    expectancy: DecimalOut = Field(description="mean P&L per round trip (quote)")
    total_fees: DecimalOut
    initial_balance: DecimalOut
    final_balance: DecimalOut
    exposure_perc: float = Field(description="share of candles with a position held")
    avg_trade_seconds: float
    longest_trade_seconds: int
    cagr_perc: float | None = Field(description="null for less than a day")


class BacktestTradeOut(OutSchema):
    """One round trip; times are the open times of the candles the fills happened in."""

    entry_time: datetime
    exit_time: datetime
    entry_price: DecimalOut
    exit_price: DecimalOut
    quantity: DecimalOut
    entry_fee: DecimalOut
    exit_fee: DecimalOut
    pnl: DecimalOut
    return_perc: DecimalOut
    entry_reason: str
    exit_reason: str


class PricePointOut(OutSchema):
    """A candle of the price chart: `step_seconds` of the tested candles merged into one."""

    time: int = Field(description="open time, epoch seconds UTC")
    open: float
    high: float
    low: float
    close: float


class EquityPointOut(OutSchema):
    time: int = Field(description="epoch seconds UTC, the close of the point's last candle")
    equity: float


class ResultOut(OutSchema):
    """The report of a finished job: its full-resolution candles are not kept (see the
    README), the chart's are merged into at most 2,000."""

    bars: int = Field(description="candles tested")
    start: datetime = Field(description="first candle's open time")
    end: datetime = Field(description="last candle's close time")
    metrics: MetricsOut
    trades: list[BacktestTradeOut]
    markers: list[MarkerOut] = Field(description="entries and exits, for the price chart")
    step_seconds: int = Field(description="span of one point of `candles` and `equity`")
    candles: list[PricePointOut] = Field(description="price chart, at most 2,000 candles")
    equity: list[EquityPointOut] = Field(description="equity curve, at most 2,000 points")
    skipped_entries: dict[str, int] = Field(description="signals not taken, by reason")


class BacktestOut(OutSchema):
    """A job as the history lists it."""

    id: int
    status: Status
    progress: int = Field(description="0-100")
    params: dict[str, Any] = Field(description="what was asked, with the range resolved")
    error: str | None = Field(description="why it failed (a sentence, never a traceback)")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class BacktestDetailOut(BacktestOut):
    result: ResultOut | None = Field(description="the report, once done")


class BacktestPage(OutSchema):
    items: list[BacktestOut]
    next_cursor: str | None
