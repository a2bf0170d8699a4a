"""Async engine and sessions. The request or task wrapper owns the transaction."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from tradebot.config import Settings

log = logging.getLogger(__name__)
_AFTER_COMMIT = "tradebot.after_commit"


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


def after_commit(session: AsyncSession, callback: Callable[[], Awaitable[None]]) -> None:
    """Run `callback` once `session`'s unit of work has committed, never if it rolls back.

    For what must only be told once it is true, such as the state events of the live
    streams; `transaction` runs the callbacks.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work: commit on success, roll back on any error; then the `after_commit`
    callbacks of a committed one."""
    async with sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            session.info.pop(_AFTER_COMMIT, None)
            await session.rollback()
            raise
        for callback in session.info.pop(_AFTER_COMMIT, []):
            try:
                await callback()
            except Exception:  # what it reports is committed; a lost notice is not an error
                log.warning("after-commit callback failed", exc_info=True)


@asynccontextmanager
async def sole_runner(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    """Whether this process is the only one running `name` now (a PostgreSQL advisory lock,
    held for the block on a connection of its own: a process that dies frees it at once).

    For the scheduled jobs that must not run twice at a time (the notification sender, whose
    rate limits hold per process; the alarm evaluator): an overlapping run gets False.
    """
    async with engine.connect() as conn:
        key = select(func.hashtext(name))
        got = bool(await conn.scalar(select(func.pg_try_advisory_lock(key.scalar_subquery()))))
        await conn.commit()
        try:
            yield got
        finally:
            if got:
                try:
                    await conn.scalar(select(func.pg_advisory_unlock(key.scalar_subquery())))
                    await conn.commit()
                except BaseException:
                    # Never back to the pool still holding the lock.
                    await conn.invalidate()
                    raise
