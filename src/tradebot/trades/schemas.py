from __future__ import annotations

from datetime import datetime

from tradebot.schemas import DecimalOut, OutSchema


class TradeOut(OutSchema):
    id: int
    bot_config_id: int | None
    binance_order_id: str | None
    symbol: str
    side: str
    order_type: str
    price: DecimalOut
    quantity_filled: DecimalOut
    quote_quantity_filled: DecimalOut
    commission_amount: DecimalOut | None
    commission_asset: str | None
    pnl: DecimalOut | None
    reason: str | None
    timestamp: datetime


class TradePage(OutSchema):
    items: list[TradeOut]
    next_cursor: str | None
