"""Rows that only the engine writes, inserted directly for API tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.models import Trade


async def add_trades(
    session: AsyncSession,
    *,
    user_id: int,
    bot_id: int | None,
    count: int,
    start: datetime | None = None,
) -> list[Trade]:
    """`count` alternating BUY/SELL trades one minute apart, committed."""
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(count):
        side = "BUY" if i % 2 == 0 else "SELL"
        rows.append(
            Trade(
                bot_config_id=bot_id,
                user_id=user_id,
                venue="binance",
                binance_order_id=f"order-{uuid.uuid4().hex}",
                symbol="BTC/USDT",
                side=side,
                order_type="MARKET",
                price=Decimal("50000.12") + i,
                quantity_filled=Decimal("0.001"),
                quote_quantity_filled=Decimal("50.00012"),
                commission_amount=Decimal("0.05"),
                commission_asset="USDT",
                pnl=Decimal("1.5") if side == "SELL" else None,
                timestamp=start + timedelta(minutes=i),
            )
        )
    session.add_all(rows)
    await session.commit()
    return rows
