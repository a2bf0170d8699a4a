"""Trade history pages with opaque cursors."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.bots import service as bots
from tradebot.paging import Order, cut, decode_cursor
from tradebot.trades import repository
from tradebot.trades.schemas import TradeOut, TradePage


async def page(
    session: AsyncSession,
    user_id: int,
    *,
    bot_id: int | None,
    limit: int,
    cursor: str | None,
    order: Order = "desc",
) -> TradePage:
    """One page of the user's trades (optionally of one bot), newest or oldest first."""
    if bot_id is not None:
        await bots.get(session, user_id, bot_id)  # 404 for unknown or foreign bots
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.page_for(
        session, user_id, bot_id=bot_id, limit=limit + 1, after=after, order=order
    )
    items, next_cursor = cut(rows, limit, lambda t: (t.timestamp, t.id))
    return TradePage(items=[TradeOut.model_validate(r) for r in items], next_cursor=next_cursor)
