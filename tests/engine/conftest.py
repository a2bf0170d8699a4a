"""Engine test helpers; the `engine` and `fake` fixtures themselves are the suite's
(tests/conftest.py), and `engine_settings` is re-exported from there."""

from __future__ import annotations

from sqlalchemy import update

from tests.conftest import engine_settings
from tradebot.context import AppContext
from tradebot.models import BotState

__all__ = ["engine_settings", "expire_lease", "make_due"]


async def expire_lease(ctx: AppContext, bot_id: int) -> None:
    """What the passing of the lease TTL does to a dead cycle's lease."""
    async with ctx.sessions.begin() as s:
        await s.execute(
            update(BotState)
            .where(BotState.id == bot_id)
            .values(lease_expires_at=None, queued_until=None)
        )


async def make_due(ctx: AppContext, bot_id: int) -> None:
    from datetime import UTC, datetime

    async with ctx.sessions.begin() as s:
        await s.execute(
            update(BotState).where(BotState.id == bot_id).values(next_run_at=datetime.now(UTC))
        )
