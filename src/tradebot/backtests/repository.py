"""Backtest rows: the owner's (every API query scoped to them) and the job's own updates,
each conditional on the status it expects, so a cancel and a finishing job cannot both win."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from tradebot.models import Backtest, User
from tradebot.paging import Position, keyset

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")


async def get_for(session: AsyncSession, user_id: int, backtest_id: int) -> Backtest | None:
    stmt = select(Backtest).where(Backtest.user_id == user_id, Backtest.id == backtest_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def page_for(
    session: AsyncSession,
    user_id: int,
    *,
    limit: int,
    offset: int = 0,
    after: Position | None = None,
) -> Sequence[Backtest]:
    """Up to `limit` jobs, newest first, older than the `after` (created_at, id) position;
    without their reports (a list never shows them)."""
    stmt = select(Backtest).where(Backtest.user_id == user_id).options(defer(Backtest.result))
    stmt = keyset(stmt, Backtest.created_at, Backtest.id, after=after)
    return (await session.execute(stmt.offset(offset).limit(limit))).scalars().all()


async def lock_owner(session: AsyncSession, user_id: int) -> None:
    """Serialise one user's submissions (the active-job limit is counted under this lock)."""
    await session.execute(select(User.id).where(User.id == user_id).with_for_update())


async def count_active(session: AsyncSession, user_id: int) -> int:
    stmt = select(func.count()).where(Backtest.user_id == user_id, Backtest.status.in_(ACTIVE))
    return int((await session.execute(stmt)).scalar_one())


async def cancel(session: AsyncSession, user_id: int, backtest_id: int) -> bool:
    """Cancel the owner's queued or running job; False when it is not active (any more)."""
    stmt = (
        update(Backtest)
        .where(
            Backtest.user_id == user_id,
            Backtest.id == backtest_id,
            Backtest.status.in_(ACTIVE),
        )
        .values(status="cancelled", finished_at=func.now())
        .returning(Backtest.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def delete_finished(session: AsyncSession, user_id: int, backtest_id: int) -> bool:
    stmt = (
        delete(Backtest)
        .where(
            Backtest.user_id == user_id,
            Backtest.id == backtest_id,
            Backtest.status.in_(FINISHED),
        )
        .returning(Backtest.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


# --- the job's side (by id: the worker acts for the row's owner) -------------------------


async def claim(session: AsyncSession, backtest_id: int) -> Backtest | None:
    """queued -> running, once: a second delivery of the same job finds nothing to do."""
    stmt = (
        update(Backtest)
        .where(Backtest.id == backtest_id, Backtest.status == "queued")
        .values(status="running", started_at=func.now(), heartbeat_at=func.now())
        .returning(Backtest)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def heartbeat(session: AsyncSession, backtest_id: int, progress: int) -> bool:
    """Record progress; False when the job is no longer running (cancelled, or failed as
    stale meanwhile): the job stops."""
    stmt = (
        update(Backtest)
        .where(Backtest.id == backtest_id, Backtest.status == "running")
        .values(progress=progress, heartbeat_at=func.now())
        .returning(Backtest.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def finish(
    session: AsyncSession,
    backtest_id: int,
    *,
    status: str,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> tuple[int, int] | None:
    """running -> done or failed; (owner, progress), or None when it was no longer running."""
    values: dict[str, Any] = {"status": status, "finished_at": func.now(), "error": error}
    if status == "done":
        values |= {"progress": 100, "result": result}
    stmt = (
        update(Backtest)
        .where(Backtest.id == backtest_id, Backtest.status == "running")
        .values(**values)
        .returning(Backtest.user_id, Backtest.progress)
    )
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else (row[0], row[1])


async def fail_stale(
    session: AsyncSession, stale: timedelta, reason: str, *, user_id: int | None = None
) -> Sequence[tuple[int, int, int]]:
    """Fail running jobs whose worker stopped writing progress; their (id, owner, progress)."""
    stmt = update(Backtest).where(
        Backtest.status == "running", Backtest.heartbeat_at < func.now() - stale
    )
    if user_id is not None:
        stmt = stmt.where(Backtest.user_id == user_id)
    stmt = stmt.values(status="failed", error=reason, finished_at=func.now()).returning(
        Backtest.id, Backtest.user_id, Backtest.progress
    )
    return [(r[0], r[1], r[2]) for r in (await session.execute(stmt)).all()]
