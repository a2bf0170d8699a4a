from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from tradebot.bots.rules import MIN_INTERVAL_SECONDS, SYMBOL_RE
from tradebot.schemas import Amount, DbId, DecimalOut, OutSchema, Percent, Schema

Timeframe = Literal["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d"]
Mode = Literal["live", "testnet", "paper", "demo"]
Period = Annotated[int, Field(ge=2, le=500)]
RsiLevel = Annotated[int, Field(ge=1, le=99)]
Interval = Annotated[int, Field(ge=MIN_INTERVAL_SECONDS, le=86_400)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
# A stop below the price: 100 % would put it at zero, which the strategy refuses
# (`core.config.StrategyConfig`), so the API refuses it first.
StopPercent = Annotated[Decimal, Field(gt=0, lt=100, max_digits=9, decimal_places=4)]


def _symbol(v: str | None) -> str | None:
    if v is None:
        return None
    v = v.strip().upper()
    if not SYMBOL_RE.match(v):
        raise ValueError("must look like BASE/QUOTE, e.g. BTC/USDT")
    return v


class StrategyFields(Schema):
    """The settings a strategy trades by, shared by bots and backtests (same rules: `rules`)."""

    initial_capital: Amount | None = None
    position_size_perc: Percent | None = None
    position_size_fixed: Amount | None = None
    stop_loss_perc: StopPercent
    take_profit_perc: Percent
    trailing_stop_perc: StopPercent | None = None
    trailing_stop_active: bool = False
    ema_fast: Period = 9
    ema_slow: Period = 21
    rsi_period: Period = 14
    rsi_oversold: RsiLevel = 30
    rsi_overbought: RsiLevel = 70
    max_daily_trades: Annotated[int, Field(ge=1, le=10_000)] | None = None


STRATEGY_FIELDS = tuple(StrategyFields.model_fields)


class BotCreate(StrategyFields):
    """A new bot. Exactly one of position_size_perc / position_size_fixed."""

    name: Name
    symbol: str
    timeframe: Timeframe
    mode: Mode = "demo"
    api_key_id: DbId | None = None
    daily_target_perc: Percent | None = None
    max_daily_loss_perc: Percent | None = None
    check_interval_seconds: Interval = 60

    _norm_symbol = field_validator("symbol")(classmethod(lambda cls, v: _symbol(v)))


class BotUpdate(Schema):
    """A partial change; fields left out stay as they are, `null` clears an optional one."""

    name: Name | None = None
    symbol: str | None = None
    timeframe: Timeframe | None = None
    mode: Mode | None = None
    api_key_id: DbId | None = None
    initial_capital: Amount | None = None
    daily_target_perc: Percent | None = None
    max_daily_loss_perc: Percent | None = None
    position_size_perc: Percent | None = None
    position_size_fixed: Amount | None = None
    stop_loss_perc: StopPercent | None = None
    take_profit_perc: Percent | None = None
    trailing_stop_perc: StopPercent | None = None
    trailing_stop_active: bool | None = None
    ema_fast: Period | None = None
    ema_slow: Period | None = None
    rsi_period: Period | None = None
    rsi_oversold: RsiLevel | None = None
    rsi_overbought: RsiLevel | None = None
    max_daily_trades: Annotated[int, Field(ge=1, le=10_000)] | None = None
    check_interval_seconds: Interval | None = None

    _norm_symbol = field_validator("symbol")(classmethod(lambda cls, v: _symbol(v)))


# Fields that must hold a value; `null` in a PATCH is refused for these.
REQUIRED_FIELDS = frozenset(
    {
        "name",
        "symbol",
        "timeframe",
        "mode",
        "stop_loss_perc",
        "take_profit_perc",
        "trailing_stop_active",
        "ema_fast",
        "ema_slow",
        "rsi_period",
        "rsi_oversold",
        "rsi_overbought",
        "check_interval_seconds",
    }
)


class PendingOrderOut(OutSchema):
    """An order sent to the exchange whose outcome is not recorded yet (the next cycle
    looks it up); while one exists the bot's symbol, mode and key cannot change."""

    client_order_id: str
    symbol: str | None
    side: str
    reason: str | None
    since: datetime

    @classmethod
    def from_state(cls, pending: dict[str, Any] | None) -> PendingOrderOut | None:
        if not pending:
            return None
        return cls(
            client_order_id=str(pending["client_order_id"]),
            symbol=pending.get("symbol"),
            side=str(pending.get("side", "")),
            reason=pending.get("reason"),
            since=datetime.fromtimestamp(float(pending.get("announced_at", 0)), UTC),
        )


class BotStateOut(OutSchema):
    status: str
    in_position: bool
    entry_price: DecimalOut | None
    current_position_size_coins: DecimalOut | None
    trailing_stop_price: DecimalOut | None
    max_price_since_entry: DecimalOut | None
    take_profit_price: DecimalOut | None
    stop_loss_price: DecimalOut | None
    daily_pnl: DecimalOut
    daily_trades_count: int
    last_run_at: datetime | None
    next_run_at: datetime | None
    last_trade_at: datetime | None
    last_error_message: str | None
    retry_count: int = Field(description="failed cycles in a row (0 after a good one)")
    stop_reason: str | None
    pending_order: PendingOrderOut | None
    last_updated_at: datetime

    _pending = field_validator("pending_order", mode="before")(
        classmethod(lambda cls, v: PendingOrderOut.from_state(v) if isinstance(v, dict) else v)
    )


class BotOut(OutSchema):
    id: int
    name: str
    symbol: str
    timeframe: str
    mode: str
    exchange: str
    api_key_id: int | None
    is_active: bool
    initial_capital: DecimalOut | None
    daily_target_perc: DecimalOut | None
    max_daily_loss_perc: DecimalOut | None
    position_size_perc: DecimalOut | None
    position_size_fixed: DecimalOut | None
    stop_loss_perc: DecimalOut
    take_profit_perc: DecimalOut
    trailing_stop_perc: DecimalOut | None
    trailing_stop_active: bool
    ema_fast: int
    ema_slow: int
    rsi_period: int
    rsi_oversold: int
    rsi_overbought: int
    max_daily_trades: int | None
    check_interval_seconds: int
    created_at: datetime
    updated_at: datetime
    state: BotStateOut


class BotErrorOut(OutSchema):
    """A failed cycle: `message` is the sentence `state.last_error_message` showed then."""

    id: int
    occurred_at: datetime
    message: str
    kind: Literal["temporary", "permanent"] = Field(
        description="temporary: the bot retried after a backoff; permanent: it stopped (error)"
    )
    attempt: int = Field(description="1 for a first failure, n for the (n-1)th retry in a row")


class BotErrorPage(OutSchema):
    items: list[BotErrorOut]
    next_cursor: str | None
