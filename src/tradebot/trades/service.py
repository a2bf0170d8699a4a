"""Trade history pages with opaque cursors."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.bots import service as bots
from tradebot.errors import InvalidInput
from tradebot.schemas import INT32_MAX
from tradebot.trades import repository
from tradebot.trades.schemas import TradeOut, TradePage


def encode_cursor(ts: datetime, trade_id: int) -> str:
    return base64.urlsafe_b64encode(f"{ts.isoformat()}|{trade_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (timestamp, trade id) position of a cursor; 422 for anything this API never
    returned, including ids and timestamps the database could not compare against."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        ts, _, tid = raw.partition("|")
        parsed = datetime.fromisoformat(ts)
        if parsed.tzinfo is None:
            raise ValueError("naive timestamp")
        trade_id = int(tid)
        if not 1 <= trade_id <= INT32_MAX:
            raise ValueError("trade id out of range")
        return parsed.astimezone(UTC), trade_id
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("not a cursor this API returned", field="cursor") from None


async def page(
    session: AsyncSession, user_id: int, *, bot_id: int | None, limit: int, cursor: str | None
) -> TradePage:
    """One page of the user's trades (optionally of one bot), newest first."""
    if bot_id is not None:
        await bots.get(session, user_id, bot_id)  # 404 for unknown or foreign bots
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.page_for(session, user_id, bot_id=bot_id, limit=limit + 1, after=after)
    items = [TradeOut.model_validate(r) for r in rows[:limit]]
    more = len(rows) > limit
    last = rows[limit - 1] if more else None
    return TradePage(
        items=items, next_cursor=encode_cursor(last.timestamp, last.id) if last else None
    )
