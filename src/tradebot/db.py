"""Async engine and sessions. The request or task wrapper owns the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from tradebot.config import Settings


def make_engine(settings: Settings, *, role: str = "api", **kwargs: object) -> AsyncEngine:
    """One engine per process (and per event loop); `role` names its connections."""
    settings.require_urls()
    assert settings.database_url is not None
    opts: dict[str, object] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_size,
        "pool_pre_ping": True,
        "connect_args": {"server_settings": {"application_name": f"tradebot-{role}"}},
    }
    opts.update(kwargs)
    return create_async_engine(settings.database_url, **opts)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work: commit on success, roll back on any error."""
    async with sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
