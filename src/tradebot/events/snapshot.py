"""The client-facing state of a bot, as one flat JSON-ready dict (the SSE event payload)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tradebot.bots.schemas import PendingOrderOut
from tradebot.models import BotConfig, BotState
from tradebot.schemas import decimal_text


def _num(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _pending(order: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a client shows of an order whose outcome is not recorded yet (as the REST API
    reads it: `PendingOrderOut`)."""
    out = PendingOrderOut.from_state(order)
    if out is None:
        return None
    return {
        "side": out.side,
        "client_order_id": out.client_order_id,
        "since": out.since.isoformat(),
    }


def display_status(config: BotConfig, state: BotState) -> str:
    """running / in_position / stopped / error."""
    if state.status == "running" and state.in_position:
        return "in_position"
    return state.status


def state_event(
    config: BotConfig,
    state: BotState,
    *,
    price: Decimal | None = None,
    unrealized: Decimal | None = None,
) -> dict[str, Any]:
    """Everything a dashboard shows of a bot; equal dicts mean nothing visible changed.

    That includes the settings a bot's card shows (name, symbol, timeframe, mode, the daily
    trade limit), so an edit made elsewhere reaches every open card.

    The latest price and open-position P&L are included only while in a position, so an idle
    bot's cycles produce no events.
    """
    event: dict[str, Any] = {
        "bot_id": config.id,
        "name": config.name,
        "symbol": config.symbol,
        "timeframe": config.timeframe,
        "mode": config.mode,
        "max_daily_trades": config.max_daily_trades,
        "is_active": config.is_active,
        "status": display_status(config, state),
        "in_position": state.in_position,
        "entry_price": _num(state.entry_price),
        "position_size": _num(state.current_position_size_coins),
        "stop_loss_price": _num(state.stop_loss_price),
        "take_profit_price": _num(state.take_profit_price),
        "trailing_stop_price": _num(state.trailing_stop_price),
        "daily_pnl": _num(state.daily_pnl),
        "daily_trades_count": state.daily_trades_count,
        "last_trade_at": _time(state.last_trade_at),
        "last_error_message": state.last_error_message,
        # A repeated error changes only this: the error history still hears of each retry.
        "retry_count": state.retry_count,
        "stop_reason": state.stop_reason,
        "pending_order": _pending(state.pending_order),
    }
    if state.in_position:
        event["price"] = _num(price)
        event["open_pnl"] = _num(unrealized)
    return event


def with_last_price(event: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """`event` with the latest price and open P&L of `previous` (the bot's last published
    event) while both are in a position: only the engine's cycles know the price."""
    if event["in_position"] and previous and previous.get("in_position"):
        event["price"] = previous.get("price")
        event["open_pnl"] = previous.get("open_pnl")
    return event
