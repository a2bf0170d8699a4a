"""Alarm CRUD for the REST API and the chat, owner-scoped; services flush, callers commit."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.alarms import rules
from tradebot.alarms.schemas import AlarmIn, AlarmOut
from tradebot.analysis.ta import default_strategy
from tradebot.errors import Conflict, NotFound, invalid
from tradebot.models import Alarm, User

RSI_RANGE = (Decimal(1), Decimal(99))


def condition(alarm: Alarm) -> rules.Condition:
    return rules.Condition(alarm.symbol, alarm.kind, alarm.threshold, alarm.timeframe)


def periods() -> tuple[tuple[int, int], int]:
    """The platform strategy's (fast, slow) EMA and RSI periods, which alarms watch."""
    cfg = default_strategy()
    return (cfg.ema_fast, cfg.ema_slow), cfg.rsi_period


def describe(alarm: Alarm) -> str:
    """The condition in words, with the platform strategy's EMA and RSI periods."""
    return rules.describe(condition(alarm), *periods())


def out(alarm: Alarm) -> AlarmOut:
    columns = {c.key: getattr(alarm, c.key) for c in Alarm.__table__.columns}
    return AlarmOut.model_validate(columns | {"description": describe(alarm)})


def checked(body: AlarmIn) -> tuple[Decimal | None, str | None]:
    """The threshold and timeframe the kind takes; a 422 naming what does not fit."""
    errors: list[dict[str, str]] = []
    threshold: Decimal | None = body.threshold
    timeframe: str | None = body.timeframe
    if body.kind == rules.CROSS:
        if threshold is not None:
            errors.append({"field": "threshold", "reason": "an EMA cross takes no threshold"})
    elif threshold is None:
        what = "price" if body.kind in rules.PRICE_KINDS else "RSI level"
        errors.append({"field": "threshold", "reason": f"required: the {what} to watch"})
    if body.kind in rules.PRICE_KINDS:
        if timeframe is not None:
            errors.append({"field": "timeframe", "reason": "a price alarm takes no timeframe"})
    else:
        timeframe = timeframe or rules.DEFAULT_TIMEFRAME
    if body.kind in rules.RSI_KINDS and threshold is not None:
        low, high = RSI_RANGE
        if not low <= threshold <= high:
            errors.append({"field": "threshold", "reason": "an RSI level is from 1 to 99"})
    if errors:
        raise invalid(errors)
    return threshold, timeframe


async def count(session: AsyncSession, user_id: int) -> int:
    found = await session.scalar(select(func.count()).where(Alarm.user_id == user_id))
    return int(found or 0)


async def create(
    session: AsyncSession, user_id: int, body: AlarmIn, *, default_source: str, limit: int
) -> Alarm:
    """A new alarm of the user's, within their limit; it first checks on the next run."""
    threshold, timeframe = checked(body)
    # The user's row lock: two creates at once cannot both take the last place.
    await session.execute(select(User.id).where(User.id == user_id).with_for_update())
    if await count(session, user_id) >= limit:
        raise Conflict(f"you have {limit} alarms, the most one may keep: delete one first")
    alarm = Alarm(
        user_id=user_id,
        source=body.source or default_source,
        symbol=body.symbol,
        kind=body.kind,
        threshold=threshold,
        timeframe=timeframe,
        fired_count=0,
    )
    session.add(alarm)
    await session.flush()
    await session.refresh(alarm)
    return alarm


async def list_alarms(session: AsyncSession, user_id: int) -> Sequence[Alarm]:
    found = await session.execute(select(Alarm).where(Alarm.user_id == user_id).order_by(Alarm.id))
    return found.scalars().all()


async def get(session: AsyncSession, user_id: int, alarm_id: int) -> Alarm:
    found = await session.get(Alarm, alarm_id)
    if found is None or found.user_id != user_id:
        raise NotFound("alarm not found")
    return found


async def delete(session: AsyncSession, user_id: int, alarm_id: int) -> None:
    await session.delete(await get(session, user_id, alarm_id))
    await session.flush()
