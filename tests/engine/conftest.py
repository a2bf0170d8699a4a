"""Engine fixtures: an in-process engine context on the test database, Redis and fake Binance."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import update

from tests.conftest import make_settings
from tests.fakes.binance import FakeBinance
from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.engine.context import EngineContext
from tradebot.models import BotState


@pytest.fixture
def fake() -> Iterator[FakeBinance]:
    with FakeBinance() as server:
        server.set_price("BTCUSDT", "60000")
        yield server


def engine_settings(settings: Settings, tmp_path: Any, **extra: object) -> Settings:
    """The app's settings (same database, Redis prefix and keys) with engine overrides."""
    return make_settings(
        str(settings.database_url),
        str(settings.redis_url),
        tmp_path,
        ENCRYPTION_KEYS=settings.fernet_keys[0],
        JWT_SECRET=settings.jwt_secret.get_secret_value(),  # type: ignore[union-attr]
        EXCHANGE_TIMEOUT=2,
        TICKER_TTL_SECONDS=0.001,
        **extra,
    )


@pytest.fixture
async def engine(
    ctx: AppContext, settings: Settings, fake: FakeBinance, tmp_path: Any
) -> AsyncIterator[EngineContext]:
    ectx = EngineContext.create(engine_settings(settings, tmp_path, BINANCE_BASE_URL=fake.url))
    yield ectx
    await ectx.close()


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
