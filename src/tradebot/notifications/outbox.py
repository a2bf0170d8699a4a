"""Writing notifications: `enqueue` in the event's own transaction, and their texts."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.models import Notification, TelegramLink
from tradebot.models.telegram_link import NOTIFICATION_KINDS
from tradebot.schemas import decimal_text

MAX_TEXT = 4000  # Telegram's limit is 4,096 characters

STOP_REASONS = {
    "daily_target_reached": "the daily target was reached",
    "max_daily_loss_reached": "the daily loss limit was reached",
    "stopped_by_user": "stopped by hand",
    "user_deactivated": "the account was deactivated",
    "error": "an error",
}


async def enqueue(session: AsyncSession, user_id: int, kind: str, key: str, text: str) -> None:
    """Queue `text` for the user's chat, if linked with `kind` on; once per `key`.

    One statement, in the caller's transaction: nothing is written for a user without a
    chat, and the event's id (`key`) written again is ignored.
    """
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    switch = getattr(TelegramLink, f"notify_{kind}")
    rows = select(
        literal(user_id), literal(kind), literal(key[:200]), literal(text[:MAX_TEXT])
    ).where(TelegramLink.user_id == user_id, switch)
    stmt = (
        insert(Notification)
        .from_select(["user_id", "kind", "dedupe_key", "text"], rows)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    await session.execute(stmt)


def bot_title(bot_id: int, name: str) -> str:
    return f"#{bot_id} {name}"


def trade_text(
    title: str,
    symbol: str,
    side: str,
    quantity: Decimal,
    price: Decimal,
    pnl: Decimal | None,
    reason: str,
) -> str:
    """ "#3 Swing: BUY 0.01 BTC/USDT at 65000 (golden_cross)", with the P&L of an exit."""
    line = f"{title}: {side} {decimal_text(quantity)} {symbol} at {decimal_text(price)}"
    if pnl is not None:
        sign = "+" if pnl > 0 else ""
        line += f", P&L {sign}{decimal_text(pnl)}"
    return f"{line} ({reason.replace('_', ' ')})"


def stopped_text(title: str, reason: str, message: str | None = None) -> str:
    why = STOP_REASONS.get(reason, reason.replace("_", " "))
    return f"{title} stopped: {why}" + (f": {message}" if message else ".")


def error_text(title: str, message: str, attempt: int) -> str:
    return f"{title} hit an error (attempt {attempt}; it retries): {message}"
