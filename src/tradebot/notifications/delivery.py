"""Sending the outbox: claim due rows, send each to its chat, mark each as it goes.

At least once: a row is claimed for NOTIFY_CLAIM_SECONDS and marked sent right after
Telegram accepts it; a sender that dies leaves what it had not marked to the next run once
the claim lapses. A message Telegram accepted just before the sender died, unmarked, is the
only one that can go twice (the Bot API has no idempotency key); an event written twice is
one row (`dedupe_key`) and goes once. Switches and links are read at send time: a kind
switched off or a chat unlinked since the event skips its message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from tradebot import metrics
from tradebot.config import Settings
from tradebot.db import sole_runner, transaction
from tradebot.models import Notification, TelegramLink

log = logging.getLogger(__name__)
BATCH = 200
RUNNER = "tradebot.notifications.delivery"
BACKOFF_MAX = 600.0


@dataclass
class DeliveryReport:
    """One run: messages sent, skipped (switched off, unlinked), failed for good, to retry."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    busy: bool = False  # another sender was running: this run did nothing

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.failed + self.retried


@dataclass(frozen=True)
class Claimed:
    id: int
    user_id: int
    kind: str
    text: str
    attempts: int


def backoff(attempts: int) -> float:
    """Seconds before another try after `attempts` failed ones: 5, 10, 20 ... 600."""
    return min(BACKOFF_MAX, 5.0 * 2.0 ** max(0, attempts - 1))


async def claim(session: AsyncSession, limit: int, hold: float) -> list[Claimed]:
    """Take up to `limit` due rows for `hold` seconds; rows another sender holds are skipped."""
    due = (
        select(Notification.id)
        .where(
            Notification.sent_at.is_(None),
            Notification.next_attempt_at <= func.now(),
            or_(Notification.claimed_until.is_(None), Notification.claimed_until < func.now()),
        )
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(Notification)
        .where(Notification.id.in_(due.scalar_subquery()))
        .values(
            claimed_until=func.now() + timedelta(seconds=hold),
            attempts=Notification.attempts + 1,
        )
        .returning(
            Notification.id,
            Notification.user_id,
            Notification.kind,
            Notification.text,
            Notification.attempts,
        )
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(stmt)).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


async def chats_for(session: AsyncSession, claimed: Sequence[Claimed]) -> dict[int, int]:
    """notification id -> chat id, for the rows whose user is linked with the kind on."""
    users = {c.user_id for c in claimed}
    links = (
        (await session.execute(select(TelegramLink).where(TelegramLink.user_id.in_(users))))
        .scalars()
        .all()
    )
    by_user = {link.user_id: link for link in links}
    chats: dict[int, int] = {}
    for c in claimed:
        link = by_user.get(c.user_id)
        if link is not None and getattr(link, f"notify_{c.kind}", False):
            chats[c.id] = link.chat_id
    return chats


class Sender:
    """Sends claimed rows through `bot` and writes each one's outcome as soon as known."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], bot: Bot, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.bot = bot
        self.settings = settings

    async def _finish(self, note: Claimed, **values: Any) -> None:
        async with transaction(self.sessions) as session:
            await session.execute(
                update(Notification)
                .where(Notification.id == note.id)
                .values(claimed_until=None, **values)
                .execution_options(synchronize_session=False)
            )

    async def _done(self, note: Claimed, outcome: str, error: str | None = None) -> None:
        await self._finish(note, sent_at=func.now(), outcome=outcome, last_error=error)
        metrics.NOTIFICATIONS.labels(outcome).inc()

    async def send_all(
        self, chat_id: int | None, notes: Sequence[Claimed], report: DeliveryReport
    ) -> None:
        for note in notes:
            await self.send(note, chat_id, report)

    async def send(self, note: Claimed, chat_id: int | None, report: DeliveryReport) -> None:
        if chat_id is None:
            await self._done(note, "skipped")
            report.skipped += 1
            return
        try:
            await self.bot.send_message(chat_id, note.text, disable_web_page_preview=True)
        except (Forbidden, BadRequest) as exc:
            # Blocked, chat gone, text refused: trying again cannot help.
            await self._done(note, "failed", f"{type(exc).__name__}: {exc.message}"[:500])
            report.failed += 1
            log.warning("notification %d: refused by Telegram (%s)", note.id, type(exc).__name__)
            return
        except TelegramError as exc:
            await self._retry(note, f"{type(exc).__name__}: {exc.message}"[:500], report)
            return
        await self._done(note, "sent")
        report.sent += 1

    async def _retry(self, note: Claimed, error: str, report: DeliveryReport) -> None:
        if note.attempts >= self.settings.notify_max_attempts:
            await self._done(note, "failed", error)
            report.failed += 1
            log.warning("notification %d: given up after %d attempts", note.id, note.attempts)
            return
        wait = timedelta(seconds=backoff(note.attempts))
        await self._finish(note, next_attempt_at=func.now() + wait, last_error=error)
        metrics.NOTIFICATIONS.labels("retried").inc()
        report.retried += 1
        log.info("notification %d: will retry (%s)", note.id, error.split(":")[0])


async def deliver(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    bot: Bot,
    settings: Settings,
    *,
    budget: float = 30.0,
    batch: int = BATCH,
) -> DeliveryReport:
    """Send what is due, batch after batch, for at most `budget` seconds; a run that finds
    another sender at work returns at once (`busy`)."""
    report = DeliveryReport()
    async with sole_runner(engine, RUNNER) as alone:
        if not alone:
            report.busy = True
            return report
        sender = Sender(sessions, bot, settings)
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            async with transaction(sessions) as session:
                claimed = await claim(session, batch, settings.notify_claim_seconds)
                chats = await chats_for(session, claimed) if claimed else {}
            if not claimed:
                break
            by_chat: dict[int | None, list[Claimed]] = defaultdict(list)
            for c in claimed:
                by_chat[chats.get(c.id)].append(c)
            # One chat's messages in order, the chats at once; the bot's rate limiter spaces
            # them (~30/s overall, ~1/s per chat).
            await asyncio.gather(
                *(sender.send_all(cid, notes, report) for cid, notes in by_chat.items())
            )
    return report
