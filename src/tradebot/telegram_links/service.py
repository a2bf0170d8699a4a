"""Linking a Telegram chat to an account, and its notification switches.

The REST API (the signed-in user) and the bot's commands (the user a chat is linked to)
call these same functions. Services flush; the caller's unit of work commits.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.error import TelegramError

from tradebot.context import AppContext
from tradebot.errors import Conflict, InvalidInput, NotFound
from tradebot.models import TelegramLink, TelegramLinkCode
from tradebot.models.telegram_link import NOTIFICATION_KINDS
from tradebot.telegram.client import make_bot
from tradebot.telegram_links import repository

log = logging.getLogger(__name__)
# Unambiguous when typed by hand (no 0/O, 1/I/L); 10 of them are about 50 bits.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
USERNAME_TTL = 24 * 3600


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: datetime


async def issue_code(session: AsyncSession, user_id: int, ttl_seconds: int) -> IssuedCode:
    """A new one-time code for the user; it replaces any earlier one of theirs."""
    await session.execute(delete(TelegramLinkCode).where(TelegramLinkCode.user_id == user_id))
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = _now() + timedelta(seconds=ttl_seconds)
    session.add(TelegramLinkCode(user_id=user_id, code_hash=_hash(code), expires_at=expires_at))
    await session.flush()
    return IssuedCode(code, expires_at)


async def link(
    session: AsyncSession, code: str, chat_id: int, username: str | None
) -> TelegramLink:
    """Bind `chat_id` to the account that issued `code` and spend the code.

    A user has one chat: linking another moves the link there. A chat linked to another
    account must be unlinked first.
    """
    found = await session.execute(
        select(TelegramLinkCode).where(TelegramLinkCode.code_hash == _hash(code)).with_for_update()
    )
    issued = found.scalar_one_or_none()
    if issued is None:
        raise InvalidInput("that code is not valid: get one from the dashboard's settings")
    if issued.used_at is not None:
        raise Conflict("that code was already used: get a new one from the dashboard")
    if issued.expires_at <= _now():
        raise Conflict("that code has expired: get a new one from the dashboard")
    other = await repository.get_for_chat(session, chat_id)
    if other is not None and other.user_id != issued.user_id:
        raise Conflict("this chat is linked to another account: send /unlink first")
    issued.used_at = _now()
    mine = other or await repository.get_for_user(session, issued.user_id)
    if mine is None:
        mine = TelegramLink(user_id=issued.user_id, chat_id=chat_id, username=username)
        session.add(mine)
    else:
        mine.chat_id, mine.username, mine.linked_at = chat_id, username, _now()
    await session.flush()
    return mine


async def get_link(session: AsyncSession, user_id: int) -> TelegramLink:
    found = await repository.get_for_user(session, user_id)
    if found is None:
        raise NotFound("no Telegram chat is linked")
    return found


async def unlink(session: AsyncSession, user_id: int) -> None:
    """Forget the user's chat; its codes go too."""
    await session.delete(await get_link(session, user_id))
    await session.execute(delete(TelegramLinkCode).where(TelegramLinkCode.user_id == user_id))
    await session.flush()


def switches(found: TelegramLink) -> dict[str, bool]:
    return {kind: bool(getattr(found, f"notify_{kind}")) for kind in NOTIFICATION_KINDS}


async def set_switches(
    session: AsyncSession, user_id: int, changes: dict[str, bool]
) -> TelegramLink:
    """Turn notification kinds on or off; unknown kinds are refused."""
    unknown = sorted(set(changes) - set(NOTIFICATION_KINDS))
    if unknown:
        raise InvalidInput(f"no notification kind {unknown[0]!r}: {', '.join(NOTIFICATION_KINDS)}")
    found = await get_link(session, user_id)
    for kind, on in changes.items():
        setattr(found, f"notify_{kind}", on)
    await session.flush()
    return found


async def notification_chat(session: AsyncSession, user_id: int, kind: str) -> int | None:
    """The chat to notify of `kind` for this user, or None (not linked, or switched off)."""
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    found = await repository.get_for_user(session, user_id)
    return found.chat_id if found is not None and getattr(found, f"notify_{kind}") else None


async def remember_bot_username(ctx: AppContext, username: str) -> None:
    """Keep the bot's @username for the dashboard's deep link (the bot sets it at start)."""
    await ctx.redis.set(ctx.keys.telegram_bot_username, username, ex=USERNAME_TTL)


async def bot_username(ctx: AppContext) -> str | None:
    """The bot's @username: remembered, else asked of Telegram (getMe); None if unknown."""
    cached = await ctx.redis.get(ctx.keys.telegram_bot_username)
    token = ctx.settings.telegram_bot_token
    if cached is not None or token is None:
        return str(cached) if cached is not None else None
    bot = make_bot(ctx.settings)
    try:
        async with bot:  # initialize() calls getMe
            username = bot.username
    except TelegramError as exc:
        log.warning("telegram: getMe failed (%s); no deep link for now", type(exc).__name__)
        return None
    await remember_bot_username(ctx, username)
    return username


def deep_link(username: str | None, code: str) -> str | None:
    return f"https://t.me/{username}?start={code}" if username else None
